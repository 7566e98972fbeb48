"""RTL generator without simulation: determinism, schedule agreement with the estimate, CLI errors, lint."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict

import pytest
from hypothesis import given, settings

from hwgen.codegen.rtl.plan import BUF_A, BUF_IN0, BUF_NAMES, BUF_OUT0, DMA_R, DMA_S, DMA_W, plan_rtl
from hwgen.codegen.rtl.render import recip_bits, render_rtl, write_rtl
from hwgen.codegen.rtl.roms import rtl_roms
from hwgen.errors import HwgenError
from hwgen.estimate import simulate
from hwgen.hw.contract import DW_DEPTH, PW_DEPTH, dw_iterations, pw_iterations, tile_cycles, weight_bus_bits
from hwgen.hw.steps import bands_of, step_loads
from hwgen.ir.ops import compute_ops
from hwgen.mapping.plan import with_fmaps_in_dram, with_weight_tiles
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from hwgen.quant.quantize import quantize
from hwgen.verify.cosim import find_verilator
from rtl_tests.random_mappings import cases


def _design(model="tiny_odd", pe=20, **kw):
    g = get_model(model, **kw)
    ops = compute_ops(g)
    return quantize(g), ops, map_network(ops, pe, weights_in_dram=False)


@pytest.mark.parametrize("model,kw,pe", [("tiny_dsc", {}, 32), ("tiny_odd", {}, 7), ("tiny_dsc4", {}, 100),
                                         ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, 64)])
def test_plan_cycles_equal_simulator(model, kw, pe):
    qg, ops, m = _design(model, pe, **kw)
    assert plan_rtl(qg, m).predicted_cycles == simulate(ops, m).total_cycles


def test_tiles_follow_the_contract():
    qg, ops, m = _design("tiny_dsc", 32)
    plan = plan_rtl(qg, m)
    conv = ops[0]
    assert plan.pw_tiles[0].cycles == tile_cycles(
        pw_iterations(conv.out_shape[0] * conv.out_shape[1], 27, conv.out_shape[2], m.cfg, rows=3), PW_DEPTH)
    dw = ops[1]
    rows = m.band_rows[dw.name]
    assert plan.dw_tiles[0].cycles == tile_cycles(dw_iterations(rows * dw.out_shape[1], dw.out_shape[2], 3, m.cfg),
                                                  DW_DEPTH)
    assert len(plan.dw_tiles) == len(plan.pw_tiles) - 2  # + the stem conv and the FC on the PW engine


def test_output_is_deterministic_and_atomic(tmp_path):
    qg, ops, m = _design()
    a = write_rtl(qg, m, tmp_path / "a")
    b = write_rtl(qg, m, tmp_path / "b")
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    with pytest.raises(HwgenError, match="not empty"):
        write_rtl(qg, m, tmp_path / "a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temp dirs left behind


def test_rom_words_hold_the_weights():
    qg, ops, m = _design()
    files = render_rtl(plan_rtl(qg, m))
    words = files["hwgen_pw_w.mem"].split()
    tin, tout = m.cfg.tin, m.cfg.tout
    w = qg.ops[0].weights.reshape(-1, qg.ops[0].op.out_shape[2])  # stem conv, im2col rows (ky, kx, cin)
    first = int(words[0], 16)
    wb = len(words[0]) * 4 // (tin * tout)
    lane = [(first >> (i * wb)) & ((1 << wb) - 1) for i in range(tin * tout)]
    lane = [v - (1 << wb) if v >> (wb - 1) else v for v in lane]
    # the first group holds kernel row 0's (kx, cin) weights, zero beyond the row's K*Cin = 9 and the Cout outputs
    assert lane == [int(w[j, t]) if j < 9 and t < w.shape[1] else 0 for t in range(tout) for j in range(tin)]


def test_dram_plan_slots_and_image():
    g = get_model("tiny_dsc")
    ops = compute_ops(g)
    qg = quantize(g)
    m = map_network(ops, 32, weights_in_dram=True)
    plan = plan_rtl(qg, m)
    assert plan.dram and len(plan.loads) == len(plan.steps)
    slot = plan.pw_wdepth // 2
    # step k's PW tiles read slot k % 2 of the weight RAM
    assert [{t.wbase for t in plan.pw_tiles if t.op == i} for i in range(len(plan.pw_ops))] == \
        [{0}, {slot}, {0}, {slot}, {slot}]
    img = plan.dram_image()
    beat = plan.axi_bits // 8
    first = plan.loads[1]  # conv_dw_1 + conv_pw_1: PW words first, then DW words
    assert img[first.addr:first.addr + beat] == plan.pw_wrom[first.pw_first].to_bytes(beat, "little")
    dw0 = first.addr + first.pw_words * beat
    assert img[dw0:dw0 + beat] == plan.dw_wrom[0].to_bytes(beat, "little")
    assert all(ld.addr % 4096 == 0 for ld in plan.loads)
    # The loads are what the schedule simulator charges the DRAM channel for: the steps' padded weight words,
    # one beat of hw.weight_bus_bits each (words no wider than the bus).
    assert plan.axi_bits == weight_bus_bits(m.cfg, m.weight_bits)
    assert [(ld.pw_words, ld.dw_words) for ld in plan.loads] == [step_loads(s, m.tiles[s.name], m.cfg)[0]
                                                                 for s in m.steps]
    assert all(ld.beats == ld.pw_words + ld.dw_words for ld in plan.loads)
    assert plan.axi_max_burst == min(256, 4096 // beat)


def test_dram_plan_weight_tiles():
    """Weight tiles: one load per (band, tile) in hw.schedule's order, load g in slot g % 2, a re-loaded tile
    reading its region again (without the pair's DW words), each PW tile its own output groups."""
    g = get_model("tiny_dsc")
    qg = quantize(g)
    m = with_weight_tiles(map_network(compute_ops(g), 32, weights_in_dram=True, split="3x8,8x1"), 2, band_rows=2)
    plan = plan_rtl(qg, m)
    fused = m.steps[1]
    bands = len(bands_of(fused, m.tiles[fused.name]))
    assert bands == 4 and plan.steps[1].tiled and plan.steps[1].pw_tiles == 2 * bands
    assert [(ld.pw_words, ld.dw_words) for ld in plan.loads] == \
        [w for s in m.steps for w in step_loads(s, m.tiles[s.name], m.cfg)]
    slot = plan.pw_wdepth // 2
    first = len(step_loads(m.steps[0], m.tiles[m.steps[0].name], m.cfg))  # loads of the stem conv
    pair = plan.loads[first:first + 2 * bands]
    step_tiles = [t for t in plan.pw_tiles if t.op == 1]
    assert [t.wbase for t in step_tiles] == [((first + i) % 2) * slot for i in range(2 * bands)]
    assert [(t.go0, t.ngo) for t in step_tiles[:2]] == [(0, 1), (1, 1)]  # 16 outputs, tout 8: a group per tile
    assert pair[0].dw_words > 0 and all(ld.dw_words == 0 for ld in pair[1:])
    assert [ld.addr for ld in pair[2::2]] == [pair[0].addr] * (bands - 1)  # re-loads of tile 0
    assert len({ld.addr for ld in pair}) == 2


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_rtl_errors(tmp_path):
    r = _cli("rtl", "tiny_odd", "--pe", "20", "-o", str(tmp_path / "x"))
    assert r.returncode == 0, r.stderr
    assert "predicted" in r.stdout
    r = _cli("rtl", "tiny_odd", "--pe", "20", "-o", str(tmp_path / "x"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not empty" in r.stderr
    r = _cli("rtl", "nosuchnet", "-o", str(tmp_path / "y"))
    assert r.returncode == 2 and "nosuchnet" in r.stderr and not (tmp_path / "y").exists()
    r = _cli("cosim", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "plan.json" in r.stderr
    r = _cli("cosim", str(tmp_path / "x"), "--simulator", "ghdl")
    assert r.returncode == 2


@pytest.mark.skipif(find_verilator() is None or shutil.which("perl") is None, reason="verilator not installed")
@pytest.mark.parametrize("args", [["tiny_odd", "--pe", "20"], ["tiny_dsc", "--pe", "15", "--split", "2x3,3x3",
                                                                  "--band-rows", "3"], ["tiny_dsc4", "--pe", "64"],
                                  ["tiny_dsc", "--pe", "32", "--weights", "dram"],
                                  ["tiny_odd", "--pe", "20", "--weights", "dram", "--pixels-per-beat", "4"],
                                  ["tiny_dsc", "--pe", "400", "--split", "12x12,16x9", "--weights", "dram"]])
def test_verilator_lint_clean(tmp_path, args):
    out = tmp_path / "rtl"
    assert _cli("rtl", *args, "-o", str(out)).returncode == 0
    srcs = sorted(str(p) for p in out.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


@pytest.mark.skipif(find_verilator() is None or shutil.which("perl") is None, reason="verilator not installed")
@pytest.mark.parametrize("weights,limit", [(True, 16 * 16 * 3), (False, 16 * 16 * 3), (True, 16 * 16 * 3 - 1)])
def test_verilator_lint_clean_with_maps_in_dram(tmp_path, weights, limit):
    """tiny_dsc with its map larger than the input in DRAM (band reads and writes on the map bundle), weights in
    DRAM or on chip (the weight bundle idle), and with the input in DRAM too (the input stage writing out_band):
    Verilator --lint-only -Wall is clean."""
    g = get_model("tiny_dsc")
    m = with_fmaps_in_dram(map_network(compute_ops(g), 32, weights_in_dram=weights), limit, 2)
    assert m.tiles[m.steps[0].name].in_dram == (limit < 16 * 16 * 3)
    assert m.fmaps_in_dram and m.weights_in_dram == weights
    out = write_rtl(quantize(g), m, tmp_path / "rtl")
    srcs = sorted(str(p) for p in out.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


@pytest.mark.skipif(find_verilator() is None or shutil.which("perl") is None, reason="verilator not installed")
def test_verilator_lint_clean_with_banked_in_band(tmp_path):
    """A DW step with TK = 3 reading its input from DRAM (in_band halves in 1 x 3 banks, the DMA scattering beats of
    several pixels, mid-pixel ones too, over them; the network input in DRAM as well): Verilator --lint-only -Wall
    is clean."""
    from rtl_tests.harness import generate, net
    from rtl_tests.test_fmem_banks import BCASES
    name, shape, layers, split, kw = BCASES[0]
    design, out = generate(net(name, shape, layers), tmp_path, split=split, pe=64, **kw)
    assert plan_rtl(design.qgraph, design.mapping).buffers[BUF_IN0].grid == (1, 3)
    srcs = sorted(str(p) for p in out.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


@settings(max_examples=60)
@given(case=cases())
def test_property_every_mapping_has_rtl(case):
    """Every mapping the mapper makes for a random small net (random PE budget, weights placement, DRAM bandwidth,
    band height; with weights in DRAM optionally forced into weight tiles; optionally every map larger than the
    input and the logits in DRAM) gets an RTL plan — no rejection — whose predicted cycles are the estimate's,
    whose engine tiles are the simulator's tiles (per op: count x cycles sum to its busy cycles), whose weight
    loads are the simulator's loads and whose DMA program is the simulator's queue of transfers."""
    d = case.design()
    m = d.mapping
    plan = plan_rtl(d.qgraph, m)
    trace = m.trace(d.ops)
    assert plan.predicted_cycles == trace.total_cycles == d.estimate().total_cycles
    busy = {op.name: st.busy for tr in trace.steps for op, st in zip(tr.step.ops, tr.ops)}
    for ops, tiles in ((plan.pw_ops, plan.pw_tiles), (plan.dw_ops, plan.dw_tiles), (plan.pool_ops, plan.pool_tiles)):
        for i, e in enumerate(ops):
            assert sum(t.cycles for t in tiles if t.op == i) == busy[e.name], e.name
    if m.weights_in_dram:
        assert [(ld.pw_words, ld.dw_words) for ld in plan.loads] == \
            [w for s in m.steps for w in step_loads(s, m.tiles[s.name], m.cfg)]
    kinds = {"w": DMA_W, "r": DMA_R, "s": DMA_S, "i": DMA_S}  # the input's writes are band writes of out_band
    assert [(x.kind, x.beats) for x in plan.dma] == [(kinds[t[0]], t[4]) for t in trace.transfers if t[4]]
    assert plan.fdram == m.fmaps_in_dram
    depth = {b.name: b.depth for b in plan.buffers}
    # a band fits its half: a dense half's words as transferred; a banked in_band half (hw.contract "Feature-memory
    # banks") holds its codes scattered into the banks, each bank as deep as the banked plan's
    banks = {b.name: b.banks for b in plan.buffers}
    assert all(x.beats <= depth[BUF_NAMES[x.buf]] for x in plan.dma if x.kind != DMA_W and banks[BUF_NAMES[x.buf]] == 1)
    if plan.buffers[BUF_IN0].banks > 1:
        assert depth["in_band0"] == depth["in_band1"] == {b.name: b.depth for b in m.buffers}["in_band"] // 2
        assert all(x.codes > 0 for x in plan.dma if x.kind == DMA_R)
    for e, tiles in ((e, [t for t in plan.pw_tiles if t.op == i]) for i, e in enumerate(plan.pw_ops)):
        # each band's weight tiles cover the op's output groups exactly once
        per_band = sorted((t.go0, t.ngo) for t in tiles if t.out0 == tiles[0].out0)
        assert sum(n for _, n in per_band) == e.outer_groups and per_band[0][0] == 0
    # the LUT model (hwgen estimate's LUTs) reads the structure this RTL has
    li = m.luts
    assert (li.word, li.pw_runs) == (plan.word, plan.pw_runs)
    assert li.read_banks == max(plan.pw_banks, plan.dw_banks, plan.pool_banks)
    assert li.input_packers == (1 if plan.in_dram else plan.buffers[BUF_A].banks)
    assert li.scatter_packers == (plan.buffers[BUF_IN0].banks if plan.dma_scatters else 0)
    # the plan's feature buffers: the RTL prunes one the plan sizes at a word but no map uses
    assert sum(b.banks for b in plan.buffers if b.depth > 0) <= li.buffer_banks <= sum(b.banks for b in plan.buffers)
    assert (li.pw_acc, li.dw_acc, li.pool_acc) == (plan.pw_acc, plan.dw_acc, plan.pool_acc)
    assert (li.pw_tiles, li.dw_tiles) == (len(plan.pw_tiles), len(plan.dw_tiles))
    assert li.weight_word == max(plan.pw_word_bits, plan.dw_word_bits)
    assert li.pool_terms == max([len(recip_bits(e.recip)) for e in plan.pool_ops] or [1])


def test_network_input_in_dram_is_planned():
    """A mapping that stores the network input in DRAM (docs/rtl.md): the input streams through the out_band
    halves, one DMA write (a DMA_S transfer from half j % 2) per burst of its words, into region 1, which step 0
    reads; the DMA program is the simulator's queue, and the input is one of the maps the testbench checks."""
    g = get_model("tiny_dsc")
    m = map_network(compute_ops(g), 32, split="3x8,8x1")
    m = with_fmaps_in_dram(m, 16 * 16 * 3 - 1, 2)
    first = m.steps[0].name
    assert m.tiles[first].in_dram
    plan = plan_rtl(quantize(g), m)
    trace = m.trace()
    writes = [t for t in trace.transfers if t[0] == "i"]
    # 768 codes in words of 8 (3x8,8x1): 96 words, fewer than a burst of the 64-bit map bus (256): one write
    assert [(t[3], t[4]) for t in writes] == [(0, 96)] and (plan.in_dram, plan.in_writes, plan.in_write_words) == (
        True, 1, 256)
    region = plan.fbytes // 2
    assert [(d.kind, d.addr, d.beats, d.buf) for d in plan.dma if d.kind != DMA_W][0] == (DMA_S, region, 96, BUF_OUT0)
    assert ("input", region) in plan.dram_maps
    assert {"in"} <= {w for b in plan.buffers if b.name.startswith("out_band") for w in b.writers}


def _wide_fc():
    """A design whose FC layer has 70,000 output channels (35,000 groups of tout = 2): the output stream's channel
    counter needs 17 bits, the PW engine's group counters 16 (the 16-bit counters refused it before)."""
    from hwgen.build import HwConfig, build
    from rtl_tests.harness import net
    g = net("wide_fc", (4, 4, 2), [("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 4}),
                                   ("g", "pool", {}), ("f", "fc", {"units": 70_000})])
    return build(g, HwConfig(pe=8, split="2x2,2x1", weights="onchip"), seed=0)


def test_counter_widths_come_from_the_plan():
    """Each counter group's width is the bits of the largest value its counters reach in this design
    (plan.counter_widths), and the templates declare exactly those widths."""
    qg, ops, m = _design("tiny_dsc", 32)
    plan = plan_rtl(qg, m)
    w = plan.widths
    assert w.seq == max(3, (max(st.bands for st in plan.steps) + 3).bit_length(),
                        (max(st.pw_tiles for st in plan.steps) + 3).bit_length())
    assert w.out_ch == max(1, (plan.out_channels - 1).bit_length())
    assert w.out_col == max(1, (plan.out_shape[1] - 1).bit_length())
    assert w.pw == max(max([e.m, e.inner_groups * m.cfg.tin, e.wo, e.tbase + e.inner_groups]) for e in plan.pw_ops
                       ).bit_length()
    files = render_rtl(plan)
    assert f"localparam integer SQ = {w.seq};" in files["hwgen_top.v"]
    assert f"localparam [{w.out_ch - 1}:0] OUT_C_LAST = {w.out_ch}'d{plan.out_channels - 1};" in files["hwgen_top.v"]
    for eng in ("pw", "dw", "pool"):
        assert f"localparam integer CW = {getattr(w, eng)};" in files[f"hwgen_{eng}_engine.v"]
    assert all(x < 16 for x in (w.seq, w.out_ch, w.out_col, w.pw, w.dw, w.pool))  # today's small designs shrink
    assert json.loads(files["plan.json"])["counter_widths"] == asdict(w)


def _many_tiles():
    """A streamed step in one-row bands of 256 weight tiles each: 66,560 PW tiles in one step, 66,563 weight loads."""
    from hwgen.build import HwConfig, build
    from rtl_tests.harness import net
    g = net("many_tiles", (260, 2, 4), [("c", "conv", {"filters": 256, "kernel": 1, "stride": 1}), ("g", "pool", {}),
                                        ("f", "fc", {"units": 2})])
    d = build(g, HwConfig(pe=4, split="1x1,1x1", weights="dram"), seed=0)
    return d, with_fmaps_in_dram(with_weight_tiles(d.mapping, 256), 8 * 4, 1)


def test_sequencer_counts_beyond_16_bits_get_wider_counters():
    """66,560 PW tiles in one step and 66,563 weight loads (the 16-bit sequencer refused it) get a 17-bit
    sequencer."""
    d, m = _many_tiles()
    plan = plan_rtl(d.qgraph, m)
    assert max(st.pw_tiles for st in plan.steps) == 66_560 and len(plan.loads) == 66_563
    assert plan.widths.seq == 17 and plan.predicted_cycles == m.trace().total_cycles


@pytest.mark.skipif(find_verilator() is None or shutil.which("perl") is None, reason="verilator not installed")
def test_tables_of_a_huge_mapping_are_roms_and_lint_clean(tmp_path):
    """The 66,560-tile design: its per-load, per-transfer and per-tile tables are ROM images of one entry per row
    (the case tables they replaced took 77 s to render and Verilator ran out of memory on them); Verilator
    --lint-only -Wall is clean."""
    d, m = _many_tiles()
    plan = plan_rtl(d.qgraph, m)
    out = write_rtl(d.qgraph, m, tmp_path / "rtl")

    def rows(name):
        lines = (out / f"hwgen_{name}.mem").read_text().splitlines()
        assert lines[0].startswith("// ")  # the field layout
        return lines[1:]

    assert len(rows("loads")) == len(plan.loads) == 66_563 and len(rows("dma")) == len(plan.dma)
    assert len(rows("pw_tiles")) == len(plan.pw_tiles) >= 66_560 and len(rows("steps")) == len(plan.steps)
    rom = rtl_roms(plan)["pw_tiles"]
    for k in (0, 66_559):  # the fields packed LSB first at their offsets
        word, t = int(rows("pw_tiles")[k], 16), plan.pw_tiles[k]
        assert [word >> rom.offset(f) & (1 << rom.field(f).bits) - 1 for f in ("op", "rows", "go0", "wbase")] == \
            [t.op, t.rows, t.go0, t.wbase]
    for f in out.glob("*.v"):
        assert f.stat().st_size < 100_000, f.name  # no table in the Verilog
    srcs = sorted(str(p) for p in out.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


@pytest.mark.skipif(find_verilator() is None or shutil.which("perl") is None, reason="verilator not installed")
def test_output_channels_beyond_16_bits_get_wider_counters(tmp_path):
    """70,000 output channels (refused by the 16-bit counters): the output channel counter is 17 bits in the
    Verilog and Verilator --lint-only -Wall is clean."""
    d = _wide_fc()
    plan = plan_rtl(d.qgraph, d.mapping)
    assert plan.widths.out_ch == 17 and plan.widths.pw == 16
    out = write_rtl(d.qgraph, d.mapping, tmp_path / "rtl")
    top = (out / "hwgen_top.v").read_text()
    assert "localparam [16:0] OUT_C_LAST = 17'd69999;" in top and "reg [16:0] out_ch;" in top
    assert "localparam integer CW = 16;" in (out / "hwgen_pw_engine.v").read_text()
    srcs = sorted(str(p) for p in out.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


def test_counts_beyond_the_widest_counter_are_one_line_errors():
    """A count needing more than plan.MAX_COUNTER_BITS (31) bits is refused in one line naming it; the largest one
    that fits passes."""
    from hwgen.codegen.rtl.plan import MAX_COUNTER_BITS, count_bits

    assert count_bits("PW tiles of one step", (1 << MAX_COUNTER_BITS) - 1) == 31
    assert count_bits("band reads", 0) == 1
    with pytest.raises(HwgenError) as e:
        count_bits("PW tiles of one step", 1 << 31)
    assert str(e.value) == ("RTL: 2,147,483,648 PW tiles of one step need a 32-bit counter, beyond the RTL's "
                            "31-bit counters")


@pytest.mark.skipif(find_verilator() is None or shutil.which("perl") is None, reason="verilator not installed")
@pytest.mark.parametrize("layers", [[("p", "pw", {"filters": 4}), ("g", "pool", {}), ("f", "fc", {"units": 3})],
                                    [("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 4})]])
def test_verilator_lint_clean_without_an_engine(tmp_path, layers):
    """A network with no DW layer (no DW engine) or no pool (no pool engine): the absent engine's start is not
    built, and Verilator --lint-only -Wall is clean."""
    from hwgen.build import HwConfig, build
    from rtl_tests.harness import net
    d = build(net("no_engine", (4, 4, 2), layers), HwConfig(pe=8, split="2x2,2x1", weights="onchip"), seed=0)
    out = write_rtl(d.qgraph, d.mapping, tmp_path / "rtl")
    absent = [e for e in ("dw", "pool") if not (out / f"hwgen_{e}_engine.v").exists()]
    assert absent and all(f"{e}_start" not in (out / "hwgen_top.v").read_text() for e in absent)
    srcs = sorted(str(p) for p in out.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


def test_a_rom_value_beyond_its_field_is_a_one_line_error():
    """A table entry wider than its ROM field (e.g. more than 255 banks in an 8-bit bank count) is refused in one
    line naming the file and the field, not truncated; the widest value that fits packs."""
    from hwgen.codegen.rtl.roms import Field, Rom

    rom = Rom("dw_ops", (Field("obr", 8), Field("s", 4, True)), ((289, 1),), (1, 0))
    with pytest.raises(HwgenError) as e:
        rom.pack((289, 1))
    assert str(e.value) == "RTL: hwgen_dw_ops.mem field 'obr': 289 does not fit its 8 bits"
    assert rom.pack((255, -8)) == 255 | (8 << 8)
