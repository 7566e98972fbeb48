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


@pytest.mark.parametrize("mode", ["saturate", "ties"])
def test_tiny_odd_corner_vectors(tmp_path, mode):
    design = build(get_model("tiny_odd"), HwConfig(pe=20, split="4x3,4x1", band_rows=2, weights="onchip"))
    qg = corner_qgraph(design.qgraph, mode, seed=1)
    design.__dict__["qgraph"] = qg  # the cached quantized graph every view reads
    rtl = design.write_rtl(tmp_path / "rtl")
    summary = json.loads((rtl / "plan.json").read_text())
    x = corner_input(qg, mode, seed=1)
    golden = run_fixed(qg, x)
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
