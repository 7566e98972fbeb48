"""The HLS rule checker (tests/hls_rules.py, a stand-in for the Vitis scheduler: a rule check, not
synthesis) rejects the pattern main generated before issue 10, and the generated projects pass it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import hls_rules
import numpy as np
import pytest
from hls_helpers import assert_rules, fuse_all, quantized

from hwgen.hw.contract import EngineConfig
from hwgen.models.zoo import get_model

FIXTURE = Path(__file__).parent / "fixtures" / "hls_main_08826dc"
IM2COL_FIXTURE = Path(__file__).parent / "fixtures" / "hls_im2col_21d79f8"
DRAM_FIXTURE = Path(__file__).parent / "fixtures" / "hls_dram_c368875"
DENSE_TAPS_FIXTURE = Path(__file__).parent / "fixtures" / "hls_dense_taps_2fa3d49"
#: The tiling DRAM_FIXTURE was generated with (tiny_dsc4, split 3x4,2x3, bands of 2, weights in DRAM): the
#: input, conv1, conv_dw_1's pair and the pool's output in DRAM, weight tiles in conv1, conv_pw_2 and the FC.
DRAM_TILES = {"conv1": (2, 2, True, True), "conv_dw_1": (1, 1, True, True), "conv_dw_2": (2, 2, True, False),
              "conv_dw_4": (3, 1, False, True), "avgpool": (1, 1, True, True), "fc": (1, 3, True, False)}


@pytest.fixture(scope="module")
def old():
    return hls_rules.load(FIXTURE)


def test_rules_catch_the_old_pattern(old):
    found = {(v.rule, v.where) for v in hls_rules.check_pipelines(old)}
    # every engine pipelines its innermost loop only, and reads its lanes at run-time bank indices
    assert found == {
        ("pipeline-nest", "pw_engine/pw_in_group"), ("pipeline-ports", "pw_engine/pw_in_group"),
        ("pipeline-nest", "dw_engine/dw_tap_group"), ("pipeline-ports", "dw_engine/dw_tap_group"),
        ("pipeline-nest", "pool_engine/pool_chan_group"), ("pipeline-ports", "pool_engine/pool_chan_group"),
        ("pipeline-ports", "read_input/read_pixel"),  # 3 codes a beat into the unpartitioned img
    }
    ports = {str(v) for v in hls_rules.check_pipelines(old) if v.rule == "pipeline-ports"}
    # fm is cyclic by TIN = 4; each lane's index is pixel*cin + lane with run-time cin
    assert "pipeline-ports: pw_engine/pw_in_group: src: 4 word accesses to one bank per iteration, 4 with a " \
           "run-time bank index; 2 ports" in ports
    # DW: TC x TK = 4 x 3 reads of its source per iteration, none with a known bank
    assert "pipeline-ports: dw_engine/dw_tap_group: src: 12 word accesses to one bank per iteration, 12 with a " \
           "run-time bank index; 2 ports" in ports


def test_rules_catch_unsized_interfaces_dataflow_and_engine_copies(old):
    unsized = {(v.where, v.detail.split()[2]) for v in hls_rules.check_interfaces(old)}
    assert unsized == {(f, p) for f in ("pw_engine", "dw_engine", "pool_engine") for p in ("src[]", "dst[]")} | {
        ("fused_dw", "src[]"), ("fused_pw", "dst[]"), ("fused_pair", "src[]"), ("fused_pair", "dst[]")}
    assert [str(v) for v in hls_rules.check_dataflow(old)] == [
        "dataflow: tiny_dsc_top DATAFLOW: top-level DATAFLOW without ap_ctrl_chain does not overlap images"]
    # ALLOCATION in run_network caps its own calls; the 3 fused_pair call sites each build a DW and a PW engine
    assert hls_rules.engine_instances(old) == {"pw_engine": 4, "dw_engine": 3, "pool_engine": 1}


def test_memory_count_of_the_old_pattern_is_not_the_plan(old):
    q = quantized(get_model("tiny_dsc"))
    plan = fuse_all(q, EngineConfig(4, 4, 4, 3), 2)  # the mapping the fixture was generated for
    assert (plan.bram36, plan.uram) == (14, 0)  # fmaps in 1 x 3 banks (TK = 3), feature memories dual-port
    mems = {m.name: m for m in hls_rules.memories(old)}
    # weights 8-bit scalars partitioned into 16 banks of 142 words: one BRAM each instead of 2 packed words
    assert (mems["pw_weights"].banks, mems["pw_weights"].depth, mems["pw_weights"].bram36) == (16, 142, 16)
    assert mems["img"].copies == 2  # a top-level DATAFLOW channel: ping-pong, one memory of 2 x 768 codes
    assert hls_rules.memory_blocks(old) == (21, 0)  # 1.5x the plan: more than 10 % off


def test_rules_catch_im2col_groups_across_kernel_rows():
    """Main before the kernel rows were padded (TIN = 4 does not divide K*Cin = 9): each lane of a group that
    crosses a kernel row is its own run-time word access."""
    assert [str(v) for v in hls_rules.check(IM2COL_FIXTURE)] == [
        "pipeline-ports: pw_engine/pw_conv_iter: src: 4 word accesses to one bank per iteration; 2 ports",
        "engine-instances: pw_engine: 2 instances"]


def test_padded_kernel_rows_pass_where_tin_does_not_divide_k_cin(tmp_path):
    """The same network and split today: K kernel rows of ceil(9/4) = 3 groups (9, not ceil(27/4) = 7), each
    group one run of one input row; the conv loop passes and only the PW instances remain."""
    from hls_helpers import generate

    q = quantized(get_model("tiny_dsc"))
    m = fuse_all(q, EngineConfig(4, 4, 4, 1), 2)
    generate(q, m, tmp_path / "p")
    assert [str(v) for v in hls_rules.check(tmp_path / "p")] == ["engine-instances: pw_engine: 2 instances"]
    assert "#define IM2COL_ROWS 9\n" in (tmp_path / "p" / "hwgen_types.h").read_text()


def test_rules_catch_dense_dw_taps():
    """Main at 2fa3d49 with TK = 3 (the dense maps of before the banks, docs/hls.md "Limits"): the DW engine's
    three taps are three pixels of one dual-port src, two words each, in one cycle; the rule checker must
    report exactly that (and the two PW instances), or it cannot stand in for the scheduler on this limit."""
    found = [str(v) for v in hls_rules.check(DENSE_TAPS_FIXTURE)]
    assert found == ["pipeline-ports: dw_engine/dw_iter: src: 6 word accesses to one bank per iteration; 2 ports",
                     "engine-instances: pw_engine: 2 instances"]
    assert "#define TK 3\n" in (DENSE_TAPS_FIXTURE / "hwgen_types.h").read_text()


def test_generated_banks_are_the_plans(tmp_path):
    """TK = 3 (1 x 3 banks): the generator declares fmap_a / fmap_b as the plan's banks, one array of the plan's
    depth each, the DW taps read one run per bank per cycle (no pipeline-ports violation) and the memory is the
    plan's exactly; the dense maps of before (the fixture) are no documented limit any more."""
    from hls_helpers import generate

    q = quantized(get_model("tiny_dsc"))
    m = fuse_all(q, EngineConfig(4, 4, 4, 3), 2)
    generate(q, m, tmp_path / "p")
    proj = hls_rules.load(tmp_path / "p")
    assert [str(v) for v in hls_rules.check(tmp_path / "p")] == ["engine-instances: pw_engine: 2 instances"]
    fa = next(b for b in m.buffers if b.name == "fmap_a")
    banks = [x for x in hls_rules.memories(proj) if x.plan_name == "fmap_a"]
    assert [(x.name, x.depth) for x in banks] == [(f"fmap_a_{k}", fa.depth) for k in range(3)] and fa.banks == 3
    assert hls_rules.memory_blocks(proj) == (m.bram36, m.uram) == (14, 0)
    with pytest.raises(AssertionError):
        assert_rules(DENSE_TAPS_FIXTURE, m)


def _mapped(name, board, **kw):
    from hwgen.ir.ops import compute_ops
    from hwgen.mapping.search import map_network
    from hwgen.models.zoo import get_model as model

    g = model(name, **kw)
    return quantized(g), map_network(compute_ops(g), 64, board)


@pytest.mark.parametrize("name, kw, board", [("tiny_dsc", {}, "zcu104"),
                                             ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, "pynq-z2")])
def test_mapped_projects_follow_the_rules_and_the_plan(tmp_path, name, kw, board):
    """What map_network picks: only the documented limits remain, the memory is the estimate's."""
    from hwgen.codegen.hls.project import generate_hls

    q, m = _mapped(name, board, **kw)
    generate_hls(q, m, tmp_path / "p", part=m.board.part, clock_mhz=m.clock_mhz, board=board)
    found = hls_rules.check(tmp_path / "p")
    assert hls_rules.unexplained(found) == []
    keys = {hls_rules.limit_key(v) for v in found}
    # weight tiles (the FC on PYNQ-Z2) write lane-masked words: no port violation of their own
    assert any(t.weight_tiles > 1 for t in m.tiles.values()) == (board == "pynq-z2")
    expected = {("engine-instances", "pw_engine", "")}
    if m.weights_in_dram:  # the weight loads do not overlap the engines (docs/hls.md, "Overlap with DRAM")
        expected |= {("overlap", f, "") for f in ("run_network/pw_load", "run_network/dw_load", "fused_pw/pw_load")}
    assert keys == expected  # TK > 1 too: the maps the DW engine reads are the plan's banks
    proj = hls_rules.load(tmp_path / "p")
    bram, uram = hls_rules.memory_blocks(proj)
    plan_bram, plan_uram = m.bram36, m.uram
    assert abs(bram - plan_bram) <= 0.1 * plan_bram and abs(uram - plan_uram) <= 0.1 * plan_uram, \
        (bram, uram, plan_bram, plan_uram)


@pytest.mark.parametrize("name, cfg", [("tiny_odd", EngineConfig(3, 5, 4, 1)), ("tiny_dsc", EngineConfig(3, 4, 4, 1)),
                                       ("tiny_odd", EngineConfig(9, 2, 3, 1))])
def test_one_tap_lane_and_row_aligned_im2col_meet_every_port_rule(tmp_path, name, cfg):
    """TK = 1 (one pixel per cycle) and padded kernel rows (each im2col group one run of a kernel row; here
    with TIN = 3 and 9 no lane is padding): the conv, DW, 1x1 PW, pool, input and output loops all pass;
    two PW instances remain."""
    from hls_helpers import generate

    q = quantized(get_model(name))
    generate(q, fuse_all(q, cfg, 2), tmp_path / "p")
    assert [str(v) for v in hls_rules.check(tmp_path / "p")] == ["engine-instances: pw_engine: 2 instances"]


def test_maps_in_dram_are_staged_in_the_plans_band_buffers(tmp_path):
    """Maps in DRAM go through the plan's in_band / out_band buffers, the band region's PIPOs (fmap_a/b hold
    only the on-chip maps): the declarations imply exactly the plan's blocks, the banked buffers (TK = 3) as
    one array per bank. Every step with a map in DRAM
    (conv1, the pairs, the pool, the FC) runs through the one region, so each engine is one instance; weight
    tiles (conv1, conv_dw_2's PW, the FC) write no code by code."""
    from hls_helpers import generate
    from hwgen.hw.steps import StepTiling

    q = quantized(get_model("tiny_dsc4"))
    tiles = dict(DRAM_TILES, conv1=(2, 2, False, True))
    m = fuse_all(q, EngineConfig(3, 4, 2, 3), 2, weights_in_dram=True,
                 tiles={name: StepTiling(*t) for name, t in tiles.items()})
    generate(q, m, tmp_path / "p")
    proj = hls_rules.load(tmp_path / "p")
    plan = {b.name: b for b in m.buffers}
    assert [b.name for b in m.buffers if b.banks > 1] == ["fmap_a", "fmap_b", "in_band"]
    for name in ("fmap_a", "fmap_b", "in_band", "out_band", "dw_pw_pingpong"):
        arrays = [x for x in hls_rules.memories(proj) if x.plan_name == name]
        assert len(arrays) == plan[name].banks, name
        for x in arrays:  # each bank one array of the plan's depth per bank
            assert (x.copies * x.banks * x.depth, x.width) == (plan[name].depth, plan[name].width), name
    assert [x.name for x in hls_rules.memories(proj) if x.copies == 2] == ["in_band_0", "in_band_1", "in_band_2",
                                                                          "band", "out_band"]
    assert hls_rules.memory_blocks(proj) == (m.bram36, m.uram)
    assert hls_rules.engine_instances(proj) == {"pw_engine": 1, "dw_engine": 1, "pool_engine": 1}
    # TIN = 3 divides K*Cin = 9: the conv's im2col groups are row runs and pass too; the band transfers
    # overlap the engines, the weight loads do not (KNOWN_LIMITS)
    assert {str(v) for v in hls_rules.check(tmp_path / "p")} == {
        "overlap: fused_pw/pw_load: DRAM transfer in the engine process fused_pw: serialised with it",
        "overlap: run_network/dw_load: DRAM transfer outside a DATAFLOW region: serialised with the engines",
        "overlap: run_network/pw_load: DRAM transfer outside a DATAFLOW region: serialised with the engines"}


def test_overlap_rule_catches_the_serialised_dram_pattern(tmp_path):
    """Main before the band region (DRAM_FIXTURE): run_network read each band, ran the engine and stored the
    band one after the other, and loaded the weights between the steps; the PW process loaded its weight
    tiles between its tiles. The same tiling generated today: the band reads and writes are the band region's
    read and write processes, beside the engine processes; only the weight loads remain."""
    from hls_helpers import generate
    from hwgen.hw.steps import StepTiling

    serial = "DRAM transfer outside a DATAFLOW region: serialised with the engines"
    tile_loads = "overlap: fused_pw/pw_load: DRAM transfer in the engine process fused_pw: serialised with it"
    assert [str(v) for v in hls_rules.check_overlap(hls_rules.load(DRAM_FIXTURE))] == [
        tile_loads] + [f"overlap: run_network/{f}: {serial}" for f in ("dw_load", "fmap_load", "fmap_store", "pw_load")]
    q = quantized(get_model("tiny_dsc4"))
    m = fuse_all(q, EngineConfig(3, 4, 2, 3), 2, weights_in_dram=True,
                 tiles={name: StepTiling(*t) for name, t in DRAM_TILES.items()})
    generate(q, m, tmp_path / "p")
    proj = hls_rules.load(tmp_path / "p")
    assert [str(v) for v in hls_rules.check_overlap(proj)] == [
        tile_loads] + [f"overlap: run_network/{f}: {serial}" for f in ("dw_load", "pw_load")]
    # the band transfers' callers are the region's read / write processes, each with its own fmem port
    assert hls_rules.instances(proj)["band_read"] == hls_rules.instances(proj)["band_write"] == 1


@pytest.mark.parametrize("cfg", [EngineConfig(2, 2, 2, 1), EngineConfig(1, 1, 1, 1)])
def test_input_pixel_fits_a_word(tmp_path, cfg):
    """tiny_odd's 3-channel pixel on engines narrower than 3 lanes: the plan's feature word is widened to
    the pixel (feature_word), so read_input appends one pixel per beat with at most two word writes."""
    from hls_helpers import generate
    from hwgen.mapping.plan import feature_word

    q = quantized(get_model("tiny_odd"))
    assert feature_word(cfg, q.ops[0].op.in_shape[2]) == 3
    generate(q, fuse_all(q, cfg, 2), tmp_path / "p")
    assert [str(v) for v in hls_rules.check(tmp_path / "p") if v.where.startswith("read_input")] == []


def test_input_in_dram_declares_the_plans_out_band(tmp_path):
    """With the network input in DRAM the plan's out_band halves each hold one input write (the RTL streams the
    input through them, hw.schedule); the HLS declarations are the plan's buffers, out_band included (194 words:
    2 x (96 + 1) for tiny_dsc's 768-code input in 8-code words, against 2 x 33 for its largest band alone)."""
    from hls_helpers import generate
    from hwgen.ir.ops import compute_ops
    from hwgen.mapping.plan import input_in_dram, with_fmaps_in_dram
    from hwgen.mapping.search import map_network

    g = get_model("tiny_dsc")
    m = with_fmaps_in_dram(map_network(compute_ops(g), 32, split="3x8,8x1", weights_in_dram=True), 16 * 16 * 3 - 1, 2)
    assert input_in_dram(m.steps, m.fmap_limit)
    generate(quantized(g), m, tmp_path / "p")
    mems = {x.name: x for x in hls_rules.memories(hls_rules.load(tmp_path / "p"))}
    plan = {b.name: b for b in m.buffers}
    assert plan["out_band"].depth == 194
    for name in ("fmap_a", "fmap_b", "in_band", "out_band"):
        mem = mems[name]  # a PIPO (the band region's in_band / out_band) is one memory of its copies (halves)
        assert (mem.banks * mem.copies * mem.depth, mem.width) == (plan[name].depth, plan[name].width), name


BANKED_TAPS = Path(__file__).parent / "fixtures" / "hls_banked_taps"


def _banked_taps(outdir: Path, h: int, w: int, c: int, k: int, stride: int, tc: int, tk: int, word: int, wg: int,
                 seed: int = 0) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], int, int]:
    """The hand-written banked writer and tap read (fixtures/hls_banked_taps) with their constants and tap tables
    from hw.contract's bank layout, and a random map; returns the map, the (bank, element) of each of its codes,
    the banks and the codes of a bank."""
    from hwgen.codegen.hls.project import _im2col_rows, _tap_rows
    from hwgen.hw.contract import bank_element, bank_grid, bank_words, cdiv, pixel_bank
    from hwgen.ir.ops import ComputeOp

    shutil.copytree(BANKED_TAPS, outdir)
    br, bc = bank_grid(k, tk)
    pad = k // 2
    ngt, ngc = cdiv(k * k, tk), cdiv(c, tc)
    codes = int(bank_words(h, w, c, word, (br, bc))) * word
    x = np.random.default_rng(seed).integers(-128, 128, size=(h, w, c))
    y, xx, ch = np.meshgrid(range(h), range(w), range(c), indexing="ij")
    where = (pixel_bank(y, xx, (br, bc)), bank_element(y, xx, ch, w, c, (br, bc)))
    rows = _tap_rows(k, ngt, tk)
    dy = [r[0] for r in rows]
    dx = [r[1] for r in rows]
    split = {"qy": [[max(v, 0) // br for v in r] for r in dy], "ry": [[max(v, 0) % br for v in r] for r in dy],
             "qx": [[v // bc for v in r] for r in dx], "rx": [[v % bc for v in r] for r in dx]}

    def table(name: str, vals: list[list[int]]) -> str:
        return f"static const signed char tap_{name}[NGT][TK] = {{" + ", ".join(
            "{" + ", ".join(map(str, r)) + "}" for r in vals) + "};\n"

    consts = dict(H=h, W=w, C=c, K=k, S=stride, PAD_T=pad, PAD_L=pad, OUT_H=(h + 2 * pad - k) // stride + 1,
                  OUT_W=(w + 2 * pad - k) // stride + 1, TC=tc, TK=tk, NGC=ngc, NGT=ngt, WORD=word, BR=br, BC=bc,
                  BANKS=br * bc, BANK_W=cdiv(w, bc), BANK_CODES=codes, QY0=-pad // br, RY0=-pad % br,
                  QX0=-pad // bc, RX0=-pad % bc, S_QY=stride // br, S_RY=stride % br, S_QX=stride // bc,
                  S_RX=stride % bc, WG=wg, NGW=cdiv(c, wg), BAND=h // 2 + 1)
    # the conv's im2col groups (TIN = word lanes) and their lanes' offsets split as the taps' are
    conv = ComputeOp("conv", "conv", (h, w, c), (consts["OUT_H"], consts["OUT_W"], 1), k, stride, (pad, pad), None,
                     False, ("conv",))
    groups = _im2col_rows(conv, EngineConfig(word, 1, 1, 1), k)  # kernel-row groups, as the fixture reads them
    lane = {"c": [g[0] for g in groups], "dy": [g[1] for g in groups], "dx": [g[2] for g in groups]}
    lane |= {"qy": [[v // br for v in r] for r in lane["dy"]], "ry": [[v % br for v in r] for r in lane["dy"]],
             "qx": [[v // bc for v in r] for r in lane["dx"]], "rx": [[v % bc for v in r] for r in lane["dx"]],
             "w": [[(dy_ * k + dx_) * c + ch_ + 1 if ch_ >= 0 else 0 for ch_, dy_, dx_ in zip(*g)] for g in groups]}
    consts |= dict(TIN=word, NGI=len(groups))
    cfg = "".join(f"#define {n} {v}\n" for n, v in consts.items())
    cfg += "".join(table(n, v) for n, v in [("dy", dy), ("dx", dx)] + list(split.items()))
    cfg += "".join(f"static const {'int' if n in ('c', 'w') else 'signed char'} im2col_{n}[NGI][TIN] = {{" +
                   ", ".join("{" + ", ".join(map(str, r)) + "}" for r in v) + "};\n" for n, v in lane.items())
    (outdir / "banked_cfg.h").write_text(cfg)
    (outdir / "map_init.h").write_text(
        "static const signed char map_init[H * W * C] = {" + ", ".join(map(str, x.reshape(-1).tolist())) + "};\n")
    return x, where, br * bc, codes


@pytest.mark.parametrize("h, w, c, k, stride, tc, tk, word, wg", [
    (6, 7, 8, 3, 1, 4, 3, 8, 4),    # 1 x 3 banks, W = 7: banks 1 and 2 have a row-end gap
    (7, 8, 5, 3, 2, 4, 2, 8, 3),    # TK = 2 < K, stride 2, a partial channel group
    (6, 7, 6, 3, 1, 3, 9, 5, 5),    # TK = 9 > K: 3 x 3 banks; word 5 does not divide a pixel
    (9, 11, 4, 5, 2, 4, 10, 8, 3),  # K = 5, TK = 10: 5 x 5 banks
    (5, 4, 3, 3, 1, 3, 3, 8, 3),    # 3 codes a pixel: a bank's word holds codes of three of its pixels
])
@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
def test_banked_writer_and_taps_meet_the_rules_and_the_contracts_layout(tmp_path, h, w, c, k, stride, tc, tk, word,
                                                                       wg):
    """The target of issue 10 for the DW engine with TK > 1, hand-written: a writer that keeps one pending word per
    bank (two row bands, a row-end gap), a tap read of one run per bank per cycle (a compile-time bank index) and
    a conv's im2col read of the same banks (a group's lanes: one run per bank), all tracking rows and columns as
    (div, mod) of the grid without division. The rule checker passes the three loops (the dense-taps fixture above
    fails), and C-simulation puts every code where hw.contract.bank_element says and reads every tap and im2col
    lane from there (the window sums match numpy's)."""
    from hwgen.verify.csim import ap_types_dir

    d = tmp_path / "banked"
    x, where, nb, codes = _banked_taps(d, h, w, c, k, stride, tc, tk, word, wg)
    assert [str(v) for v in hls_rules.check(d)] == []
    exe = d / "tb"
    cc = subprocess.run(["g++", "-std=c++14", "-O1", "-Wall", "-Wno-unknown-pragmas", "-isystem", str(ap_types_dir()),
                         f"-I{d}", *(str(d / f) for f in ("banked_write.cpp", "banked_taps.cpp", "banked_conv.cpp",
                                                     "tb_banked_taps.cpp")),
                         "-o", str(exe)], capture_output=True, text=True)
    ours = [ln for ln in cc.stderr.splitlines() if str(d) in ln and ("warning:" in ln or "error:" in ln)]
    assert cc.returncode == 0 and not ours, cc.stderr[-3000:]
    got = np.array(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split(), dtype=np.int64)
    banks = got[:nb * codes].reshape(nb, codes)
    assert banks[where].tolist() == x.tolist()
    pad = k // 2
    xp = np.pad(x, ((pad, pad), (pad, pad), (0, 0)))
    oh, ow = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    want = sum(xp[dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride] * (dy * k + dx + 1)
               for dy in range(k) for dx in range(k))
    taps = got[nb * codes:nb * codes + want.size]
    assert taps.tolist() == want.reshape(-1).tolist()
    # the conv's im2col read of the same banks: each window's inputs weighted by im2col index + 1
    conv = sum(xp[dy:dy + stride * (oh - 1) + 1:stride, dx:dx + stride * (ow - 1) + 1:stride, ch] *
               ((dy * k + dx) * c + ch + 1) for dy in range(k) for dx in range(k) for ch in range(c))
    assert got[nb * codes + want.size:].tolist() == conv.reshape(-1).tolist()


BANKED_BEAT = Path(__file__).parent / "fixtures" / "hls_banked_beat"


@pytest.mark.parametrize("h, w, c, k, tk, word, row0, rows, beat", [
    # DMA beats (beat = word, the band's first code mid-word)
    (6, 7, 1, 3, 3, 4, 2, 3, 4),     # 1 x 3 banks, 1 code a pixel: a beat of 4 pixels puts two into bank x mod 3
    (7, 4, 1, 3, 2, 8, 1, 5, 8),     # a beat of 8 pixels spans two rows of 4; banks 1 and 2 have row-end gaps
    (6, 5, 2, 3, 9, 8, 1, 4, 8),     # 3 x 3 banks, a beat across a row end
    (9, 6, 1, 5, 10, 16, 2, 6, 16),  # 5 x 5 banks, 16 pixels a beat: nearly three rows of 6
    (5, 7, 3, 3, 3, 8, 1, 3, 8),     # 3 codes a pixel in 8-code words: a beat's last pixel spans into the next
    (6, 7, 8, 3, 3, 8, 3, 2, 8),     # C = WORD: one pixel a beat (the bound hw.contract states, C >= word / BC)
    # the input stream (row 0 on, IN_P pixels of C codes a beat, beat < word: beats not word-aligned)
    (5, 7, 1, 3, 3, 8, 0, 5, 5),     # 5 pixels a beat on 1 x 3 banks
    (6, 5, 3, 3, 9, 16, 0, 6, 12),   # 4 pixels of 3 codes a beat on 3 x 3 banks, 16-code words
])
@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
def test_banked_dma_beat_writer_meets_the_rules_with_more_pixels_than_bank_columns(tmp_path, h, w, c, k, tk, word,
                                                                                  row0, rows, beat):
    """A DMA beat (one dense feature word of WORD codes, as fmem holds a map) filling a banked in_band half holds up
    to ceil((WORD - 1) / C) + 1 pixels: more than BC when C < WORD / BC, so one bank gets codes of two or more
    pixels in a cycle, across a row end too (docs/hls.md "Limits"). Per bank and beat those codes lie in at most
    two consecutive words (checked here from hw.contract's layout for every bank and beat; read_input's beats of
    IN_P pixels, not word-aligned, too), so the writer of fixtures/hls_banked_beat (one pending word per bank:
    flush on a move to a later word, write a completed word, keep the next word's codes pending) makes at most two
    word writes per bank per cycle; the reader back (banked_gather: a dense word per cycle, the band region's
    forward of a banked in_band band into the ping-pong, write_output's and the dumps' read of a banked map) reads
    each bank twice per cycle at most. The rule checker passes both loops, and C-simulation puts every code of the
    band where bank_element says (rows from the band's first) and reads the band back in raster order."""
    from hwgen.hw.contract import bank_element, bank_grid, bank_words, cdiv, pixel_bank
    from hwgen.verify.csim import ap_types_dir

    d = tmp_path / "beat"
    shutil.copytree(BANKED_BEAT, d)
    grid = bank_grid(k, tk)
    nb = int(grid[0] * grid[1])
    codes = int(bank_words(rows, w, c, word, grid)) * word
    x = np.random.default_rng(h * w + c).integers(-128, 128, size=(h, w, c))
    y, xx, ch = np.meshgrid(range(rows), range(w), range(c), indexing="ij")
    bank, elem = pixel_bank(y, xx, grid).reshape(-1), bank_element(y, xx, ch, w, c, grid).reshape(-1)
    first = row0 * w * c % word if beat == word else 0
    beats = (np.arange(bank.size) + first) // beat
    assert cdiv(beat - 1, c) + 1 > grid[1] or c == word  # the beats carry more pixels than bank columns
    for j in np.unique(beats):
        for b in range(nb):
            e = elem[(beats == j) & (bank == b)]
            assert e.size == 0 or e.max() // word - e.min() // word <= 1, (j, b)
    consts = dict(H=h, W=w, C=c, WORD=word, BR=grid[0], BC=grid[1], BANKS=nb, BANK_W=cdiv(w, grid[1]),
                  BANK_CODES=codes, ROW0=row0, ROWS=rows, BEAT=beat, FIRST=first)
    (d / "banked_cfg.h").write_text("".join(f"#define {n} {v}\n" for n, v in consts.items()))
    (d / "map_init.h").write_text(
        "static const signed char map_init[H * W * C] = {" + ", ".join(map(str, x.reshape(-1).tolist())) + "};\n")
    used = hls_rules.instances(hls_rules.load(d))  # the checker checks the loops of the top's instances only
    assert used["banked_beat_write"] == used["banked_gather_read"] == 1
    assert [str(v) for v in hls_rules.check(d)] == []
    exe = d / "tb"
    cc = subprocess.run(["g++", "-std=c++14", "-O1", "-Wall", "-Wno-unknown-pragmas", "-isystem", str(ap_types_dir()),
                         f"-I{d}", *(str(d / f) for f in ("banked_beat.cpp", "banked_gather.cpp",
                                                     "tb_banked_beat.cpp")), "-o", str(exe)],
                        capture_output=True, text=True)
    ours = [ln for ln in cc.stderr.splitlines() if str(d) in ln and ("warning:" in ln or "error:" in ln)]
    assert cc.returncode == 0 and not ours, cc.stderr[-3000:]
    got = np.array(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split(), dtype=np.int64)
    banks = got[:nb * codes].reshape(nb, codes)
    assert banks[bank, elem].tolist() == x[row0:row0 + rows].reshape(-1).tolist()
    # banked_gather: the band back out of the banks, a dense word of WORD codes per cycle (the tail word padded)
    back = got[nb * codes:]
    assert back.size == cdiv(rows * w * c, word) * word
    assert back[:rows * w * c].tolist() == x[row0:row0 + rows].reshape(-1).tolist()


BANKED_BIND = Path(__file__).parent / "fixtures" / "hls_banked_bind"


@pytest.mark.parametrize("h, w, c, word, wg", [(5, 7, 8, 8, 4), (4, 8, 3, 8, 3), (6, 5, 6, 5, 5), (3, 4, 1, 4, 1)])
@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
def test_one_function_binds_banked_and_one_bank_buffers(tmp_path, h, w, c, word, wg):
    """How an engine stays one instance while its buffer parameters are bound to banked and one-bank buffers
    (fixtures/hls_banked_bind, hand-written, 1 x 3 banks): each parameter is BANKS bank arrays, a one-bank buffer
    bound as bank 0 with one-word fillers, the grid a run-time flag. The rule checker passes (no aliased
    parameter, two accesses per bank, no run-time division), and C-simulation moves a map dense -> banked ->
    dense with every banked code where hw.contract.bank_element says (row-end gaps: W = 7, 5, 4)."""
    from hwgen.hw.contract import bank_element, bank_grid, bank_words, cdiv, pixel_bank
    from hwgen.verify.csim import ap_types_dir

    d = tmp_path / "bind"
    shutil.copytree(BANKED_BIND, d)
    grid = bank_grid(3, 3)
    assert grid == (1, 3)
    codes = int(bank_words(h, w, c, word, grid)) * word
    dense = cdiv(h * w * c, word) * word
    consts = dict(H=h, W=w, C=c, WORD=word, WG=wg, NGW=cdiv(c, wg), BR=grid[0], BC=grid[1], BANKS=3,
                  BANK_W=cdiv(w, grid[1]), BANK_CODES=codes, DENSE_CODES=dense, BUF=max(codes, dense))
    (d / "bind_cfg.h").write_text("".join(f"#define {n} {v}\n" for n, v in consts.items()))
    x = np.random.default_rng(1).integers(-128, 128, size=(h, w, c))
    (d / "map_init.h").write_text(
        "static const signed char map_init[H * W * C] = {" + ", ".join(map(str, x.reshape(-1).tolist())) + "};\n")
    proj = hls_rules.load(d)
    assert [str(v) for v in hls_rules.check(d)] == []
    assert hls_rules.instances(proj)["copy_map"] == 1
    exe = d / "tb"
    cc = subprocess.run(["g++", "-std=c++14", "-O1", "-Wall", "-Wno-unknown-pragmas", "-isystem", str(ap_types_dir()),
                         f"-I{d}", str(d / "banked_bind.cpp"), str(d / "tb_banked_bind.cpp"), "-o", str(exe)],
                        capture_output=True, text=True)
    ours = [ln for ln in cc.stderr.splitlines() if str(d) in ln and ("warning:" in ln or "error:" in ln)]
    assert cc.returncode == 0 and not ours, cc.stderr[-3000:]
    got = np.array(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split(), dtype=np.int64)
    y, xx, ch = np.meshgrid(range(h), range(w), range(c), indexing="ij")
    banks = got[:3 * codes].reshape(3, codes)
    assert banks[pixel_bank(y, xx, grid), bank_element(y, xx, ch, w, c, grid)].tolist() == x.tolist()
    assert got[3 * codes:].tolist() == x.reshape(-1).tolist()


def _banked_declarations(outdir: Path, mapping, word: int, act_bits: int) -> None:
    """A C++ file declaring the buffers of ``mapping.buffers`` as the banked HLS design is to: a banked
    feature buffer as ``act_t name[BANKS][codes]`` (dim 1 partitioned: one memory per bank; dim 2 reshaped into
    WORD-code words, as fixtures/hls_banked_taps' fm), the others as one array of the plan's words, each with
    BIND_STORAGE where the plan places it."""
    lines = [f"#include <ap_int.h>\ntypedef ap_int<{act_bits}> act_t;\n#define WORD {word}\nvoid decl() {{"]
    for b in mapping.buffers:
        if b.banks > 1:
            assert b.width == word * act_bits, b
            lines += [f"    static act_t {b.name}[{b.banks}][{b.depth * word}];",
                      f"#pragma HLS ARRAY_PARTITION variable={b.name} type=complete dim=1",
                      f"#pragma HLS ARRAY_RESHAPE variable={b.name} type=cyclic factor=WORD dim=2"]
        else:
            lines.append(f"    static ap_uint<{b.width}> {b.name}[{b.depth}];")
        lines.append(f"#pragma HLS BIND_STORAGE variable={b.name} type=ram_2p impl={b.memory}")
    (outdir / "decl.cpp").write_text("\n".join(lines + ["}", ""]))


@pytest.mark.parametrize("case", ["tiny_dsc TK=3", "tiny_dsc zcu104", "mobilenet 0.25-128 pynq-z2", "dram TK=3"])
def test_banked_declarations_count_as_the_banked_plan(tmp_path, case):
    """The rule checker's memory count of banked declarations (one memory per bank) is the plan's placement, so
    the 10 % memory check (hls_helpers.assert_rules) compares a banked project with the plan."""
    from hwgen.hw.steps import StepTiling
    from hwgen.mapping.plan import feature_word

    if case == "tiny_dsc TK=3":
        q = quantized(get_model("tiny_dsc"))
        m = fuse_all(q, EngineConfig(4, 4, 4, 3), 2)
    elif case == "dram TK=3":
        q = quantized(get_model("tiny_dsc4"))
        m = fuse_all(q, EngineConfig(3, 4, 2, 3), 2, weights_in_dram=True,
                     tiles={n: StepTiling(*t) for n, t in dict(DRAM_TILES, conv1=(2, 2, False, True)).items()})
    elif case == "tiny_dsc zcu104":
        q, m = _mapped("tiny_dsc", "zcu104")
    else:
        q, m = _mapped("mobilenet_v1", "pynq-z2", alpha=0.25, resolution=128)
    word = feature_word(m.cfg, m.steps[0].first.in_shape[2], m.pixels_per_beat)
    _banked_declarations(tmp_path, m, word, m.act_bits)
    proj = hls_rules.load(tmp_path)
    bufs = m.buffers
    assert any(b.banks > 1 for b in bufs)
    banked = (sum(b.blocks for b in bufs if b.memory == "bram"), sum(b.blocks for b in bufs if b.memory == "uram"))
    assert hls_rules.memory_blocks(proj) == banked
    mems = {x.name: x for x in hls_rules.memories(proj)}
    assert all((mems[b.name].banks, mems[b.name].depth) == (b.banks, b.depth) for b in bufs)
    # the memory check of hls_helpers.generate takes the plan as it is for banked declarations
    assert banked == (m.bram36, m.uram)
    assert_rules(tmp_path, m)
