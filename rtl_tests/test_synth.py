"""Yosys synth_xilinx of generated RTL: warning-free, one DSP48E1 per PE on 7-series (unpacked), half a DSP48E2
per PW MAC on UltraScale+ with DSP packing (the resource model, hwgen.hw.resources.dsp_count), and block RAM as
hwgen.codegen.rtl.memories.rtl_bram36 predicts. Slow (~20 s to minutes each on the 2-core machine): marked ``slow``."""
from __future__ import annotations

import re
import shutil

import pytest

from hwgen.codegen.rtl.memories import measured_blocks, rtl_memories, yosys_blocks
from hwgen.codegen.rtl.plan import plan_rtl
from hwgen.codegen.rtl.render import write_rtl
from hwgen.hw.resources import LUT_MODULES, dsp_count, lut_count, lut_parts
from hwgen.ir.ops import compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from hwgen.quant.quantize import quantize
from hwgen.verify.synth import instance_luts, module_luts, synthesize
from rtl_tests.harness import net


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install -y yosys)")
def test_yosys_dsp_equals_pe(tmp_path):
    g = get_model("tiny_odd")
    m = map_network(compute_ops(g), 20, weights_in_dram=False, dsp_packing=False)  # xc7: DSP48E1, unpacked
    rtl = write_rtl(quantize(g), m, tmp_path / "rtl")
    rep = synthesize(rtl)
    log = (rtl / "yosys.log").read_text().splitlines()  # block-RAM port resizing is Yosys' own
    assert [ln for ln in log if ln.startswith("Warning:") and not ln.startswith("Warning: Resizing cell port ")] == []
    assert rep["dsp"] == m.cfg.pe == dsp_count(m.cfg, m.act_bits, m.weight_bits)
    assert rep["lut"] > 0 and rep["ff"] > 0
    assert (rtl / "stat.json").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install -y yosys)")
@pytest.mark.parametrize("name,pe,cells,plan_blocks,macs", [("tiny_dsc", 32, (16, 0), 16, 32),
                                                            ("tiny_dsc4", 64, (47, 4), 50, 63)])
def test_yosys_bram_is_the_memory_list(tmp_path, name, pe, cells, plan_blocks, macs):
    """Every memory of the list (the plan's buffers, in block RAM by their ram_style/rom_style; tiny_dsc4's 9 taps
    read 3 x 3 banks of each feature map) is the block RAM Yosys built for it
    (hwgen.verify.synth.memory_cells: RAMB36 and RAMB18 counted per memory), and the totals are stat.json's."""
    g = get_model(name)
    m = map_network(compute_ops(g), pe, weights_in_dram=False, dsp_packing=False)  # xc7: DSP48E1, unpacked
    qg = quantize(g)
    plan = plan_rtl(qg, m)
    mems = rtl_memories(plan)
    blocks = [yosys_blocks(mem) for mem in mems]
    predicted = (sum(b[0] for b in blocks), sum(b[1] for b in blocks))
    rep = synthesize(write_rtl(qg, m, tmp_path / "rtl"))
    assert {mem.name: measured_blocks(mem, rep["memory_cells"]) for mem in mems} == \
        {mem.name: b for mem, b in zip(mems, blocks)}
    assert (rep["bram36"], rep["bram18"]) == predicted == cells
    assert plan.bram36_plan == m.bram36 == plan_blocks  # the banks and the TDP memories' 36-bit ports
    assert rep["dsp"] == m.cfg.pe == macs  # 9x5 + 2x9 = 63 of tiny_dsc4's 64
    # The only warnings are Yosys 0.23's own block-RAM port resizing when it maps a block RAM.
    log = (tmp_path / "rtl" / "yosys.log").read_text().splitlines()
    others = [ln for ln in log if ln.startswith("Warning:") and not re.match(r"Warning: Resizing cell port ", ln)]
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


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed (apt-get install -y yosys)")
@pytest.mark.parametrize("split,pe", [("3x2,2x1", 8), ("8x4,4x3", 44)])
def test_yosys_luts_are_the_lut_model(tmp_path, split, pe):
    """Yosys LUT1-LUT6 of tiny_dsc's whole RTL within 12 % of hwgen estimate's LUTs (hwgen.hw.resources.lut_parts,
    fitted on tests/fixtures/lut_yosys.json), and per module within 35 %. ~1-3 min each."""
    # as calibrated: zcu104's mapping (the PW array packed), synthesized for xc7
    m = map_network(compute_ops(get_model("tiny_dsc")), pe, split=split)
    rtl = write_rtl(quantize(get_model("tiny_dsc")), m, tmp_path / "rtl")
    synthesize(rtl)
    got = module_luts(rtl)
    li = m.luts._replace(family="xc7")  # the model's xc7 fit: this synthesis is -family xc7
    model = lut_parts(li)
    yosys = {part: sum(got.get(x, 0) for x in mods) for part, mods in LUT_MODULES.items()}
    assert 0.88 <= lut_count(li) / sum(got.values()) <= 1.12, (lut_count(li), got)
    assert all(0.65 <= model[p] / yosys[p] <= 1.35 for p in LUT_MODULES), (model, yosys)
    # How bench_lut_model --alone re-measures a module: each variant alone times its instances, near its count
    # in the whole design (ABC maps a module alone a few per cent differently).
    for module in ("hwgen_wpack", "hwgen_requant"):
        assert 0.9 <= instance_luts(rtl, module) / got[module] <= 1.1, (module, got[module])
