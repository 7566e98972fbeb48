"""Corner-case vectors (hwgen.verify.corners) through the golden model and the C-simulation.

``saturate`` drives every weighted layer past both limits of its output format; ``ties`` puts every
accumulator of every weighted layer exactly halfway between two output codes. The golden checks below
show the vectors do what they claim (and that a wrapping or round-half-up datapath would differ); the
C-sim must then be bit-exact on them. The RTL runs the same vectors in rtl_tests/test_corners.py.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from hwgen.build import HwConfig, build
from hwgen.codegen.vectors import format_vectors
from hwgen.errors import HwgenError
from hwgen.numerics.fixed import relu6_max, round_shift
from hwgen.quant.golden import accumulate, run_fixed
from hwgen.verify.corners import corner_input, corner_qgraph
from hwgen.verify.csim import run_csim


def _design(bits: int = 8):
    return build("tiny_odd", HwConfig(pe=20, split="4x3,4x1", band_rows=2, act_bits=bits, weight_bits=bits))


def _layer_inputs(qg, x):
    res = run_fixed(qg, x)
    return [x] + res.outputs[:-1], res


@pytest.mark.parametrize("bits", [6, 8])
def test_saturate_hits_both_limits_of_every_weighted_layer(bits):
    qg = corner_qgraph(_design(bits).qgraph, "saturate")
    x = corner_input(qg, "saturate")
    f = qg.input_fmt
    assert x.min() == f.min_int == -(1 << (bits - 1)) and x.max() == f.max_int == (1 << (bits - 1)) - 1
    ins, res = _layer_inputs(qg, x)
    for q, xin in zip(qg.ops, ins):
        if q.weights is None:
            continue
        assert q.weights.min() == q.w_fmt.min_int and q.weights.max() == q.w_fmt.max_int
        acc = accumulate(q, xin)
        hi, lo = q.out_fmt.max_int << max(q.shift, 0), q.out_fmt.min_int << max(q.shift, 0)
        assert (acc > hi).any() and (acc < lo).any(), q.name  # past both limits
        assert res.saturations[q.name] > 0
        # saturation, not two's-complement wrap: a wrapped code would differ somewhere
        out = res.output(q.name)
        top = relu6_max(q.out_fmt) if q.op.relu6 else q.out_fmt.max_int
        assert out.max() == top and out.min() == (0 if q.op.relu6 else q.out_fmt.min_int)
    assert res.logits.min() == qg.ops[-1].out_fmt.min_int and res.logits.max() == qg.ops[-1].out_fmt.max_int


@pytest.mark.parametrize("bits", [6, 8])
def test_ties_put_every_accumulator_halfway(bits):
    qg = corner_qgraph(_design(bits).qgraph, "ties", seed=3)
    x = corner_input(qg, "ties", seed=3)
    assert x.min() == qg.input_fmt.min_int
    ins, res = _layer_inputs(qg, x)
    weighted, moved, total = 0, 0, 0
    for q, xin in zip(qg.ops, ins):
        if q.weights is None:
            continue
        weighted += 1
        acc = accumulate(q, xin)
        half = 1 << (q.shift - 1)
        assert (acc % (2 * half) == half).all(), q.name  # every accumulator is an exact tie
        assert q.weights.min() == q.w_fmt.min_int  # -2^(W-1) is a multiple of every 2^b
        # round half up would move about half of them one code higher
        up = (acc + half) >> q.shift
        even = acc >> q.shift
        even = even + (even & 1)
        assert (up != even).any(), q.name
        moved += int((up != even).sum())
        total += up.size
    assert weighted == 6 and moved > 0.3 * total  # conv, 2 x (dw, pw), fc


def test_ties_reject_an_unreachable_shift():
    qg = _design(8).qgraph
    qg.ops[2].shift = 9  # a later layer: its inputs are not ours to align
    with pytest.raises(HwgenError, match="multiples of 2\\^9"):
        corner_qgraph(qg, "ties")


def _corner_project(tmp_path, mode):
    """The tiny_odd HLS project on corner weights, with the corner input's golden vectors in vectors/."""
    design = _design(8)
    qg = corner_qgraph(design.qgraph, mode, seed=1)
    design.__dict__["qgraph"] = qg  # the cached quantized graph every view reads
    proj = design.write_hls(tmp_path / "p")
    x = corner_input(qg, mode, seed=1)
    golden = run_fixed(qg, x)
    vec = tmp_path / "p" / "vectors"
    files = {"input.txt": x, "output.txt": golden.logits}
    files.update({f"{i:02d}_{name}.txt": out for i, (name, out) in enumerate(zip(golden.names, golden.outputs))})
    for fname, codes in files.items():
        (vec / fname).write_text(format_vectors(codes, fname))
    return proj.outdir, qg, x, golden


@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
@pytest.mark.parametrize("mode", ["saturate", "ties"])
def test_csim_bit_exact_on_corner_vectors(tmp_path, mode):
    outdir, qg, _, _ = _corner_project(tmp_path, mode)
    result = run_csim(outdir, unity=True)
    assert result.warnings == [] and result.compile_error == ""
    assert result.passed, result.output[-2000:]
    assert result.checked == {q.name: 2 * int(np.prod(q.op.out_shape)) for q in qg.ops}


#: bugs planted in the generated requantizer (hwgen_types.h): (mode whose vectors must catch it, original, planted)
HLS_PLANTS = {
    # saturate -> wrap: without the clamp, act_t(v) (an ap_int<W>) keeps the low W bits
    "wrap": ("saturate", "    if (v < lo) v = lo;\n    if (v > hi) v = hi;\n", ""),
    # round half to even -> half up
    "half_up": ("ties", "if (rem > half || (rem == half && q[0] == 1)) q = q + 1;", "if (rem >= half) q = q + 1;"),
}


@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
@pytest.mark.parametrize("plant", ["wrap", pytest.param("half_up", marks=pytest.mark.slow)])
def test_corner_vectors_catch_a_planted_requantizer_bug_in_csim(tmp_path, plant):
    """The same project as the bit-exact test above, with one bug planted in the generated C++: C-sim fails,
    and its first mismatch is the bug's own value (the wrapped code / the code rounded up) at a corner."""
    mode, original, planted = HLS_PLANTS[plant]
    outdir, qg, x, golden = _corner_project(tmp_path, mode)
    header = outdir / "hwgen_types.h"
    text = header.read_text()
    assert text.count(original) == 1
    header.write_text(text.replace(original, planted))
    result = run_csim(outdir, unity=True)
    assert not result.passed and result.first_mismatch is not None, result.output[-2000:]
    m = result.first_mismatch
    ins, _ = _layer_inputs(qg, x)
    k = [q.name for q in qg.ops].index(m.layer)
    q = qg.ops[k]
    acc = int(accumulate(q, ins[k]).reshape(-1)[m.index])
    assert m.expected == int(golden.output(q.name).reshape(-1)[m.index])
    w = q.out_fmt.width
    if plant == "wrap":
        exact = round_shift(np.array(acc), q.shift)  # the rounded code before saturation: out of range
        assert not q.out_fmt.min_int <= exact <= q.out_fmt.max_int
        assert m.got == (int(exact) + (1 << (w - 1))) % (1 << w) - (1 << (w - 1))  # two's-complement wrap
    else:
        assert acc % (1 << q.shift) == 1 << (q.shift - 1)  # an exact tie, rounded up instead of to even
        assert m.got == m.expected + 1
