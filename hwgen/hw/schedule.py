"""Cycle-approximate dataflow simulator: a network on the DW/PW engines of hw.py.

The simulator walks the tiles of every schedule step (hwgen.hw.steps) in program
order and computes when each starts and ends from its dependencies; it is an
event schedule at tile level, not a closed-form sum. Times are cycles, cycle 0
is the first input beat; an event "at t" means the producing tile's last cycle
is t-1, and a start that waits on it happens at t + HANDOFF.

On-chip path (the contract the generated RTL implements, hw.py docstring):
the input takes ``contract.input_cycles`` beats (ceil(H*W / pixels per beat)); each step starts HANDOFF after the previous one is
done; a lone op is one tile of ``tile_cycles(iterations, depth)``; a fused
DW->PW pair follows ``hw.fused_schedule`` over its row bands; the output starts
HANDOFF after the last step and takes one beat per element. The total is the
cycle after the last output beat, i.e. what an RTL testbench counts from the
first input beat to the last output beat inclusive (sources and sinks never
stalling).

Weights in DRAM: each step's weights (DW and PW weights of a fused pair
together, biases stay on-chip) are one load of ``hw.dma_cycles`` of its
``hw.load_beats``: the words the engines consume (zero-padded tin x tout / tc x tk
blocks) on the ``hw.weight_bus_bits`` AXI bus (at most 1,024 bits), a word no wider
than the bus one beat, wider words back to back across beats — what the generated
RTL and HLS move. The
first load is issued HANDOFF after the first input beat and the load of step
s+1 when step s's first tile starts (double buffering), so a step starts HANDOFF after
max(previous step done, its weights loaded). DRAM bytes read are the beats'
bytes. When a layer's weights do not fit the weight buffer they are
split into ``weight_tiles`` output-channel tiles, each its own load into the
same double buffer: the load of a tile starts when the tile before it in
program order starts, and with several row bands the tiles are re-loaded for
every band (loop order: band, then weight tile).

Feature maps in DRAM (``StepTiling.in_dram`` / ``out_dram``): the input rows a
band needs (its KxK halo included, ``steps.input_row_range``) are loaded into a
double-buffered band buffer — band 0 HANDOFF after the previous step is done,
band i+1 when the tile consuming band i starts — and each output band is stored
from HANDOFF after its last tile ends (each issue is a registered event, as a
tile's start is); a tile may not overwrite the output buffer half whose store
(band i-2) is still in flight. A step is done when its last store has reached
DRAM. A map is stored in
DRAM densely (NHWC), as on chip, and moves as words of the plan's
``feature_word`` codes, one beat each of a ``hw.map_bus_bits`` bus: a transfer of
codes [first, end) is ``hw.map_beats`` beats (the partial words at its ends
included), and DRAM bytes count those beats.

The network input in DRAM (``input_in_dram``) is written as it streams in: the beats are packed into
feature words (two halves of ``contract.input_write_codes`` codes on chip, the out_band buffer's) and write j
— words [j*B, (j+1)*B), one longest burst of the map bus, ``contract.input_write_codes`` — is queued
HANDOFF after the cycle that follows the last beat touching it. A beat whose codes reach write j's half waits
until write j-2 has reached DRAM (HANDOFF after it: the stream's TREADY is low meanwhile), so a slow
channel back-pressures the input stream. The first step starts when the last write is done (input_done).

DRAM channel (``DramChannel``): one DMA queue in program order. Every transfer —
weight load, band read, band write — is queued when the walk issues it (the
static order above: per step band 0's read; at its first tile band 1's read and
the next step's weight load; per band the next band's read, the weight tiles'
loads, the band's write) and starts
at max(its ready time, the end of the transfer before it), lasting
``hw.dma_cycles`` of its beats (burst latency, then the beats at the bandwidth, at
most one per cycle). No transfer overtakes an earlier one, so a DMA sequencer
that runs a fixed list of transfers, each waiting for its trigger, reproduces
these times: the buildable model the generated hardware follows. A tile waiting
on a transfer counts as a DRAM stall; waiting on the other engine's ping-pong
half or on a full output buffer counts as a buffer stall.

Array form: with the lanes of many splits (``contract.EngineArrays``) that share one tiling (the same
``StepTiling`` per step and the same number of weight tiles), every time is a numpy array over the
splits and the walk is done once for all of them; the channel keeps one end time per split, so every
split gets exactly the scalar walk's times.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hwgen.hw.contract import (HANDOFF, Lanes, cdiv, dma_cycles, feature_word, input_cycles, input_write_codes,
                               input_writes, load_beats, map_beats, map_bus_bits, weight_bus_bits)
from hwgen.hw.steps import (Step, StepTiling, bands_of, dw_band_cycles, input_row_range, pw_band_cycles, step_loads,
                            weight_tile_channels, weight_tiled, weight_words)
from hwgen.ir.ops import ComputeOp


def _later(a: Any, b: Any) -> Any:
    """max of two times (ints, or arrays over splits)."""
    return np.maximum(a, b) if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) else max(a, b)


class DramChannel:
    """The DRAM channel behind one DMA queue: transfers run one at a time in the order they are issued, each
    starting at max(its ready time, the end of the previous one) and lasting ``hw.dma_cycles`` of its beats.

    ``points``: the array form (times are arrays over that many splits, module docstring)."""

    def __init__(self, bytes_per_cycle: float, latency: int, points: int | None = None) -> None:
        self.bytes_per_cycle = bytes_per_cycle
        self.latency = latency
        self.points = points
        self.free: Any = 0 if points is None else np.zeros(points, dtype=np.int64)  # end of the previous transfer

    def transfer(self, ready: Any, beats: Any, bus_bits: Any) -> Any:
        """Queue a transfer of ``beats`` beats of a ``bus_bits`` bus, ready at cycle ``ready``; returns the
        cycle it completes (``ready`` for nothing to move: it takes no turn in the queue)."""
        return self.span_cycles(ready, self.cycles(beats, bus_bits))[1]

    def cycles(self, beats: Any, bus_bits: Any) -> Any:
        """DMA cycles of a transfer of ``beats`` beats of a ``bus_bits`` bus on this channel."""
        return dma_cycles(beats, bus_bits, self.bytes_per_cycle, self.latency)

    def span_cycles(self, ready: Any, dur: Any) -> tuple[Any, Any]:
        """The cycles a transfer of ``dur`` cycles queued at ``ready`` starts and completes (both ``ready`` for
        nothing to move: it takes no turn in the queue)."""
        if self.points is None:
            if dur == 0:
                return ready, ready
            start = max(ready, self.free)
            self.free = start + dur
            return start, self.free
        start = np.maximum(ready, self.free)
        moved = np.broadcast_to(dur > 0, start.shape)
        self.free = np.where(moved, start + dur, self.free)
        return np.where(moved, start, ready), np.where(moved, start + dur, ready)


@dataclass
class EngineStats:
    """What one op did on its engine within its step."""

    busy: int = 0
    stall_dram: int = 0
    stall_buffer: int = 0
    first_start: int = -1
    last_end: int = 0
    dram_read: int = 0
    dram_write: int = 0

    @property
    def started(self) -> bool:
        return isinstance(self.first_start, np.ndarray) or self.first_start >= 0

    def run(self, start: Any, cycles: Any) -> Any:
        if not self.started:
            self.first_start = start
        self.busy += cycles
        self.last_end = start + cycles
        return self.last_end


@dataclass
class StepTrace:
    step: Step
    tiling: StepTiling
    ready: int  # previous step done
    done: int
    ops: list[EngineStats] = field(default_factory=list)  # one per op of the step


@dataclass
class Trace:
    input_done: int
    steps: list[StepTrace]
    output_start: int
    total_cycles: int
    input_dram_write: int
    next_load_end: Any = None  # with ``steps_run``: when the next step's (first) weight load completes
    #: The DMA queue in program order: (kind, step, band, first code, beats, start, end); kind "w" a weight
    #: load (step/band -1, first code 0), "r" a band read of the step's input map, "s" a band write of its
    #: output map, "i" a write of the network input (step "", band = the write's index). The generated RTL's DMA
    #: program is this list.
    transfers: list[tuple[str, str, int, int, Any, Any, Any]] = field(default_factory=list)

    @property
    def dram_bytes(self) -> Any:
        """Bytes read and written over the DRAM channel (weights, bands, the network input)."""
        return self.input_dram_write + sum(st.dram_read + st.dram_write for tr in self.steps for st in tr.ops)


def _wait(free: Any, deps: list[tuple[Any, str]], stats: EngineStats, count_stall: bool, arrays: bool) -> Any:
    """Start time of a tile whose engine is free at ``free`` and that waits on ``deps`` (time, cause);
    ``arrays``: times may be arrays over splits."""
    if arrays:
        start, dram = free, False
        for t, c in deps:
            later = t > start
            start = np.where(later, t, start)
            dram = np.where(later, c == "dram", dram)
        if count_stall:
            stats.stall_dram += np.where(dram, start - free, 0)
            stats.stall_buffer += np.where(dram, 0, start - free)
        return start
    start = free
    cause = ""
    for t, c in deps:
        if t > start:
            start, cause = t, c
    if count_stall and start > free:
        if cause == "dram":
            stats.stall_dram += start - free
        else:
            stats.stall_buffer += start - free
    return start


class _Run:
    """One simulation: engine, buffer and DRAM state while walking the steps."""

    def __init__(self, steps: list[Step], tiles: dict[str, StepTiling], cfg: Lanes, weights_in_dram: bool,
                 act_bits: int, weight_bits: int, bytes_per_cycle: float, latency: int,
                 pixels_per_beat: int = 1) -> None:
        self.steps = steps
        self.pixels_per_beat = pixels_per_beat
        self.tiles = tiles
        self.cfg = cfg
        self.wdram = weights_in_dram
        self.act_bits = act_bits
        self.arrays = isinstance(cfg.tin, np.ndarray)  # the array form: times are arrays over splits
        self.chan = DramChannel(bytes_per_cycle, latency, len(cfg.tin) if self.arrays else None)
        self.weight_bits = weight_bits
        self.bus_bits = weight_bus_bits(cfg, weight_bits)
        in_c = steps[0].first.in_shape[2]
        # feature maps move as words of the plan's buffers, one beat each
        self.word = feature_word(cfg, in_c, pixels_per_beat)
        self.map_bus = map_bus_bits(cfg, in_c, act_bits, pixels_per_beat)
        # Weight loads (in bus beats, hw.load_beats) in program order: one per step, or one per PW tile of a step
        # with weight tiles.
        self.slots: list[tuple[Any, Any, Any]] = []  # (beats, DMA cycles, bytes) of each
        if weights_in_dram:
            for s in steps:
                self.slots.extend(self._step_slots(s, tiles[s.name]))
        self.slot = 0
        self.log: list[tuple[str, str, int, int, Any, Any, Any]] = []
        self.slot_end = self._queue_slot(HANDOFF, self.slots[0]) if self.slots else 0

    def _tiled(self, step: Step, tiling: StepTiling) -> bool:
        return weight_tiled(step, tiling, self.wdram)

    def _step_slots(self, step: Step, tiling: StepTiling) -> list[tuple[Any, Any, Any]]:
        # Each distinct load is costed once: by its word counts, or for arrays over splits by the pair object
        # (step_loads repeats each tile's once per band).
        memo: dict[Any, tuple[Any, Any, Any]] = {}
        out = []
        for p in step_loads(step, tiling, self.cfg):
            key = id(p) if self.arrays else p
            if key not in memo:
                beats = load_beats(*p, self.cfg, self.weight_bits)
                memo[key] = (beats, self.chan.cycles(beats, self.bus_bits), self._beat_bytes(beats))
            out.append(memo[key])
        return out

    def _beat_bytes(self, beats: Any) -> Any:
        return beats * (self.bus_bits // 8)

    def _op_bytes(self, op: ComputeOp, dw_kernel: int) -> Any:
        """DRAM bytes of ``op``'s whole weight section (its words on the weight bus)."""
        words = weight_words(op, self.cfg, dw_kernel)
        pw, dw = (0, words) if op.kind == "dw" else (words, 0)
        return self._beat_bytes(load_beats(pw, dw, self.cfg, self.weight_bits))

    def _queue(self, kind: str, step: str, band: int, first: int, ready: Any, beats: Any, bus: Any) -> Any:
        return self._queued(kind, step, band, first, ready, beats, self.chan.cycles(beats, bus))

    def _queued(self, kind: str, step: str, band: int, first: int, ready: Any, beats: Any, dur: Any) -> Any:
        """Queue a transfer of ``beats`` beats that takes ``dur`` cycles on the channel and log it; returns the
        cycle it completes."""
        start, end = self.chan.span_cycles(ready, dur)
        self.log.append((kind, step, band, first, beats, start, end))
        return end

    def _queue_slot(self, ready: Any, slot: tuple[Any, Any, Any]) -> Any:
        """:meth:`_queue` of a weight load, its DMA cycles known."""
        return self._queued("w", "", -1, 0, ready, slot[0], slot[1])

    def _map_transfer(self, kind: str, step: str, band: int, ready: Any, first: Any, end: Any) -> tuple[Any, Any]:
        """Queue the transfer of codes [first, end) of a map in DRAM; returns (completion cycle, bytes moved)."""
        beats = map_beats(first, end, self.word)
        return self._queue(kind, step, band, first, ready, beats, self.map_bus), beats * (self.map_bus // 8)

    def _take_slot(self) -> int:
        """Completion cycle of the weight load the next consumer needs."""
        return self.slot_end

    def _start_slot(self, t: int) -> int:
        """The consumer of the current load started at ``t``: issue the next load; returns the current one's bytes."""
        current = self.slots[self.slot]
        self.slot += 1
        if self.slot < len(self.slots):
            self.slot_end = self._queue_slot(t, self.slots[self.slot])
        return current[2]

    def _input_writes(self, codes: int, channels: int) -> tuple[Any, Any]:
        """Queue the writes of the network input stored in DRAM as its beats arrive (module docstring); returns
        (the cycle the last write completes, bytes written)."""
        bc = self.pixels_per_beat * channels  # codes per beat (the last beat may carry fewer)
        chunk = input_write_codes(self.word, self.map_bus)
        count = input_writes(codes, self.word, self.map_bus)
        if np.ndim(count):
            if np.any(count != count.flat[0]):
                raise ValueError("splits with different input write counts cannot run as one array")
            count = int(count.flat[0])
        ends: list[Any] = []
        moved: Any = 0
        t_next: Any = 0  # the earliest cycle of the next beat
        for j in range(count):
            lo = j * chunk
            hi = np.minimum(codes, lo + chunk) if np.ndim(chunk) else min(codes, lo + chunk)
            first = cdiv(lo + 1, bc) - 1  # the first beat whose last code is in write j's words
            last = np.where(hi == codes, cdiv(codes, bc) - 1, hi // bc - 1) if np.ndim(hi) else (
                cdiv(codes, bc) - 1 if hi == codes else hi // bc - 1)
            free = ends[j - 2] + HANDOFF if j >= 2 else 0  # the half those beats write is drained
            t_last = _later(t_next, free) + (last - first)
            t_next = t_last + 1
            # the beat holding write j's last code may be the next write's first: it waits for that half too
            spill = (hi - 1) // bc > last
            t_spill = _later(t_next, ends[j - 1] + HANDOFF if j >= 1 else 0)
            t_end = np.where(spill, t_spill, t_last) if np.ndim(spill) else (t_spill if spill else t_last)
            end, nbytes = self._map_transfer("i", "", j, t_end + 1 + HANDOFF, lo, hi)
            ends.append(end)
            moved = moved + nbytes
        return ends[-1], moved

    def run(self, input_op: ComputeOp, in_dram: bool, steps_run: int | None = None) -> Trace:
        h, w, c = input_op.in_shape
        in_done = input_cycles(h * w, self.pixels_per_beat)
        in_write = 0
        if in_dram:
            in_done, in_write = self._input_writes(h * w * c, c)
        t = in_done
        traces = []
        for step in self.steps[:steps_run]:
            tr = self._step(step, self.tiles[step.name], t)
            traces.append(tr)
            t = tr.done
        out = self.steps[-1].last.out_shape
        out_start = t + HANDOFF
        pending = self.slot_end if self.slot < len(self.slots) else None
        return Trace(in_done, traces, out_start, out_start + out[0] * out[1] * out[2], in_write, pending, self.log)

    def _step(self, step: Step, tiling: StepTiling, ready: int) -> StepTrace:
        cfg = self.cfg
        bands = bands_of(step, tiling)
        nb = len(bands)
        pw = step.pw_op
        tiled = self._tiled(step, tiling)
        _, out_w, out_c = step.last.out_shape
        chans = weight_tile_channels(pw, tiling.weight_tiles, cfg) if tiled and pw else [out_c]
        fused = step.fused
        has_dw = step.dw_op is not None
        arrays = self.arrays
        stats = [EngineStats() for _ in step.ops]
        a_stats = stats[0]          # DW engine of a fused pair, or the only engine
        b_stats = stats[-1]         # the engine producing the step's output
        ranges = []
        r = 0
        for b in bands:
            ranges.append((r, r + b))
            r += b
        in_op = step.first
        in_row = in_op.in_shape[1] * in_op.in_shape[2]  # codes per input row
        out_row = out_w * out_c
        in_end: list[int] = []
        # most bands have the same height: each engine's tile time is computed once per (height, tile)
        dw_cycles: dict[int, Any] = {}
        pw_cycles: dict[tuple[int, int], Any] = {}

        def issue_input(i: int, t: int) -> None:
            """Queue the read of band i's input rows (its KxK halo included) at cycle t."""
            if tiling.in_dram and i < nb:
                lo, hi = input_row_range(in_op, *ranges[i])
                end, moved = self._map_transfer("r", step.name, i, t, lo * in_row, hi * in_row)
                a_stats.dram_read += moved
                in_end.append(end)

        # Queue order (the DMA's program order): band 0's input HANDOFF after the previous step is done; when
        # the step's first tile starts, band 1's input, then the next step's weights.
        issue_input(0, ready + HANDOFF)
        start0 = ready + HANDOFF
        step_load = self.wdram and not tiled  # the step's first tile consumes its load and issues the next
        if step_load:
            w_end = self._take_slot()
            start0 = _later(ready, w_end) + HANDOFF
            a_stats.stall_dram += _later(w_end - ready, 0)
            for op, st in zip(step.ops, stats):
                st.dram_read += self._op_bytes(op, step.dw_kernel)
        store_end: list[int] = []
        b_band_end: list[int] = []

        a_free = start0
        b_free = start0
        for i, rows in enumerate(bands):
            dw_end = None
            if fused:
                deps = []
                if i >= 2:
                    deps.append((b_band_end[i - 2] + HANDOFF, "buffer"))
                if tiling.in_dram:
                    deps.append((in_end[i] + HANDOFF, "dram"))
                if tiled and i == 0:
                    deps.append((self._take_slot() + HANDOFF, "dram"))  # DW weights come with the first tile
                s = _wait(a_free, deps, a_stats, True, arrays)
                if rows not in dw_cycles:
                    dw_cycles[rows] = dw_band_cycles(step, rows, cfg)
                dw_end = a_stats.run(s, dw_cycles[rows])
                a_free = dw_end + HANDOFF
                issue_input(i + 1, s)
                if step_load and i == 0:
                    self._start_slot(s)
            for j, ch in enumerate(chans):
                deps = []
                first_b = i == 0 and j == 0  # the engine's first tile of the step
                if dw_end is not None and j == 0:
                    deps.append((dw_end + HANDOFF, "buffer"))
                if not fused and j == 0 and tiling.in_dram:
                    deps.append((in_end[i] + HANDOFF, "dram"))
                if tiled:
                    deps.append((self._take_slot() + HANDOFF, "dram"))
                if tiling.out_dram and j == 0 and i >= 2:
                    deps.append((store_end[i - 2] + HANDOFF, "dram"))
                # The PW engine waiting for the first DW band of a fused pair is pipeline fill, not a stall.
                s = _wait(b_free, deps, b_stats, not (fused and first_b), arrays)
                if tiled:
                    loaded = self._start_slot(s)
                    if has_dw and i == 0 and j == 0:  # the DW weights came with the first tile
                        dw_bytes = self._op_bytes(step.dw_op, step.dw_kernel)
                        a_stats.dram_read += dw_bytes
                        loaded -= dw_bytes
                    b_stats.dram_read += loaded
                if (rows, j) not in pw_cycles:
                    pw_cycles[rows, j] = pw_band_cycles(step, rows, ch, cfg)
                end = b_stats.run(s, pw_cycles[rows, j])
                b_free = end + HANDOFF
                if not fused and j == 0:
                    issue_input(i + 1, s)
                    if step_load and i == 0:
                        self._start_slot(s)
            b_band_end.append(b_stats.last_end)
            if tiling.out_dram:
                r0, r1 = ranges[i]
                end, moved = self._map_transfer("s", step.name, i, b_stats.last_end + HANDOFF, r0 * out_row,
                                                r1 * out_row)
                b_stats.dram_write += moved
                store_end.append(end)
        done = _later(b_stats.last_end, store_end[-1]) if store_end else b_stats.last_end
        return StepTrace(step, tiling, ready, done, stats)


def run_schedule(steps: list[Step], tiles: dict[str, StepTiling], cfg: Lanes, *, weights_in_dram: bool,
                 input_in_dram: bool, act_bits: int, weight_bits: int, bytes_per_cycle: float,
                 latency: int, steps_run: int | None = None, pixels_per_beat: int = 1) -> Trace:
    """Simulate ``steps`` tiled as ``tiles`` on ``cfg``; returns the per-step trace and the total cycles.

    ``steps_run``: walk only the first that many steps (the weight loads of all ``steps`` are queued, so
    the next step's first load is issued as in the whole run: ``Trace.next_load_end``; the total is then
    not the network's); ``pixels_per_beat``: pixels per input-stream beat."""
    run = _Run(steps, tiles, cfg, weights_in_dram, act_bits, weight_bits, bytes_per_cycle, latency, pixels_per_beat)
    return run.run(steps[0].first, input_in_dram, steps_run)
