"""The packed PW multiply stage (AMD WP486, hwgen.numerics.packing) through the RTL, bit-exact with the golden
model and cycle-exact: weights and biases from hwgen.verify.corners' "ties" mode (-128 and both signs in the
pairs; every accumulator exactly on a rounding tie, so a product off by one — a missing sign correction —
changes an output) against full-range activations (-128 included); the flag really switches the datapath."""
from __future__ import annotations

import json

import pytest

from hwgen.build import HwConfig, build
from hwgen.quant.golden import run_fixed
from hwgen.verify.corners import corner_input, corner_qgraph
from hwgen.verify.cosim import default_simulator, make_vectors, run_cosim
from rtl_tests.harness import CYCLE_ROWS, net


@pytest.mark.parametrize("split,packing", [("4x4,1x1", True), ("3x5,1x1", True), ("4x4,1x1", False)])
def test_packed_pw_corner_weights(tmp_path, split, packing):
    graph = net("pack", (4, 5, 4), [("pw", "pw", {"filters": 9})])
    design = build(graph, HwConfig(pe=20, split=split, weights="onchip", dsp_packing=packing))
    qg = corner_qgraph(design.qgraph, "ties", seed=3)
    q = qg.ops[0]
    q.weights.flat[:4] = (-128, -128, 127, -128)  # -128 x -128 in the low and in the high lane
    design.__dict__["qgraph"] = qg  # the cached quantized graph every view reads
    rtl = design.write_rtl(tmp_path / "rtl")
    source = (rtl / "hwgen_pw_engine.v").read_text()
    assert ("s2_pk" in source) == packing == design.mapping.dsp_packing
    summary = json.loads((rtl / "plan.json").read_text())
    x = corner_input(qg, "ties", seed=1)
    x.flat[:4] = x.min()
    expected = run_fixed(qg, x).logits
    sim, phases = default_simulator(), []  # phases: what `hwgen cosim`'s live status shows
    res = run_cosim(rtl, make_vectors(summary, x, expected, seed=1), tmp_path / "sim", simulator=sim,
                    phase=phases.append)
    assert phases == [f"building with {sim}", f"simulating ({sim})"]
    predicted = design.estimate().total_cycles
    CYCLE_ROWS.append((f"packing_{split}_{packing}", predicted, res.get("cycles", -1)))
    assert res["timeout"] is None, res["timeout"]
    assert res["outputs"] == [int(v) for v in expected.reshape(-1)] == res["outputs_backpressure"]
    assert res["cycles"] == predicted
