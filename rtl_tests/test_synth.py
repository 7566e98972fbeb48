"""Yosys synth_xilinx of generated RTL: warning-free, and one DSP48E1 per PE (the simulator's
resource model, hwgen.resources.dsp_count). Slow (~45 s on tiny_odd): marked ``slow``."""
from __future__ import annotations

import shutil

import pytest

from hwgen.codegen.rtl import write_rtl
from hwgen.graph import compute_ops
from hwgen.mapping import map_network
from hwgen.quant import quantize
from hwgen.resources import dsp_count
from hwgen.synth import synthesize
from hwgen.zoo import get_model


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install -y yosys)")
def test_yosys_dsp_equals_pe(tmp_path):
    g = get_model("tiny_odd")
    m = map_network(compute_ops(g), 20, weights_in_dram=False)
    rtl = write_rtl(quantize(g), m, tmp_path / "rtl")
    rep = synthesize(rtl)
    assert rep["warnings"] == 0
    assert rep["dsp"] == m.cfg.pe == dsp_count(m.cfg, m.act_bits, m.weight_bits)
    assert rep["lut"] > 0 and rep["ff"] > 0
    assert (rtl / "stat.json").exists()
