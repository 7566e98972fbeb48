"""Mapping: split the PE budget between the engines and tile every layer so its buffers fit the board.

Search. Candidate splits are (tin x tout PW array, tc x tk DW lanes with tk in
{1, K, K*K}) with tin*tout + tc*tk <= pe, each factor a "breakpoint" — a value
where ceil(X/t) drops for some channel count X of the network (any other value
is no faster than the breakpoint below it and costs PEs and memory width). The
budget is capped at the board's DSP count (more PEs cannot be built). For all
candidates at once, numpy computes a closed-form lower bound of the cycles: the
input and output beats, HANDOFFs, each lone op's tile, for a fused pair the larger
of (one DW row + all PW work) and (all DW work + one PW row), and per step the
time its feature-map transfers need on the DRAM channel when the map cannot be
on-chip in any plan. Candidates are then planned and simulated exactly in order
of their bound until the next bound is no better than the best simulated latency
(branch and bound), so the result is the best split for this planner, and as the
candidate set only grows with the budget, more PEs are never slower. Candidates
whose smallest buffers overflow the board go last. A DRAM-bound search stops after
48 exact simulations (its bounds are loose and many splits tie); there
monotonicity is checked by the tests rather than guaranteed.

Memory plan for a split (first that fits the board's BRAM36/URAM wins):
1. everything on-chip: two feature-map buffers (a layer reads one, writes the
   other) sized for the largest map, the DW->PW ping-pong, all weights, biases;
2. weights in DRAM, double-buffered per load; if the weight buffer is too large
   the PW-engine layers are split into output-channel tiles (halving the buffer);
3. feature maps larger than a threshold live in DRAM and are streamed in row
   bands through double-buffered band buffers (the threshold lowers until it fits).
Row bands of fused pairs are chosen per step to minimise the step's simulated
time; when the step streams maps from DRAM or re-loads weight tiles per band, the
band buffers must also fit a budget (what the fixed buffers leave, halved until the
plan fits). Lone ops with on-chip feature maps run as one tile (the RTL contract).

Buffer geometry: feature-map, band and ping-pong buffers are words of
max(tin, tc) channels; PW weights words of tin*tout, DW weights words of tc*tk,
biases (act_bits + weight_bits wide, the product's fraction) one per output
channel. Each buffer is a separate memory; a memory goes to URAM when the board
has URAM left and it needs no more than a quarter of the BRAM36 blocks' count in
URAM blocks, else to BRAM36 (largest memories first).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .boards import DEFAULT_BOARD, Board, get_board
from .errors import HwgenError
from .graph import ComputeOp
from .hw import (BRAM36_SHAPES, DW_DEPTH, HANDOFF, POOL_DEPTH, PW_DEPTH, URAM_SHAPE, EngineConfig, bram36_blocks,
                 cdiv, fused_schedule, uram_blocks)
from .resources import dsp_count, dsp_per_pe, lut_count
from .sim import Trace, run_schedule
from .steps import (Step, StepTiling, bands_of, dw_band_cycles, input_rows, pw_band_cycles, pw_dot,
                    schedule_steps, weight_tile_channels, weight_words)


@dataclass(frozen=True)
class Buffer:
    """One on-chip memory: ``depth`` words of ``width`` bits, placed in BRAM36 or URAM blocks."""

    name: str
    depth: int
    width: int
    memory: str = "bram"
    blocks: int = 0

    @property
    def bits(self) -> int:
        return self.depth * self.width


@dataclass
class Mapping:
    """Where and how a network runs: PE split, tiling per step, memory placement, DRAM channel."""

    cfg: EngineConfig
    band_rows: dict[str, int]          # keyed by the DW op name of each fused dw->pw pair
    weights_in_dram: bool
    fmaps_in_dram: bool
    tiles: dict[str, StepTiling]       # per step (keyed by its first op's name)
    steps: list[Step]
    board: Board
    clock_mhz: float
    act_bits: int
    weight_bits: int
    dram_bytes_per_cycle: float
    dram_latency: int                  # cycles of one DRAM burst's latency
    fmap_limit: int                    # feature maps with more elements live in DRAM
    buffers: list[Buffer] = field(default_factory=list)
    pe_budget: int = 0                 # the PEs asked for (the search uses at most the board's DSPs)

    @property
    def bram36(self) -> int:
        return sum(b.blocks for b in self.buffers if b.memory == "bram")

    @property
    def uram(self) -> int:
        return sum(b.blocks for b in self.buffers if b.memory == "uram")

    @property
    def onchip_bits(self) -> int:
        return sum(b.bits for b in self.buffers)

    @property
    def memory_fits(self) -> bool:
        return self.bram36 <= self.board.bram36 and self.uram <= self.board.uram

    @property
    def warnings(self) -> list[str]:
        out = []
        b = self.board
        if self.bram36 > b.bram36:
            out.append(f"needs {self.bram36} BRAM36 but {b.name} has {b.bram36}")
        if self.uram > b.uram:
            out.append(f"needs {self.uram} URAM but {b.name} has {b.uram}")
        dsp = dsp_count(self.cfg, self.act_bits, self.weight_bits)
        if dsp > b.dsp:
            out.append(f"needs {dsp} DSP but {b.name} has {b.dsp}")
        lut = lut_count(self)
        if lut > b.lut:
            out.append(f"needs ~{lut} LUT but {b.name} has {b.lut}")
        return out

    def trace(self, ops: list[ComputeOp] | None = None) -> Trace:
        steps = schedule_steps(ops) if ops is not None else self.steps
        return run_schedule(steps, self.tiles, self.cfg, weights_in_dram=self.weights_in_dram,
                            input_in_dram=_input_in_dram(steps, self.fmap_limit), act_bits=self.act_bits,
                            weight_bits=self.weight_bits, bytes_per_cycle=self.dram_bytes_per_cycle,
                            latency=self.dram_latency)

    def to_dict(self) -> dict:
        c = self.cfg
        return {
            "pe": c.pe, "pe_budget": self.pe_budget, "tin": c.tin, "tout": c.tout, "tc": c.tc, "tk": c.tk, "pw_pe": c.pw_pe, "dw_pe": c.dw_pe,
            "split": format_split(c), "board": self.board.name, "part": self.board.part,
            "clock_mhz": self.clock_mhz, "act_bits": self.act_bits, "weight_bits": self.weight_bits,
            "weights_in_dram": self.weights_in_dram, "fmaps_in_dram": self.fmaps_in_dram,
            "fmap_limit": self.fmap_limit, "dram_bytes_per_cycle": self.dram_bytes_per_cycle,
            "dram_latency": self.dram_latency, "band_rows": dict(self.band_rows),
            "tiles": {k: vars(t).copy() for k, t in self.tiles.items()},
            "buffers": [{"name": b.name, "depth": b.depth, "width": b.width, "bits": b.bits, "memory": b.memory,
                         "blocks": b.blocks} for b in self.buffers],
            "bram36": self.bram36, "uram": self.uram, "onchip_bits": self.onchip_bits,
        }


_SPLIT = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*,\s*(\d+)\s*x\s*(\d+)\s*$", re.IGNORECASE)


def parse_split(text: str) -> EngineConfig:
    """Parse ``TINxTOUT,TCxTK`` (e.g. ``8x7,8x1``)."""
    m = _SPLIT.match(text)
    if not m:
        raise HwgenError(f"malformed --split {text!r}: expected TINxTOUT,TCxTK such as 8x7,8x1")
    tin, tout, tc, tk = (int(g) for g in m.groups())
    if min(tin, tout, tc, tk) < 1:
        raise HwgenError(f"--split {text!r}: every factor must be >= 1")
    return EngineConfig(tin, tout, tc, tk)


def format_split(cfg: EngineConfig) -> str:
    return f"{cfg.tin}x{cfg.tout},{cfg.tc}x{cfg.tk}"


def dw_kernel(steps: list[Step]) -> int:
    ks = {op.kernel for s in steps for op in s.ops if op.kind == "dw"}
    if len(ks) > 1:
        raise HwgenError(f"depthwise layers with different kernels {sorted(ks)} cannot share one DW engine")
    return ks.pop() if ks else 1


def tk_choices(steps: list[Step]) -> list[int]:
    k = dw_kernel(steps)
    return sorted({1, k, k * k})


# ---------------------------------------------------------------------------------------------- tensors

def _tensors(steps: list[Step]) -> list[int]:
    """Elements of the network input and of every step's output."""
    h, w, c = steps[0].first.in_shape
    return [h * w * c] + [s.last.out_shape[0] * s.last.out_shape[1] * s.last.out_shape[2] for s in steps]


def _input_in_dram(steps: list[Step], fmap_limit: int) -> bool:
    return _tensors(steps)[0] > fmap_limit


def _fmap_flags(steps: list[Step], fmap_limit: int) -> list[tuple[bool, bool]]:
    t = _tensors(steps)
    flags = []
    for i in range(len(steps)):
        last = i == len(steps) - 1
        flags.append((t[i] > fmap_limit, t[i + 1] > fmap_limit and not last))  # the logits stream out
    return flags


# ---------------------------------------------------------------------------------------------- buffers

def _word(cfg: EngineConfig) -> int:
    return max(cfg.tin, cfg.tc)


def _band_buffer_elems(step: Step, tiling: StepTiling) -> tuple[int, int, int]:
    """Elements of one half of the (input band, output band, DW->PW ping-pong) buffers a step needs."""
    bands = bands_of(step, tiling)
    rows = max(bands)
    op = step.first
    in_b = out_b = pp = 0
    if tiling.in_dram:
        worst = max(input_rows(op, r, min(r + tiling.band_rows, step.out_rows))
                    for r in range(0, step.out_rows, tiling.band_rows)) if step.bandable else op.in_shape[0]
        in_b = worst * op.in_shape[1] * op.in_shape[2]
    last = step.last
    if tiling.out_dram:
        out_b = (rows if step.bandable else last.out_shape[0]) * last.out_shape[1] * last.out_shape[2]
    if step.fused:
        d = step.first
        pp = rows * d.out_shape[1] * d.out_shape[2]
    return in_b, out_b, pp


def plan_buffers(steps: list[Step], tiles: dict[str, StepTiling], cfg: EngineConfig, weights_in_dram: bool,
                 fmap_limit: int, act_bits: int, weight_bits: int) -> list[Buffer]:
    """The on-chip memories of a mapping (depth x width, before placement)."""
    word = _word(cfg)
    bufs: list[Buffer] = []
    onchip = [t for t in _tensors(steps) if t <= fmap_limit]
    if onchip:
        for name in ("fmap_a", "fmap_b"):
            bufs.append(Buffer(name, cdiv(max(onchip), word), word * act_bits))
    in_b = out_b = pp = 0
    for s in steps:
        i, o, p = _band_buffer_elems(s, tiles[s.name])
        in_b, out_b, pp = max(in_b, i), max(out_b, o), max(pp, p)
    for name, elems in (("in_band", in_b), ("out_band", out_b), ("dw_pw_pingpong", pp)):
        if elems:
            bufs.append(Buffer(name, 2 * cdiv(elems, word), word * act_bits))
    pw_ops = [op for s in steps for op in s.ops if op.kind in ("conv", "pw", "fc")]
    dw_ops = [op for s in steps for op in s.ops if op.kind == "dw"]
    pw_words = [weight_words(op, cfg) for op in pw_ops]
    dw_words = [weight_words(op, cfg) for op in dw_ops]
    if weights_in_dram:
        tile_words = []
        for s in steps:
            if s.pw_op is not None:
                op = s.pw_op
                ch = weight_tile_channels(op, tiles[s.name].weight_tiles, cfg)[0]
                tile_words.append(weight_words(op, cfg, ch))
        if tile_words:
            bufs.append(Buffer("pw_weights_2x", 2 * max(tile_words), cfg.tin * cfg.tout * weight_bits))
        if dw_words:
            bufs.append(Buffer("dw_weights_2x", 2 * max(dw_words), cfg.tc * cfg.tk * weight_bits))
    else:
        if pw_words:
            bufs.append(Buffer("pw_weights", sum(pw_words), cfg.tin * cfg.tout * weight_bits))
        if dw_words:
            bufs.append(Buffer("dw_weights", sum(dw_words), cfg.tc * cfg.tk * weight_bits))
    nbias = sum(op.out_shape[2] for op in pw_ops + dw_ops)
    if nbias:
        bufs.append(Buffer("bias", nbias, act_bits + weight_bits))
    return bufs


def place_buffers(bufs: list[Buffer], board: Board) -> list[Buffer]:
    """Assign each memory to URAM or BRAM36 (largest first) and count its blocks."""
    uram_left = board.uram
    placed: dict[str, Buffer] = {}
    for b in sorted(bufs, key=lambda b: -bram36_blocks(b.depth, b.width)):
        nb, nu = bram36_blocks(b.depth, b.width), uram_blocks(b.depth, b.width)
        if nu and nu <= uram_left and 4 * nu <= nb:
            uram_left -= nu
            placed[b.name] = Buffer(b.name, b.depth, b.width, "uram", nu)
        else:
            placed[b.name] = Buffer(b.name, b.depth, b.width, "bram", nb)
    return [placed[b.name] for b in bufs]


def onchip_data_bits(op: ComputeOp, step: Step, mapping: Mapping) -> int:
    """On-chip bits the op's data occupies: its maps held on-chip, band/ping-pong halves, its weights."""
    t = mapping.tiles[step.name]
    ab, wb = mapping.act_bits, mapping.weight_bits
    h, w, c = op.in_shape
    ho, wo, co = op.out_shape
    bits = 0
    i_b, o_b, pp = _band_buffer_elems(step, t)
    if op is step.first:
        bits += (h * w * c if not t.in_dram else 2 * i_b) * ab
    if op is step.last:
        bits += (ho * wo * co if not t.out_dram else 2 * o_b) * ab
    if step.fused:
        bits += pp * ab  # each op of the pair is charged half of the two-half ping-pong
    if op.kind != "pool":
        if mapping.weights_in_dram and op is step.pw_op:
            ch = weight_tile_channels(op, t.weight_tiles, mapping.cfg)[0]
            bits += 2 * pw_dot(op) * ch * wb
        else:
            bits += op.weights * wb * (2 if mapping.weights_in_dram else 1)
    return bits


# ---------------------------------------------------------------------------------------------- search

@dataclass(frozen=True)
class _Ctx:
    board: Board
    clock_mhz: float
    act_bits: int
    weight_bits: int
    bpc: float
    latency: int
    weights_in_dram: bool | None
    band_rows: int | None


def _band_candidates(rows: int) -> list[int]:
    c = {rows}
    b = 1
    while b < rows:
        c.add(b)
        b *= 2
    return sorted(c)


def _fused_time(step: Step, band: int, cfg: EngineConfig) -> int:
    bands = bands_of(step, StepTiling(band))
    dw = [dw_band_cycles(step, r, cfg) for r in bands]
    pw = [pw_band_cycles(step, r, step.last.out_shape[2], cfg) for r in bands]
    return fused_schedule(0, dw, pw)[0]


def _best_onchip_band(step: Step, cfg: EngineConfig) -> int:
    return min(_band_candidates(step.out_rows), key=lambda b: (_fused_time(step, b, cfg), b))


def _isolated_time(step: Step, tiling: StepTiling, cfg: EngineConfig, ctx: _Ctx) -> int:
    """Cycles of one step alone (its weight tiles, re-loaded per band, included when tiled)."""
    tr = run_schedule([step], {step.name: tiling}, cfg, weights_in_dram=tiling.weight_tiles > 1, input_in_dram=False,
                      act_bits=ctx.act_bits, weight_bits=ctx.weight_bits, bytes_per_cycle=ctx.bpc,
                      latency=ctx.latency)
    return tr.steps[0].done - tr.steps[0].ready


def _weight_tiles(op: ComputeOp, cap_words: int, cfg: EngineConfig) -> int:
    per_group = cdiv(pw_dot(op), cfg.tin)
    groups = max(1, cap_words // per_group)
    return cdiv(cdiv(op.out_shape[2], cfg.tout), groups)


def _attempt(steps: list[Step], cfg: EngineConfig, ctx: _Ctx, wdram: bool, fmap_limit: int, cap_words: int | None,
             band_budget_bits: int | None, onchip_bands: dict[str, int],
             times: dict[tuple[str, StepTiling], int]) -> Mapping:
    """One memory plan; ``band_budget_bits`` caps a DRAM-streamed step's band buffers (0: one-row bands)."""
    flags = _fmap_flags(steps, fmap_limit)
    tiles: dict[str, StepTiling] = {}
    word_bits = _word(cfg) * ctx.act_bits
    for s, (ind, outd) in zip(steps, flags):
        wt = _weight_tiles(s.pw_op, cap_words, cfg) if (wdram and cap_words and s.pw_op is not None) else 1
        if not s.bandable:
            tiles[s.name] = StepTiling(s.out_rows, wt, ind, outd)
        elif ctx.band_rows is not None:
            tiles[s.name] = StepTiling(min(ctx.band_rows, s.out_rows) if s.fused or ind or outd else s.out_rows,
                                       wt, ind, outd)
        elif not (ind or outd or (s.fused and wt > 1)):
            tiles[s.name] = StepTiling(onchip_bands[s.name] if s.fused else s.out_rows, wt, ind, outd)
        elif band_budget_bits == 0:
            tiles[s.name] = StepTiling(1, wt, ind, outd)
        else:
            best = None
            for b in _band_candidates(s.out_rows):
                t = StepTiling(b, wt, ind, outd)
                need = sum(2 * cdiv(e, _word(cfg)) * word_bits for e in _band_buffer_elems(s, t))
                if band_budget_bits is not None and need > band_budget_bits and b > 1:
                    break  # band buffers grow with the band height
                if (s.name, t) not in times:
                    times[(s.name, t)] = _isolated_time(s, t, cfg, ctx)
                key = (times[(s.name, t)], b)
                if best is None or key < best[0]:
                    best = (key, t)
            assert best is not None
            tiles[s.name] = best[1]
    bufs = place_buffers(plan_buffers(steps, tiles, cfg, wdram, fmap_limit, ctx.act_bits, ctx.weight_bits),
                         ctx.board)
    return Mapping(cfg=cfg, band_rows={s.name: tiles[s.name].band_rows for s in steps if s.fused},
                   weights_in_dram=wdram, fmaps_in_dram=any(a or b for a, b in flags), tiles=tiles, steps=steps,
                   board=ctx.board, clock_mhz=ctx.clock_mhz, act_bits=ctx.act_bits, weight_bits=ctx.weight_bits,
                   dram_bytes_per_cycle=ctx.bpc, dram_latency=ctx.latency, fmap_limit=fmap_limit, buffers=bufs)


def plan_memory(steps: list[Step], cfg: EngineConfig, ctx: _Ctx) -> Mapping:
    """The first memory plan (in the order of the module docstring) whose buffers fit the board."""
    onchip_bands = {s.name: _best_onchip_band(s, cfg) for s in steps if s.fused}
    tensors = _tensors(steps)
    all_onchip = max(tensors)
    last: Mapping | None = None
    times: dict[tuple[str, StepTiling], int] = {}
    if ctx.weights_in_dram is not True:
        last = _attempt(steps, cfg, ctx, False, all_onchip, None, None, onchip_bands, times)
        if last.memory_fits or ctx.weights_in_dram is False:
            return last
    pw_ops = [s.pw_op for s in steps if s.pw_op is not None]
    caps: list[int | None] = [None]
    if pw_ops:
        top = max(weight_words(op, cfg) for op in pw_ops)
        floor_ = max(cdiv(pw_dot(op), cfg.tin) for op in pw_ops)
        cap = top // 2
        while cap >= floor_:
            caps.append(cap)
            cap //= 2
        if caps[-1] != floor_:
            caps.append(floor_)
    capacity = ctx.board.bram36 * 36 * 1024 + ctx.board.uram * 288 * 1024
    band_bufs = ("in_band", "out_band", "dw_pw_pingpong")
    for limit in sorted(set(tensors), reverse=True) + [0]:
        for cap in caps:
            # One-row bands need the least memory: if they do not fit, no band height will.
            last = _attempt(steps, cfg, ctx, True, limit, cap, 0, onchip_bands, times)
            if not last.memory_fits:
                continue
            fixed = sum(b.blocks * (288 if b.memory == "uram" else 36) * 1024 for b in last.buffers
                        if b.name not in band_bufs)
            budget = (capacity - fixed) // len(band_bufs)
            while budget > 0:
                m = _attempt(steps, cfg, ctx, True, limit, cap, budget, onchip_bands, times)
                if m.memory_fits:
                    return m
                budget //= 2
            return last
    assert last is not None
    return last


def _breakpoints(sizes: set[int], limit: int) -> np.ndarray:
    """Parallelisms t <= limit at which ceil(X/t) drops for some X in ``sizes``.

    Any other t is no faster than the breakpoint below it and costs more PEs and
    wider memories, so only breakpoints need to be searched.
    """
    out = {1}
    for x in sizes:
        out.update(t for t in {-(-x // q) for q in range(1, x + 1)} if t <= limit)
    return np.array(sorted(out), dtype=np.int64)


def _candidates(steps: list[Step], pe: int, tks: list[int]) -> np.ndarray:
    """All splits (tin, tout, tc, tk) with tin*tout + tc*tk <= pe, each factor a breakpoint."""
    ins = {pw_dot(op) for s in steps for op in s.ops if op.kind in ("conv", "pw", "fc")}
    ins |= {op.in_shape[2] for s in steps for op in s.ops if op.kind == "pool"}
    outs = {op.out_shape[2] for s in steps for op in s.ops if op.kind in ("conv", "pw", "fc")}
    chans = {op.out_shape[2] for s in steps for op in s.ops if op.kind == "dw"} or {1}
    tin = _breakpoints(ins or {1}, pe - 1)
    tout = _breakpoints(outs or {1}, pe - 1)
    tc = _breakpoints(chans, pe - 1)
    a, b = np.meshgrid(tin, tout, indexing="ij")
    a, b = a.ravel(), b.ravel()
    keep = a * b <= pe - 1
    a, b = a[keep], b[keep]
    parts = []
    for tk in tks:
        n = np.searchsorted(tc, (pe - a * b) // tk, side="right")  # tc values that fit beside each PW array
        rows = np.repeat(np.arange(len(a)), n)
        idx = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        parts.append(np.stack([a[rows], b[rows], tc[idx], np.full(len(rows), tk)], axis=1))
    return np.concatenate(parts)


def _dram_floor(steps: list[Step], ctx: _Ctx) -> list[int]:
    """Per step, the cycles its feature-map transfers need in any plan that fits the board.

    Two feature-map buffers of the largest on-chip map must fit the board's block RAM
    bits, so maps above that size live in DRAM in every fitting plan; a step's map
    transfers happen between its start and its end on one serial channel.
    """
    capacity = ctx.board.bram36 * 36 * 1024 + ctx.board.uram * 288 * 1024
    limit = capacity // (2 * ctx.act_bits)
    t = _tensors(steps)
    floors = []
    for i, (ind, outd) in enumerate(_fmap_flags(steps, limit)):
        moved = (t[i] if ind else 0) + (t[i + 1] if outd else 0)
        floors.append(int(moved * ctx.act_bits / 8 / ctx.bpc) if moved else 0)
    return floors


def _lower_bounds(steps: list[Step], cand: np.ndarray, floors: list[int] | None = None) -> np.ndarray:
    """A lower bound of the total cycles of every candidate split (any tiling; any fitting memory plan)."""
    tin, tout, tc, tk = (cand[:, i] for i in range(4))
    floors = floors or [0] * len(steps)

    def cd(a: int, b: np.ndarray) -> np.ndarray:
        return -(-a // b)

    h, w, _ = steps[0].first.in_shape
    oh, ow, oc = steps[-1].last.out_shape
    total = np.full(len(cand), h * w + HANDOFF + oh * ow * oc, dtype=np.int64)
    for s, floor in zip(steps, floors):
        total += HANDOFF
        last = s.last
        if last.kind == "pool":
            total += np.maximum(last.in_shape[0] * last.in_shape[1] * cd(last.in_shape[2], tin) + POOL_DEPTH, floor)
            continue
        if last.kind in ("conv", "pw", "fc"):
            px = 1 if last.kind == "fc" else last.out_shape[0] * last.out_shape[1]
            pw_row = last.out_shape[1] * cd(last.out_shape[2], tout) * cd(pw_dot(last), tin)
            pw_all = px * cd(last.out_shape[2], tout) * cd(pw_dot(last), tin)
        dw = s.dw_op
        if dw is not None:
            dw_row = dw.out_shape[1] * cd(dw.out_shape[2], tc) * cd(dw.kernel ** 2, tk)
            dw_all = dw.out_shape[0] * dw_row
        if s.fused:
            step = np.maximum(dw_row + DW_DEPTH + HANDOFF + pw_all + PW_DEPTH,
                              dw_all + DW_DEPTH + HANDOFF + pw_row + PW_DEPTH)
        elif last.kind == "dw":
            step = dw_all + DW_DEPTH
        else:
            step = pw_all + PW_DEPTH
        total += np.maximum(step, floor)
    return total


def map_network(ops: list[ComputeOp], pe: int, board: str | Board = DEFAULT_BOARD, act_bits: int = 8,
                weight_bits: int = 8, *, clock_mhz: float | None = None, dram_gbps: float | None = None,
                split: EngineConfig | str | None = None, weights_in_dram: bool | None = None,
                band_rows: int | None = None) -> Mapping:
    """Choose the PE split and tiling of ``ops`` that minimise simulated latency on ``board``.

    ``split`` forces the engine configuration; ``weights_in_dram`` forces (True/False)
    the weight placement; ``band_rows`` forces the row-band height of every fused pair.
    """
    if not ops:
        raise HwgenError("the network has no compute ops")
    if pe < 2:
        raise HwgenError(f"--pe must be >= 2 (one PE for each of the PW and DW engines), got {pe}")
    for name, bits in (("act-bits", act_bits), ("weight-bits", weight_bits)):
        if not 2 <= bits <= 32:
            raise HwgenError(f"--{name} must be in 2..32, got {bits}")
    b = get_board(board) if isinstance(board, str) else board
    clock = b.clock_mhz if clock_mhz is None else clock_mhz
    if clock <= 0:
        raise HwgenError(f"--clock-mhz must be > 0, got {clock}")
    if dram_gbps is not None and dram_gbps <= 0:
        raise HwgenError(f"--dram-gbps must be > 0, got {dram_gbps}")
    if band_rows is not None and band_rows < 1:
        raise HwgenError(f"band rows must be >= 1, got {band_rows}")
    steps = schedule_steps(ops)
    tks = tk_choices(steps)
    ctx = _Ctx(b, clock, act_bits, weight_bits, b.dram_bytes_per_cycle(clock, dram_gbps),
               b.dram_latency_cycles(clock), weights_in_dram, band_rows)
    if split is not None:
        cfg = parse_split(split) if isinstance(split, str) else split
        if cfg.pe > pe:
            raise HwgenError(f"--split {format_split(cfg)} uses {cfg.pe} PEs, more than --pe {pe}")
        if cfg.tk not in tks:
            raise HwgenError(f"--split {format_split(cfg)}: tk must be one of {tks} for kernel {dw_kernel(steps)}")
        m = plan_memory(steps, cfg, ctx)
        m.pe_budget = pe
        return m
    # More PEs than DSPs cannot be built: search within the DSP budget (so more PEs are never slower).
    m = _search(steps, min(pe, max(2, b.dsp // dsp_per_pe(act_bits, weight_bits))), tks, ctx)
    m.pe_budget = pe
    return m


_MAX_UNFIT_TRIES = 16
#: Exact simulations per search at most (reached only when DRAM-bound: many splits then have equal bounds).
_MAX_EXACT = 48


def _min_blocks(depth: np.ndarray, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(BRAM36, URAM) blocks of depth x width memories, vectorised hw.bram36_blocks / hw.uram_blocks."""
    bram = np.min([-(-width // w) * -(-depth // d) for d, w in BRAM36_SHAPES], axis=0)
    return bram, -(-width // URAM_SHAPE[1]) * -(-depth // URAM_SHAPE[0])


def _can_fit(steps: list[Step], cand: np.ndarray, ctx: _Ctx) -> np.ndarray:
    """Whether each split's smallest buffers fit the board (a URAM counted as 8 BRAM36).

    Smallest: weight double buffers of one tout group per tile, one-row band and
    ping-pong buffers, biases; maps too large for any plan are streamed.
    """
    tin, tout, tc, tk = (cand[:, i] for i in range(4))
    ab, wb = ctx.act_bits, ctx.weight_bits
    word = np.maximum(tin, tc)
    blocks = np.zeros(len(cand), dtype=np.int64)

    def add(depth: np.ndarray, width: np.ndarray) -> None:
        nonlocal blocks
        b, u = _min_blocks(depth, width)
        blocks = blocks + np.minimum(b, 8 * u if ctx.board.uram else b)

    ins = [pw_dot(s.pw_op) for s in steps if s.pw_op is not None]
    if ins:
        add(2 * np.max([-(-m // tin) for m in ins], axis=0), tin * tout * wb)
    dws = [(s.dw_op.out_shape[2], s.dw_op.kernel ** 2) for s in steps if s.dw_op is not None]
    if dws:
        add(2 * np.max([-(-c // tc) * -(-kk // tk) for c, kk in dws], axis=0), tc * tk * wb)
    capacity = ctx.board.bram36 * 36 * 1024 + ctx.board.uram * 288 * 1024
    flags = _fmap_flags(steps, capacity // (2 * ab))
    halves = [0, 0, 0]
    for s, (ind, outd) in zip(steps, flags):
        one_row = _band_buffer_elems(s, StepTiling(1, 1, ind, outd))
        halves = [max(a, b) for a, b in zip(halves, one_row)]
    for elems in halves:
        if elems:
            add(2 * -(-elems // word), word * ab)
    nbias = sum(op.out_shape[2] for s in steps for op in s.ops if op.kind != "pool")
    add(np.full(len(cand), nbias), np.full(len(cand), ab + wb))
    return blocks <= ctx.board.bram36 + 8 * ctx.board.uram


def _search(steps: list[Step], pe: int, tks: list[int], ctx: _Ctx) -> Mapping:
    cand = _candidates(steps, pe, tks)
    lb = _lower_bounds(steps, cand, _dram_floor(steps, ctx))
    # Splits whose smallest buffers overflow the board go last.
    lb = np.where(_can_fit(steps, cand, ctx), lb, lb + np.iinfo(np.int64).max // 4)
    # By bound; among equal bounds the widest DW engine first (fewer DW lanes only help memory).
    order = np.lexsort((cand[:, 3], cand[:, 1], cand[:, 0], -cand[:, 2], lb))
    best: tuple[tuple[int, int], Mapping] | None = None
    fitted: set[tuple[int, int, int]] = set()
    n = 0
    for idx in order:
        # Stop when no remaining split can beat the best; while nothing fits the board, look a little further.
        if best is not None and ((lb[idx] >= best[0][1] and (best[0][0] == 0 or n >= _MAX_UNFIT_TRIES))
                                 or n >= _MAX_EXACT):
            break
        tin, tout, tc, tk = (int(x) for x in cand[idx])
        if (tin, tout, tk) in fitted:
            continue  # a wider DW engine with this PW array already fits and is never slower
        n += 1
        m = plan_memory(steps, EngineConfig(tin, tout, tc, tk), ctx)
        if m.memory_fits:
            fitted.add((tin, tout, tk))
        key = (0 if m.memory_fits else 1, m.trace().total_cycles)
        if best is None or key < best[0]:
            best = (key, m)
    assert best is not None
    return best[1]
