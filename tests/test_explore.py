"""`hwgen explore`: the vectorised evaluator equals `hwgen estimate` point by point, the Pareto front is
exact, outputs are deterministic and the same on a Dask cluster, bad spaces fail cleanly."""
from __future__ import annotations

import itertools
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hwgen
from hwgen.build import HwConfig, build
from hwgen.explore.evaluate import PATHS, Combo, Network, SplitTables, evaluate
from hwgen.explore.pareto import pareto_mask
from hwgen.explore.run import explore
from hwgen.explore.space import HwSpace, ModelSpace, PeSet, parse_alpha, parse_bits, parse_pe, parse_resolution
from hwgen.hw.boards import get_board
from hwgen.hw.contract import (
    EngineArrays,
    EngineConfig,
    bram36_blocks,
    feature_word,
    fused_schedule,
    fused_span_uniform,
    uram_blocks,
    weight_bus_bits,
    dma_cycles,
)
from hwgen.hw.resources import lut_count
from hwgen.hw.steps import Step, StepTiling
from hwgen.mapping.plan import (Buffer, buffer_slots, fmap_flags, input_in_dram, lut_inputs, place_blocks,
                               place_buffers, plan_buffers, plan_words)
from hwgen.mapping.search import band_candidates, map_network, weight_tiles
from hwgen.models.zoo import get_model

HWGEN = [sys.executable, "-m", "hwgen"]


# --- vectorised twins of the contract's formulas -------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40), st.integers(1, 200), st.integers(1, 200), st.integers(1, 8), st.data())
def test_fused_span_uniform_equals_fused_schedule(rows, d_row, p_row, band, data):
    """Bands as row_bands makes them (all equal but a shorter last): the closed form is the schedule."""
    band = min(band, rows)
    d0, p0 = data.draw(st.integers(0, 50)), data.draw(st.integers(0, 50))
    bands = [min(band, rows - r) for r in range(0, rows, band)]
    dw = [r * d_row + d0 for r in bands]
    pw = [r * p_row + p0 for r in bands]
    start = data.draw(st.integers(0, 1000))
    end = fused_schedule(start, dw, pw)[0]
    span = fused_span_uniform(np.array([len(bands)]), np.array([dw[0]]), np.array([dw[-1]]), np.array([pw[0]]),
                              np.array([pw[-1]]))
    assert end - start == int(span[0])


def test_array_formulas_agree_with_the_scalar_formulas():
    """The contract's formulas on arrays of splits give, element by element, their values on one split."""
    rng = np.random.default_rng(3)
    depth = rng.integers(0, 300_000, 2000)
    width = rng.integers(0, 700, 2000)
    assert bram36_blocks(depth, width).tolist() == [bram36_blocks(int(d), int(w)) for d, w in zip(depth, width)]
    assert uram_blocks(depth, width).tolist() == [uram_blocks(int(d), int(w)) for d, w in zip(depth, width)]
    cfgs = [EngineConfig(*map(int, rng.integers(1, 40, 4))) for _ in range(300)]
    mnet = Network(get_model("mobilenet_v1", alpha=0.25, resolution=128))
    arr = EngineArrays(*(np.array([getattr(c, f) for c in cfgs]) for f in ("tin", "tout", "tc", "tk")))
    for wb in (4, 8, 13):
        bus = weight_bus_bits(arr, wb)
        assert bus.tolist() == [weight_bus_bits(c, wb) for c in cfgs]
        words = rng.integers(0, 50_000, len(cfgs))
        for bpc, lat in ((96.0, 30), (21.0, 20), (7.3, 45)):
            assert dma_cycles(words, bus, bpc, lat).tolist() == [
                dma_cycles(int(w), int(b), bpc, lat) for w, b in zip(words, bus)]
        for streamed in (False, True):  # the LUT model: maps on-chip, or all streamed in one-row bands
            tiles = {s.name: StepTiling(1, 1, streamed, streamed) for s in mnet.steps}
            limit = 0 if streamed else max(mnet.tensors)

            def luts(c, tiles=tiles, limit=limit):
                slots = buffer_slots(mnet.steps, tiles, c, True, limit, 8, wb)
                return lut_count(lut_inputs(mnet.steps, tiles, c, 8, wb, 1, True, [(n, d, k) for n, d, _, k in slots],
                                            "xcup"))
            assert luts(arr).tolist() == [luts(c) for c in cfgs]
    cap = rng.integers(1, 5000, len(cfgs))
    op = next(o for o in hwgen.compute_ops(get_model("mobilenet_v1", alpha=0.25, resolution=128)) if o.kind == "pw"
              and o.in_shape[2] == 128 and o.out_shape[2] == 128)
    step = Step((op,), 3)
    got = weight_tiles(step, cap, arr)
    assert got.tolist() == [weight_tiles(step, int(k), c) for k, c in zip(cap, cfgs)]


def test_place_blocks_on_arrays_agrees_with_place_buffers_per_plan():
    rng = np.random.default_rng(5)
    board = get_board("kv260")
    n = 400
    depths = [rng.integers(0, 200_000, n) for _ in range(6)]
    widths = [rng.integers(1, 600, n) for _ in range(6)]
    names = ["fmap_a", "in_band", "pw_weights_2x", "dw_pw_pingpong", "pw_bias", "out_band"]
    blocks, in_uram = place_blocks(names, depths, widths, board)
    for j in range(n):
        bufs = [Buffer(names[k], int(depths[k][j]), int(widths[k][j])) for k in range(6) if depths[k][j] > 0]
        placed = {b.name: b for b in place_buffers(bufs, board)}
        for k in range(6):
            b = placed.get(names[k])
            assert (int(blocks[k, j]), bool(in_uram[k, j])) == ((b.blocks, b.memory == "uram") if b else (0, False))


def test_buffer_slots_on_arrays_agree_with_plan_buffers_per_split():
    """The memory plan over arrays of splits, band heights and weight tiles (as explore and the mapper's fit
    check call it) is, split by split, ``plan_buffers`` of that split's tiling, and placed as
    ``place_buffers`` places it: all on-chip, weights in DRAM, maps above a limit streamed, every map streamed."""
    net = Network(get_model("mobilenet_v1", alpha=0.25, resolution=128))
    steps = net.steps
    rng = np.random.default_rng(11)
    splits = net.splits(48)
    splits = splits[rng.choice(len(splits), 150, replace=False)]
    lanes = EngineArrays(*(splits[:, i].astype(np.int64) for i in range(4)))
    n = len(splits)
    board = get_board("kv260")
    seen: set[str] = set()
    banks_seen: set[int] = set()
    for wdram, limit in ((False, max(net.tensors)), (True, max(net.tensors)), (True, sorted(net.tensors)[-3]),
                         (True, 0)):
        flags = fmap_flags(steps, limit)
        bands = [rng.choice(band_candidates(s.out_rows), n) for s in steps]
        wts = [rng.integers(1, 9, n) if s.pw_op is not None else np.ones(n, dtype=np.int64) for s in steps]
        tiles = {s.name: StepTiling(b, w, ind, outd) for s, b, w, (ind, outd) in zip(steps, bands, wts, flags)}
        for words in (None, plan_words(steps, lanes)):
            slots = buffer_slots(steps, tiles, lanes, wdram, limit, 8, 4, words)
            depths = [np.broadcast_to(d, n) for _, d, _, _ in slots]
            widths = [np.broadcast_to(w, n) for _, _, w, _ in slots]
            banks = [np.broadcast_to(nb, n) for *_, nb in slots]
            blocks, in_uram = place_blocks([name for name, *_ in slots], [d for _, d, _, _ in slots], [w for _, _, w, _ in slots], board,
                                           [nb for *_, nb in slots])
            for j in range(n):
                cfg = EngineConfig(*map(int, splits[j]))
                one = {s.name: StepTiling(int(b[j]), int(w[j]), ind, outd)
                       for s, b, w, (ind, outd) in zip(steps, bands, wts, flags)}
                want = place_buffers(plan_buffers(steps, one, cfg, wdram, limit, 8, 4), board)
                got = [Buffer(name, int(d[j]), int(w[j]), "uram" if in_uram[k, j] else "bram", int(blocks[k, j]),
                              int(nb[j])) for k, ((name, *_), d, w, nb) in enumerate(zip(slots, depths, widths, banks))
                       if d[j]]
                assert got == want, (wdram, limit, cfg)
                seen.update(b.name for b in want)
                banks_seen.update(b.banks for b in want)
    assert seen == {"fmap_a", "fmap_b", "in_band", "out_band", "dw_pw_pingpong", "pw_weights", "dw_weights",
                    "pw_weights_2x", "dw_weights_2x", "pw_bias", "dw_bias"}
    assert banks_seen == {1, 3, 9}  # splits of TK 1, 3 and 9 among the sample


# --- the fast path is the hardware model ------------------------------------------------------------------------

def test_fast_path_equals_estimate_on_sampled_points():
    """240 points, 80 from each closed-form path: cycles, DRAM bytes, BRAM36, URAM, on-chip bits, LUT and
    fits equal `hwgen estimate --split` exactly."""
    net = Network(get_model("mobilenet_v1", alpha=0.5, resolution=128))
    splits = net.splits(64)
    splits = splits[splits[:, 0] * splits[:, 1] + splits[:, 2] * splits[:, 3] >= 32]
    tables = SplitTables(net, splits)
    pool = {p: [] for p in PATHS[:3]}
    results = {}
    for board, (ab, wb) in itertools.product(("kv260", "zcu104"), ((8, 8), (8, 16))):
        combo = Combo(ab, wb, board, 200.0)
        r = evaluate(tables, combo, exact=False)
        results[combo] = r
        for i in range(len(splits)):
            if r.path[i] < 3:
                pool[PATHS[r.path[i]]].append((combo, i))
    rng = np.random.default_rng(13)
    checked = 0
    for path, items in pool.items():
        assert len(items) >= 80, (path, len(items))
        for k in rng.choice(len(items), 80, replace=False):
            combo, i = items[k]
            r = results[combo]
            cfg = EngineConfig(*map(int, splits[i]))
            est = build(net.graph, HwConfig(pe=cfg.pe, board=combo.board, act_bits=combo.act_bits,
                                            weight_bits=combo.weight_bits, split=cfg)).estimate()
            got = (int(r.cycles[i]), int(r.dram_bytes[i]), int(r.bram36[i]), int(r.uram[i]), int(r.onchip_bits[i]),
                   int(r.lut[i]), int(r.dsp[i]), bool(r.weights_in_dram[i]), bool(r.fits[i]))
            want = (est.total_cycles, est.dram_bytes, est.bram36, est.uram, est.onchip_bits, est.lut, est.dsp,
                    est.mapping.weights_in_dram, est.fits)
            assert got == want, (path, combo, cfg)
            checked += 1
    assert checked == 240


def test_fast_path_equals_estimate_with_weight_words_wider_than_the_bus():
    """Splits of up to 1,024 PEs whose widest weight word exceeds the 1,024-bit weight bus (words back to back
    across beats, hw.load_beats): 4 points of each closed-form path equal `hwgen estimate --split` exactly."""
    net = Network(get_model("mobilenet_v1", alpha=0.5, resolution=128))
    splits = net.splits(1024)
    splits = splits[np.maximum(splits[:, 0] * splits[:, 1], splits[:, 2] * splits[:, 3]) * 8 > 1024]
    splits = splits[np.random.default_rng(5).choice(len(splits), 200, replace=False)]
    tables = SplitTables(net, splits)
    pool = {p: [] for p in PATHS[:3]}
    results = {}
    for board in ("ultra96", "kv260", "zcu104"):
        combo = Combo(8, 8, board, 200.0)
        results[combo] = r = evaluate(tables, combo, exact=False)
        for i in range(len(splits)):
            if r.path[i] < 3:
                pool[PATHS[r.path[i]]].append((combo, i))
    rng = np.random.default_rng(5)
    for path, items in pool.items():
        assert len(items) >= 4, (path, len(items))
        for k in rng.choice(len(items), 4, replace=False):
            combo, i = items[k]
            r = results[combo]
            cfg = EngineConfig(*map(int, splits[i]))
            est = build(net.graph, HwConfig(pe=cfg.pe, board=combo.board, split=cfg)).estimate()
            got = (int(r.cycles[i]), int(r.dram_bytes[i]), bool(r.weights_in_dram[i]), bool(r.fits[i]))
            assert got == (est.total_cycles, est.dram_bytes, est.mapping.weights_in_dram, est.fits), (path, combo, cfg)


def test_stream_path_equals_estimate_on_sampled_points():
    """120 points whose feature maps stream from DRAM (band loads and stores contending with weight loads on the
    channel), 60 from each of two spaces: cycles, DRAM bytes, BRAM36, URAM, on-chip bits, LUT, DSP, the memory
    plan and fits equal `hwgen estimate --split` exactly. With the closed-form test: 360 sampled points."""
    rng = np.random.default_rng(17)
    checked = 0
    for alpha, res, board in ((0.5, 128, "pynq-z2"), (0.25, 224, "ultra96")):
        net = Network(get_model("mobilenet_v1", alpha=alpha, resolution=res))
        splits = net.splits(32)
        splits = splits[splits[:, 0] * splits[:, 1] + splits[:, 2] * splits[:, 3] >= 24]
        combo = Combo(16, 16, board, 100.0)
        r = evaluate(SplitTables(net, splits), combo, exact=False)
        stream = np.flatnonzero(r.path == PATHS.index("stream"))
        assert len(stream) >= 200 and r.fmaps_in_dram[stream].all()
        assert not (r.path == PATHS.index("exact")).any()  # none left to the per-point simulator
        for i in rng.choice(stream, 60, replace=False):
            cfg = EngineConfig(*map(int, splits[i]))
            est = build(net.graph, HwConfig(pe=cfg.pe, board=board, clock_mhz=100.0, act_bits=16, weight_bits=16,
                                            split=cfg)).estimate()
            got = (int(r.cycles[i]), int(r.dram_bytes[i]), int(r.bram36[i]), int(r.uram[i]), int(r.onchip_bits[i]),
                   int(r.lut[i]), int(r.dsp[i]), bool(r.weights_in_dram[i]), bool(r.fmaps_in_dram[i]), bool(r.fits[i]))
            want = (est.total_cycles, est.dram_bytes, est.bram36, est.uram, est.onchip_bits, est.lut, est.dsp,
                    est.mapping.weights_in_dram, est.mapping.fmaps_in_dram, est.fits)
            assert got == want, (board, cfg)
            checked += 1
    assert checked == 120


def test_stream_path_with_the_input_in_dram_equals_the_mappers_trace():
    """MobileNet v1 1.0-320 on the pynq-z2 at <= 16 PEs: every point streams its maps and stores the network
    input in DRAM (320 x 320 x 3 above every fmap limit), written as it streams in, one burst per write, a number
    that depends on the split's feature word (hw.schedule); explore's grouped array walk gives each sampled point
    the mapper's cycles and DRAM bytes exactly."""
    graph = get_model("mobilenet_v1", alpha=1.0, resolution=320)
    net = Network(graph)
    splits = net.splits(16)
    splits = splits[(splits[:, 0] * splits[:, 1] + splits[:, 2] * splits[:, 3] >= 12)][::8]
    r = evaluate(SplitTables(net, splits), Combo(8, 8, "pynq-z2", 100.0), exact=False)
    assert (r.path == PATHS.index("stream")).all()
    words = set()
    for i in range(0, len(splits), 4):
        cfg = EngineConfig(*map(int, splits[i]))
        m = map_network(net.ops, cfg.pe, "pynq-z2", split=cfg, clock_mhz=100.0)
        assert input_in_dram(m.steps, m.fmap_limit)
        tr = m.trace()
        words.add(feature_word(cfg, 3))
        assert (int(r.cycles[i]), int(r.dram_bytes[i])) == (tr.total_cycles, tr.dram_bytes), cfg
    assert len(words) > 1  # splits with different input write counts


def test_points_no_plan_fits_get_plan_memorys_last_attempt():
    """When no plan fits, plan_memory returns its last attempt (every map streamed, one-row bands, the floor
    cap); the stream path gives those points the same, kept and marked as not fitting."""
    net = Network(get_model("mobilenet_v1", alpha=0.5, resolution=128))
    splits = net.splits(256)
    splits = splits[np.isin(splits[:, 0] * splits[:, 1] + splits[:, 2] * splits[:, 3], range(32, 257, 32))]
    r = evaluate(SplitTables(net, splits), Combo(8, 8, "kv260", get_board("kv260").clock_mhz), exact=False)
    board = get_board("kv260")
    unfit = np.flatnonzero((r.path == PATHS.index("stream")) & ~((r.bram36 <= board.bram36) & (r.uram <= board.uram)))
    assert len(unfit) == 277 and not r.fits[unfit].any() and not (r.path == PATHS.index("exact")).any()
    for i in unfit[::23]:  # 13 of them, spread over the splits
        cfg = EngineConfig(*map(int, splits[i]))
        est = build(net.graph, HwConfig(pe=cfg.pe, board="kv260", split=cfg)).estimate()
        assert (int(r.cycles[i]), int(r.dram_bytes[i]), int(r.bram36[i]), int(r.uram[i]), int(r.onchip_bits[i]),
                int(r.lut[i]), bool(r.fits[i])) == (est.total_cycles, est.dram_bytes, est.bram36, est.uram,
                                                   est.onchip_bits, est.lut, est.fits)


def _streaming_mappings(n: int):
    """Mappings with feature maps in DRAM (MobileNet 0.5-128 on pynq-z2, 16-bit) grouped by equal tilings."""
    from hwgen.hw.steps import weight_tile_channels

    net = Network(get_model("mobilenet_v1", alpha=0.5, resolution=128))
    splits = net.splits(32)
    splits = splits[splits[:, 0] * splits[:, 1] + splits[:, 2] * splits[:, 3] >= 28][:n]
    groups: dict = {}
    for row in splits:
        cfg = EngineConfig(*map(int, row))
        m = build(net.graph, HwConfig(pe=cfg.pe, board="pynq-z2", act_bits=16, weight_bits=16, split=cfg)).mapping
        key = (tuple(sorted(m.tiles.items())), tuple(len(weight_tile_channels(s.pw_op, m.tiles[s.name].weight_tiles, cfg))
                                                     for s in m.steps if s.pw_op is not None),
               sum(t[0] == "i" for t in m.trace().transfers))  # an array walk needs one input write count
        groups.setdefault(key, []).append(m)
    return groups


def _walk_many(ms):
    from hwgen.hw.schedule import run_schedule
    from hwgen.mapping.plan import input_in_dram

    m0 = ms[0]
    cfg = EngineArrays(*(np.array([getattr(m.cfg, f) for m in ms], dtype=np.int64) for f in ("tin", "tout", "tc", "tk")))
    return run_schedule(m0.steps, m0.tiles, cfg, weights_in_dram=m0.weights_in_dram,
                        input_in_dram=input_in_dram(m0.steps, m0.fmap_limit), act_bits=16, weight_bits=16,
                        bytes_per_cycle=m0.dram_bytes_per_cycle, latency=m0.dram_latency)


def test_array_schedule_equals_the_scalar_walk_per_split():
    """The simulator's array form (one walk for many splits with the same tiling) gives each split the scalar
    walk's total cycles, DRAM bytes, step ends and stalls."""
    groups = _streaming_mappings(60)
    assert sum(len(ms) for ms in groups.values()) == 60 and any(len(ms) > 1 for ms in groups.values())
    for ms in groups.values():
        tr = _walk_many(ms)
        for k, m in enumerate(ms):
            want = m.trace()
            assert int(tr.total_cycles[k]) == want.total_cycles and int(tr.dram_bytes[k]) == want.dram_bytes
            assert [int(st.done[k]) for st in tr.steps] == [st.done for st in want.steps]
            assert [(int(e.stall_dram[k]), int(e.stall_buffer[k])) for st in tr.steps for e in st.ops] == [
                (e.stall_dram, e.stall_buffer) for st in want.steps for e in st.ops]


def test_array_channel_queues_like_the_scalar_one_per_split():
    """Transfers issued out of time order, some empty: per split the array channel's completion times equal
    the scalar channel's (one in-order queue each)."""
    from hwgen.hw.schedule import DramChannel

    rng = np.random.default_rng(3)
    n, count = 300, 40
    ready = rng.integers(0, 4000, (count, n))
    beats = rng.integers(0, 30, (count, n))  # 0 moves nothing
    bus = rng.choice([32, 64, 256], n)
    arr = DramChannel(8.0, 30, n)
    got = np.stack([arr.transfer(ready[k], beats[k], bus) for k in range(count)])
    for j in range(n):
        one = DramChannel(8.0, 30)
        assert got[:, j].tolist() == [one.transfer(int(ready[k, j]), int(beats[k, j]), int(bus[j]))
                                      for k in range(count)], j


def test_point_rows_equal_the_estimate_report():
    """Every column of a points row is the estimate's value (floats from the same operations)."""
    ex = explore(ModelSpace("tiny_dsc4"), HwSpace(PeSet(8, 48), (8,), (8, 32), ("pynq-z2",), (150.0,)))
    rng = np.random.default_rng(2)
    for row in ex.points[rng.choice(len(ex.points), 25, replace=False)]:
        cfg = EngineConfig(int(row["tin"]), int(row["tout"]), int(row["tc"]), int(row["tk"]))
        est = build("tiny_dsc4", HwConfig(pe=cfg.pe, board="pynq-z2", clock_mhz=150.0, act_bits=8,
                                          weight_bits=int(row["weight_bits"]), split=cfg)).estimate()
        assert int(row["pe"]) == cfg.pe and int(row["macs"]) == est.macs
        assert (float(row["latency_ms"]), float(row["fps"]), float(row["dram_gbps"])) == (
            est.latency_ms, est.fps, est.dram_gbps_needed)
        assert (int(row["dsp"]), int(row["lut"]), bool(row["fits"])) == (est.dsp, est.lut, est.fits)


# --- Pareto front --------------------------------------------------------------------------------------------------

def _brute_front(v: np.ndarray) -> np.ndarray:
    keep = []
    for i in range(len(v)):
        dominated = any(np.all(v[j] >= v[i]) and np.any(v[j] > v[i]) for j in range(len(v)) if j != i)
        keep.append(not dominated)
    return np.array(keep)


def test_pareto_hand_made_space_with_ties():
    # (fps, -dsp): maximise both.
    v = np.array([[10, -5], [10, -5],      # a tie: both kept
                  [12, -8], [9, -5],       # [9,-5] dominated by [10,-5]
                  [12, -9],                # dominated by [12,-8]
                  [15, -20], [15, -20.5],  # the second dominated
                  [1, -1]], dtype=float)
    assert pareto_mask(v).tolist() == [True, True, True, False, False, True, False, True]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 700), st.integers(1, 4), st.integers(0, 2**31))
def test_pareto_equals_brute_force(n, k, seed):
    rng = np.random.default_rng(seed)
    v = rng.integers(0, 6, (n, k)).astype(float)  # few values: many ties and duplicates
    if n > 150:
        v = v[:150]
    assert pareto_mask(v).tolist() == _brute_front(v).tolist()


# --- spaces ---------------------------------------------------------------------------------------------------------

def test_space_parsing():
    assert parse_alpha("0.3:1") == (0.5, 0.75, 1.0)
    assert parse_alpha("0.25:1:0.25") == (0.25, 0.5, 0.75, 1.0)
    assert parse_resolution("100:224") == (128, 160, 192, 224)
    assert parse_bits("--act-bits", "4:8:2") == (4, 6, 8)
    assert parse_bits("--act-bits", "8,4,8") == (4, 8)
    assert parse_pe("16:1024") == PeSet(16, 1024)
    assert parse_pe("64,128") == PeSet(64, 128, (64, 128))
    assert parse_pe("32:64:16") == PeSet(32, 64, (32, 48, 64))


def test_pe_axis_selects_the_mappers_splits_by_total():
    ex = hwgen.explore(hwgen.ModelSpace("tiny_dsc"), hwgen.HwSpace(PeSet(20, 24, (20, 24))))
    pe = ex.points["pe"]
    assert set(pe.tolist()) == {20, 24}
    assert (pe == ex.points["tin"] * ex.points["tout"] + ex.points["tc"] * ex.points["tk"]).all()
    net = Network(get_model("tiny_dsc"))
    cand = net.splits(24)
    total = cand[:, 0] * cand[:, 1] + cand[:, 2] * cand[:, 3]
    assert len(ex.points) == int(np.isin(total, (20, 24)).sum())


def test_accuracy_column_only_where_the_paper_reports_it():
    ex = explore(ModelSpace("mobilenet_v1", (0.25, 1.0), (128,)), HwSpace(PeSet(16, 16)))
    top1 = {float(a): set(ex.points["top1_paper"][ex.points["alpha"] == a].tolist()) for a in (0.25, 1.0)}
    assert top1[1.0] == {64.4}
    assert all(np.isnan(x) for x in top1[0.25])  # 0.25-128 is not in Tables 6-7


MNIST = "examples/mnist_dsc/mnist_dsc.onnx"
MNIST_DATA = "examples/mnist_dsc/test.npz"


def test_onnx_model_with_data_gets_the_measured_accuracy_once_per_bit_widths(monkeypatch):
    """The measured column is `hwgen quantize --data`'s fixed-point top-1 (docs/onnx.md's table: 8/8 479/500,
    4/4 359/500), one quantization per (act, weight) bits pair, shared by every hardware point of those bits."""
    pytest.importorskip("onnx")
    import hwgen.explore.accuracy as acc

    calls = []
    real = acc.quantize
    monkeypatch.setattr(acc, "quantize", lambda g, wb, ab, calib: calls.append((ab, wb)) or real(g, wb, ab, calib))
    ex = explore(ModelSpace(MNIST, data=MNIST_DATA), HwSpace(PeSet(8, 24), (4, 8), (4, 8), ("zcu104", "pynq-z2")))
    assert sorted(calls) == [(4, 4), (4, 8), (8, 4), (8, 8)]
    pts = ex.points
    measured = {(int(a), int(w)): set(pts["top1_measured"][(pts["act_bits"] == a) & (pts["weight_bits"] == w)].tolist())
                for a, w in calls}
    assert measured[(8, 8)] == {100 * 479 / 500} and measured[(4, 4)] == {100 * 359 / 500}
    assert all(len(v) == 1 for v in measured.values())
    assert np.isnan(pts["top1_paper"]).all() and np.isnan(pts["alpha"]).all()
    assert set(pts["model"].tolist()) == {"mnist_dsc"} and set(pts["resolution"].tolist()) == {28}
    # the hardware metrics of the imported model are the estimate's
    rng = np.random.default_rng(5)
    graph = hwgen.models.load_model(MNIST)
    for row in pts[rng.choice(len(pts), 12, replace=False)]:
        cfg = EngineConfig(int(row["tin"]), int(row["tout"]), int(row["tc"]), int(row["tk"]))
        est = build(graph, HwConfig(pe=cfg.pe, board=str(row["board"]), act_bits=int(row["act_bits"]),
                                    weight_bits=int(row["weight_bits"]), split=cfg)).estimate()
        assert (int(row["cycles"]), int(row["bram36"]), int(row["dram_bytes"]), bool(row["fits"])) == (
            est.total_cycles, est.bram36, est.dram_bytes, est.fits)
    # a zoo model (seeded random weights) or no --data: no measured accuracy
    assert np.isnan(explore(ModelSpace(MNIST), HwSpace(PeSet(8, 12))).points["top1_measured"]).all()


def test_cli_onnx_model_with_data_writes_the_measured_column(tmp_path):
    pytest.importorskip("onnx")
    out = tmp_path / "m"
    r = _run(["explore", MNIST, "--data", MNIST_DATA, "--pe", "8:16", "--act-bits", "8", "--weight-bits", "4,8",
              "--objective", "fps,dsp,top1_measured", "--no-plots", "-o", str(out)])
    assert r.returncode == 0, r.stderr
    lines = (out / "points.csv").read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("top1_measured")
    values = {(row.split(",")[header.index("weight_bits")], row.split(",")[col]) for row in lines[1:]}
    assert values == {("8", "95.8"), ("4", "94.8")}


# --- command line ---------------------------------------------------------------------------------------------------

SMALL = ["tiny_dsc4", "--pe", "8:64", "--act-bits", "8,32", "--weight-bits", "32", "--board", "zcu104,pynq-z2",
         "--no-plots"]


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(HWGEN + args, capture_output=True, text=True, **kw)


def test_cli_is_deterministic_and_jobs_do_not_change_the_result(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ra = _run(["explore", *SMALL, "-o", str(a)])
    assert ra.returncode == 0, ra.stderr
    rb = _run(["explore", *SMALL, "--jobs", "2", "-o", str(b)])
    assert rb.returncode == 0, rb.stderr
    for name in ("points.csv", "pareto.csv", "best_per_board.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    lines = (a / "points.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["model", "alpha", "resolution"] and "fits" in header and "dram_gbps" in header
    fits = [row.split(",")[header.index("fits")] for row in lines[1:]]
    assert "false" in fits and "true" in fits  # points that do not fit are kept and marked
    assert "Pareto front" in ra.stdout and "best point per board" in ra.stdout


def test_dask_local_cluster_gives_the_identical_points_csv(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from hwgen.explore import report

    ms, hw = ModelSpace("tiny_dsc4"), HwSpace(PeSet(8, 40), (4, 8), (8,), ("zcu104", "pynq-z2"))
    local = explore(ms, hw)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        remote = explore(ms, hw, scheduler=cluster.scheduler_address)
    assert report.to_csv(remote.points) == report.to_csv(local.points)
    assert report.to_csv(remote.pareto) == report.to_csv(local.pareto)


@pytest.mark.parametrize("args, flag", [
    (["--pe", ""], "--pe"),
    (["--pe", "64:16"], "--pe"),
    (["--pe", "-4:16"], "--pe"),
    (["--alpha", "0.1:0.2"], "--alpha"),
    (["--resolution", "100"], "--resolution"),
    (["--act-bits", "1:8"], "--act-bits"),
    (["--weight-bits", "8:4"], "--weight-bits"),
    (["--board", "zcu105"], "--board"),
    (["--clock-mhz", "100:300"], "--clock-mhz"),
    (["--objective", "fps,dps"], "--objective"),
    (["--data", "examples/mnist_dsc/test.npz"], "--data"),
    (["--input-shape", "8x8x1"], "--input-shape"),
])
def test_bad_space_is_one_line_exit_2_and_no_outdir(tmp_path, monkeypatch, capsys, args, flag):
    _assert_one_line_exit_2(tmp_path, monkeypatch, capsys, ["tiny_dsc", *args], flag)


@pytest.mark.parametrize("args, names", [
    (["--alpha", "0.5"], "--alpha"),
    (["--data", "missing.npz"], "missing.npz"),
])
def test_bad_onnx_space_is_one_line_exit_2_and_no_outdir(tmp_path, monkeypatch, capsys, args, names):
    pytest.importorskip("onnx")
    _assert_one_line_exit_2(tmp_path, monkeypatch, capsys, [MNIST, "--pe", "8:12", *args], names)


def _assert_one_line_exit_2(tmp_path, monkeypatch, capsys, args: list[str], named: str) -> None:
    """`hwgen explore ARGS -o OUT` fails in one line naming ``named``, exit 2, and leaves nothing behind."""
    from hwgen.cli import main

    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["hwgen", "explore", *args, "-o", str(out)])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_index_html_renders_in_headless_chromium(tmp_path):
    """The report opened in a real browser: the screenshot must show the page (not a blank or error)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium not installed")
    out = tmp_path / "ex"
    r = _run(["explore", "tiny_dsc4", "--pe", "8:24", "--board", "zcu104,pynq-z2", "-o", str(out)])
    assert r.returncode == 0, r.stderr
    html = (out / "index.html").read_text()
    assert html.count("<img ") == 4 and "Pareto front" in html
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,1400",
                    (out / "index.html").as_uri()], capture_output=True, timeout=120)
    assert shot.exists()
    matplotlib = pytest.importorskip("matplotlib.image")
    img = matplotlib.imread(str(shot))
    # The plots are there: many distinct colours, not a blank page.
    assert img.shape[0] >= 1000 and len(np.unique((img[..., :3] * 255).astype(int).reshape(-1, 3), axis=0)) > 200
