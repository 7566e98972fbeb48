"""The hardware model: engines, their cycle formulas and the fused schedule.

This module is the single written-down contract that the schedule simulator
(:mod:`hwgen.hw.schedule`), the mapper's vectorised lower bound, the HLS code
generator and the Verilog RTL all follow (docs/estimate.md, "Hardware model").
Change it here and all of them follow. The iteration and tile formulas take
plain integers or numpy arrays of lane counts (:class:`Lanes`), so the mapper
evaluates them for every candidate split at once with the same code.

Engines (one of each, shared by all layers, layer-sequential):

* **PW engine** — a ``tin x tout`` MAC array. Runs pointwise layers, the
  standard KxK convs (im2col: the dot product runs over K*K*Cin inputs,
  ordered (ky, kx, cin), as K kernel rows of K*Cin inputs, each row padded
  to whole groups of ``tin`` so no group crosses a kernel row: a group's
  codes are one run of one input row) and the FC layer. For each output
  pixel, for each group of ``tout`` output channels, for each group of
  ``tin`` inputs: one cycle. Iterations = pixels * ceil(N/tout) *
  rows * ceil((M/rows)/tin) (:func:`pw_in_groups`; rows = K for a conv, 1
  otherwise).
* **DW engine** — ``tc`` channel lanes with ``tk`` MACs each (``tk`` in
  {1, K, K*K}). For each output pixel, for each group of ``tc`` channels, for
  each group of ``tk`` taps: one cycle. Iterations = pixels * ceil(C/tc) *
  ceil(K*K/tk).
* **Pool engine** — ``tin`` adders (the PW engine's input width): for each
  input pixel, for each group of ``tin`` channels: one cycle.

Every engine invocation (one tile) costs ``iterations * II + depth`` cycles
(II = 1): ``depth`` is the fixed pipeline latency from the first issued
iteration to the last result written. A start that waits on another event
happens ``HANDOFF`` cycles after that event (a registered done/start pair).

A depthwise layer followed by a pointwise layer is **fused**: the DW engine
writes row bands of ``band_rows`` output rows (all channels) into one half of
a ping-pong buffer while the PW engine consumes the other half; see
:func:`fused_schedule`.

Network schedule (what the generated top implements; cycle 0 = first input beat):

1. Input: ``pixels_per_beat`` pixels (P*Cin consecutive codes, raster order) per
   AXI4-Stream beat into the input feature buffer: :func:`input_cycles`, ceil(H*W/P)
   cycles when the source never stalls (the last beat carries the remainder).
2. Ops run in order; each starts HANDOFF cycles after the previous op is done
   (and, when weights live in DRAM, HANDOFF cycles after its weights are loaded:
   the first load is issued HANDOFF cycles after the first input beat, op i+1's
   weights load while op i runs — issued when op i starts — double-buffered;
   each load costs :func:`dma_cycles` of its :func:`load_beats`: the :func:`pw_weight_words` /
   :func:`dw_weight_words` on the :func:`weight_bus_bits` bus). A standard conv runs on the PW engine as one tile of
   pw_iterations(Ho*Wo, K*K*Cin, Cout, rows=K); a fused DW->PW pair follows
   :func:`fused_schedule` over its row bands; a lone DW or PW layer is one tile;
   pool is one tile of pool_iterations(H*W, C); FC is one PW tile of
   pw_iterations(1, Cin, Cout).
3. Output: HANDOFF cycles after the last op, one element (logit) per beat;
   the last output beat ends the inference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, Sequence

import numpy as np

#: Pipeline depths (cycles from first issue to last write of a tile), per engine.
PW_DEPTH = 4

DW_DEPTH = 4

POOL_DEPTH = 3

#: Cycles between an event (done) and a start that waits for it.
HANDOFF = 1

#: Xilinx block RAM geometry: (depth, width) aspect ratios of one RAMB36 / one URAM288.
BRAM36_SHAPES: tuple[tuple[int, int], ...] = ((32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18),
                                              (1024, 36), (512, 72))

#: The RAMB36 ratios of a true dual-port memory (two read/write ports: at most 36 bits a port; the 512 x 72
#: ratio is simple dual-port, one read port).
BRAM36_TDP_SHAPES: tuple[tuple[int, int], ...] = tuple(s for s in BRAM36_SHAPES if s[1] <= 36)

URAM_SHAPE = (4096, 72)  # both URAM288 ports are 72 bits wide


@dataclass(frozen=True)
class EngineConfig:
    """PE split between the pointwise array (tin x tout) and the depthwise lanes (tc x tk)."""

    tin: int
    tout: int
    tc: int
    tk: int

    def __post_init__(self) -> None:
        for field in ("tin", "tout", "tc", "tk"):
            if getattr(self, field) < 1:
                raise ValueError(f"{field} must be >= 1")

    @property
    def pw_pe(self) -> int:
        return self.tin * self.tout

    @property
    def dw_pe(self) -> int:
        return self.tc * self.tk

    @property
    def pe(self) -> int:
        return self.pw_pe + self.dw_pe


class Lanes(Protocol):
    """The lane counts the formulas read: an EngineConfig, or numpy arrays of candidate splits."""

    tin: Any
    tout: Any
    tc: Any
    tk: Any


class EngineArrays(NamedTuple):
    """Many PE splits at once (numpy int64 arrays): a :class:`Lanes` for the formulas below, with the
    PE counts of :class:`EngineConfig`."""

    tin: np.ndarray
    tout: np.ndarray
    tc: np.ndarray
    tk: np.ndarray

    @property
    def pw_pe(self) -> np.ndarray:
        return self.tin * self.tout

    @property
    def dw_pe(self) -> np.ndarray:
        return self.tc * self.tk

    @property
    def pe(self) -> np.ndarray:
        return self.pw_pe + self.dw_pe


def cdiv(a: Any, b: Any) -> Any:
    return -(-a // b)


#: Widest input-stream TDATA: AXI4-Stream's largest recommended width, which AXI DMA's MM2S streams.
MAX_STREAM_BITS = 1024


def input_cycles(pixels: int, pixels_per_beat: int = 1) -> int:
    """Beats (= cycles) of the input stream: ``pixels_per_beat`` pixels per beat, the last beat partial."""
    return cdiv(pixels, pixels_per_beat)


def pw_in_groups(m: int, cfg: Lanes, rows: Any = 1) -> Any:
    """Input groups of the PW engine for an M-input dot product made of ``rows`` equal runs (a KxK conv:
    :func:`conv_rows`), each run padded to whole groups of ``tin`` lanes; ``rows`` an int or an array of splits."""
    return rows * cdiv(m // rows, cfg.tin)


def pw_iterations(pixels: int, m: int, n: int, cfg: Lanes, rows: Any = 1) -> Any:
    """PW-engine iterations for ``pixels`` output pixels of an M-input (``rows`` runs), N-output dot product."""
    return pixels * cdiv(n, cfg.tout) * pw_in_groups(m, cfg, rows)


def dw_iterations(pixels: int, channels: int, kernel: int, cfg: Lanes) -> Any:
    """DW-engine iterations for ``pixels`` output pixels of ``channels`` KxK depthwise filters."""
    return pixels * cdiv(channels, cfg.tc) * cdiv(kernel * kernel, cfg.tk)


def pool_iterations(pixels: int, channels: int, cfg: Lanes) -> Any:
    """Pool-engine iterations to sum ``pixels`` input pixels of ``channels`` channels."""
    return pixels * cdiv(channels, cfg.tin)


def tile_cycles(iterations: Any, depth: int) -> Any:
    """Cycles of one engine invocation: pipelined at II=1 plus fill/drain (an empty tile costs nothing)."""
    return iterations + depth * (iterations > 0)


def row_bands(rows: int, band_rows: int) -> list[int]:
    """Split ``rows`` output rows into bands of ``band_rows`` (the last may be shorter)."""
    if band_rows < 1:
        raise ValueError("band_rows must be >= 1")
    return [min(band_rows, rows - r) for r in range(0, rows, band_rows)]


def fused_schedule(start: int, dw_cycles: Sequence[int], pw_cycles: Sequence[int]) -> tuple[int, int, int]:
    """Ping-pong schedule of a fused DW->PW pair over row bands.

    Band i of the DW engine may start when band i-1 is done and buffer half
    i%2 has been drained by the PW engine (band i-2 done); band i of the PW
    engine starts when DW band i is done and PW band i-1 is done. Every
    dependent start lags its event by HANDOFF. Returns (end cycle, DW stall
    cycles waiting for a free buffer, PW stall cycles waiting for a full one).
    """
    dw_end: list[int] = []
    pw_end: list[int] = []
    dw_stall = pw_stall = 0
    t_dw_free = start  # when the DW engine can issue
    for i, (d, p) in enumerate(zip(dw_cycles, pw_cycles)):
        ready = t_dw_free
        if i >= 2:
            ready = max(ready, pw_end[i - 2] + HANDOFF)
            dw_stall += ready - t_dw_free
        dw_end.append(ready + d)
        t_dw_free = dw_end[-1] + HANDOFF
        pw_free = pw_end[-1] + HANDOFF if pw_end else start
        pw_start = max(pw_free, dw_end[-1] + HANDOFF)
        if pw_end:
            pw_stall += pw_start - pw_free
        pw_end.append(pw_start + p)
    return pw_end[-1], dw_stall, pw_stall


def fused_cycles_bound(dw_first: Any, dw_all: Any, pw_last: Any, pw_all: Any) -> Any:
    """A lower bound of a fused pair's :func:`fused_schedule` duration over any banding.

    The PW engine cannot start before the first DW band is done, nor the last PW band before all DW
    bands are: duration >= max(dw_first + HANDOFF + pw_all, dw_all + HANDOFF + pw_last), with
    ``dw_first``/``pw_last`` the cycles of the shortest possible band (one row) and ``*_all`` the
    cycles of all rows as one tile (fewer fill/drains than any banding).
    """
    return np.maximum(dw_first + HANDOFF + pw_all, dw_all + HANDOFF + pw_last)


def fused_span_uniform(n: np.ndarray, d_full: np.ndarray, d_last: np.ndarray, p_full: np.ndarray,
                       p_last: np.ndarray) -> np.ndarray:
    """End minus start of :func:`fused_schedule` when every band but the last is the same (as
    :func:`row_bands` makes them): ``n`` bands, DW/PW cycles ``d_full``/``p_full`` each, the last
    ``d_last``/``p_last`` (<= the full ones). Vectorised over numpy arrays.

    The schedule is a longest path through the band DAG (DW chain, PW chain, DW_i -> PW_i and the
    ping-pong edge PW_{i-2} -> DW_i, each edge HANDOFF). With equal full bands the ping-pong edge is
    never on a longest path (it replaces p by d where the other chain is already at least as long), so
    the path runs along the DW chain to some band j and crosses to the PW chain: ``n`` edges plus
    d_0..d_j + p_j..p_{n-1}, linear in j between the full bands, hence the maximum of j = 0, n-2, n-1.
    """
    cross_first = np.where(n >= 2, d_full + (n - 1) * p_full + p_last, d_last + p_last)
    cross_second_last = np.where(n >= 2, (n - 1) * d_full + p_full + p_last, d_last + p_last)
    cross_last = (n - 1) * d_full + d_last + p_last
    return n * HANDOFF + np.maximum(np.maximum(cross_first, cross_second_last), cross_last)


def bram36_blocks(depth: Any, width: Any, dual_port: bool = False) -> Any:
    """RAMB36 blocks for depth x width memories (best aspect ratio, as Vivado maps it); ints or arrays.
    ``dual_port``: two read/write ports (:data:`BRAM36_TDP_SHAPES`)."""
    shapes = BRAM36_TDP_SHAPES if dual_port else BRAM36_SHAPES
    blocks = np.min([cdiv(width, w) * cdiv(depth, d) for d, w in shapes], axis=0)
    return unbox(blocks * ((np.asarray(depth) > 0) & (np.asarray(width) > 0)))


def uram_blocks(depth: Any, width: Any) -> Any:
    """URAM288 blocks for depth x width memories; ints or arrays."""
    blocks = cdiv(width, URAM_SHAPE[1]) * cdiv(depth, URAM_SHAPE[0])
    return unbox(blocks * ((np.asarray(depth) > 0) & (np.asarray(width) > 0)))


def unbox(x: Any) -> Any:
    """A 0-d result as a Python int (the scalar formulas return ints), arrays unchanged."""
    if isinstance(x, int):
        return x
    return int(x) if np.ndim(x) == 0 else x


def dram_cycles(nbytes: Any, bytes_per_cycle: float, latency: int) -> Any:
    """Cycles to move ``nbytes`` over the DRAM channel: one latency, then the bandwidth (0 for nothing);
    ints or arrays (``np.ceil`` of the same float division as ``math.ceil``)."""
    if isinstance(nbytes, int) or np.ndim(nbytes) == 0:
        return latency + math.ceil(nbytes / bytes_per_cycle) if nbytes else 0
    return np.where(nbytes > 0, latency + np.ceil(nbytes / bytes_per_cycle).astype(np.int64), 0)


#: Cycles of the weight loader from a load's issue to its first AR handshake (request register, ARVALID);
#: part of the channel latency, so a DRAM model serving the loader answers ``latency - DRAM_AR_CYCLES`` later.
DRAM_AR_CYCLES = 2

#: AXI4 limits of the weight loader's bursts.
AXI_MAX_BURST = 256

AXI_BOUNDARY = 4096


def pw_weight_words(m: int, n: int, cfg: Lanes, rows: Any = 1) -> Any:
    """Weight words (tin x tout blocks) of an M-input (``rows`` runs), N-output dot product on the PW engine."""
    return pw_in_groups(m, cfg, rows) * cdiv(n, cfg.tout)


def dw_weight_words(channels: int, kernel: int, cfg: EngineConfig) -> int:
    """Weight words (tc x tk blocks) of ``channels`` KxK depthwise filters."""
    return cdiv(channels, cfg.tc) * cdiv(kernel * kernel, cfg.tk)


def bus_bits(word_bits: Any) -> Any:
    """AXI data-bus width for words of ``word_bits``: the next power of two >= the word, at least 32.
    Arrays give arrays (``frexp`` gives the bit length exactly below 2**53)."""
    widest = np.asarray(word_bits) - 1
    if np.ndim(widest) == 0:
        return max(32, 1 << int(widest).bit_length())
    return np.maximum(32, np.left_shift(1, np.frexp(widest.astype(np.float64))[1].astype(np.int64)))


#: Widest weight bus: AXI4 data buses are 8 to 1,024 bits wide (AMBA AXI spec, "data bus width"), and a Zynq
#: UltraScale+ HP port is 128 bits (an interconnect widens or narrows to it), so a wider beat is no real port.
AXI_MAX_DATA_BITS = 1024

#: A weight word wider than the bus is stored in DRAM in whole 32-bit units (its last unit zero-padded), the
#: words of a load section back to back across beats: the loader's gearbox then shifts by multiples of 32 bits
#: (log2(bus / 32) mux levels, not log2(bus)), for at most 31 padding bits a word.
WEIGHT_UNIT_BITS = 32


def pw_word_bits(cfg: Lanes, weight_bits: int) -> Any:
    """Bits of one PW weight word (a tin x tout block)."""
    return cfg.tin * cfg.tout * weight_bits


def dw_word_bits(cfg: Lanes, weight_bits: int) -> Any:
    """Bits of one DW weight word (a tc x tk block)."""
    return cfg.tc * cfg.tk * weight_bits


def weight_bus_bits(cfg: Lanes, weight_bits: int) -> Any:
    """AXI data-bus width of the weight loader: the widest engine word's :func:`bus_bits`, at most
    ``AXI_MAX_DATA_BITS`` (wider words span beats: :func:`weight_section_beats`)."""
    return unbox(np.minimum(bus_bits(np.maximum(pw_word_bits(cfg, weight_bits), dw_word_bits(cfg, weight_bits))),
                            AXI_MAX_DATA_BITS))


def stored_word_bits(word_bits: Any) -> Any:
    """DRAM bits of a weight word that spans beats: whole ``WEIGHT_UNIT_BITS`` units."""
    return cdiv(word_bits, WEIGHT_UNIT_BITS) * WEIGHT_UNIT_BITS


def weight_section_beats(words: Any, word_bits: Any, bus: Any) -> Any:
    """Bus beats of a load section (one engine's words of one load, starting on a beat): a word no wider
    than the bus is one zero-padded beat (a beat never holds two, so the weight RAM takes one word per
    cycle); wider words are stored back to back in :func:`stored_word_bits` each, the section's last beat
    zero-padded. Ints or arrays."""
    return unbox(cdiv(words * weight_word_pitch(word_bits, bus), bus))


def weight_word_pitch(word_bits: Any, bus: Any) -> Any:
    """DRAM bits from one weight word of a load section to the next: a beat for a word no wider than the bus,
    else the word's :func:`stored_word_bits`. Ints or arrays."""
    return unbox(np.where(word_bits > bus, stored_word_bits(word_bits), bus))


def spanning_word_units(word_bits: Any, bus: Any) -> Any:
    """``WEIGHT_UNIT_BITS`` units of a stored weight word that spans beats; 0 for a word that is one beat."""
    pitch = weight_word_pitch(word_bits, bus)
    return unbox(np.where(pitch > bus, pitch // WEIGHT_UNIT_BITS, 0))


def load_beats(pw_words: Any, dw_words: Any, cfg: Lanes, weight_bits: int) -> Any:
    """Bus beats of one weight load: its PW section (``pw_words`` words), then its DW section."""
    bus = weight_bus_bits(cfg, weight_bits)
    return (weight_section_beats(pw_words, pw_word_bits(cfg, weight_bits), bus)
            + weight_section_beats(dw_words, dw_word_bits(cfg, weight_bits), bus))


def feature_word(cfg: Lanes, in_channels: int, pixels_per_beat: int = 1) -> Any:
    """Codes per word of the feature-map, band and ping-pong buffers: the widest group written or read in one
    cycle (TIN or TOUT channels on the PW engine, TC on the DW engine, one input beat of ``pixels_per_beat``
    pixels of ``in_channels`` codes), so each access of a pipelined iteration touches at most two words (two
    ports). Ints, or numpy arrays of splits."""
    word = np.maximum(np.maximum(np.maximum(cfg.tin, cfg.tout), cfg.tc), in_channels * pixels_per_beat)
    return int(word) if np.ndim(word) == 0 else word


def map_bus_bits(cfg: Lanes, in_channels: int, act_bits: int, pixels_per_beat: int = 1) -> Any:
    """AXI data-bus width of the feature-map DMA: one feature word (:func:`feature_word` codes) per beat."""
    return bus_bits(feature_word(cfg, in_channels, pixels_per_beat) * act_bits)


def map_beats(first: int, end: int, word: Any) -> Any:
    """Bus beats that move codes [first, end) of a map stored densely (NHWC, word e // word holds code e):
    every word the range touches, the partial words at both ends included (0 for an empty range)."""
    return (cdiv(end, word) - first // word) * (end > first)


def max_burst_beats(bus_bits: Any) -> Any:
    """Beats of the loader's longest INCR burst: a load starts 4 KB-aligned, so no burst crosses 4 KB; ints or
    arrays."""
    return unbox(np.minimum(AXI_MAX_BURST, AXI_BOUNDARY // (np.asarray(bus_bits) // 8)))


def input_write_codes(word: Any, bus_bits: Any) -> Any:
    """Codes of one DRAM write of a network input stored in DRAM: one longest burst of the map bus
    (:func:`max_burst_beats` words of ``word`` codes), so write j moves words [j*B, (j+1)*B) of the map, from a
    4 KB-aligned region, in one burst that does not cross 4 KB (the last write is shorter); ints or arrays."""
    return unbox(max_burst_beats(bus_bits) * np.asarray(word))


def input_writes(codes: int, word: Any, bus_bits: Any) -> Any:
    """DRAM writes of a network input of ``codes`` codes stored in DRAM (:func:`input_write_codes` each)."""
    return cdiv(cdiv(codes, word), max_burst_beats(bus_bits))


def dma_cycles(beats: Any, bus_bits: Any, bytes_per_cycle: float, latency: int) -> Any:
    """Cycles of one DMA transfer of ``beats`` bus beats (a weight load, a map band read or write): one
    latency (the DMA issues its bursts back to back, so their latencies overlap), then the beats at the DRAM
    bandwidth but at most one per cycle; ints or arrays."""
    beat = bus_bits // 8
    if isinstance(beat, int) and isinstance(beats, int):  # the scalar walk's hot path: no numpy round trip
        return dram_cycles(beats * beat, min(bytes_per_cycle, beat), latency)
    return dram_cycles(beats * beat, np.minimum(bytes_per_cycle, beat), latency)


# ---- Feature-memory banks (the one layout of a map in a feature buffer) -------------------------------------
#
# A DW engine with TK > 1 taps reads TK pixels per cycle; a feature buffer that holds a map such a step reads is
# therefore split into banks, one memory each (two ports), so that the TK pixels of every cycle lie in TK
# distinct banks. The layout, for every buffer (a one-bank buffer is the dense NHWC map of ``map_beats``):
#
# * Bank grid (:func:`bank_grid`), BR x BC banks for the DW kernel K and TK: TK = 1 (or K = 1): 1 x 1;
#   1 < TK <= K: 1 x K (a cycle's taps are TK consecutive taps of the K x K window in raster order, so their
#   columns kx are TK consecutive values mod K, and ox*s - pad + kx are distinct mod K for any stride);
#   TK > K: K x K (the taps are distinct (ky, kx), so rows iy + ky and columns ix + kx are distinct mod K).
# * Pixel (y, x) of a map W pixels wide, y counted from the first row the buffer holds (row 0 of a map in
#   fmap_a/fmap_b, the band's first input row in an in_band half), is in bank (y mod BR) * BC + x mod BC
#   (:func:`pixel_bank`), at bank pixel (y div BR) * ceil(W/BC) + x div BC (:func:`bank_pixel`): every bank has
#   the row stride of bank 0, the fullest; a bank with fewer columns leaves its last slot of a row unused.
# * Codes of a bank are dense: channel c of bank pixel p of a C-channel map is bank element p*C + c
#   (:func:`bank_element`), in word (p*C + c) // word, lane (p*C + c) % word (word = :func:`feature_word`; no
#   pixel is padded to whole words, so the 3-channel input costs what its pixels need). A run of <= word
#   consecutive codes of one row (a DW tap's TC channels, a PW group, a conv's kernel-row group, a pool group)
#   is in each bank it touches one run of <= word codes, i.e. two words: the two ports of that bank, as for a
#   one-bank map. With a K x K grid a conv's window group (:func:`conv_rows`) touches each of its pixels' banks
#   once, one run of that pixel's channels.
# * Writers append codes in raster order, so each bank receives its codes in increasing element order with a
#   gap of C codes at a row's end in a bank with fewer columns (bank b >= W mod BC when BC does not divide W);
#   a writer keeps one pending word per bank and writes a cycle's codes of a bank as one run, an unused slot
#   inside it filled with don't-cares (no reader reads it), so a bank takes at most two words per cycle (its two
#   ports) when that run spans <= word codes. The input stream's beat of P pixels (any P, rows crossed included)
#   meets that: from one of a bank's pixels to its next the bank's slots advance by no more than the raster's
#   pixels (1 slot per BC pixels along a row; to its next row's first pixel 1 slot, or 2 with the row end's
#   unused slot, which then lies >= BC + 1 pixels on), so a bank's run of a beat spans <= P slots, i.e.
#   <= P*C <= word codes (feature_word holds a beat); nothing else accesses fmap_a meanwhile (the first step
#   starts after the last beat, hw.schedule). A DMA beat (``word`` consecutive codes of a dense map, from any
#   channel) gives each bank one run of <= word elements too: consecutive pixels of one bank in raster order
#   are at most as many bank pixels apart as raster pixels (1 slot per BC along a row; across a row end 1 or
#   2 slots for >= BC + 1 raster pixels, BC >= 2 when the slot exists), so from a bank's first code in the beat
#   to its last there are no more bank elements than codes of the beat (tests/test_banks.py).
# * Words of a bank (:func:`bank_words`): ceil(ceil(R/BR) * ceil(W/BC) * C / word) for R rows, bank 0's; a
#   buffer of B banks is B memories of its largest map's bank words.
#
# Which buffers are banked is the memory plan's (hwgen.mapping.plan.buffer_banks): fmap_a / fmap_b when an
# on-chip map is read by a DW step, in_band when a DW step reads its input from DRAM; the DW->PW ping-pong
# (written by the DW engine, read by the PW engine) and out_band (drained by the DMA) have one bank.

def bank_grid(kernel: int, tk: Any) -> tuple[Any, Any]:
    """(BR, BC): bank rows and columns of a feature buffer a DW engine of ``tk`` taps reads ``kernel`` x
    ``kernel`` windows from (the layout above); ``tk`` an int or an array of splits (then arrays)."""
    tk = np.asarray(tk)
    many = kernel > 1
    return unbox(np.where(many & (tk > kernel), kernel, 1)), unbox(np.where(many & (tk > 1), kernel, 1))


def conv_rows(kernel: int, dw_kernel: int, tk: Any) -> Any:
    """Runs of a KxK conv's im2col dot product (ordered (ky, kx, cin)) on the PW engine. 1 when the feature
    buffers are banked so that the K x K pixels of a window lie in distinct banks (the grid of the DW engine's
    kernel ``dw_kernel`` >= K and ``tk`` taps is at least K x K): a group of tin lanes then reads at most one
    run of one pixel's channels per bank, so the window is one run cut into groups, the groups crossing kernel
    rows. Else K (a kernel row of K*Cin codes per run, each padded to whole groups): a group's codes are one run
    of one input row. ``tk`` an int or an array of splits."""
    br, bc = bank_grid(dw_kernel, tk)
    return unbox(np.where((np.asarray(br) >= kernel) & (np.asarray(bc) >= kernel), 1, kernel))


def conv_group_runs(kernel: int, in_channels: int, dw_kernel: int, tk: Any, tin: Any,
                    grid: tuple[Any, Any]) -> Any:
    """Code runs the widest group of ``tin`` im2col lanes of a KxK conv over ``in_channels`` reads per cycle from
    a buffer of bank ``grid`` (its pixels' distinct (kernel row, bank column) classes, each one run in its bank):
    1 for a 1x1 kernel; with the window one run (:func:`conv_rows` 1) one per pixel of the group; else (groups
    of a kernel row's K*Cin codes) one per pixel up to the grid's BC. ``tk`` / ``tin`` / ``grid`` ints or
    arrays of splits."""
    tin = np.asarray(tin)
    if kernel == 1:
        return unbox(np.ones_like(tin))

    def widest(codes: int) -> np.ndarray:
        # the most pixels one of the groups [g*tin, min((g+1)*tin, codes)) covers
        most = np.zeros_like(tin)
        for g in range(codes):
            start = g * tin
            live = start < codes
            if not live.any():
                break
            end = np.minimum(start + tin, codes)
            most = np.where(live, np.maximum(most, (end - 1) // in_channels - start // in_channels + 1), most)
        return most

    window = np.asarray(conv_rows(kernel, dw_kernel, tk)) == 1
    return unbox(np.where(window, widest(kernel * kernel * in_channels),
                          np.minimum(widest(kernel * in_channels), np.asarray(grid[1]))))


def pixel_bank(y: Any, x: Any, grid: tuple[Any, Any]) -> Any:
    """Bank of pixel (y, x) (y from the buffer's first stored row)."""
    br, bc = grid
    return (y % br) * bc + x % bc


def bank_pixel(y: Any, x: Any, width: int, grid: tuple[Any, Any]) -> Any:
    """Pixel index of (y, x) inside its bank, for a map ``width`` pixels wide."""
    br, bc = grid
    return (y // br) * cdiv(width, bc) + x // bc


def bank_element(y: Any, x: Any, c: Any, width: int, channels: int, grid: tuple[Any, Any]) -> Any:
    """Element (code address) of channel ``c`` of pixel (y, x) inside its bank: bank pixel x channels + c; word
    ``element // word``, lane ``element % word``."""
    return bank_pixel(y, x, width, grid) * channels + c


def bank_words(rows: Any, width: int, channels: int, word: Any, grid: tuple[Any, Any]) -> Any:
    """Words of the fullest bank (bank 0) holding ``rows`` rows of a ``width`` x ``channels`` map; ints or
    arrays. With a 1 x 1 grid: the dense map's ceil(rows * width * channels / word)."""
    br, bc = grid
    return unbox(cdiv(cdiv(rows, br) * cdiv(width, bc) * channels, word))
