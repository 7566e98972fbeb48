"""Yosys synth_xilinx of generated RTL: warning-free, one DSP48E1 per PE on 7-series (unpacked), half a DSP48E2
per PW MAC on UltraScale+ with DSP packing (the resource model, hwgen.hw.resources.dsp_count), and block RAM as
hwgen.codegen.rtl.memories.rtl_bram36 predicts. Slow (~20-35 s each on the 2-core machine): marked ``slow``."""
from __future__ import annotations

import re
import shutil

import pytest

from hwgen.codegen.rtl.memories import rtl_bram36, rtl_memories, yosys_blocks
from hwgen.codegen.rtl.plan import plan_rtl
from hwgen.codegen.rtl.render import write_rtl
from hwgen.hw.resources import dsp_count
from hwgen.ir.ops import compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from hwgen.quant.quantize import quantize
from hwgen.verify.synth import synthesize
from rtl_tests.harness import net


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install -y yosys)")
def test_yosys_dsp_equals_pe(tmp_path):
    g = get_model("tiny_odd")
    m = map_network(compute_ops(g), 20, weights_in_dram=False, dsp_packing=False)  # xc7: DSP48E1, unpacked
    rtl = write_rtl(quantize(g), m, tmp_path / "rtl")
    rep = synthesize(rtl)
    assert rep["warnings"] == 0
    assert rep["dsp"] == m.cfg.pe == dsp_count(m.cfg, m.act_bits, m.weight_bits)
    assert rep["lut"] > 0 and rep["ff"] > 0
    assert (rtl / "stat.json").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install -y yosys)")
def test_yosys_bram_matches_rtl_memory_model(tmp_path):
    """48x48 maps: each channel's feature memory (2304 x 8 bits) is one RAMB36 (4K x 9); the band buffer,
    weight and bias ROMs stay in LUTRAM / logic. Yosys must agree with hwgen.codegen.rtl.memories exactly."""
    g = net("bram_net", (48, 48, 3), [("conv", "conv", {"kernel": 3, "stride": 1, "filters": 4}),
                                      ("dw", "dw", {"kernel": 3, "stride": 1}), ("pw", "pw", {"filters": 8}),
                                      ("pool", "pool", {}), ("fc", "fc", {"units": 4})])
    m = map_network(compute_ops(g), 16, split="3x4,4x1", weights_in_dram=False, dsp_packing=False)
    qg = quantize(g)
    plan = plan_rtl(qg, m)
    mems = {mem.name: yosys_blocks(mem) for mem in rtl_memories(plan)}
    # in: 3 channels, a: conv's 4 channels (2304 x 8) and the pool's 1x1 x 8 (channels 4-7 one word
    # deep, LUTRAM), b: 8 (the pw output) memories of 2304 x 8.
    assert mems["fbuf_in[0:3]"] == (3, 0) and mems["fbuf_a[0:4]"] == (4, 0) and mems["fbuf_a[4:8]"] == (0, 0)
    assert mems["fbuf_b[0:8]"] == (8, 0)
    assert mems["fbuf_band[0:4]"] == (0, 0) and mems["pw_weights"] == (0, 0)
    predicted = rtl_bram36(plan)
    assert predicted == 15
    rep = synthesize(write_rtl(qg, m, tmp_path / "rtl"))
    assert rep["dsp"] == m.cfg.pe == 16
    assert abs(rep["bram36"] + rep["bram18"] / 2 - predicted) <= 0.1 * predicted
    assert (rep["bram36"], rep["bram18"]) == (15, 0)
    # The only warnings are Yosys 0.23's own RAMB36E1 port resizing when it maps a block RAM.
    log = (tmp_path / "rtl" / "yosys.log").read_text().splitlines()
    others = [ln for ln in log if ln.startswith("Warning:") and not re.match(r"Warning: Resizing cell port \S+\.(DI|DO)", ln)]
    assert others == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install -y yosys)")
@pytest.mark.parametrize("split,packing,dsp", [("4x4,1x1", True, 8), ("3x5,1x1", True, 9), ("4x4,1x1", False, 16)])
def test_yosys_xcup_packed_pw_engine_dsp48e2(tmp_path, split, packing, dsp):
    """synth_xilinx -family xcup of the PW engine alone: packed, one DSP48E2 per pair of output lanes
    (tin * ceil(tout / 2): 4x4 -> 8, 3x5 -> 9, the odd lane unpacked); --no-dsp-packing one per MAC. ~20 s each."""
    g = net("pack", (4, 5, 4), [("pw", "pw", {"filters": 9})])
    m = map_network(compute_ops(g), 20, split=split, weights_in_dram=False, dsp_packing=packing)
    rtl = write_rtl(quantize(g), m, tmp_path / "rtl")
    rep = synthesize(rtl, top="hwgen_pw_engine", family="xcup")
    # The only warnings are Yosys 0.23's own block-RAM port resizing when it maps the ROMs to RAMB*E2.
    log = (rtl / "yosys.log").read_text().splitlines()
    assert [ln for ln in log if ln.startswith("Warning:") and not ln.startswith("Warning: Resizing cell port")] == []
    assert rep["dsp"] == rep["cells"]["DSP48E2"] == dsp
    assert dsp_count(m.cfg, m.act_bits, m.weight_bits, m.dsp_packing) == dsp + m.cfg.dw_pe  # + the DW engine's
