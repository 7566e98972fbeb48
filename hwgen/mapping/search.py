"""The mapping search: every PE split under the budget, pruned by a vectorised lower bound, the best
simulated exactly (branch and bound); memory plans tried in order until one fits the board.

The strategy is described in :mod:`hwgen.mapping.plan`'s docstring (search, memory plan, buffer geometry)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from hwgen.errors import HwgenError
from hwgen.hw.boards import DEFAULT_BOARD, Board, get_board
from hwgen.hw.contract import (EngineArrays, DW_DEPTH, HANDOFF, MAX_STREAM_BITS, POOL_DEPTH, PW_DEPTH, EngineConfig, Lanes, unbox, cdiv,
                               dw_iterations, fused_cycles_bound, fused_schedule, input_cycles, pool_iterations,
                               pw_iterations, tile_cycles)
from hwgen.hw.resources import dsp_count, dsp_packing_applies, lut_count, max_macs
from hwgen.hw.schedule import run_schedule
from hwgen.hw.steps import (Step, StepTiling, bands_of, dw_band_cycles, pw_band_cycles, pw_dot, pw_groups, pw_rows,
                            schedule_steps, weight_words)
from hwgen.ir.ops import ComputeOp
from hwgen.limits import check_limit
from hwgen.mapping.plan import (BAND_BUFFERS, FEATURE_BUFFERS, Mapping, band_buffer_bits, buffer_slots, dw_kernel, fmap_flags,
                                feature_word, format_split, lut_inputs, parse_split, place_blocks, place_buffers, plan_buffers,
                                plan_words, tensor_elems, tk_choices)
from hwgen.numerics.fixed import check_bits


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
    dsp_packing: bool
    pixels_per_beat: int


def band_candidates(rows: int) -> list[int]:
    """Row-band heights the planner tries for a step of ``rows`` output rows: powers of two below it, and all rows."""
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
    return min(band_candidates(step.out_rows), key=lambda b: (_fused_time(step, b, cfg), b))


def _isolated_time(step: Step, tiling: StepTiling, cfg: EngineConfig, ctx: _Ctx) -> int:
    """Cycles of one step alone (its weight tiles, re-loaded per band, included when tiled)."""
    tr = run_schedule([step], {step.name: tiling}, cfg, weights_in_dram=tiling.weight_tiles > 1, input_in_dram=False,
                      act_bits=ctx.act_bits, weight_bits=ctx.weight_bits, bytes_per_cycle=ctx.bpc,
                      latency=ctx.latency)
    return tr.steps[0].done - tr.steps[0].ready


def weight_tiles(step: Step, cap_words: Any, cfg: Lanes) -> Any:
    """Output-channel tiles of the weights of ``step``'s PW-engine op under a buffer cap of ``cap_words`` words
    (at least one tout group per tile); ints or arrays of splits."""
    op = step.pw_op
    assert op is not None
    groups = np.maximum(1, cap_words // pw_groups(op, cfg, step.dw_kernel))
    return unbox(cdiv(cdiv(op.out_shape[2], cfg.tout), groups))


def _attempt(steps: list[Step], cfg: EngineConfig, ctx: _Ctx, wdram: bool, fmap_limit: int, cap_words: int | None,
             band_budget_bits: int | None, onchip_bands: dict[str, int],
             times: dict[tuple[str, StepTiling], int]) -> Mapping:
    """One memory plan; ``band_budget_bits`` caps a DRAM-streamed step's band buffers (0: one-row bands)."""
    flags = fmap_flags(steps, fmap_limit)
    tiles: dict[str, StepTiling] = {}
    word = feature_word(cfg, steps[0].first.in_shape[2], ctx.pixels_per_beat)
    for s, (ind, outd) in zip(steps, flags):
        wt = weight_tiles(s, cap_words, cfg) if (wdram and cap_words and s.pw_op is not None) else 1
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
            for b in band_candidates(s.out_rows):
                t = StepTiling(b, wt, ind, outd)
                need = band_buffer_bits(s, t, cfg, word, ctx.act_bits)
                if band_budget_bits is not None and need > band_budget_bits and b > 1:
                    break  # band buffers grow with the band height
                if (s.name, t) not in times:
                    times[(s.name, t)] = _isolated_time(s, t, cfg, ctx)
                key = (times[(s.name, t)], b)
                if best is None or key < best[0]:
                    best = (key, t)
            assert best is not None
            tiles[s.name] = best[1]
    bufs = place_buffers(plan_buffers(steps, tiles, cfg, wdram, fmap_limit, ctx.act_bits, ctx.weight_bits,
                                      ctx.pixels_per_beat), ctx.board)
    return Mapping(cfg=cfg, band_rows={s.name: tiles[s.name].band_rows for s in steps if s.fused},
                   weights_in_dram=wdram, fmaps_in_dram=any(a or b for a, b in flags), tiles=tiles, steps=steps,
                   board=ctx.board, clock_mhz=ctx.clock_mhz, act_bits=ctx.act_bits, weight_bits=ctx.weight_bits,
                   dram_bytes_per_cycle=ctx.bpc, dram_latency=ctx.latency, fmap_limit=fmap_limit, buffers=bufs,
                   dsp_packing=ctx.dsp_packing, pixels_per_beat=ctx.pixels_per_beat)


def plan_memory(steps: list[Step], cfg: EngineConfig, ctx: _Ctx) -> Mapping:
    """The first memory plan (in the order of the module docstring) whose buffers fit the board."""
    onchip_bands = {s.name: _best_onchip_band(s, cfg) for s in steps if s.fused}
    tensors = tensor_elems(steps)
    all_onchip = max(tensors)
    last: Mapping | None = None
    times: dict[tuple[str, StepTiling], int] = {}
    if ctx.weights_in_dram is not True:
        last = _attempt(steps, cfg, ctx, False, all_onchip, None, None, onchip_bands, times)
        if last.memory_fits or ctx.weights_in_dram is False:
            return last
    pw_steps = [s for s in steps if s.pw_op is not None]
    caps: list[int | None] = [None]
    if pw_steps:
        top = max(weight_words(s.pw_op, cfg, s.dw_kernel) for s in pw_steps)
        floor_ = max(pw_groups(s.pw_op, cfg, s.dw_kernel) for s in pw_steps)
        cap = top // 2
        while cap >= floor_:
            caps.append(cap)
            cap //= 2
        if caps[-1] != floor_:
            caps.append(floor_)
    capacity = ctx.board.ram_bits
    for limit in sorted(set(tensors), reverse=True) + [0]:
        for cap in caps:
            # One-row bands need the least memory: if they do not fit, no band height will.
            last = _attempt(steps, cfg, ctx, True, limit, cap, 0, onchip_bands, times)
            if not last.memory_fits:
                continue
            fixed = sum(b.blocks * (288 if b.memory == "uram" else 36) * 1024 for b in last.buffers
                        if b.name not in BAND_BUFFERS)
            budget = (capacity - fixed) // len(BAND_BUFFERS)
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


def candidate_splits(steps: list[Step], pe: int, tks: list[int]) -> np.ndarray:
    """All splits (tin, tout, tc, tk) with tin*tout + tc*tk <= pe, each factor a breakpoint."""
    # run lengths (a conv: a kernel row, or the window: hw.contract.conv_rows)
    ins = {pw_dot(op) // r for s in steps for op in s.ops if op.kind in ("conv", "pw", "fc")
           for r in {1, op.kernel if op.kind == "conv" else 1}}
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
    capacity = ctx.board.ram_bits
    limit = capacity // (2 * ctx.act_bits)
    t = tensor_elems(steps)
    floors = []
    for i, (ind, outd) in enumerate(fmap_flags(steps, limit)):
        moved = (t[i] if ind else 0) + (t[i + 1] if outd else 0)
        floors.append(int(moved * ctx.act_bits / 8 / ctx.bpc) if moved else 0)
    return floors


def lower_bounds(steps: list[Step], cand: np.ndarray, floors: list[int] | None = None,
                 pixels_per_beat: int = 1) -> np.ndarray:
    """A lower bound of the total cycles of every candidate split (any tiling; any fitting memory plan).

    The contract's formulas evaluated on arrays of lane counts: lone ops as one tile, fused pairs by
    ``fused_cycles_bound``, each step at least its DRAM floor, plus the input/output beats and HANDOFFs.
    """
    lanes = EngineArrays(*(cand[:, i] for i in range(4)))
    floors = floors or [0] * len(steps)
    h, w, _ = steps[0].first.in_shape
    oh, ow, oc = steps[-1].last.out_shape
    total = np.full(len(cand), input_cycles(h * w, pixels_per_beat) + HANDOFF + oh * ow * oc, dtype=np.int64)
    for s, floor in zip(steps, floors):
        total += HANDOFF
        last = s.last
        runs = pw_rows(last, lanes, s.dw_kernel)
        if last.kind == "pool":
            step = tile_cycles(pool_iterations(last.in_shape[0] * last.in_shape[1], last.in_shape[2], lanes),
                               POOL_DEPTH)
        elif s.fused:
            dw = s.dw_op
            row, rows = dw.out_shape[1], dw.out_shape[0] * dw.out_shape[1]
            step = fused_cycles_bound(
                tile_cycles(dw_iterations(row, dw.out_shape[2], dw.kernel, lanes), DW_DEPTH),
                tile_cycles(dw_iterations(rows, dw.out_shape[2], dw.kernel, lanes), DW_DEPTH),
                tile_cycles(pw_iterations(row, pw_dot(last), last.out_shape[2], lanes, runs), PW_DEPTH),
                tile_cycles(pw_iterations(rows, pw_dot(last), last.out_shape[2], lanes, runs), PW_DEPTH))
        elif last.kind == "dw":
            step = tile_cycles(dw_iterations(last.out_shape[0] * last.out_shape[1], last.out_shape[2], last.kernel,
                                             lanes), DW_DEPTH)
        else:
            px = 1 if last.kind == "fc" else last.out_shape[0] * last.out_shape[1]
            step = tile_cycles(pw_iterations(px, pw_dot(last), last.out_shape[2], lanes, runs), PW_DEPTH)
        total += np.maximum(step, floor)
    return total


def check_pixels_per_beat(pixels_per_beat: int, in_channels: int, act_bits: int) -> None:
    """One-line error unless ``pixels_per_beat`` is in range and its beat (P pixels of ``in_channels`` codes of
    ``act_bits``) fits the widest input stream."""
    check_limit("--pixels-per-beat", pixels_per_beat)
    bits = pixels_per_beat * in_channels * act_bits
    if bits > MAX_STREAM_BITS:
        raise HwgenError(f"--pixels-per-beat {pixels_per_beat}: {pixels_per_beat} pixels x {in_channels} channels x "
                         f"{act_bits} bits = {bits}-bit beats, wider than the {MAX_STREAM_BITS}-bit input stream")


def map_network(ops: list[ComputeOp], pe: int, board: str | Board = DEFAULT_BOARD, act_bits: int = 8,
                weight_bits: int = 8, *, clock_mhz: float | None = None, dram_gbps: float | None = None,
                split: EngineConfig | str | None = None, weights_in_dram: bool | None = None,
                band_rows: int | None = None, dsp_packing: bool = True, pixels_per_beat: int = 1) -> Mapping:
    """Choose the PE split and tiling of ``ops`` that minimise simulated latency on ``board``.

    ``split`` forces the engine configuration; ``weights_in_dram`` forces (True/False)
    the weight placement; ``band_rows`` forces the row-band height of every fused pair;
    ``dsp_packing`` allows two PW MACs per DSP48E2 where :func:`dsp_packing_applies`; ``pixels_per_beat``:
    input pixels per AXI4-Stream beat (:func:`check_pixels_per_beat`).
    """
    if not ops:
        raise HwgenError("the network has no compute ops")
    if pe < 2:
        raise HwgenError(f"--pe must be >= 2 (one PE for each of the PW and DW engines), got {pe}")
    check_bits("act_bits", act_bits)
    check_bits("weight_bits", weight_bits)
    b = get_board(board) if isinstance(board, str) else board
    clock = b.clock_mhz if clock_mhz is None else clock_mhz
    if clock <= 0:
        raise HwgenError(f"--clock-mhz must be > 0, got {clock}")
    if dram_gbps is not None and dram_gbps <= 0:
        raise HwgenError(f"--dram-gbps must be > 0, got {dram_gbps}")
    if band_rows is not None and band_rows < 1:
        raise HwgenError(f"band rows must be >= 1, got {band_rows}")
    if not isinstance(dsp_packing, bool):
        raise HwgenError(f"--dsp-packing must be true or false, got {dsp_packing!r}")
    steps = schedule_steps(ops)
    check_pixels_per_beat(pixels_per_beat, steps[0].first.in_shape[2], act_bits)
    tks = tk_choices(steps)
    packed = dsp_packing_applies(dsp_packing, b, act_bits, weight_bits)
    ctx = _Ctx(b, clock, act_bits, weight_bits, b.dram_bytes_per_cycle(clock, dram_gbps),
               b.dram_latency_cycles(clock), weights_in_dram, band_rows, packed, pixels_per_beat)
    if split is not None:
        cfg = parse_split(split) if isinstance(split, str) else split
        if cfg.pe > pe:
            raise HwgenError(f"--split {format_split(cfg)} uses {cfg.pe} PEs, more than --pe {pe}")
        if cfg.tk not in tks:
            raise HwgenError(f"--split {format_split(cfg)}: tk must be one of {tks} for kernel {dw_kernel(steps)}")
        m = plan_memory(steps, cfg, ctx)
        m.pe_budget = pe
        return m
    # More MACs than the DSPs hold cannot be built: search within the DSP budget (so more PEs are never slower).
    budget = min(pe, max(2, max_macs(b, act_bits, weight_bits, packed)))
    m = _search(steps, budget, tks, ctx)
    for _ in range(_MAX_LUT_RETRIES):
        # the search's LUT filter counts each split's plan with on-chip maps; a chosen plan that streams its maps
        # has more logic, and when that outgrows the board a smaller budget is searched (in proportion)
        if m.lut <= b.lut or not m.memory_fits or budget <= 2:
            break
        budget = max(2, min(budget, m.cfg.pe) * b.lut // m.lut)
        m = _search(steps, budget, tks, ctx)
    m.pe_budget = pe
    return m


_MAX_UNFIT_TRIES = 16

#: Smaller budgets searched at most when the chosen plan's LUTs exceed the board's.
_MAX_LUT_RETRIES = 6

#: Splits per fit check in the search (by bound: the search rarely needs more than the first chunk).
_FIT_CHUNK = 4096

#: Exact simulations per search at most (reached only when DRAM-bound: many splits then have equal bounds).
_MAX_EXACT = 48


def _can_fit(steps: list[Step], cand: np.ndarray, ctx: _Ctx) -> np.ndarray:
    """Whether each split has a memory plan whose smallest buffers, placed in BRAM36/URAM as
    :func:`place_buffers` places them, fit.

    Smallest, for each feature-map limit plan_memory tries (every map size, then 0): the plan
    (:func:`buffer_slots`, over all splits at once) with weights in DRAM in tiles of one tout group and
    one-row bands. Placing them (rather than counting a URAM as 8 BRAM36 of capacity) sees that a wide,
    shallow weight buffer of a large PW array needs one 72-bit block per 72 bits of its word wherever it
    goes, and every limit is tried because on-chip maps and streamed ones cost different buffers (banked
    fmap_a/fmap_b, or banked in_band halves).
    """
    everyone = plan_words(steps, EngineArrays(*(cand[:, i] for i in range(4))), ctx.pixels_per_beat)

    def fits(rows: np.ndarray, limit: int, feature: bool) -> np.ndarray:
        lanes = EngineArrays(*(cand[rows, i] for i in range(4)))
        words = everyone.take(rows)
        # as many tiles as output channels: each tile one tout group
        tiles = {s.name: StepTiling(1, s.last.out_shape[2] if s.pw_op is not None else 1, ind, outd)
                 for s, (ind, outd) in zip(steps, fmap_flags(steps, limit))}
        slots = [x for x in buffer_slots(steps, tiles, lanes, True, limit, ctx.act_bits, ctx.weight_bits, words,
                                         ctx.pixels_per_beat) if feature or x[0] not in FEATURE_BUFFERS]
        names, depths, widths, banks = (list(x) for x in zip(*slots))
        blocks, in_uram = place_blocks(names, depths, widths, ctx.board, banks)
        return ((np.where(in_uram, 0, blocks).sum(axis=0) <= ctx.board.bram36)
                & (np.where(in_uram, blocks, 0).sum(axis=0) <= ctx.board.uram))

    every = np.arange(len(cand))
    ok = np.zeros(len(cand), dtype=bool)
    open_ = fits(every, 0, False)  # the weight and bias buffers alone (no limit changes them) must fit
    # every map streamed first (it fits most often), then each split not yet placed, at the other limits
    for limit in [0] + sorted(set(tensor_elems(steps)), reverse=True):
        todo = np.flatnonzero(open_ & ~ok)
        if not len(todo):
            break
        ok[todo] = fits(todo, limit, True)
    return ok


def _onchip_luts(steps: list[Step], cand: np.ndarray, ctx: _Ctx) -> np.ndarray:
    """LUTs of each split's plan with every map on-chip, one-row bands and weights on-chip: the fewest its RTL
    has (streamed maps add the band buffers' ports and the DMA; weights in DRAM the AXI4 master)."""
    lanes = EngineArrays(*(cand[:, i] for i in range(4)))
    limit = max(tensor_elems(steps))
    tiles = {s.name: StepTiling(1, 1, False, False) for s in steps}
    slots = buffer_slots(steps, tiles, lanes, False, limit, ctx.act_bits, ctx.weight_bits,
                         pixels_per_beat=ctx.pixels_per_beat)
    return np.asarray(lut_count(lut_inputs(steps, tiles, lanes, ctx.act_bits, ctx.weight_bits, ctx.pixels_per_beat,
                                           False, [(n, d, k) for n, d, _, k in slots], ctx.board.family)))


def _search(steps: list[Step], pe: int, tks: list[int], ctx: _Ctx) -> Mapping:
    cand = candidate_splits(steps, pe, tks)
    if ctx.dsp_packing:  # packed, MACs and DSPs differ: keep the splits whose DSPs the board has
        cand = cand[dsp_count(EngineArrays(*(cand[:, i] for i in range(4))), ctx.act_bits, ctx.weight_bits, True)
                    <= ctx.board.dsp]
    # ... and whose fewest LUTs the board has (when none has, the search reports the best unfit split)
    lut_ok = _onchip_luts(steps, cand, ctx) <= ctx.board.lut
    if lut_ok.any():
        cand = cand[lut_ok]
    lb = lower_bounds(steps, cand, _dram_floor(steps, ctx), ctx.pixels_per_beat)
    # By bound; among equal bounds the widest DW engine first (fewer DW lanes only help memory).
    order = np.lexsort((cand[:, 3], cand[:, 1], cand[:, 0], -cand[:, 2], lb))

    def by_bound() -> Iterator[tuple[int, int]]:
        """(split, bound) in ``order``, the splits whose smallest buffers overflow the board moved last (their
        bound raised past every other): the fit check runs a chunk at a time, as far as the search gets."""
        unfit = []
        for start in range(0, len(order), _FIT_CHUNK):
            chunk = order[start:start + _FIT_CHUNK]
            ok = _can_fit(steps, cand[chunk], ctx)
            yield from zip(chunk[ok].tolist(), lb[chunk[ok]].tolist())
            unfit.append(chunk[~ok])
        for chunk in unfit:
            yield from zip(chunk.tolist(), (lb[chunk] + np.iinfo(np.int64).max // 4).tolist())

    best: tuple[tuple[int, int], Mapping] | None = None
    fitted: set[tuple[int, int, int]] = set()
    n = 0
    for idx, bound in by_bound():
        # Stop when no remaining split can beat the best; while nothing fits the board, look a little further.
        if best is not None and ((bound >= best[0][1] and (best[0][0] == 0 or n >= _MAX_UNFIT_TRIES))
                                 or n >= _MAX_EXACT):
            break
        tin, tout, tc, tk = (int(x) for x in cand[idx])
        if (tin, tout, tk) in fitted:
            continue  # a wider DW engine with this PW array already fits and is never slower
        n += 1
        m = plan_memory(steps, EngineConfig(tin, tout, tc, tk), ctx)
        fits = m.memory_fits and m.lut <= ctx.board.lut
        if fits:
            fitted.add((tin, tout, tk))
        key = (0 if fits else 1, m.trace().total_cycles)
        if best is None or key < best[0]:
            best = (key, m)
    assert best is not None
    return best[1]
