"""RTL memories are the plan's buffers (hwgen.codegen.rtl.memories), and the Yosys block-RAM tiling rule."""
from __future__ import annotations

import pytest

from hwgen.codegen.rtl.memories import Memory, plan_buffer, rtl_bram36, rtl_memories, yosys_blocks
from hwgen.codegen.rtl.plan import plan_rtl
from hwgen.hw.contract import bank_words, bram36_blocks
from hwgen.ir.ops import compute_ops
from hwgen.mapping.plan import bram36_equivalent, feature_word, with_fmaps_in_dram
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from hwgen.quant.quantize import quantize

# (model, kwargs, pe, weights in DRAM, maps above this many elements in DRAM)
DESIGNS = [("tiny_dsc", {}, 32, False, None), ("tiny_dsc", {}, 32, True, None), ("tiny_dsc4", {}, 64, False, None),
           ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, 128, False, None), ("tiny_dsc", {}, 32, True, 768),
           ("tiny_dsc4", {}, 64, False, 768)]  # its DW steps read from DRAM: in_band halves in 3 x 3 banks


def _design(name, kw, pe, dram, fmap_limit=None):
    g = get_model(name, **kw)
    m = map_network(compute_ops(g), pe, weights_in_dram=dram)
    if fmap_limit is not None:
        m = with_fmaps_in_dram(m, fmap_limit, 2)
    return m, plan_rtl(quantize(g), m)


@pytest.mark.parametrize("name,kw,pe,dram,fmap_limit", DESIGNS)
def test_rtl_memories_are_the_plan_buffers(name, kw, pe, dram, fmap_limit):
    """Every memory the RTL instantiates is a buffer of the plan (the Mapping.buffers entries, fmap_a / fmap_b /
    in_band in banks when a DW step reads them) with its depth per bank, its
    width and its banks (the ping-pong, in_band and out_band buffers as their two halves), and every plan buffer
    is built."""
    m, plan = _design(name, kw, pe, dram, fmap_limit)
    assert m.fmaps_in_dram == (fmap_limit is not None)
    mems = rtl_memories(plan)
    built: dict[str, list[Memory]] = {}
    for mem in mems:
        built.setdefault(plan_buffer(mem), []).append(mem)
    assert sorted(built) == sorted(b.name for b in m.buffers)
    for b in m.buffers:
        got = built[b.name]
        assert sum(g.depth for g in got) == b.depth, b.name
        assert all(g.count == b.banks for g in got), b.name  # each half's banks
        assert all(g.width == b.width for g in got), b.name
    assert plan.word == feature_word(m.cfg, m.steps[0].first.in_shape[2]) and plan.bram36_plan == bram36_equivalent(m.buffers)


def test_banks_replace_copies():
    """MobileNet v1 0.25-128 at pe 128 (13x8, 8x3): the DW engine reads 3 taps per cycle, so fmap_a and fmap_b
    are 1 x 3 banks (hw.contract "Feature-memory banks"), each of the fullest bank's words of the largest map
    (64 x 64 x 16: 64 rows of 22 bank pixels, 1733 words of 13 codes) instead of 3 copies of 5042 words; the first
    conv's im2col groups (3 pixels of one kernel row) read one run in each of the 3 banks."""
    m, plan = _design(*DESIGNS[3])
    mems = {mem.name: mem for mem in rtl_memories(plan)}
    assert (m.cfg.tk, plan.pw_runs, plan.fmap_grid, plan.dw_banks) == (3, 3, (1, 3), 3)
    for name in ("fmap_a", "fmap_b"):
        assert (mems[name].count, mems[name].depth, mems[name].tdp) == (3, 1733, True)
    assert 1733 == bank_words(64, 64, 16, 13, (1, 3))
    assert mems["dw_pw_pingpong[0]"].count == 1 and not mems["pw_weights"].tdp
    # 1733 x 104 bits: a RAMB36 port is at most 36 bits wide in true dual-port mode (1024 x 36): 3 x 2 blocks.
    assert yosys_blocks(mems["fmap_a"]) == (18, 0) and bram36_blocks(5042, 104) == 15
    assert rtl_bram36(plan) == 157 == plan.bram36_plan  # the plan counts the banks as built


@pytest.mark.slow  # 10-50 s (machine load): quantizing MobileNet v1 1.0-224
def test_mobilenet_224_has_no_copies():
    """MobileNet v1 1.0-224 at pe 64 (5x12, 4x1: TK = 1, the conv's kernel rows padded to whole groups of 5: one
    run): every feature memory is one memory of the plan's depth, and the rule is 625.5 RAMB36 against the plan's
    637 on xc7 (fmap_a/fmap_b 363 RAMB18 each where the plan counts 187 RAMB36)."""
    m, plan = _design("mobilenet_v1", {}, 64, None)  # the mapper puts the weights in DRAM
    mems = rtl_memories(plan)
    assert (m.cfg.tin, m.cfg.tk, plan.pw_runs, plan.word) == (5, 1, 1, 12)
    assert all(mem.count == 1 for mem in mems)
    assert yosys_blocks(next(mem for mem in mems if mem.name == "fmap_a")) == (0, 363)
    assert rtl_bram36(plan) == 625.5 and plan.bram36_plan == 637


# depth, width, true dual-port -> (RAMB36E1, RAMB18E1) as Yosys 0.23 synth_xilinx -family xc7 maps a
# (* ram_style/rom_style = "block" *) memory (cost rule of memory_libmap, brams_xc4v.txt)
RULE = [
    ((5042, 104, True), (15, 0)),   # 1024 x 36
    ((158, 104, True), (3, 0)),     # 3 x RAMB36 (771) beats 6 x RAMB18 (774)
    ((105, 192, False), (3, 0)),    # 512 x 72 simple dual-port
    ((26, 80, False), (0, 3)),      # 3 x RAMB18 (512 x 36) beats 2 x RAMB36
    ((4096, 8, False), (1, 0)),
    ((2048, 8, True), (0, 1)),
]


@pytest.mark.parametrize("geometry,cells", RULE)
def test_yosys_tiling_rule(geometry, cells):
    depth, width, tdp = geometry
    assert yosys_blocks(Memory("m", depth, width, tdp=tdp)) == cells
    assert yosys_blocks(Memory("m", depth, width, count=3, tdp=tdp)) == tuple(3 * c for c in cells)


def test_estimate_rtl_and_synth_print_one_memory_figure(tmp_path, monkeypatch):
    """`hwgen estimate`, `hwgen rtl` and `hwgen synth` print the plan's memory (BRAM36 + URAM, and on xc7) in one
    line; synth reads it from plan.json (Yosys itself is replaced here: its counts are rtl_tests/test_synth.py's)."""
    from click.testing import CliRunner

    import hwgen.cli.rtl as cli_rtl
    from hwgen.cli import cli

    m, _ = _design(*DESIGNS[3])
    figure = f"memory plan {m.bram36} BRAM36 + {m.uram} URAM = {bram36_equivalent(m.buffers)} BRAM36 on xc7"
    assert (m.bram36, m.uram, bram36_equivalent(m.buffers)) == (49, 24, 157)
    model = ["mobilenet_v1", "--alpha", "0.25", "--resolution", "128", "--pe", "128"]
    out = tmp_path / "rtl"
    monkeypatch.setattr(cli_rtl, "synthesize", lambda d, top: {k: 0 for k in ("dsp", "bram36", "bram18", "lutram",
                                                                            "lut", "ff", "carry", "warnings")})
    runs = [CliRunner().invoke(cli, args) for args in (["estimate", *model], ["rtl", *model, "-o", str(out)],
                                                        ["synth", str(out)])]
    for r in runs:
        assert r.exit_code == 0, r.output
        assert figure in " ".join(r.output.split()), r.output
