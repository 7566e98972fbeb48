"""Whole tiny networks end to end: bit-exact against hwgen.quant.golden.run_fixed with random
back-pressure, and cycle-exact against the estimate; a corrupted ROM word must be detected."""
from __future__ import annotations

import pytest

from hwgen.hw.contract import EngineConfig
from hwgen.ir.ops import compute_ops
from hwgen.models.zoo import get_model
from rtl_tests.harness import assert_exact, cosim

NETS = {
    # name: (model, pe, split, band_rows)
    "tiny_dsc_pe32": ("tiny_dsc", 32, None, None),
    "tiny_odd_pe20_band2": ("tiny_odd", 20, EngineConfig(4, 3, 4, 1), 2),
    "tiny_dsc4_pe64": ("tiny_dsc4", 64, None, None),
}


@pytest.mark.parametrize("case", list(NETS))
def test_network(case, tmp_path):
    model, pe, split, band_rows = NETS[case]
    out = cosim(case, get_model(model), tmp_path, pe=pe, split=split, band_rows=band_rows)
    assert_exact(out)
    assert len(out.results["outputs"]) == compute_ops(get_model(model))[-1].out_shape[2]


def _corrupt_pw_word(rtl):
    """Flip one bit of one PW weight word (the first FC/PW block) in the generated ROM image."""
    mem = rtl / "hwgen_pw_w.mem"
    lines = mem.read_text().splitlines()
    idx = len(lines) - 1  # the FC layer's last weight block
    lines[idx] = format(int(lines[idx], 16) ^ 0x10, f"0{len(lines[idx])}x")
    mem.write_text("\n".join(lines) + "\n")


def test_corrupted_weight_is_detected(tmp_path):
    out = cosim("tiny_odd_corrupt", get_model("tiny_odd"), tmp_path, pe=20, split=EngineConfig(4, 3, 4, 1),
                band_rows=2, patch=_corrupt_pw_word, record=False)
    assert out.results["timeout"] is None
    assert out.results["mismatches"] > 0
    assert out.results["outputs"] != [int(v) for v in out.expected.reshape(-1)]


def test_timeout_names_the_stalled_stream(tmp_path):
    """A sink that never takes a beat: the testbench times out and says the output stream stalled."""
    import json

    from hwgen.quant.golden import run_fixed
    from hwgen.verify.cosim import default_simulator, make_vectors, run_cosim
    from rtl_tests.harness import full_range_input, generate

    design, rtl = generate(get_model("tiny_odd"), tmp_path, pe=20)
    qg = design.qgraph
    summary = json.loads((rtl / "plan.json").read_text())
    x = full_range_input(qg, 1)
    vec = make_vectors(summary, x, run_fixed(qg, x).logits)
    vec.update(sink_stall=True, limit_cycles=summary["predicted_cycles"] + 200)
    res = run_cosim(rtl, vec, tmp_path / "sim", simulator=default_simulator())
    assert res["timeout"] == (f"timeout after {summary['predicted_cycles'] + 200} cycles: "
                              f"output stream stalled: 0/{summary['out_channels']} beats received")
