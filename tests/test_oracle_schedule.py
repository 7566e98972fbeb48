"""Independent oracle for the cycle formulas and the network schedule (hwgen/hw/contract.py docstring).

Two kinds of check, neither calling the functions that implement the contract:

* small schedules written out by hand, tile by tile (start, end), from the contract's rules;
* a cycle-stepped reference: every engine tile's iterations are counted by enumerating its loops
  (pixel, output group, input group / channel group, tap group), and a clock advances one cycle at a
  time, starting each engine's next tile on the first cycle all its waits are over. The simulator
  instead computes start times in closed form (max of events), so the two only agree if both follow
  the written rules.

The rules, as the docstring states them: a tile of I iterations takes I + depth cycles (PW 4, DW 4,
pool 3); a start that waits on an event happens HANDOFF = 1 cycle after it; the input takes H*W beats
(cycle 0 = first beat); each step starts after the previous one is done; in a fused DW->PW pair, DW band
i waits for DW band i-1 and for PW band i-2 (its ping-pong half), PW band i for DW band i and PW band
i-1; the output starts after the last step, one beat per element. Weights in DRAM: the first load is
issued at cycle HANDOFF, step k+1's load when step k starts; a load of B bytes in beats of b bytes takes
latency + ceil(B / min(bytes per cycle, b)) cycles, and a step also waits for its load.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwgen.estimate import simulate
from hwgen.hw.schedule import run_schedule
from hwgen.hw.steps import StepTiling, schedule_steps
from hwgen.hw import contract as hw
from hwgen.ir.layers import BatchNorm, DepthwiseConv2D, PointwiseConv2D, ReLU6
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model, mobilenet_v1
from nets import chain_ops

# The contract's constants, as its docstring states them (not imported: a changed constant must fail here).
HANDOFF, PW_DEPTH, DW_DEPTH, POOL_DEPTH = 1, 4, 4, 3


def test_two_band_fused_pair_on_2x2_pw_array_by_hand():
    # 4x4x4 input -> 3x3 depthwise (s1) -> BN, ReLU6 -> 1x1 to 8 channels, on PW 2x2 and DW 2 lanes x 3 taps,
    # bands of 2 rows (2 bands of 2*4 = 8 output pixels).
    ops = chain_ops((4, 4, 4), DepthwiseConv2D(kernel=3, stride=1), BatchNorm(), ReLU6(), PointwiseConv2D(filters=8))
    m = map_network(ops, 10, "zcu104", split="2x2,2x3", band_rows=2)
    assert not m.weights_in_dram and not m.fmaps_in_dram
    # DW band: 8 px * 2 channel groups (4/2) * 3 tap groups (9/3) = 48 iterations + DW_DEPTH 4 = 52 cycles.
    # PW band: 8 px * 4 output groups (8/2) * 2 input groups (4/2) = 64 iterations + PW_DEPTH 4 = 68 cycles.
    # input beats 0..15, done at 16; the step starts at 16 + 1 = 17.
    #   DW0 [17, 69)
    #   PW0 [70, 138)   DW0 done at 69 + HANDOFF
    #   DW1 [70, 122)   DW engine free at 69 + HANDOFF; half 1 is empty (no band i-2 yet)
    #   PW1 [139, 207)  PW0 done at 138 + HANDOFF (DW1 was done at 122: no stall)
    # output from 207 + 1 = 208, 4*4*8 = 128 beats: the last beat is cycle 335, total 336.
    est = simulate(ops, m)
    assert est.total_cycles == 336
    dw, pw = est.layers
    assert (dw.busy, pw.busy) == (2 * 52, 2 * 68)
    assert (dw.stall_buffer, pw.stall_buffer, dw.stall_dram, pw.stall_dram) == (0, 0, 0, 0)
    assert dw.cycles + pw.cycles == 207 - 16 and pw.cycles == 207 - 70  # the span split at PW0's start
    assert hw.fused_schedule(17, [52, 52], [68, 68]) == (207, 0, 0)


def test_three_band_fused_pair_dw_waits_for_its_half_by_hand():
    # Same pair on a 1x1 PW array, DW 4 lanes x 9 taps, 1-row bands (4 px), 4 bands.
    ops = chain_ops((4, 4, 4), DepthwiseConv2D(kernel=3, stride=1), BatchNorm(), ReLU6(), PointwiseConv2D(filters=8))
    m = map_network(ops, 37, "zcu104", split="1x1,4x9", band_rows=1)
    # DW band: 4 px * 1 * 1 = 4 + 4 = 8 cycles; PW band: 4 px * 8 * 4 = 128 + 4 = 132 cycles.
    #   DW0 [17, 25)    PW0 [26, 158)
    #   DW1 [26, 34)    PW1 [159, 291)
    #   DW2 waits for PW0 (half 0) done at 158: [159, 167), stall 159 - 35 = 124
    #   PW2 [292, 424)
    #   DW3 waits for PW1 done at 291: [292, 300), stall 292 - 168 = 124
    #   PW3 [425, 557)
    # output 558 + 128 = 686.
    est = simulate(ops, m)
    assert est.total_cycles == 686
    dw, pw = est.layers
    assert (dw.busy, pw.busy, dw.stall_buffer, pw.stall_buffer) == (4 * 8, 4 * 132, 248, 0)
    assert hw.fused_schedule(17, [8] * 4, [132] * 4) == (557, 248, 0)


def test_lone_ops_and_weight_load_by_hand():
    # 6x6x5 -> 1x1 to 7 -> 3x3 dw s2 (out 3x3): a pw before a dw, so neither is fused (each a lone tile).
    ops = chain_ops((6, 6, 5), PointwiseConv2D(filters=7), DepthwiseConv2D(kernel=3, stride=2))
    assert [o.kind for o in ops] == ["pw", "dw"]
    m = map_network(ops, 12, "zcu104", split="3x2,2x3", weights_in_dram=True, dram_gbps=0.4)
    # 0.4 GB/s at 200 MHz = 2 bytes/cycle, latency 30; bus: max(3*2, 2*3) * 8 = 48 bits -> 64-bit beats (8 bytes).
    assert (m.dram_bytes_per_cycle, m.dram_latency) == (2.0, 30)
    # PW weights: ceil(5/3) * ceil(7/2) = 2 * 4 = 8 words = 64 bytes: load [1, 1 + 30 + 32 = 63).
    # DW weights: ceil(7/2) * ceil(9/3) = 4 * 3 = 12 words = 96 bytes.
    # PW: waits for max(input done 36, load 63) + 1 = 64; 36 px * 4 * 2 = 288 + 4 = 292 -> [64, 356).
    #   the DW load is issued at 64: 64 + 30 + 48 = 142, done before the PW layer.
    # DW: 357; 9 px * 4 * 3 = 108 + 4 = 112 -> [357, 469). Output 470 + 3*3*7 = 63 beats -> 533.
    est = simulate(ops, m)
    assert est.total_cycles == 533
    assert est.layers[0].stall_dram == 63 - 36 and est.layers[1].stall_dram == 0
    assert est.dram_read == 64 + 96


# ---- the cycle-stepped reference -------------------------------------------------------------------------


@dataclass
class Tile:
    engine: str
    cycles: int
    deps: list = field(default_factory=list)  # (tile, "start" | "end", lag)
    not_before: int = 0
    start: int | None = None

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + self.cycles


def _loops(*extents_and_steps: tuple[int, int]) -> int:
    """Iterations of nested loops ``for v in range(0, extent, step)``, counted by running them."""
    n = 0
    if not extents_and_steps:
        return 1
    (extent, step), rest = extents_and_steps[0], extents_and_steps[1:]
    inner = _loops(*rest)
    for _ in range(0, extent, step):
        n += inner
    return n


def _pw_tile(pixels: int, m: int, n: int, cfg, rows: int = 1) -> int:
    """``m`` inputs in ``rows`` runs (a conv's, :func:`_conv_runs`), each run of m/rows inputs in groups of tin."""
    return _loops((pixels, 1), (n, cfg.tout), (rows, 1), (m // rows, cfg.tin)) + PW_DEPTH


def _conv_runs(op: ComputeOp, cfg) -> int:
    """A conv's im2col runs: its whole window when the maps are banked so that every window pixel has its own
    bank (the nets here have 3x3 depthwise layers; tk > 3 taps bank the maps 3 x 3), else its K kernel rows."""
    return 1 if cfg.tk > 3 >= op.kernel else op.kernel


def _dot_loops(op: ComputeOp, cfg) -> list[tuple[int, int]]:
    """The input loops of a PW-engine op: a conv's runs (:func:`_conv_runs`) of K*K*Cin inputs in all, else
    one row of Cin."""
    if op.kind == "conv":
        r = _conv_runs(op, cfg)
        return [(r, 1), (op.kernel * op.kernel * op.in_shape[2] // r, cfg.tin)]
    return [(op.in_shape[2], cfg.tin)]


def _dw_tile(pixels: int, c: int, k: int, cfg) -> int:
    return _loops((pixels, 1), (c, cfg.tc), (k * k, cfg.tk)) + DW_DEPTH


def _words(op: ComputeOp, cfg) -> int:
    if op.kind == "pool":
        return 0
    if op.kind == "dw":
        return _loops((op.out_shape[2], cfg.tc), (op.kernel * op.kernel, cfg.tk))
    return _loops(*_dot_loops(op, cfg), (op.out_shape[2], cfg.tout))


def _groups(ops: list[ComputeOp]) -> list[tuple[ComputeOp, ...]]:
    """Schedule steps: a dw directly followed by the pw that reads it runs fused."""
    groups: list[tuple[ComputeOp, ...]] = []
    i = 0
    while i < len(ops):
        if ops[i].kind == "dw" and i + 1 < len(ops) and ops[i + 1].kind == "pw" \
                and ops[i + 1].in_shape == ops[i].out_shape:
            groups.append((ops[i], ops[i + 1]))
            i += 2
        else:
            groups.append((ops[i],))
            i += 1
    return groups


def _pw_engine_tile(op: ComputeOp, rows: int, channels: int, cfg) -> int:
    """A PW-engine tile of ``rows`` output rows and ``channels`` outputs (pool and dw: the whole op / band)."""
    h, w, c = op.in_shape
    wo = op.out_shape[1]
    if op.kind == "conv":  # im2col: dot over the conv's runs of K*K*Cin
        return _pw_tile(rows * wo, op.kernel * op.kernel * c, channels, cfg, _conv_runs(op, cfg))
    if op.kind == "pw":
        return _pw_tile(rows * wo, c, channels, cfg)
    if op.kind == "fc":
        return _pw_tile(1, c, channels, cfg)
    if op.kind == "pool":  # tin adders over every input pixel
        return _loops((h * w, 1), (c, cfg.tin)) + POOL_DEPTH
    return _dw_tile(rows * wo, op.out_shape[2], op.kernel, cfg)


def reference_cycles(ops: list[ComputeOp], cfg, tiles: dict | None = None, dram=None) -> int:
    """Total cycles of the network schedule on a clock; ``tiles`` maps a step's first op to its StepTiling
    (band rows, weight tiles; feature maps on-chip), ``dram`` = (bytes/cycle, latency, weight bits) when
    weights are in DRAM. Weight tiles follow the schedule docstring: output-channel tiles of whole tout
    groups, loaded one after another (band, then tile), the DW weights with the first."""
    tiles = tiles or {}
    steps: list[list[Tile]] = []
    loads: list[tuple[int, Tile, list[Tile]]] = []  # (words, consumer, tiles that also wait for it)
    for g in _groups(ops):
        first, last = g[0], g[-1]
        t = tiles.get(first.name)
        rows = last.out_shape[0]
        br = t.band_rows if t is not None and last.kind not in ("pool", "fc") else rows
        wtiles = t.weight_tiles if t is not None and dram is not None and last.kind in ("conv", "pw", "fc") else 1
        n = last.out_shape[2]
        size = -(-_loops((n, cfg.tout)) // wtiles) * cfg.tout
        chans = [min(size, n - c0) for c0 in range(0, n, size)]
        step: list[Tile] = []
        dws: list[Tile] = []
        pw_bands: list[list[Tile]] = []
        for r0 in range(0, rows, br):
            r = min(r0 + br, rows) - r0
            dt = None
            if len(g) == 2:
                dt = Tile("dw", _dw_tile(r * first.out_shape[1], first.out_shape[2], first.kernel, cfg))
                if dws:
                    dt.deps.append((dws[-1], "end", HANDOFF))
                if len(pw_bands) >= 2:
                    dt.deps.append((pw_bands[-2][-1], "end", HANDOFF))  # its ping-pong half drained
                dws.append(dt)
                step.append(dt)
            band = []
            for j, ch in enumerate(chans):
                pt = Tile("pw", _pw_engine_tile(last, r, ch, cfg))
                if dt is not None and j == 0:
                    pt.deps.append((dt, "end", HANDOFF))
                prev = band[-1] if band else (pw_bands[-1][-1] if pw_bands else None)
                if prev is not None:
                    pt.deps.append((prev, "end", HANDOFF))
                if wtiles > 1:
                    words = _pw_words(last, ch, cfg)
                    also = []
                    if not pw_bands and j == 0 and len(g) == 2:
                        words += _words(first, cfg)
                        also = [dws[0]]
                    loads.append((words, pt, also))
                band.append(pt)
                step.append(pt)
            pw_bands.append(band)
        if dram is not None and wtiles == 1:
            loads.append((sum(_words(op, cfg) for op in g), step[0], []))
        steps.append(step)
    load_tiles: list[Tile] = []
    if dram is not None:
        bpc, latency, wbits = dram
        bus = 32
        while bus < max(cfg.tin * cfg.tout, cfg.tc * cfg.tk) * wbits:
            bus *= 2
        beat = bus // 8
        for k, (words, consumer, also) in enumerate(loads):
            nbytes = beat * words
            load = Tile("dram", latency + math.ceil(nbytes / min(bpc, beat)) if nbytes else 0, not_before=HANDOFF)
            if k:  # issued when the previous load's consumer starts
                load.deps.append((loads[k - 1][1], "start", 0))
            for waiting in [consumer, *also]:
                waiting.deps.append((load, "end", HANDOFF))
            load_tiles.append(load)
    h, w, _ = ops[0].in_shape
    for k, step in enumerate(steps):
        step[0].not_before = h * w + HANDOFF  # the input's last beat is cycle H*W - 1
        if k:
            step[0].deps.append((steps[k - 1][-1], "end", HANDOFF))
    _run_clock({"dw": [t for s in steps for t in s if t.engine == "dw"],
                "pw": [t for s in steps for t in s if t.engine == "pw"], "dram": load_tiles})
    oh, ow, oc = ops[-1].out_shape
    return steps[-1][-1].end + HANDOFF + oh * ow * oc


def _pw_words(op: ComputeOp, channels: int, cfg) -> int:
    return _loops(*_dot_loops(op, cfg), (channels, cfg.tout))


def _run_clock(queues: dict[str, list[Tile]]) -> None:
    """Start each engine's tiles in order, each on the first cycle its engine is free and all its waits are
    over. The clock ticks one cycle at a time but skips cycles in which nothing can become ready."""
    busy = {e: 0 for e in queues}
    t = 0
    while any(queues.values()):
        for e in queues:  # dw, pw, then dram: a load sees a compute tile that started this cycle
            q = queues[e]
            if q and t >= busy[e] and _ready_at(q[0]) is not None and t >= _ready_at(q[0]):
                q[0].start = t
                busy[e] = q[0].end
                q.pop(0)
        nxt = [max(busy[e], _ready_at(q[0])) for e, q in queues.items() if q and _ready_at(q[0]) is not None]
        assert nxt or not any(queues.values()), "deadlock: no tile can ever start"
        t = max(t + 1, min(nxt, default=t + 1))


def _ready_at(tile: Tile) -> int | None:
    """The first cycle all of ``tile``'s waits are over, or None while an event it waits on has not happened."""
    at = tile.not_before
    for dep, what, lag in tile.deps:
        ev = dep.start if what == "start" else dep.end
        if ev is None:
            return None
        at = max(at, ev + lag)
    return at


def test_reference_reproduces_the_hand_schedules():
    ops = chain_ops((4, 4, 4), DepthwiseConv2D(kernel=3, stride=1), BatchNorm(), ReLU6(), PointwiseConv2D(filters=8))
    assert reference_cycles(ops, hw.EngineConfig(2, 2, 2, 3), {"l0": StepTiling(2)}) == 336
    assert reference_cycles(ops, hw.EngineConfig(1, 1, 4, 9), {"l0": StepTiling(1)}) == 686
    lone = chain_ops((6, 6, 5), PointwiseConv2D(filters=7), DepthwiseConv2D(kernel=3, stride=2))
    assert reference_cycles(lone, hw.EngineConfig(3, 2, 2, 3), {}, (2.0, 30, 8)) == 533


@pytest.mark.parametrize("model", ["tiny_dsc", "tiny_dsc4", "tiny_odd"])
@pytest.mark.parametrize("split,band", [("8x4,4x1", 1), ("4x8,2x9", 2), ("3x5,5x3", 3)])
def test_onchip_network_matches_cycle_stepped_reference(model, split, band):
    ops = compute_ops(get_model(model))
    m = map_network(ops, 64, "zcu104", split=split, band_rows=band)
    assert not m.weights_in_dram and not m.fmaps_in_dram
    assert simulate(ops, m).total_cycles == reference_cycles(ops, m.cfg, m.tiles)


@pytest.mark.parametrize("model", ["tiny_dsc", "tiny_odd"])
@pytest.mark.parametrize("gbps", [0.05, 0.4, 20.0])
def test_weights_in_dram_network_matches_cycle_stepped_reference(model, gbps):
    ops = compute_ops(get_model(model))
    m = map_network(ops, 64, "zcu104", split="8x4,4x1", band_rows=2, dram_gbps=gbps, weights_in_dram=True)
    assert all(t.weight_tiles == 1 for t in m.tiles.values())
    est = simulate(ops, m)
    assert est.total_cycles == reference_cycles(ops, m.cfg, m.tiles, (m.dram_bytes_per_cycle, m.dram_latency, 8))
    # 8x4 blocks of 8-bit weights: 256 bits, one 32-byte beat per word; the 4x1 DW blocks are padded to it too.
    assert est.dram_read == 32 * sum(_words(op, m.cfg) for op in ops)
    if gbps == 0.05:
        assert sum(x.stall_dram for x in est.layers) > 0


@given(model=st.sampled_from(["tiny_dsc", "tiny_dsc4", "tiny_odd"]), tin=st.integers(1, 12), tout=st.integers(1, 12),
       tc=st.integers(1, 12), tk=st.sampled_from([1, 3, 9]), band=st.integers(1, 20),
       gbps=st.one_of(st.none(), st.floats(0.01, 50.0)))
def test_any_split_matches_cycle_stepped_reference(model, tin, tout, tc, tk, band, gbps):
    ops = compute_ops(get_model(model))
    m = map_network(ops, 1000, "zcu104", split=f"{tin}x{tout},{tc}x{tk}", band_rows=band, dram_gbps=gbps,
                    weights_in_dram=gbps is not None)
    dram = (m.dram_bytes_per_cycle, m.dram_latency, 8) if gbps is not None else None
    est = simulate(ops, m)
    assert est.total_cycles == reference_cycles(ops, m.cfg, m.tiles, dram)
    assert est.total_cycles >= est.macs / m.cfg.pe


@given(model=st.sampled_from(["tiny_dsc", "tiny_dsc4", "tiny_odd"]), tin=st.integers(1, 8), tout=st.integers(1, 8),
       tc=st.integers(1, 8), tk=st.sampled_from([1, 3, 9]), band=st.integers(1, 6), wtiles=st.integers(1, 4),
       bpc=st.sampled_from([0.5, 4.0, 64.0]))
def test_weight_tiles_match_cycle_stepped_reference(model, tin, tout, tc, tk, band, wtiles, bpc):
    """Output-channel weight tiles, re-loaded per band, on a DRAM channel from starved to ample."""
    ops = compute_ops(get_model(model))
    steps = schedule_steps(ops)
    cfg = hw.EngineConfig(tin, tout, tc, tk)
    tiles = {s.name: StepTiling(band if s.fused else s.out_rows, wtiles if s.pw_op is not None else 1) for s in steps}
    trace = run_schedule(steps, tiles, cfg, weights_in_dram=True, input_in_dram=False, act_bits=8, weight_bits=8,
                         bytes_per_cycle=bpc, latency=30)
    assert trace.total_cycles == reference_cycles(ops, cfg, tiles, (bpc, 30, 8))


def test_mobilenet_pe64_zcu104_readme_figure():
    """The README's worked example (hwgen estimate --pe 64: MobileNet v1 1.0-224 on a ZCU104, weights in DRAM,
    three layers in two weight tiles) recomputed by the cycle-stepped reference: 10,151,972 cycles."""
    ops = compute_ops(mobilenet_v1())
    m = map_network(ops, 64, "zcu104")
    assert m.weights_in_dram and not m.fmaps_in_dram
    assert sorted(k for k, t in m.tiles.items() if t.weight_tiles == 2) == ["conv_dw_12", "conv_dw_13", "fc"]
    ref = reference_cycles(ops, m.cfg, m.tiles, (m.dram_bytes_per_cycle, m.dram_latency, m.weight_bits))
    assert ref == 10_151_972 == simulate(ops, m).total_cycles


def test_mobilenet_025_128_pe128_rtl_figure():
    """rtl_tests/test_mobilenet.py's Verilator cosim (MobileNet v1 0.25-128, 128 PEs, weights on-chip, split
    13x8,8x3) expects 158,420 cycles: recomputed here by the cycle-stepped reference."""
    ops = compute_ops(mobilenet_v1(alpha=0.25, resolution=128))
    m = map_network(ops, 128, "zcu104", weights_in_dram=False)
    assert (m.cfg.tin, m.cfg.tout, m.cfg.tc, m.cfg.tk) == (13, 8, 8, 3) and not m.fmaps_in_dram
    ref = reference_cycles(ops, m.cfg, m.tiles)
    assert ref == 158_420 == simulate(ops, m).total_cycles
