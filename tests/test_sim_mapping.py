"""Mapper: split search, bounds, monotonicity in PEs and bandwidth, memory plans."""
from __future__ import annotations

import numpy as np
import pytest

from hwgen.errors import HwgenError
from hwgen.estimate import simulate
from hwgen.hw.contract import EngineConfig, weight_bus_bits
from hwgen.hw.steps import bands_of, schedule_steps, weight_words
from hwgen.ir.ops import compute_ops
from hwgen.mapping.plan import parse_split, tk_choices
from hwgen.mapping.search import candidate_splits, lower_bounds, map_network
from hwgen.models.zoo import get_model, mobilenet_v1


@pytest.fixture(scope="module")
def small_mobilenet():
    return compute_ops(mobilenet_v1(alpha=0.25, resolution=128))


def test_band_rows_keyed_by_fused_dw_ops():
    ops = compute_ops(get_model("tiny_dsc"))
    m = map_network(ops, 32, "zcu104")
    assert sorted(m.band_rows) == ["conv_dw_1", "conv_dw_2", "conv_dw_3"]
    assert m.cfg.pe <= 32 and m.cfg.tk in (1, 3, 9)
    assert not m.weights_in_dram and not m.fmaps_in_dram and m.memory_fits


@pytest.mark.parametrize("model", ["tiny_dsc", "tiny_odd"])
def test_more_pes_never_slower_tiny(model):
    ops = compute_ops(get_model(model))
    cycles = [simulate(ops, map_network(ops, pe, "zcu104")).total_cycles for pe in range(2, 80, 3)]
    assert all(b <= a for a, b in zip(cycles, cycles[1:])), cycles


@pytest.mark.parametrize("board", ["zcu104", "pynq-z2"])
def test_more_pes_never_slower_mobilenet(small_mobilenet, board):
    cycles = [map_network(small_mobilenet, pe, board).trace().total_cycles for pe in (8, 16, 32, 64, 128, 256)]
    assert all(b <= a for a, b in zip(cycles, cycles[1:])), cycles


def test_more_bandwidth_never_slower():
    ops = compute_ops(mobilenet_v1(alpha=0.5, resolution=160))
    cycles = [map_network(ops, 64, "pynq-z2", dram_gbps=g).trace().total_cycles for g in (0.05, 0.2, 0.8, 2.1, 8.0)]
    assert all(b <= a for a, b in zip(cycles, cycles[1:])), cycles
    assert cycles[0] > cycles[-1]  # starved of bandwidth it is memory-bound


def test_memory_bound_layers_show_dram_stalls():
    ops = compute_ops(get_model("mobilenet_v1"))
    est = simulate(ops, map_network(ops, 64, "pynq-z2", dram_gbps=0.1))
    assert est.mapping.fmaps_in_dram
    streamed = [x for x in est.layers if est.mapping.tiles[x.step].in_dram and x.name == x.step]
    assert streamed and all(x.stall_dram > 0 for x in streamed)
    assert sum(x.stall_dram for x in est.layers) > 0.2 * est.total_cycles


@pytest.mark.parametrize("model,pe", [("tiny_dsc", 16), ("tiny_dsc4", 64), ("tiny_odd", 200)])
def test_ratio_at_least_one(model, pe):
    ops = compute_ops(get_model(model))
    est = simulate(ops, map_network(ops, pe, "kv260"))
    assert est.ratio >= 1.0 and est.total_cycles >= est.macs / est.pe


def test_ratio_mobilenet_64(small_mobilenet):
    est = simulate(small_mobilenet, map_network(small_mobilenet, 64, "zcu104"))
    assert 1.0 <= est.ratio < 1.6


def test_lower_bound_never_exceeds_simulation(small_mobilenet):
    steps = schedule_steps(small_mobilenet)
    cand = candidate_splits(steps, 48, tk_choices(steps))
    assert (cand[:, 0] * cand[:, 1] + cand[:, 2] * cand[:, 3] <= 48).all()
    lb = lower_bounds(steps, cand)
    rng = np.random.default_rng(0)
    for i in rng.choice(len(cand), 12, replace=False):
        cfg = EngineConfig(*(int(x) for x in cand[i]))
        m = map_network(small_mobilenet, 48, "zcu104", split=cfg)
        assert lb[i] <= m.trace().total_cycles


def test_search_matches_best_forced_split(small_mobilenet):
    best = map_network(small_mobilenet, 32, "zcu104")
    t = best.trace().total_cycles
    for split in ("4x6,2x1", "5x5,7x1", "3x9,1x3", "2x8,16x1"):
        assert map_network(small_mobilenet, 32, "zcu104", split=split).trace().total_cycles >= t


def test_weight_tiles_when_weights_do_not_fit():
    ops = compute_ops(get_model("mobilenet_v1"))
    m = map_network(ops, 64, "zcu104")
    assert m.weights_in_dram and not m.fmaps_in_dram and m.memory_fits
    assert max(t.weight_tiles for t in m.tiles.values()) > 1
    assert m.bram36 <= 312 and m.uram <= 96
    # Tiled layers re-load their weights for every row band (loop order: band, then weight tile); the
    # DRAM moves the engines' zero-padded weight blocks, one beat of the weight bus each.
    beat = weight_bus_bits(m.cfg, 8) // 8
    expected = 0
    for s in schedule_steps(ops):
        t = m.tiles[s.name]
        reloads = len(bands_of(s, t)) if t.weight_tiles > 1 else 1
        expected += sum(weight_words(op, m.cfg, s.dw_kernel) * beat * (reloads if op is s.pw_op else 1) for op in s.ops)
    est = simulate(ops, m)
    assert est.dram_read == expected and est.dram_write == 0


def test_pe_budget_above_dsps_is_clamped():
    ops = compute_ops(get_model("tiny_dsc"))
    m = map_network(ops, 5000, "pynq-z2")
    assert m.cfg.pe <= 220 and m.pe_budget == 5000 and not m.warnings


@pytest.mark.parametrize("text,cfg", [("8x7,8x1", (8, 7, 8, 1)), (" 2X3 , 4x9 ", (2, 3, 4, 9))])
def test_parse_split(text, cfg):
    c = parse_split(text)
    assert (c.tin, c.tout, c.tc, c.tk) == cfg


@pytest.mark.parametrize("kwargs,match", [
    (dict(pe=1), "--pe"), (dict(pe=0), "--pe"), (dict(board="vc707"), "unknown board"),
    (dict(clock_mhz=0), "--clock-mhz"), (dict(act_bits=1), "--act-bits"), (dict(weight_bits=33), "--weight-bits"),
    (dict(split="8x7"), "malformed --split"), (dict(split="8x8,8x1"), "more than --pe"),
    (dict(split="4x4,4x2"), "tk must be one of"), (dict(dram_gbps=-1.0), "--dram-gbps"),
])
def test_bad_input(kwargs, match):
    ops = compute_ops(get_model("tiny_dsc"))
    args = dict(pe=64, board="zcu104") | kwargs
    with pytest.raises(HwgenError, match=match):
        map_network(ops, args.pop("pe"), args.pop("board"), **args)
