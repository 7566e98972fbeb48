"""Vectorised evaluation of design points: the mapper's memory plan and the schedule, for many PE splits at once.

A design point is (model variant, activation/weight bits, board, clock, PE split). For one variant the
steps are lowered once; for each split the quantities that depend only on the split (tile cycles, the
on-chip band height of every fused pair, weight words, buffer depths) are computed once as numpy arrays
over all splits, and every (bits, board, clock) combination reuses them.

What is evaluated is exactly what ``hwgen estimate --split`` does for the point: ``plan_memory``'s first
fitting plan and ``Mapping.trace``'s cycle count. Three of its plans are closed-form here:

* ``onchip``: weights and feature maps on-chip. Every step is one tile, or a fused pair whose ping-pong
  schedule over uniform row bands is ``hw.contract.fused_span_uniform`` (derived in its docstring, tested equal to
  ``fused_schedule``); the band height minimises it, as ``_best_onchip_band`` does.
* ``wdram``: weights in DRAM, feature maps on-chip, one weight load per step. The loads form a chain
  (the load of step s+1 is issued when step s starts, which is after load s ended), so the DRAM channel
  never has two transfers at once and each load ends ``dma_cycles`` of its ``load_beats`` after its issue.
* ``wtiles``: as ``wdram`` with the largest layers' weights split into output-channel tiles (halving
  the buffer until it fits, band heights under the band-buffer budget chosen by each step's isolated
  time): still one chain of loads, evaluated band by band with the tiles of a band in closed form.

* ``stream``: feature maps above a limit in DRAM (band loads and stores contend with weight loads on the
  channel, no closed form): the plan as arrays over the splits, the cycles from the simulator's array
  form (``hw.schedule``), walked once per group of splits with equal tilings, up to the last step that
  streams a map; the weight-load chain after it in closed form.

(A split no plan fits gets plan_memory's last attempt, as there.) ``Result.path`` records which path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from hwgen.build import HwConfig, build
from hwgen.hw.boards import Board, get_board
from hwgen.hw.contract import (
    HANDOFF,
    EngineArrays,
    EngineConfig,
    cdiv,
    fused_span_uniform,
    feature_word,
    input_cycles,
    dma_cycles,
    input_writes,
    map_bus_bits,
    load_beats,
    weight_bus_bits,
)
from hwgen.hw.resources import dsp_count, dsp_packing_applies, lut_count
from hwgen.hw.schedule import run_schedule
from hwgen.hw.steps import (Step, StepTiling, dw_band_cycles, pw_band_cycles, pw_groups, schedule_steps,
                            weight_tile_group, weight_words)
from hwgen.ir.graph import Graph
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.mapping.plan import (BAND_BUFFERS, BUFFERS, band_buffer_bits, buffer_slots, fmap_flags,
                               input_in_dram, lut_inputs, place_blocks, plan_words, tensor_elems, tk_choices)
from hwgen.mapping.search import band_candidates, candidate_splits, weight_tiles

#: Plan / path codes of a point.
PATHS = ("onchip", "wdram", "wtiles", "stream", "exact")

_I64 = np.int64

#: Rows of plan.BAND_BUFFERS in a placed plan's blocks (plan.buffer_slots order).
_BAND_SLOTS = [BUFFERS.index(name) for name in BAND_BUFFERS]


@dataclass(frozen=True)
class Combo:
    """The non-split part of a hardware point."""

    act_bits: int
    weight_bits: int
    board: str
    clock_mhz: float

    @property
    def board_spec(self) -> Board:
        return get_board(self.board)


@dataclass
class Result:
    """Metrics of the points of one (variant, combo) over an array of splits (all arrays, one entry per split)."""

    cycles: np.ndarray
    dram_bytes: np.ndarray
    bram36: np.ndarray
    uram: np.ndarray
    onchip_bits: np.ndarray
    lut: np.ndarray
    dsp: np.ndarray
    weights_in_dram: np.ndarray
    fmaps_in_dram: np.ndarray
    fits: np.ndarray
    path: np.ndarray  # index into PATHS


class Network:
    """One model variant lowered to steps, with the per-step geometry the evaluator needs."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.ops = compute_ops(graph)
        self.steps: list[Step] = schedule_steps(self.ops)
        self.tks = tk_choices(self.steps)
        self.macs = sum(op.macs for op in self.ops)
        self.tensors = tensor_elems(self.steps)
        h, w, _ = self.steps[0].first.in_shape
        oh, ow, oc = self.steps[-1].last.out_shape
        self.in_cycles = input_cycles(h * w)  # one pixel per beat: explore has no --pixels-per-beat axis
        self.out_cycles = oh * ow * oc

    def splits(self, pe_max: int) -> np.ndarray:
        """Every split the mapper considers for a budget of ``pe_max`` PEs (rows tin, tout, tc, tk)."""
        return candidate_splits(self.steps, pe_max, self.tks)


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=_I64)


def _affine(cycles: Callable[[int], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) with cycles(rows) = a * rows + b: a band's tile cycles are affine in its rows (iterations =
    pixels x per-pixel work, plus the pipeline depth), so two evaluations of the contract's formula fix them."""
    one, two = cycles(1), cycles(2)
    return two - one, 2 * one - two


def _bands(step: Step, band: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Number of row bands of ``band`` rows and the rows of the last (``row_bands``)."""
    rows = step.out_rows
    n = cdiv(rows, band)
    return n, rows - (n - 1) * band


def _take(value: object, idx: np.ndarray) -> object:
    """``value`` at the splits ``idx``: arrays indexed, in lists and (named) tuples too; anything else as is."""
    if isinstance(value, np.ndarray):
        return value[idx]
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # EngineArrays, PlanWords
        return type(value)(*(_take(a, idx) for a in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_take(a, idx) for a in value)
    return value


class SplitTables:
    """Split-only quantities of a network over an array of splits."""

    def __init__(self, net: Network, splits: np.ndarray) -> None:
        self.net = net
        self.n = len(splits)
        s = splits.astype(_I64)
        self.cfg = EngineArrays(s[:, 0], s[:, 1], s[:, 2], s[:, 3])
        cfg = self.cfg
        self.plan = plan_words(net.steps, cfg)  # the memory plan's split-only words (plan.buffer_slots)
        self.duration: list[np.ndarray] = []    # on-chip cycles of each step (its tiles, from start to done)
        self.band: list[np.ndarray] = []        # on-chip band height of each step (fused: the quickest; else all rows)
        self.words: list[np.ndarray] = []       # weight words of each step (DW + PW of a fused pair)
        z = _zeros(self.n)
        # Each distinct layer / step geometry is evaluated once (MobileNet repeats its 14x14x512 block five times).
        op_words: dict[tuple, np.ndarray] = {}
        spans: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

        dw_k = net.steps[0].dw_kernel if net.steps else 1

        def words(op: ComputeOp | None) -> np.ndarray:
            if op is None:
                return z
            key = (op.kind, op.in_shape, op.out_shape, op.kernel)
            if key not in op_words:
                op_words[key] = z + weight_words(op, cfg, dw_k)
            return op_words[key]

        for step in net.steps:
            self.words.append(sum((words(op) for op in step.ops), start=z))
            key = tuple((op.kind, op.in_shape, op.out_shape, op.kernel, op.stride, op.pad) for op in step.ops)
            if key not in spans:
                if step.fused:
                    spans[key] = self._best_band(step)
                else:
                    spans[key] = (z + pw_band_cycles(step, step.out_rows, step.last.out_shape[2], cfg), z + step.out_rows)
            self.duration.append(spans[key][0])
            self.band.append(spans[key][1])
        self.onchip_cycles = net.in_cycles + HANDOFF + net.out_cycles + sum(HANDOFF + d for d in self.duration)
        self.pw_max = np.max(self.pw_words, axis=0)
        # each PW-engine dot product geometry once (its groups depend on the kind, inputs and kernel)
        dots = {(st.pw_op.kind, st.pw_op.in_shape, st.pw_op.kernel): st.pw_op for st in net.steps
                if st.pw_op is not None}
        self.cap_floor = np.max([z + pw_groups(op, cfg, dw_k) for op in dots.values()], axis=0) if dots else z

    @property
    def pw_words(self) -> tuple[np.ndarray, ...]:
        """Weight words of each step's PW-engine op."""
        return self.plan.pw_step

    def subset(self, idx: np.ndarray) -> "SplitTables":
        """The tables of the splits ``idx`` (every per-split array indexed)."""
        out = object.__new__(SplitTables)
        for name, value in vars(self).items():
            setattr(out, name, _take(value, idx))
        out.n = len(idx)
        return out

    def _best_band(self, step: Step) -> tuple[np.ndarray, np.ndarray]:
        """``_best_onchip_band``: the candidate with the least span (``fused_schedule`` in closed form over
        its row bands), the smaller on ties."""
        c = step.last.out_shape[2]
        dw_a, dw_b = _affine(lambda r: dw_band_cycles(step, r, self.cfg))
        pw_a, pw_b = _affine(lambda r: pw_band_cycles(step, r, c, self.cfg))
        cands = np.array(band_candidates(step.out_rows), dtype=_I64)
        spans = []
        for b in cands.tolist():
            n, last = _bands(step, b)
            spans.append(fused_span_uniform(n, dw_a * b + dw_b, dw_a * last + dw_b, pw_a * b + pw_b,
                                            pw_a * last + pw_b))
        spans = np.stack(spans)
        best = np.argmin(spans, axis=0)
        return spans[best, np.arange(self.n)], cands[best]


class _Loads:
    """Weight-load cycles of a combo: ``cycles(beats(pw_words, dw_words))`` = hw.dma_cycles of hw.load_beats on
    the split's AXI bus."""

    def __init__(self, t: SplitTables, combo: Combo) -> None:
        b = combo.board_spec
        self.bpc = b.dram_bytes_per_cycle(combo.clock_mhz)
        self.latency = b.dram_latency_cycles(combo.clock_mhz)
        self.cfg = t.cfg
        self.weight_bits = combo.weight_bits
        self.bus = weight_bus_bits(t.cfg, combo.weight_bits)

    def subset(self, idx: np.ndarray) -> "_Loads":
        out = object.__new__(_Loads)
        out.bpc, out.latency, out.weight_bits, out.bus = self.bpc, self.latency, self.weight_bits, self.bus[idx]
        out.cfg = EngineArrays(*(a[idx] for a in self.cfg))
        return out

    def beats(self, pw_words: np.ndarray, dw_words: np.ndarray | int = 0) -> np.ndarray:
        return load_beats(pw_words, dw_words, self.cfg, self.weight_bits)

    def cycles(self, beats: np.ndarray) -> np.ndarray:
        return dma_cycles(beats, self.bus, self.bpc, self.latency)

    def nbytes(self, beats: np.ndarray) -> np.ndarray:
        return beats * (self.bus // 8)


@dataclass
class _Tiling:
    """Weight tiles of one PW-engine step under a cap (arrays over splits)."""

    tiles: np.ndarray       # requested weight_tiles (> 1: tiled)
    ntiles: np.ndarray      # tiles actually made (weight_tile_channels)
    groups: np.ndarray      # channels of a full tile
    last_ch: np.ndarray     # channels of the last tile
    first_words: np.ndarray
    full_words: np.ndarray  # words of a full tile
    last_words: np.ndarray


def _subset_tiling(tl: _Tiling, idx: np.ndarray) -> _Tiling:
    return _Tiling(*(getattr(tl, f)[idx] for f in _Tiling.__dataclass_fields__))


def _tiling(step: Step, cap: np.ndarray, t: SplitTables) -> _Tiling:
    assert step.pw_op is not None
    return _tiling_of(step, weight_tiles(step, cap, t.cfg), t)


def _tiling_of(step: Step, wt: np.ndarray, t: SplitTables) -> _Tiling:
    op = step.pw_op
    assert op is not None
    cfg = t.cfg
    n = op.out_shape[2]
    groups = weight_tile_group(op, wt, cfg)
    ntiles = cdiv(n, groups)
    last = n - (ntiles - 1) * groups
    per = pw_groups(op, cfg, step.dw_kernel)
    first = np.minimum(groups, n)
    return _Tiling(wt, ntiles, groups, last, per * cdiv(first, cfg.tout), per * cdiv(groups, cfg.tout),
                   per * cdiv(last, cfg.tout))


def _tiled_step(step: Step, band: np.ndarray, tl: _Tiling, cfg: EngineArrays, loads: _Loads, start0: np.ndarray,
                load0_end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Done cycle and last tile start of a step whose PW weights are re-loaded per tile and band.

    Loads form a chain (each issued when the previous one's consumer starts), so in a band tile j >= 1
    starts H + max(previous tile's cycles, its own load) after tile j-1; the first tile of a band waits
    for its DW band (fused) and for the PW engine and its load after the last tile of the band before.
    """
    if step.bandable:
        n_bands, last_rows = _bands(step, band)
    else:
        n_bands, last_rows = np.ones_like(band), np.full_like(band, step.out_rows)
    c_out = step.last.out_shape[2]
    l_full, l_last = loads.cycles(loads.beats(tl.full_words)), loads.cycles(loads.beats(tl.last_words))
    multi = tl.ntiles >= 2
    l_first = np.where(multi, l_full, l_last)

    full_a, full_b = _affine(lambda r: pw_band_cycles(step, r, np.minimum(tl.groups, c_out), cfg))
    last_a, last_b = _affine(lambda r: pw_band_cycles(step, r, tl.last_ch, cfg))
    if step.fused:
        dw_a, dw_b = _affine(lambda r: dw_band_cycles(step, r, cfg))

    def pw_band(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c_full = full_a * rows + full_b
        c_last = last_a * rows + last_b
        span = np.where(multi, (tl.ntiles - 2) * (HANDOFF + np.maximum(c_full, l_full))
                        + HANDOFF + np.maximum(c_full, l_last) + c_last, c_last)
        return span, c_last

    rows0 = np.where(n_bands > 1, band, last_rows)
    span, c_last = pw_band(rows0)
    if step.fused:
        dw_end = np.maximum(start0, load0_end + HANDOFF) + dw_a * rows0 + dw_b
        pw_end = dw_end + HANDOFF + span
    else:
        assert int(n_bands.max()) == 1, "a lone step with on-chip maps is one band"
        pw_end = np.maximum(start0, load0_end + HANDOFF) + span
    last_start = pw_end - c_last
    pw_prev2 = pw_end  # PW end of band i-2 (for the ping-pong), meaningful from band 2 on
    pw_prev = pw_end
    for i in range(1, int(n_bands.max())):
        live = i < n_bands
        rows = np.where(i < n_bands - 1, band, last_rows)
        dw_start = dw_end + HANDOFF if i == 1 else np.maximum(dw_end + HANDOFF, pw_prev2 + HANDOFF)
        new_dw_end = dw_start + dw_a * rows + dw_b
        span, new_c_last = pw_band(rows)
        pw_start = np.maximum(last_start + HANDOFF + np.maximum(c_last, l_first), new_dw_end + HANDOFF)
        new_pw_end = pw_start + span
        dw_end = np.where(live, new_dw_end, dw_end)
        pw_prev2 = np.where(live, pw_prev, pw_prev2)
        pw_prev = np.where(live, new_pw_end, pw_prev)
        last_start = np.where(live, new_pw_end - new_c_last, last_start)
        c_last = np.where(live, new_c_last, c_last)
    return pw_prev, last_start


def _tiles(t: SplitTables, bands: list[np.ndarray], wts: list[np.ndarray] | None = None,
           flags: list[tuple[bool, bool]] | None = None) -> dict[str, StepTiling]:
    """The tiling of every step (arrays over the splits of ``t``): band heights, weight tiles (default one),
    feature-map flags (default on-chip)."""
    steps = t.net.steps
    wts = wts or [1] * len(steps)
    flags = flags or [(False, False)] * len(steps)
    return {s.name: StepTiling(b, w, ind, outd) for s, b, w, (ind, outd) in zip(steps, bands, wts, flags)}


class _Placed:
    """A plan's buffers (plan.buffer_slots) placed on the board (place_buffers), with its block and bit totals."""

    def __init__(self, t: SplitTables, combo: Combo, tiles: dict[str, StepTiling], weights_in_dram: bool,
                 fmap_limit: int) -> None:
        board = combo.board_spec
        slots = buffer_slots(t.net.steps, tiles, t.cfg, weights_in_dram, fmap_limit, combo.act_bits,
                             combo.weight_bits, t.plan)
        depths, widths, banks = [d for _, d, _, _ in slots], [w for _, _, w, _ in slots], [n for *_, n in slots]
        self.blocks, self.in_uram = place_blocks([name for name, *_ in slots], depths, widths, board, banks)
        self.bram36 = np.where(self.in_uram, 0, self.blocks).sum(axis=0)
        self.uram = np.where(self.in_uram, self.blocks, 0).sum(axis=0)
        self.bits = np.sum([n * d * w for d, w, n in zip(depths, widths, banks)], axis=0)
        self.fits = (self.bram36 <= board.bram36) & (self.uram <= board.uram)
        self.lut = _zeros(t.n) + lut_count(lut_inputs(t.net.steps, tiles, t.cfg, combo.act_bits, combo.weight_bits, 1,
                                                      weights_in_dram, [(n, d, k) for n, d, _, k in slots],
                                                      board.family))

    def subset(self, idx: np.ndarray) -> "_Placed":
        out = object.__new__(_Placed)
        for name in ("blocks", "in_uram"):
            setattr(out, name, getattr(self, name)[:, idx])
        for name in ("bram36", "uram", "bits", "fits", "lut"):
            setattr(out, name, getattr(self, name)[idx])
        return out

    @staticmethod
    def concat(parts: list["_Placed"]) -> "_Placed":
        out = object.__new__(_Placed)
        for name in ("blocks", "in_uram"):
            setattr(out, name, np.concatenate([getattr(p, name) for p in parts], axis=1))
        for name in ("bram36", "uram", "bits", "fits", "lut"):
            setattr(out, name, np.concatenate([getattr(p, name) for p in parts]))
        return out

    def where(self, mask: np.ndarray, other: "_Placed") -> "_Placed":
        """``other`` where ``mask``, else self."""
        out = object.__new__(_Placed)
        for name in ("blocks", "in_uram", "bram36", "uram", "bits", "fits", "lut"):
            setattr(out, name, np.where(mask, getattr(other, name), getattr(self, name)))
        return out

    def fixed_bits(self) -> np.ndarray:
        """Block bits of the buffers that are not band buffers (plan_memory's ``fixed``)."""
        per = np.where(self.in_uram, 288, 36) * 1024 * self.blocks
        return per.sum(axis=0) - per[_BAND_SLOTS].sum(axis=0)


def evaluate(t: SplitTables, combo: Combo, exact: bool = True) -> Result:
    """The points (every split of ``t``) x ``combo``: memory plan, cycles, DRAM bytes, resources.

    ``exact=False`` leaves the points no vectorised plan covers unevaluated (path ``exact``, metrics 0);
    the tests use it to check the vectorised paths alone."""
    net = t.net
    n = t.n
    loads = _Loads(t, combo)
    path = np.full(n, PATHS.index("exact"), dtype=np.int8)
    cycles, dram, bram, uram, bits, lut = (_zeros(n) for _ in range(6))
    wdram = np.zeros(n, dtype=bool)

    def take(idx: np.ndarray, code: str, pl: _Placed, cyc: np.ndarray, nbytes: np.ndarray) -> None:
        """Points ``idx`` take plan ``code`` (``pl``, ``cyc``, ``nbytes`` are indexed like ``idx``)."""
        path[idx] = PATHS.index(code)
        cycles[idx], dram[idx], bram[idx], uram[idx], bits[idx] = cyc, nbytes, pl.bram36, pl.uram, pl.bits
        lut[idx] = pl.lut
        wdram[idx] = code != "onchip"

    # 1. Everything on-chip.
    limit = max(net.tensors)
    a = _Placed(t, combo, _tiles(t, t.band), False, limit)
    ok = np.flatnonzero(a.fits)
    take(ok, "onchip", a.subset(ok), t.onchip_cycles[ok], _zeros(len(ok)))
    todo = np.flatnonzero(~a.fits)
    # 2. Weights in DRAM, one load per step (cap None).
    if len(todo):
        ts = t.subset(todo)
        b = _Placed(ts, combo, _tiles(ts, ts.band), True, limit)
        ok = np.flatnonzero(b.fits)
        if len(ok):
            cyc, nbytes = _chain(ts.subset(ok), loads.subset(todo[ok]), {})
            take(todo[ok], "wdram", b.subset(ok), cyc, nbytes)
        todo = todo[~b.fits]
    # 3. Weight tiles under halving caps; the first cap whose one-row-band plan fits, then the band budget.
    pw_steps = [i for i, s in enumerate(net.steps) if s.pw_op is not None]
    k = 1
    while len(todo) and pw_steps:
        ts = t.subset(todo)
        if k > 1:  # the cap sequence ends with the first cap at or below the floor
            more = ts.pw_max // (1 << (k - 1)) > ts.cap_floor
            todo, ts = todo[more], ts.subset(np.flatnonzero(more))
            if not len(todo):
                break
        cap = np.maximum(ts.pw_max // (1 << k), ts.cap_floor)
        tilings = {i: _tiling(net.steps[i], cap, ts) for i in pw_steps}
        fits, pl, cyc, nbytes = _tiled_plan(ts, combo, loads.subset(todo), tilings)
        ok = np.flatnonzero(fits)
        take(todo[ok], "wtiles", pl, cyc, nbytes)
        todo = todo[~fits]
        k += 1
    # 4. Feature maps streamed from DRAM: the plan vectorised, the schedule walked once per tiling.
    fmaps = np.zeros(n, dtype=bool)
    todo = np.flatnonzero(path == PATHS.index("exact"))
    if len(todo):
        idx, pl, cyc, nbytes = _streamed(t.subset(todo), combo)
        if pl is not None:
            take(todo[idx], "stream", pl, cyc, nbytes)
            fmaps[todo[idx]] = True
    todo = np.flatnonzero(path == PATHS.index("exact"))
    board = combo.board_spec
    dsp = dsp_count(t.cfg, combo.act_bits, combo.weight_bits,
                    dsp_packing_applies(True, board, combo.act_bits, combo.weight_bits))
    res = Result(cycles, dram, bram, uram, bits, lut, dsp, wdram, fmaps,
                 (bram <= board.bram36) & (uram <= board.uram) & (dsp <= board.dsp) & (lut <= board.lut), path)
    if exact:
        for i in todo:
            _exact_into(res, i, net, t, combo)
    return res


def _exact_into(res: Result, i: int, net: Network, t: SplitTables, combo: Combo) -> None:
    """The exact path for point ``i``: what ``hwgen estimate --split`` computes."""
    cfg = EngineConfig(*(int(x[i]) for x in t.cfg))
    est = build(net.graph, HwConfig(pe=cfg.pe, board=combo.board, clock_mhz=combo.clock_mhz,
                                    act_bits=combo.act_bits, weight_bits=combo.weight_bits, split=cfg)).estimate()
    m = est.mapping
    res.cycles[i], res.dram_bytes[i] = est.total_cycles, est.dram_bytes
    res.bram36[i], res.uram[i], res.onchip_bits[i] = est.bram36, est.uram, est.onchip_bits
    res.lut[i], res.dsp[i] = est.lut, est.dsp
    res.weights_in_dram[i], res.fmaps_in_dram[i] = m.weights_in_dram, m.fmaps_in_dram
    res.fits[i] = est.fits
    res.path[i] = PATHS.index("exact")


def _chain(t: SplitTables, loads: _Loads, tiled: dict[int, tuple[np.ndarray, np.ndarray, _Tiling]], start: int = 0,
           done0: np.ndarray | None = None, load_end0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cycles and DRAM bytes of a run with weights in DRAM and on-chip maps. ``tiled``: step index ->
    (which splits tile it, their band rows, the tiling); other steps are one load and their on-chip span.

    The load of a step (of its first tile) is issued when the previous step's last consumer starts; the
    first at HANDOFF. A step that is not tiled starts HANDOFF after its load and the previous step.
    From step ``start`` on (the steps before it done at ``done0``, the first load of ``start`` ending at
    ``load_end0``; DRAM bytes of the steps from ``start`` on): the channel then carries this chain only."""
    net = t.net
    first_load = []
    moved = _zeros(t.n)
    for i, s in enumerate(net.steps):
        if i < start:
            first_load.append(None)
            continue
        if i in tiled:
            mask, band, tl = tiled[i]
            dw = _zeros(t.n) + (weight_words(s.dw_op, t.cfg, s.dw_kernel) if s.dw_op is not None else 0)
            n_bands = _bands(s, band)[0] if s.bandable else 1
            whole = loads.beats(t.pw_words[i], t.words[i] - t.pw_words[i])
            first_load.append(loads.cycles(np.where(mask, loads.beats(tl.first_words, dw), whole)))
            # every band re-loads every tile (each tile its own section), the DW words come once
            tile_beats = (tl.ntiles - 1) * loads.beats(tl.full_words) + loads.beats(tl.last_words)
            moved = moved + loads.nbytes(np.where(mask, n_bands * tile_beats + loads.beats(0, dw), whole))
        else:
            whole = loads.beats(t.pw_words[i], t.words[i] - t.pw_words[i])
            first_load.append(loads.cycles(whole))
            moved = moved + loads.nbytes(whole)
    done = _zeros(t.n) + net.in_cycles if done0 is None else done0
    load_end = HANDOFF + first_load[0] if load_end0 is None else load_end0
    for i, s in enumerate(net.steps):
        if i < start:
            continue
        issue = np.maximum(done, load_end) + HANDOFF
        step_done = issue + t.duration[i]
        if i in tiled and tiled[i][0].any():
            mask, band, tl = tiled[i]
            sel = np.flatnonzero(mask)
            cfg = EngineArrays(*(a[sel] for a in t.cfg))
            t_done, t_issue = _tiled_step(s, band[sel], _subset_tiling(tl, sel), cfg, loads.subset(sel),
                                          done[sel] + HANDOFF, load_end[sel])
            step_done[sel], issue[sel] = t_done, t_issue
        done = step_done
        if i + 1 < len(net.steps):
            load_end = issue + first_load[i + 1]
    return done + HANDOFF + net.out_cycles, moved


def _isolated(step: Step, band: np.ndarray, tl: _Tiling, cfg: EngineArrays, loads: _Loads) -> np.ndarray:
    """``_isolated_time``: the step alone (its input streamed in, its first load issued at HANDOFF)."""
    h, w, _ = step.first.in_shape
    ready = np.full_like(band, input_cycles(h * w))
    dw = weight_words(step.dw_op, cfg, step.dw_kernel) if step.dw_op is not None else 0
    done, _ = _tiled_step(step, band, tl, cfg, loads, ready + HANDOFF,
                          HANDOFF + loads.cycles(loads.beats(tl.first_words, dw)))
    return done - ready


def _tiled_plan(t: SplitTables, combo: Combo, loads: _Loads,
                tilings: dict[int, _Tiling]) -> tuple[np.ndarray, _Placed, np.ndarray, np.ndarray]:
    """One cap of plan_memory with on-chip maps: the one-row-band plan must fit; then the band budget
    (what the fixed buffers leave, per band buffer; halved until the plan fits) picks each tiled fused
    step's band by its isolated time. Returns (fits; for the splits that fit: placement, cycles, DRAM bytes)."""
    net = t.net
    board = combo.board_spec
    is_tiled = {i: tl.tiles > 1 for i, tl in tilings.items()}
    fused = [i for i in tilings if net.steps[i].fused]
    limit = max(net.tensors)

    def placed(bands: dict[int, np.ndarray]) -> _Placed:
        """The plan with the tiled fused steps of ``bands`` in those heights (the others at their on-chip band)."""
        heights = [np.where(is_tiled[i], bands[i], t.band[i]) if i in bands else t.band[i]
                   for i in range(len(net.steps))]
        wts = [tilings[i].tiles if i in tilings else 1 for i in range(len(net.steps))]
        return _Placed(t, combo, _tiles(t, heights, wts), True, limit)

    base = placed({i: _zeros(t.n) + 1 for i in fused})
    fits0 = base.fits
    # Only the splits whose one-row-band plan fits take this cap: continue with them.
    idx = np.flatnonzero(fits0)
    t, loads, final = t.subset(idx), loads.subset(idx), base.subset(idx)
    tilings = {i: _subset_tiling(tl, idx) for i, tl in tilings.items()}
    is_tiled = {i: v[idx] for i, v in is_tiled.items()}
    chosen = {i: _zeros(t.n) + 1 for i in fused}
    fits0 = final.fits
    capacity = board.ram_bits
    budget = np.where(fits0, (capacity - final.fixed_bits()) // len(BAND_BUFFERS), 0)
    # Isolated time and band-buffer bits of every band candidate of every tiled fused step (budget-independent).
    cands: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for i in fused:
        sel = np.flatnonzero(is_tiled[i] & fits0)
        if not len(sel):
            continue
        s = net.steps[i]
        cfg = EngineArrays(*(a[sel] for a in t.cfg))
        sub_loads, sub_tl = loads.subset(sel), _subset_tiling(tilings[i], sel)
        rows = np.array(band_candidates(s.out_rows), dtype=_I64)
        times = np.stack([_isolated(s, _zeros(len(sel)) + int(b), sub_tl, cfg, sub_loads) for b in rows])
        word = t.plan.word[sel]
        need = np.stack([band_buffer_bits(s, StepTiling(int(b)), cfg, word, combo.act_bits) for b in rows.tolist()])
        cands[i] = (sel, rows, times, need)
    chosen, final = _budget_choice(cands, chosen, budget, fits0 & (budget > 0), placed, final)
    tiled = {}
    for i, tl in tilings.items():
        s = net.steps[i]
        band = np.where(is_tiled[i], chosen[i], s.out_rows) if i in chosen else _zeros(t.n) + s.out_rows
        tiled[i] = (is_tiled[i], band, tl)
    cyc, nbytes = _chain(t, loads, tiled)
    return base.fits, final, cyc, nbytes


def _stream_groups(t: SplitTables, keys: list[np.ndarray]) -> list[np.ndarray]:
    """The splits grouped by equal rows of ``keys`` (one array per key column): each group walks the
    schedule once."""
    table = np.stack(keys, axis=1)
    _, inverse = np.unique(table, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return [np.flatnonzero(inverse == g) for g in range(int(inverse.max()) + 1)] if len(table) else []


def _ntiles(step: Step, wt: np.ndarray, cfg: EngineArrays) -> np.ndarray:
    if step.pw_op is None:
        return np.ones_like(wt)
    return cdiv(step.pw_op.out_shape[2], weight_tile_group(step.pw_op, wt, cfg))


#: Groups of at most this many splits walk the schedule one split at a time (the scalar walk is faster for a few).
_SCALAR_WALK = 8


def _walk(t: SplitTables, combo: Combo, steps: list[Step], tilings: list[tuple[np.ndarray, np.ndarray, bool, bool]],
          weights_in_dram: bool | None, input_in_dram: bool, steps_run: int | None = None) -> dict[str, np.ndarray]:
    """``hw.schedule.run_schedule`` of ``steps`` (per step: band heights, weight tiles, in_dram, out_dram) for
    every split of ``t``; ``weights_in_dram`` None: the only step's weight tiles > 1 (``_isolated_time``).
    Splits with equal band heights, tiled-or-not and tile counts walk together. Returns arrays: ``ready``
    (of the first step), ``done`` (of the last walked), ``total``, ``dram_bytes``, ``next_load_end``."""
    n = t.n
    out = {k: _zeros(n) for k in ("ready", "done", "total", "dram_bytes", "next_load_end")}
    keys = []
    for s, (band, wt, _, _) in zip(steps, tilings):
        keys += [band, wt > 1, _ntiles(s, wt, t.cfg)]
    if input_in_dram:  # the input's DRAM writes, one per burst of the split's map bus (hw.schedule)
        h, w, c = steps[0].first.in_shape
        keys.append(np.broadcast_to(input_writes(h * w * c, feature_word(t.cfg, c),
                                                 map_bus_bits(t.cfg, c, combo.act_bits)), (n,)))
    bpc = combo.board_spec.dram_bytes_per_cycle(combo.clock_mhz)
    latency = combo.board_spec.dram_latency_cycles(combo.clock_mhz)
    for g in _stream_groups(t, keys):
        # a walk costs about the same for a few splits as for thousands; a lone split walks the scalar way
        parts = [(g[k:k + 1], EngineConfig(*(int(a[g[k]]) for a in t.cfg))) for k in range(len(g))] \
            if len(g) <= _SCALAR_WALK else [(g, EngineArrays(*(a[g] for a in t.cfg)))]
        for sel, cfg in parts:
            j = int(sel[0])
            tiles = {s.name: StepTiling(int(band[j]), wt[sel] if np.any(wt[sel] != wt[j]) else int(wt[j]), ind, outd)
                     for s, (band, wt, ind, outd) in zip(steps, tilings)}
            wdram = bool(tilings[0][1][j] > 1) if weights_in_dram is None else weights_in_dram
            tr = run_schedule(steps, tiles, cfg, weights_in_dram=wdram, input_in_dram=input_in_dram,
                              act_bits=combo.act_bits, weight_bits=combo.weight_bits, bytes_per_cycle=bpc,
                              latency=latency, steps_run=steps_run)
            out["ready"][sel], out["done"][sel] = tr.steps[0].ready, tr.steps[-1].done
            out["total"][sel], out["dram_bytes"][sel] = tr.total_cycles, tr.dram_bytes
            if tr.next_load_end is not None:
                out["next_load_end"][sel] = tr.next_load_end
    return out


def _streamed(t: SplitTables, combo: Combo) -> tuple[np.ndarray, "_Placed | None", np.ndarray, np.ndarray]:
    """plan_memory's plans with feature maps in DRAM, for splits whose maps cannot all be on-chip: for each
    map limit (largest first, then 0) and each weight cap, the one-row-band plan must fit; then the band
    budget (halved until the plan fits) picks each streamed or tiled fused step's band by its isolated time.
    The cycles are the simulator's, walked once per group of splits with equal tilings (module
    ``hw.schedule``'s array form). Returns (which splits were evaluated — the rest never fit or left the
    — and for them: placement, cycles, DRAM bytes)."""
    net = t.net
    steps = net.steps
    board = combo.board_spec
    capacity = board.ram_bits
    pw_steps = [i for i, s in enumerate(steps) if s.pw_op is not None]
    pending = np.ones(t.n, dtype=bool)
    done_idx, done_pl, done_cyc, done_bytes = [], [], [], []
    times: dict = {}  # isolated times, kept across limits and caps as plan_memory does

    def one_row(cur: np.ndarray, flags: list[tuple[bool, bool]], wts: list[np.ndarray]) -> tuple[list, list]:
        """Which steps choose their band (streamed, or tiled and fused), and the one-row-band plan's heights."""
        choosing = [s.bandable & (ind | outd | (s.fused & (wt > 1))) for s, wt, (ind, outd) in zip(steps, wts, flags)]
        return choosing, [np.where(ch, 1, t.band[i][cur]) for i, ch in enumerate(choosing)]

    for limit in sorted(set(net.tensors), reverse=True)[1:] + [0]:
        flags = fmap_flags(steps, limit)
        k = 0
        cur = np.flatnonzero(pending)
        while len(cur):
            ts = t.subset(cur)
            ones = _zeros(len(cur)) + 1
            if k == 0:
                wts = [ones] * len(steps)
            else:
                if k > 1:  # the cap sequence ends with the first cap at or below the floor
                    more = ts.pw_max // (1 << (k - 1)) > ts.cap_floor
                    cur, ts, ones = cur[more], ts.subset(np.flatnonzero(more)), ones[more]
                    if not len(cur):
                        break
                cap = np.maximum(ts.pw_max // (1 << k), ts.cap_floor)
                wts = [weight_tiles(s, cap, ts.cfg) if s.pw_op is not None else ones for s in steps]
            choosing, band0 = one_row(cur, flags, wts)
            base = _Placed(ts, combo, _tiles(ts, band0, wts, flags), True, limit)
            fit = np.flatnonzero(base.fits)
            if len(fit):
                tf = ts.subset(fit)
                bands, pl = _budget_bands(tf, combo, flags, limit, [b[fit] for b in band0],
                                          [w[fit] for w in wts], [c[fit] for c in choosing],
                                          base.subset(fit), capacity, cur[fit], times)
                cyc, nbytes = _streamed_run(tf, combo, flags, limit, bands, [w[fit] for w in wts])
                done_idx.append(cur[fit])
                done_pl.append(pl)
                done_cyc.append(cyc)
                done_bytes.append(nbytes)
                pending[cur[fit]] = False
            cur = cur[~base.fits]
            if not pw_steps:
                break
            k += 1
    # No plan fits: plan_memory returns its last attempt, every map streamed (limit 0) with one-row bands
    # under the last cap (the floor).
    rest = np.flatnonzero(pending)
    if len(rest):
        ts = t.subset(rest)
        flags = fmap_flags(steps, 0)
        ones = _zeros(len(rest)) + 1
        wts = [weight_tiles(s, ts.cap_floor, ts.cfg) if s.pw_op is not None else ones for s in steps]
        _, band0 = one_row(rest, flags, wts)
        last = _Placed(ts, combo, _tiles(ts, band0, wts, flags), True, 0)
        cyc, nbytes = _streamed_run(ts, combo, flags, 0, band0, wts)
        done_idx.append(rest)
        done_pl.append(last)
        done_cyc.append(cyc)
        done_bytes.append(nbytes)
    if not done_idx:
        return np.zeros(0, dtype=_I64), None, _zeros(0), _zeros(0)
    return (np.concatenate(done_idx), _Placed.concat(done_pl), np.concatenate(done_cyc),
            np.concatenate(done_bytes))


def _streamed_run(t: SplitTables, combo: Combo, flags: list[tuple[bool, bool]], limit: int, bands: list[np.ndarray],
                  wts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Cycles and DRAM bytes of the plans (per step: bands, weight tiles) with maps > ``limit``
    in DRAM. The simulator walks the steps up to the last one that streams a map (with the next step's first
    weight load queued, so it contends as in the whole run); after it the channel carries only the chain of
    weight loads, which ``_chain`` gives in closed form."""
    net = t.net
    steps = net.steps
    last = max(i for i, (ind, outd) in enumerate(flags) if ind or outd)
    tilings = [(b, w, ind, outd) for b, w, (ind, outd) in zip(bands, wts, flags)]
    if last + 1 == len(steps):
        w = _walk(t, combo, steps, tilings, True, input_in_dram(steps, limit))
        return w["total"], w["dram_bytes"]
    nxt = steps[last + 1]
    # the next step's band heights do not change its first load (only its later ones): not a walk key
    prefix = tilings[:last + 1] + [(_zeros(t.n) + nxt.out_rows,) + tilings[last + 1][1:]]
    w = _walk(t, combo, steps[:last + 2], prefix, True, input_in_dram(steps, limit), steps_run=last + 1)
    tiled = {i: (wts[i] > 1, bands[i], _tiling_of(s, wts[i], t)) for i, s in enumerate(steps)
             if i > last and s.pw_op is not None}
    cyc, nbytes = _chain(t, _Loads(t, combo), tiled, last + 1, w["done"], w["next_load_end"])
    return cyc, w["dram_bytes"] + nbytes


def _budget_bands(t: SplitTables, combo: Combo, flags: list[tuple[bool, bool]], limit: int, band0: list[np.ndarray],
                  wts: list[np.ndarray], choosing: list[np.ndarray], base: _Placed, capacity: int, ids: np.ndarray,
                  cache: dict) -> tuple[list[np.ndarray], _Placed]:
    """The band budget of plan_memory for splits whose one-row-band plan fits: (capacity - fixed) / 3,
    halved until the plan fits; each choosing step takes the band with the least isolated time among the
    candidates whose band buffers fit the budget (one row always). Without a fitting budget: the one-row plan.
    Returns the bands and the placement.
    ``cache``: isolated times walked before (plan_memory's ``times``), by (step, band, in_dram, out_dram),
    then split number (``ids``) -> (weight tiles, time)."""
    net = t.net
    steps = net.steps
    ab = combo.act_bits
    budget = (capacity - base.fixed_bits()) // len(BAND_BUFFERS)
    # isolated time and band-buffer bits of every candidate of every choosing step (budget-independent)
    cands = {}
    for i, s in enumerate(steps):
        sel = np.flatnonzero(choosing[i])
        if not len(sel):
            continue
        ind, outd = flags[i]
        ts = t.subset(sel)
        rows = np.array(band_candidates(s.out_rows), dtype=_I64)
        times, need = [], []
        wt = wts[i][sel]
        for b in rows.tolist():
            band = _zeros(len(sel)) + b
            if ind or outd:
                known = cache.setdefault((i, b, ind, outd), {})
                hits = [known.get(k) for k in ids[sel].tolist()]
                todo = np.array([k for k, (h, w) in enumerate(zip(hits, wt.tolist())) if h is None or h[0] != w],
                                dtype=_I64)
                time_b = np.array([0 if h is None else h[1] for h in hits], dtype=_I64)
                if len(todo):
                    walked = _walk(ts.subset(todo), combo, [s], [(band[todo], wt[todo], ind, outd)], None, False)
                    time_b[todo] = walked["done"] - walked["ready"]
                    for k in todo.tolist():
                        known[int(ids[sel[k]])] = (int(wt[k]), int(time_b[k]))
                times.append(time_b)
            else:  # a tiled fused step with on-chip maps: the closed form of the wtiles plans
                times.append(_isolated(s, band, _tiling_of(s, wt, ts), ts.cfg, _Loads(ts, combo)))
            need.append(band_buffer_bits(s, StepTiling(b, 1, ind, outd), ts.cfg, ts.plan.word, ab))
        cands[i] = (sel, rows, np.stack(times), np.stack(need))
    chosen, final = _budget_choice(cands, dict(enumerate(band0)), budget, budget > 0,
                                   lambda bands: _Placed(t, combo, _tiles(t, list(bands.values()), wts, flags), True,
                                                         limit), base)
    return list(chosen.values()), final


def _budget_choice(cands: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                   bands0: dict[int, np.ndarray], budget: np.ndarray, pending: np.ndarray,
                   place: Callable[[dict[int, np.ndarray]], "_Placed"],
                   final: "_Placed") -> tuple[dict[int, np.ndarray], "_Placed"]:
    """plan_memory's budget loop: while the plan does not fit, halve the band budget; each step of ``cands``
    (the splits ``sel`` it is chosen for, candidate heights, their isolated times and band-buffer bits)
    takes the quickest height whose buffers fit the budget. Returns each step's heights and the placement
    (``final`` and ``bands0`` where no budget fits)."""
    chosen = {i: b.copy() for i, b in bands0.items()}
    while pending.any():
        bands = {i: b.copy() for i, b in bands0.items()}
        for i, (sel, rows, times, need) in cands.items():
            # Candidates ascend and need grows with them: plan_memory stops at the first over budget.
            key = np.where((need <= budget[sel]) | (rows[:, None] == 1), times, np.iinfo(_I64).max)
            bands[i][sel] = rows[np.argmin(key, axis=0)]
        pl = place(bands)
        ok = pending & pl.fits
        for i in cands:
            chosen[i] = np.where(ok, bands[i], chosen[i])
        final = final.where(ok, pl)
        budget = budget // 2
        pending &= ~pl.fits & (budget > 0)
    return chosen, final
