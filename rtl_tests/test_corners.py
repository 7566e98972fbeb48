"""Corner-case vectors (hwgen.verify.corners) through the RTL: every weighted layer saturating in both
directions, and every accumulator of every weighted layer on an exact rounding tie, bit-exact against
the golden model and cycle-exact against the simulator (the C-sim runs them in tests/test_corner_vectors.py)."""
from __future__ import annotations

import json

import pytest

from hwgen.build import HwConfig, build
from hwgen.models.zoo import get_model
from hwgen.quant.golden import run_fixed
from hwgen.verify.corners import corner_input, corner_qgraph
from hwgen.verify.cosim import default_simulator, make_vectors, run_cosim
from rtl_tests.harness import CYCLE_ROWS


def _corner_rtl(tmp_path, mode):
    """tiny_odd's Verilog on corner weights, the corner input and its golden run."""
    design = build(get_model("tiny_odd"), HwConfig(pe=20, split="4x3,4x1", band_rows=2, weights="onchip"))
    qg = corner_qgraph(design.qgraph, mode, seed=1)
    design.__dict__["qgraph"] = qg  # the cached quantized graph every view reads
    rtl = design.write_rtl(tmp_path / "rtl")
    x = corner_input(qg, mode, seed=1)
    return design, qg, rtl, x, run_fixed(qg, x)


@pytest.mark.parametrize("mode", ["saturate", "ties"])
def test_tiny_odd_corner_vectors(tmp_path, mode):
    design, qg, rtl, x, golden = _corner_rtl(tmp_path, mode)
    summary = json.loads((rtl / "plan.json").read_text())
    if mode == "saturate":
        assert all(golden.saturations[q.name] > 0 for q in qg.ops if q.weights is not None)
    expected = [int(v) for v in golden.logits.reshape(-1)]
    res = run_cosim(rtl, make_vectors(summary, x, golden.logits, seed=1), tmp_path / "sim",
                    simulator=default_simulator())
    predicted = design.estimate().total_cycles
    CYCLE_ROWS.append((f"corners_{mode}", predicted, res.get("cycles", -1)))
    assert res["timeout"] is None, res["timeout"]
    assert res["outputs"] == expected and res["outputs_backpressure"] == expected
    assert res["mismatches"] == 0 and res["mismatches_backpressure"] == 0
    assert res["cycles"] == predicted


#: bugs planted in the generated requantizer (hwgen_requant.v): (mode whose vectors must catch it, original, planted)
RTL_PLANTS = {
    # saturate -> wrap: the clamp to [lo, hi] gone, the output keeps the low OW bits of the rounded value
    "wrap": ("saturate", """        if (v < $signed({ {(RW-OW){lo[OW-1]}}, lo}))
            y = lo;
        else if (v > $signed({ {(RW-OW){hi[OW-1]}}, hi}))
            y = hi;
        else
            y = v[OW-1:0];""", "        y = v[OW-1:0];"),
    # round half to even -> half up
    "half_up": ("ties", "up = t[0] && ((|low) || q[0]);", "up = t[0];"),
}


@pytest.mark.parametrize("plant", ["wrap", pytest.param("half_up", marks=pytest.mark.slow)])
def test_corner_vectors_catch_a_planted_requantizer_bug_in_rtl(tmp_path, plant):
    """The Verilog of test_tiny_odd_corner_vectors with one bug planted in its requantizer: the logits differ."""
    mode, original, planted = RTL_PLANTS[plant]
    _, qg, rtl, x, golden = _corner_rtl(tmp_path, mode)
    requant = rtl / "hwgen_requant.v"
    text = requant.read_text()
    assert text.count(original) == 1
    requant.write_text(text.replace(original, planted))
    summary = json.loads((rtl / "plan.json").read_text())
    expected = [int(v) for v in golden.logits.reshape(-1)]
    res = run_cosim(rtl, make_vectors(summary, x, golden.logits, seed=1), tmp_path / "sim",
                    simulator=default_simulator())
    assert res["timeout"] is None, res["timeout"]
    assert res["mismatches"] > 0 and res["outputs"] != expected
