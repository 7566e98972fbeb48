"""Per-channel weight formats (--weight-scale per-channel): golden model = loop reference = HLS C-sim = RTL."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from loop_reference import op_ref
from hls_helpers import generate, hand_mapping
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hwgen.cli.common import vector_inputs
from hwgen.errors import HwgenError
from hwgen.hw.contract import EngineConfig
from hwgen.ir.graph import Graph
from hwgen.ir.layers import (BatchNorm, Conv2D, DepthwiseConv2D, Input, PointwiseConv2D, ReLU, ReLU6,
                             same_padding)
from hwgen.ir.ops import ComputeOp
from hwgen.models.zoo import get_model
from hwgen.numerics.fixed import FixedFormat, accumulator_bits, round_shift
from hwgen.quant.golden import random_input, run_fixed, run_op_fixed
from hwgen.quant.qgraph import QuantOp
from hwgen.quant.quantize import quantize
from hwgen.verify.csim import run_csim

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist_dsc"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True, cwd=cwd)


def test_round_shift_per_channel_equals_scalar_per_channel() -> None:
    acc = np.random.default_rng(0).integers(-5000, 5000, (4, 3, 5))
    shifts = np.array([-2, 0, 1, 3, 7])
    got = round_shift(acc, shifts)
    for c, s in enumerate(shifts):
        np.testing.assert_array_equal(got[..., c], round_shift(acc[..., c], int(s)))


@pytest.mark.parametrize("model", ["tiny_odd", "tiny_dsc"])
def test_quantized_network_matches_loop_reference(model: str) -> None:
    q = quantize(get_model(model), weight_scale="per-channel")
    assert any(qop.channel_shift is not None and qop.channel_shift.any() for qop in q.ops)
    x = random_input(q, seed=5)
    cur = x
    for qop, out in zip(q.ops, run_fixed(q, x).outputs):
        ref, _ = op_ref(qop, cur)
        np.testing.assert_array_equal(out, ref, err_msg=qop.name)
        cur = out


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["dw", "pw", "conv"]))
def test_engines_match_loop_reference_random(data, kind: str) -> None:
    h, w = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    cin, cout = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5))
    kernel, stride = data.draw(st.sampled_from([1, 3])), data.draw(st.integers(1, 2))
    if kind == "pw":
        kernel, stride = 1, 1
    oh, top, _ = same_padding(h, kernel, stride)
    ow, left, _ = same_padding(w, kernel, stride)
    cout = cin if kind == "dw" else cout
    op = ComputeOp("op", kind, (h, w, cin), (oh, ow, cout), kernel, stride, (top, left), None,
                   data.draw(st.booleans()), ("op",))
    wa, ww, wo = (data.draw(st.integers(2, 12)) for _ in range(3))
    in_fmt, w_fmt = FixedFormat(wa, data.draw(st.integers(0, wa))), FixedFormat(ww, data.draw(st.integers(0, ww)))
    out_fmt = FixedFormat(wo, data.draw(st.integers(0, wo)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1)))
    wshape = {"dw": (kernel, kernel, cin), "pw": (cin, cout), "conv": (kernel, kernel, cin, cout)}[kind]
    terms = kernel * kernel * (1 if kind == "dw" else cin)
    qop = QuantOp(op, in_fmt, out_fmt, w_fmt, rng.integers(w_fmt.min_int, w_fmt.max_int + 1, wshape),
                  rng.integers(-2000, 2000, cout), in_fmt.frac + w_fmt.frac - out_fmt.frac,
                  accumulator_bits(wa, ww, terms, 12), 12,
                  channel_shift=rng.integers(0, 6, cout))
    x = rng.integers(in_fmt.min_int, in_fmt.max_int + 1, op.in_shape)
    out, sats = run_op_fixed(qop, x)
    ref, ref_sats = op_ref(qop, x)
    np.testing.assert_array_equal(out, ref)
    assert sats == ref_sats


def test_per_channel_is_opt_in_and_checked() -> None:
    g = get_model("tiny_dsc")
    assert all(q.channel_shift is None for q in quantize(g).ops)
    with pytest.raises(HwgenError, match="weight scale .* must be one of per-layer, per-channel"):
        quantize(g, weight_scale="per-tensor")
    r = run_cli("quantize", "tiny_dsc", "--weight-scale", "per-row", cwd=Path.cwd())
    assert r.returncode == 2 and "per-row" in r.stderr


def test_trained_model_accuracy_per_channel(tmp_path: Path) -> None:
    """The committed figures of docs/onnx.md: per-channel 8/8 bits on the 500 held-out digits."""
    r = run_cli("quantize", str(EXAMPLE / "mnist_dsc.onnx"), "--data", str(EXAMPLE / "test.npz"), "--weight-scale",
                "per-channel", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    # the figures test_mnist_dsc.py::test_committed_accuracy_figures recomputes (onnxruntime, golden model)
    assert (report["float_correct"], report["fixed_correct"], report["top1_agree"]) == (482, 483, 499)
    assert report["layers"][4]["w_fmt"] == "ap_fixed<8,2..-1>"  # channels of one layer span 3 formats


def test_csim_per_channel_32_real_digits(tmp_path: Path) -> None:
    r = run_cli("generate", str(EXAMPLE / "mnist_dsc.onnx"), "--data", str(EXAMPLE / "test.npz"), "--images", "32",
                "--pe", "32", "--weight-scale", "per-channel", "-o", "hls", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "pw_chshift" in (tmp_path / "hls" / "pw_weights.h").read_text()
    c = run_cli("csim", "hls", "--unity", cwd=tmp_path)
    assert c.returncode == 0 and "csim PASS: 32 images bit-exact" in c.stdout, c.stdout + c.stderr


def test_csim_per_channel_random_net(tmp_path: Path) -> None:
    r = run_cli("generate", "tiny_odd", "--pe", "20", "--weight-scale", "per-channel", "--images", "4", "-o", "hls",
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    c = run_cli("csim", "hls", "--unity", cwd=tmp_path)
    assert c.returncode == 0 and "csim PASS: 4 images bit-exact" in c.stdout, c.stdout + c.stderr


def _verilator() -> str | None:
    from hwgen.verify.cosim import find_verilator

    return find_verilator()


@pytest.mark.skipif(shutil.which("perl") is None or _verilator() is None, reason="verilator not installed")
def test_rtl_per_channel_lint_clean(tmp_path: Path) -> None:
    assert run_cli("rtl", "tiny_dsc", "--pe", "32", "--weight-scale", "per-channel", "-o", "rtl",
                   cwd=tmp_path).returncode == 0
    text = (tmp_path / "rtl" / "hwgen_pw_engine.v").read_text()
    assert "r_dsh" in text
    srcs = sorted(str(p) for p in (tmp_path / "rtl").glob("*.v"))
    r = subprocess.run([f"{_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("model", ["tiny_odd", "mnist"])
def test_rtl_cosim_per_channel_bit_exact(tmp_path: Path, model: str) -> None:
    args = (["tiny_odd", "--pe", "20", "--images", "3"] if model == "tiny_odd" else
            [str(EXAMPLE / "mnist_dsc.onnx"), "--data", str(EXAMPLE / "test.npz"), "--images", "8", "--pe", "32"])
    r = run_cli("rtl", *args, "--weight-scale", "per-channel", "-o", "rtl", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    c = run_cli("cosim", "rtl", "--json", cwd=tmp_path)
    report = json.loads(c.stdout)
    assert c.returncode == 0 and report["outputs_match"] and not any(report["batch_mismatches"]), c.stdout
    assert report["measured_cycles"] == report["predicted_cycles"]


def test_test_inputs_are_the_quantized_images() -> None:
    from hwgen.build import HwConfig, build
    from hwgen.quant.data import load_dataset

    ds = load_dataset(EXAMPLE / "test.npz", (28, 28, 1))
    design = build(str(EXAMPLE / "mnist_dsc.onnx"), HwConfig(pe=32, weight_scale="per-channel"),
                   calib_inputs=ds.calib)
    xs = vector_inputs(design, ds, 3, 0)
    assert xs.shape == (3, 28, 28, 1) and xs.dtype.kind == "i"
    assert design.qgraph.weight_scale == "per-channel"


# Each example compiles C++ (~1.5 s): few examples, no shrinking.
HLS_PROP = settings(max_examples=6, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@HLS_PROP
@given(kind=st.sampled_from(["dw", "pw", "conv"]), h=st.integers(1, 7), w=st.integers(1, 7), c=st.integers(1, 9),
       cout=st.integers(1, 9), stride=st.integers(1, 2), relu=st.sampled_from(["relu6", "relu", None]),
       act_bits=st.integers(3, 10), weight_bits=st.integers(3, 8), lanes=st.integers(1, 5))
def test_property_hls_engines_per_channel(tmp_path_factory, kind, h, w, c, cout, stride, relu, act_bits,
                                          weight_bits, lanes) -> None:
    """Random single-engine projects with per-channel formats (BN makes channel ranges differ): C-sim = golden."""
    g = Graph(f"pc_{kind}")
    g.add("input", Input(shape=(h, w, c)))
    g.add("layer", {"dw": DepthwiseConv2D(kernel=3, stride=stride), "pw": PointwiseConv2D(filters=cout),
                    "conv": Conv2D(kernel=3, stride=stride, filters=cout)}[kind])
    g.add("bn", BatchNorm())
    if relu:
        g.add("act", ReLU6() if relu == "relu6" else ReLU())
    q = quantize(g.validate(), weight_bits, act_bits, weight_scale="per-channel")
    out = tmp_path_factory.mktemp("pc")
    generate(q, hand_mapping(q, EngineConfig(lanes, lanes + 1, lanes, 3)), out / "p")
    result = run_csim(out / "p", opt="-O1", unity=True)
    assert result.passed, result.first_mismatch or result.output
