"""The bit-exact golden model against a loop-based integer reference, and its interface."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from loop_reference import op_ref

from hwgen.errors import HwgenError
from hwgen.ir.layers import same_padding
from hwgen.ir.ops import ComputeOp
from hwgen.models.zoo import get_model
from hwgen.numerics.fixed import FixedFormat, accumulator_bits, dequantize, requantize, round_shift
from hwgen.quant.golden import quantize_input, random_input, run_fixed, run_float, run_op_fixed
from hwgen.quant.qgraph import QuantOp
from hwgen.quant.quantize import quantize


@pytest.fixture(scope="module")
def odd():
    return quantize(get_model("tiny_odd"))


@pytest.mark.parametrize("model", ["tiny_odd", "tiny_dsc"])
def test_every_op_matches_loop_reference(model):
    """tiny_odd: 15x15 input, stride 2, odd sizes; tiny_dsc: 16->8 stride 2 with pad (0 top, 1 bottom)."""
    q = quantize(get_model(model))
    x = random_input(q, seed=3)
    res = run_fixed(q, x)
    cur = x
    for qop, out in zip(q.ops, res.outputs):
        ref, sats = op_ref(qop, cur)
        np.testing.assert_array_equal(out, ref, err_msg=qop.name)
        assert res.saturations[qop.name] == sats
        cur = out
    kinds = {qop.op.kind for qop in q.ops}
    assert kinds == {"conv", "dw", "pw", "pool", "fc"}


def test_asymmetric_padding_geometry():
    q = quantize(get_model("tiny_dsc"))
    conv1 = q.ops[0].op
    assert conv1.in_shape[:2] == (16, 16) and conv1.out_shape[:2] == (8, 8) and conv1.pad == (0, 0)


def _op(kind: str, h: int, w: int, cin: int, cout: int, kernel: int, stride: int, relu6: bool) -> ComputeOp:
    if kind in ("pw", "fc"):
        kernel, stride = 1, 1
    oh, top, _ = same_padding(h, kernel, stride)
    ow, left, _ = same_padding(w, kernel, stride)
    cout = cin if kind == "dw" else cout
    return ComputeOp("op", kind, (h, w, cin), (oh, ow, cout), kernel, stride, (top, left), None, relu6, ("op",))


def _random_qop(data, kind: str) -> tuple[QuantOp, np.ndarray]:
    h, w = data.draw(st.integers(1, 7)), data.draw(st.integers(1, 7))
    cin, cout = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    kernel, stride = data.draw(st.sampled_from([1, 2, 3, 5])), data.draw(st.integers(1, 3))
    op = _op(kind, h, w, cin, cout, kernel, stride, data.draw(st.booleans()))
    wa, ww, wo = (data.draw(st.integers(2, 16)) for _ in range(3))
    in_fmt = FixedFormat(wa, data.draw(st.integers(0, wa)))
    w_fmt = FixedFormat(ww, data.draw(st.integers(0, ww)))
    out_fmt = FixedFormat(wo, data.draw(st.integers(0, wo)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    wshape = {"dw": (op.kernel, op.kernel, cin), "pw": (cin, op.out_shape[2]),
              "conv": (op.kernel, op.kernel, cin, op.out_shape[2])}[kind]
    weights = rng.integers(w_fmt.min_int, w_fmt.max_int + 1, wshape)
    bias_bits = data.draw(st.integers(1, 24))
    bias = rng.integers(-(1 << (bias_bits - 1)), 1 << (bias_bits - 1), op.out_shape[2])
    terms = op.kernel * op.kernel * (1 if kind == "dw" else cin)
    qop = QuantOp(op, in_fmt, out_fmt, w_fmt, weights, bias, in_fmt.frac + w_fmt.frac - out_fmt.frac,
                  accumulator_bits(wa, ww, terms, bias_bits), bias_bits)
    x = rng.integers(in_fmt.min_int, in_fmt.max_int + 1, op.in_shape)
    return qop, x


@given(st.data(), st.sampled_from(["dw", "pw", "conv"]))
def test_kernels_match_loop_reference_random(data, kind):
    qop, x = _random_qop(data, kind)
    out, sats = run_op_fixed(qop, x)
    ref, ref_sats = op_ref(qop, x)
    np.testing.assert_array_equal(out, ref)
    assert sats == ref_sats


def test_wide_accumulator_takes_the_int64_path_exactly():
    """28-bit codes: accumulators beyond float64's 53-bit mantissa must still be exact."""
    op = _op("pw", 2, 2, 6, 3, 1, 1, False)
    fa, fw = FixedFormat(28, 0), FixedFormat(28, 0)
    rng = np.random.default_rng(0)
    w = rng.integers(fw.max_int - 1000, fw.max_int + 1, (6, 3))
    x = rng.integers(fa.max_int - 1000, fa.max_int + 1, op.in_shape)
    acc_bits = accumulator_bits(28, 28, 6, 2)
    assert acc_bits > 53
    qop = QuantOp(op, fa, FixedFormat(32, 0), fw, w, np.array([1, 0, -1]), 30, acc_bits, 2)
    out, _ = run_op_fixed(qop, x)
    ref, _ = op_ref(qop, x)
    np.testing.assert_array_equal(out, ref)


def test_round_shift_half_to_even_and_saturation_counts():
    acc = np.array([5, 6, 7, -5, -6, -7, 3, -3, 1, -1])
    np.testing.assert_array_equal(round_shift(acc, 1), [2, 3, 4, -2, -3, -4, 2, -2, 0, 0])
    np.testing.assert_array_equal(round_shift(np.array([12, -12, 20]), 3), [2, -2, 2])  # 1.5->2, -1.5->-2, 2.5->2
    codes, sats = requantize(np.array([100, -100, 7, -8, 8, 0]), 0, FixedFormat(4, 0), relu6=False)
    np.testing.assert_array_equal(codes, [7, -8, 7, -8, 7, 0])
    assert sats == 3
    # 6.0 = 48 at frac 3. 100 fits in 8 bits: the ReLU6 clamp is the activation, not an overflow;
    # 200 and -300 overflow the format first (counted), then clamp.
    codes, sats = requantize(np.array([100, -3, 50, 200, -300]), 0, FixedFormat(8, 3), relu6=True)
    np.testing.assert_array_equal(codes, [48, 0, 48, 48, 0])
    assert sats == 2
    codes, sats = requantize(np.array([-9, 9, 2]), 2, FixedFormat(3, 0), relu6=True)  # max 3: ReLU6 clamps at 3
    np.testing.assert_array_equal(codes, [0, 2, 0])  # -2.25->-2, 2.25->2, 0.5->0 (half to even)
    assert sats == 0


def test_forced_overflow_saturates_and_never_wraps():
    """conv1 forced to ap_fixed<4,1> (max 0.875): many outputs overflow and must clamp to the maximum."""
    g = get_model("tiny_dsc")
    q = quantize(g, formats={"conv1": (4, 1)})
    assert q.ops[0].out_fmt == FixedFormat(4, 3)
    x = random_input(q, seed=1)
    res = run_fixed(q, x)
    y = res.outputs[0]
    ref = run_float(q, dequantize(x, q.input_fmt)).outputs[0]
    assert res.saturations["conv1"] == op_ref(q.ops[0], x)[1] > 50
    # clipped: outputs that differ from the same op with an unbounded (40-bit) output format
    wide = dataclasses.replace(q.ops[0], out_fmt=FixedFormat(40, 3))
    assert res.clipped["conv1"] == int(np.count_nonzero(op_ref(wide, x)[0] != y)) > 50
    assert all(res.clipped[name] == 0 for name in res.names[1:] if q.op(name).op.relu6)
    assert y.min() >= 0 and y.max() == 7  # a wrap would produce negative codes
    assert np.all(y[ref > 1.0] == 7)


def test_result_interface(odd):
    x = random_input(odd, seed=0)
    res = run_fixed(odd, x)
    assert res.names == [q.name for q in odd.ops]
    assert [o.shape for o in res.outputs] == [q.op.out_shape for q in odd.ops]
    assert all(o.dtype == np.int64 for o in res.outputs)
    assert res.logits is res.outputs[-1] and res.logits.shape == (1, 1, 5)
    assert set(res.saturations) == set(res.names) == set(res.clipped)
    assert all(res.clipped[n] <= res.saturations[n] for n in res.names)
    np.testing.assert_array_equal(res.output("avgpool"), res.outputs[-2])
    for qop, o in zip(odd.ops, res.outputs):
        assert qop.out_fmt.min_int <= o.min() and o.max() <= qop.out_fmt.max_int


def test_random_input_is_seeded_and_in_range(odd):
    a, b, c = random_input(odd, 7), random_input(odd, 7), random_input(odd, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.int64 and a.shape == (15, 15, 3)
    assert odd.input_fmt.min_int <= a.min() and a.max() <= odd.input_fmt.max_int


def test_run_float_of_graph_uses_seeded_weights(odd):
    x = dequantize(random_input(odd, 2), odd.input_fmt)
    a = run_float(get_model("tiny_odd"), x, seed=0)
    b = run_float(odd, x)
    np.testing.assert_array_equal(a.logits, b.logits)
    assert abs(a.probabilities.sum() - 1) < 1e-12 and a.probabilities.argmax() == a.logits.argmax()


def test_input_quantization_rounds_and_saturates(odd):
    fmt = odd.input_fmt
    assert fmt == FixedFormat(8, 7)
    x = np.zeros((15, 15, 3))
    x[0, 0, :] = [1.5, -2.0, 0.5 + 1 / 256]  # 1/256 is half an LSB: ties to even (64)
    codes, sats = quantize_input(odd, x)
    assert list(codes[0, 0]) == [127, -128, 64] and sats == 2


def test_run_fixed_rejects_bad_inputs(odd):
    x = random_input(odd, 0)
    with pytest.raises(HwgenError, match="shape"):
        run_fixed(odd, x[:-1])
    with pytest.raises(HwgenError, match="integers"):
        run_fixed(odd, x.astype(float))
    with pytest.raises(HwgenError, match="outside"):
        run_fixed(odd, x * 4)


@pytest.mark.parametrize("wa,ww,cin,acc_bits", [(11, 12, 2, 24), (12, 12, 2, 25), (26, 26, 2, 53), (26, 27, 3, 54)])
def test_extreme_codes_at_the_float_path_boundaries(wa, ww, cin, acc_bits):
    """Largest-magnitude products around the float32 (24-bit) / float64 (53-bit) / int64 path boundaries."""
    op = _op("pw", 1, 3, cin, 2, 1, 1, False)
    fa, fw = FixedFormat(wa, 0), FixedFormat(ww, 0)
    x = np.array([[[fa.max_int] * cin, [fa.min_int] * cin, [fa.max_int - 2] * cin]])
    w = np.array([[fw.max_int, fw.min_int]] * cin)
    qop = QuantOp(op, fa, FixedFormat(12, 0), fw, w, np.array([1, -1]), acc_bits - 12, acc_bits, 1)
    assert accumulator_bits(wa, ww, cin, 1) == acc_bits
    out, _ = run_op_fixed(qop, x)
    ref, _ = op_ref(qop, x)
    np.testing.assert_array_equal(out, ref)
    assert np.abs(out).max() > 500  # the accumulators really are near their bound


def test_mobilenet_quantizes_within_int64():
    q = quantize(get_model("mobilenet_v1", alpha=0.25, resolution=128))
    assert len(q.ops) == 29 and max(qop.acc_bits for qop in q.ops) <= 62
    res = run_fixed(q, random_input(q, 0))
    assert res.logits.shape == (1, 1, 1000)
    assert sum(res.clipped.values()) == 0
