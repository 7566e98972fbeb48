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
max(tin, tout, tc, input channels) consecutive codes (``feature_word``: the widest group
written or read per cycle, so a pipelined iteration touches at most two words);
PW weights words of tin*tout, DW weights words of tc*tk, biases one word per
output group of tout (PW) or tc (DW) biases of act_bits + weight_bits bits (the
product's fraction). Banks (:func:`buffer_banks`): a feature buffer a DW step with TK > 1 reads from is
BR x BC memories in the layout of hw.contract ("Feature-memory banks"), each of its largest map's fullest-bank
words, so the DW engine reads its TK pixels per cycle from TK banks. The generated HLS and RTL declare exactly
these memories; ``buffer_slots`` is their one
definition, for one split (``plan_buffers``) or arrays of splits (explore's evaluator, the search's fit check). Each buffer is a separate memory; a memory goes to URAM when the board
has URAM left and it needs no more than a quarter of the BRAM36 blocks' count in
URAM blocks, else to BRAM36 (largest memories first).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

from hwgen.errors import HwgenError
from hwgen.hw.boards import Board
from hwgen.hw.contract import (EngineConfig, Lanes, bank_grid, bank_words, bram36_blocks, cdiv, conv_group_runs,
                               conv_rows, dw_word_bits, feature_word, input_write_codes, map_bus_bits, pw_word_bits,
                               unbox, uram_blocks)
from hwgen.hw.resources import LutInputs, dsp_count, lut_count
from hwgen.hw.schedule import Trace, run_schedule
from hwgen.hw.steps import (Step, StepTiling, first_tile_channels, input_rows, pw_dot, pw_groups, pw_rows,
                            schedule_steps, weight_tile_group, weight_words)
from hwgen.ir.ops import ComputeOp
from hwgen.numerics.fixed import accumulator_bits, pool_acc_bits, pool_recip


@dataclass(frozen=True)
class Buffer:
    """One on-chip buffer: ``banks`` memories of ``depth`` words of ``width`` bits each (a feature buffer a DW
    step reads with TK > 1 taps is banked: :func:`buffer_banks`), placed in BRAM36 or URAM blocks (``blocks``:
    all banks')."""

    name: str
    depth: int
    width: int
    memory: str = "bram"
    blocks: int = 0
    banks: int = 1

    @property
    def bits(self) -> int:
        return self.banks * self.depth * self.width


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
    dsp_packing: bool = False          # the PW array packs two MACs per DSP48E2 (hwgen.hw.resources)
    pixels_per_beat: int = 1           # input pixels per AXI4-Stream beat (hw.contract.input_cycles)

    @property
    def dsp(self) -> int:
        return dsp_count(self.cfg, self.act_bits, self.weight_bits, self.dsp_packing)

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
    def luts(self) -> LutInputs:
        """What the LUT model reads of this mapping (:func:`lut_inputs`)."""
        return lut_inputs(self.steps, self.tiles, self.cfg, self.act_bits, self.weight_bits, self.pixels_per_beat,
                          self.weights_in_dram, [(b.name, b.depth, b.banks) for b in self.buffers],
                          self.board.family)

    @property
    def lut(self) -> int:
        return lut_count(self.luts)

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
        dsp = self.dsp
        if dsp > b.dsp:
            out.append(f"needs {dsp} DSP but {b.name} has {b.dsp}")
        lut = self.lut
        if lut > b.lut:
            out.append(f"needs ~{lut} LUT but {b.name} has {b.lut}")
        return out

    def trace(self, ops: list[ComputeOp] | None = None) -> Trace:
        steps = schedule_steps(ops) if ops is not None else self.steps
        return run_schedule(steps, self.tiles, self.cfg, weights_in_dram=self.weights_in_dram,
                            input_in_dram=input_in_dram(steps, self.fmap_limit), act_bits=self.act_bits,
                            weight_bits=self.weight_bits, bytes_per_cycle=self.dram_bytes_per_cycle,
                            latency=self.dram_latency, pixels_per_beat=self.pixels_per_beat)

    def with_tiles(self, tiles: dict[str, StepTiling]) -> "Mapping":
        """This mapping with the steps tiled as ``tiles`` (e.g. weight tiles a bigger network would need, forced on
        a small one), its band heights and memory plan re-made from them."""
        bufs = place_buffers(plan_buffers(self.steps, tiles, self.cfg, self.weights_in_dram, self.fmap_limit,
                                          self.act_bits, self.weight_bits, self.pixels_per_beat), self.board)
        return replace(self, tiles=dict(tiles), buffers=bufs,
                       band_rows={s.name: tiles[s.name].band_rows for s in self.steps if s.fused})

    def to_dict(self) -> dict:
        c = self.cfg
        return {
            "pe": c.pe, "pe_budget": self.pe_budget, "dsp_packing": self.dsp_packing,
            "pixels_per_beat": self.pixels_per_beat, "tin": c.tin, "tout": c.tout, "tc": c.tc, "tk": c.tk, "pw_pe": c.pw_pe, "dw_pe": c.dw_pe,
            "split": format_split(c), "board": self.board.name, "part": self.board.part,
            "clock_mhz": self.clock_mhz, "act_bits": self.act_bits, "weight_bits": self.weight_bits,
            "weights_in_dram": self.weights_in_dram, "fmaps_in_dram": self.fmaps_in_dram,
            "fmap_limit": self.fmap_limit, "dram_bytes_per_cycle": self.dram_bytes_per_cycle,
            "dram_latency": self.dram_latency, "band_rows": dict(self.band_rows),
            "tiles": {k: vars(t).copy() for k, t in self.tiles.items()},
            "buffers": [{"name": b.name, "banks": b.banks, "depth": b.depth, "width": b.width, "bits": b.bits,
                         "memory": b.memory, "blocks": b.blocks} for b in self.buffers],
            "bram36": self.bram36, "uram": self.uram, "onchip_bits": self.onchip_bits,
        }


def with_weight_tiles(m: Mapping, tiles: int, band_rows: int | None = None) -> Mapping:
    """``m`` with every PW-engine op's weights in ``tiles`` output-channel tiles (and, when given, every fused pair
    in bands of ``band_rows``): what the mapper does when a layer's weights do not fit a slot, forced on a network
    small enough to simulate."""
    new = {}
    for s in m.steps:
        t = m.tiles[s.name]
        rows = min(band_rows, s.out_rows) if band_rows is not None and s.fused else t.band_rows
        new[s.name] = replace(t, band_rows=rows, weight_tiles=tiles if s.pw_op is not None else 1)
    return m.with_tiles(new)


def with_fmaps_in_dram(m: Mapping, fmap_limit: int, band_rows: int | None = None) -> Mapping:
    """``m`` with every feature map above ``fmap_limit`` elements in DRAM (the mapper's third memory plan, forced
    on a network small enough to simulate), the steps that stream a map (and, when given, every fused pair) in
    bands of ``band_rows`` rows."""
    new = {}
    for s, (ind, outd) in zip(m.steps, fmap_flags(m.steps, fmap_limit)):
        t = m.tiles[s.name]
        streamed = s.bandable and (ind or outd)
        rows = min(band_rows, s.out_rows) if band_rows is not None and (streamed or s.fused) else t.band_rows
        new[s.name] = replace(t, band_rows=rows, in_dram=ind, out_dram=outd)
    return replace(m, fmap_limit=fmap_limit, fmaps_in_dram=any(t.in_dram or t.out_dram for t in new.values())
                   ).with_tiles(new)


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


def tensor_elems(steps: list[Step]) -> list[int]:
    """Elements of the network input and of every step's output."""
    h, w, c = steps[0].first.in_shape
    return [h * w * c] + [s.last.out_shape[0] * s.last.out_shape[1] * s.last.out_shape[2] for s in steps]


def input_in_dram(steps: list[Step], fmap_limit: int) -> bool:
    return tensor_elems(steps)[0] > fmap_limit


def fmap_flags(steps: list[Step], fmap_limit: int) -> list[tuple[bool, bool]]:
    t = tensor_elems(steps)
    flags = []
    for i in range(len(steps)):
        last = i == len(steps) - 1
        flags.append((t[i] > fmap_limit, t[i + 1] > fmap_limit and not last))  # the logits stream out
    return flags


def _worst_input_rows(step: Step, band_rows: int) -> int:
    """Input rows of the step's tallest input band (its KxK halo included)."""
    if not step.bandable:
        return step.first.in_shape[0]
    return max(input_rows(step.first, r, min(r + band_rows, step.out_rows))
               for r in range(0, step.out_rows, band_rows))


def in_band_rows(step: Step, tiling: StepTiling) -> Any:
    """Input rows of the step's tallest input band (what one in_band half holds); ``tiling.band_rows`` an
    int, or an array over splits (then an array)."""
    band = tiling.band_rows
    if np.ndim(band) == 0:
        return _worst_input_rows(step, int(band))
    heights, inverse = np.unique(band, return_inverse=True)  # once per distinct height
    return np.array([_worst_input_rows(step, int(b)) for b in heights.tolist()])[inverse.ravel()]


def band_buffer_elems(step: Step, tiling: StepTiling, cfg: Lanes) -> tuple[Any, Any, Any]:
    """Elements of one half of the (input band, output band, DW->PW ping-pong) buffers a step needs.
    ``tiling.band_rows`` an int, or an array over splits (then arrays, as ``cfg`` may be).

    A lone step with a map in DRAM runs its bands through the ping-pong too (the HLS design's band region,
    docs/hls.md): a PW-engine step receives each input band there (a conv whose window is one run,
    hw.contract.conv_rows, as its gathered im2col groups: tin codes per group and output pixel), a DW or
    pool step hands its output band to the store there."""
    band = tiling.band_rows
    rows = unbox(np.minimum(band, step.out_rows)) if step.bandable else step.out_rows  # the tallest band
    op = step.first
    in_b = out_b = pp = 0
    staged = tiling.in_dram or tiling.out_dram
    if tiling.in_dram or (staged and not step.fused and op.kind in ("conv", "pw", "fc")):
        in_b = in_band_rows(step, tiling) * op.in_shape[1] * op.in_shape[2]
    last = step.last
    if tiling.out_dram:
        out_b = rows * last.out_shape[1] * last.out_shape[2]
    if step.fused:
        pp = rows * op.out_shape[1] * op.out_shape[2]
    elif staged and op.kind == "conv":
        window = np.asarray(pw_rows(op, cfg, step.dw_kernel)) == 1
        pp = unbox(np.where(window, rows * op.out_shape[1] * pw_groups(op, cfg, step.dw_kernel) * cfg.tin, in_b))
    elif staged:
        pp = in_b if op.kind in ("pw", "fc") else rows * last.out_shape[1] * last.out_shape[2]
        in_b = in_b if tiling.in_dram else 0
    return in_b, out_b, pp


def band_buffer_depth(elems: Any, word: Any, staged: bool = False) -> Any:
    """Words of a two-half band or ping-pong buffer whose half holds ``elems`` codes. ``staged``: the in_band /
    out_band buffers, filled from or drained to DRAM in whole words, where a band starts anywhere in a word
    (``hw.map_beats`` counts the partial words), so each half has one word more than its codes need; the
    ping-pong's bands start at word 0."""
    return unbox(2 * (cdiv(elems, word) + (np.asarray(elems) > 0) * staged))


def band_buffer_bits(step: Step, tiling: StepTiling, cfg: Lanes, word: Any, act_bits: int) -> Any:
    """Bits of the band and ping-pong buffers the step alone would need (the band budget's measure)."""
    return sum(band_buffer_depth(e, word, staged=name != "dw_pw_pingpong") * word * act_bits
               for name, e in zip(BAND_BUFFERS, band_buffer_elems(step, tiling, cfg)))


#: A plan's buffers in plan order (placement breaks ties by it; a plan lacks those of depth 0). With the
#: weights in DRAM the weight buffers are double-buffered per load and named ``pw_weights_2x``/``dw_weights_2x``.
BUFFERS = ("fmap_a", "fmap_b", "in_band", "out_band", "dw_pw_pingpong", "pw_weights", "dw_weights", "pw_bias",
           "dw_bias")
#: The buffers whose size the band heights set (plan_memory's band budget shares what the others leave).
BAND_BUFFERS = ("in_band", "out_band", "dw_pw_pingpong")
#: Feature buffers: a reader takes a run of <= word codes, two words, per cycle, so each memory (each bank) is
#: true dual-port (``hw.contract.BRAM36_TDP_SHAPES``); a band buffer is two such memories, its halves (one side
#: fills a half while the other drains the other). Weight and bias memories have one read port.
FEATURE_BUFFERS = ("fmap_a", "fmap_b") + BAND_BUFFERS


def memory_blocks(name: str, depth: Any, width: Any, banks: Any = 1) -> tuple[Any, Any]:
    """(BRAM36, URAM) blocks of buffer ``name`` of ``banks`` x ``depth`` x ``width`` in either memory (ints, or
    arrays over plans): every memory it is built from (:data:`FEATURE_BUFFERS`) tiled on its own."""
    halves = 2 if name in BAND_BUFFERS else 1
    d = cdiv(depth, halves)
    dual = name in FEATURE_BUFFERS
    return (unbox(banks * halves * bram36_blocks(d, width, dual)), unbox(banks * halves * uram_blocks(d, width)))


class PlanWords(NamedTuple):
    """The split-only parts of a memory plan (ints, or arrays over splits): computed once for a set of
    splits, reused by every tiling, weight placement and feature-map limit (:func:`buffer_slots`)."""

    word: Any                 # feature_word
    pw_weights: Any           # words of all PW-engine weights (held on-chip)
    dw_weights: Any           # words of all DW weights
    dw_max: Any               # words of the largest DW layer (one load)
    pw_step: tuple[Any, ...]  # per step, the words of its PW-engine op (0: none)
    pw_bias: Any              # one word per output group of tout (PW engine) ...
    dw_bias: Any              # ... and of tc (DW engine)

    def take(self, rows: np.ndarray) -> "PlanWords":
        """The words of the splits ``rows`` (of arrays over splits)."""
        return PlanWords(*(tuple(np.asarray(x)[rows] for x in f) if isinstance(f, tuple) else np.asarray(f)[rows]
                           for f in self))


def plan_words(steps: list[Step], cfg: Lanes, pixels_per_beat: int = 1) -> PlanWords:
    """:class:`PlanWords` of the network ``steps`` for ``cfg`` (an EngineConfig or EngineArrays) and an input
    stream of ``pixels_per_beat`` pixels per beat."""
    zero = 0 * cfg.tin  # the shape of the splits
    k = dw_kernel(steps)
    memo: dict[tuple, Any] = {}  # each layer geometry once (MobileNet repeats its 14x14x512 block five times)

    def words(op: ComputeOp) -> Any:
        key = (op.kind, op.in_shape, op.out_shape, op.kernel)
        if key not in memo:
            memo[key] = zero + weight_words(op, cfg, k)
        return memo[key]

    pw_ops = [op for s in steps for op in s.ops if op.kind in ("conv", "pw", "fc")]
    dw_ops = [op for s in steps for op in s.ops if op.kind == "dw"]
    dw = [words(op) for op in dw_ops]
    return PlanWords(
        word=feature_word(cfg, steps[0].first.in_shape[2], pixels_per_beat),
        pw_weights=sum((words(op) for op in pw_ops), start=zero),
        dw_weights=sum(dw, start=zero),
        dw_max=unbox(np.max(dw, axis=0)) if dw else zero,
        pw_step=tuple(zero if s.pw_op is None else words(s.pw_op) for s in steps),
        pw_bias=sum((cdiv(op.out_shape[2], cfg.tout) for op in pw_ops), start=zero),
        dw_bias=sum((cdiv(op.out_shape[2], cfg.tc) for op in dw_ops), start=zero))


class BankGrids(NamedTuple):
    """Bank grids (``hw.contract.bank_grid``: BR x BC, ints or arrays over splits) of the banked buffers."""

    fmap: tuple[Any, Any]     # fmap_a and fmap_b (each may hold any on-chip map)
    in_band: tuple[Any, Any]  # the in_band halves


def buffer_banks(steps: list[Step], tiles: dict[str, StepTiling], cfg: Lanes) -> BankGrids:
    """Which feature buffers are banked, and how (the layout: ``hw.contract``, "Feature-memory banks"): a buffer
    holding a map that a DW step reads (a lone DW op, or a fused pair's DW op, the step's first op), or a conv
    whose window is one run (``hw.contract.conv_rows``), has the grid of the DW kernel and ``cfg.tk``; every map
    the buffer holds then uses its layout. fmap_a / fmap_b
    (each sized for every on-chip map) are banked when a DW step reads an on-chip map, in_band when a DW step
    reads its input from DRAM; the DW->PW ping-pong and out_band have one bank (1 x 1). The input stream writes
    a banked fmap_a at any pixels per beat (hw.contract: one run per bank and beat)."""
    k = dw_kernel(steps)
    br, bc = bank_grid(k, cfg.tk)
    dw_in = [tiles[s.name].in_dram for s in steps if s.first.kind == "dw"]
    # a conv whose window is one run in groups (hw.contract.conv_rows) reads its pixels from distinct banks
    window = [(tiles[s.name].in_dram, np.asarray(conv_rows(s.first.kernel, k, cfg.tk) == 1))
              for s in steps if s.first.kind == "conv"]
    fmap_read = np.asarray(not all(dw_in))
    band_read = np.asarray(any(dw_in))
    for in_dram, w in window:
        band_read, fmap_read = (band_read | w, fmap_read) if in_dram else (band_read, fmap_read | w)
    return BankGrids((unbox(np.where(fmap_read, br, 1)), unbox(np.where(fmap_read, bc, 1))),
                     (unbox(np.where(band_read, br, 1)), unbox(np.where(band_read, bc, 1))))


def lut_inputs(steps: list[Step], tiles: dict[str, StepTiling], cfg: Lanes, act_bits: int, weight_bits: int,
               pixels_per_beat: int, weights_in_dram: Any, slots: list[tuple[str, Any, Any]],
               family: str) -> LutInputs:
    """What the LUT model (hwgen.hw.resources.lut_parts) reads of a design: the network's accumulator widths, the
    split's word and im2col runs, the bank grids (:func:`buffer_banks`) and the memory plan's feature buffers
    (``slots``: (name, depth, banks) of every buffer; ints, or arrays over splits with ``cfg``); ``family``: the
    part's (Board.family)."""
    k = dw_kernel(steps)
    grids = buffer_banks(steps, tiles, cfg)
    pw_ops = [op for s in steps for op in s.ops if op.kind in ("conv", "pw", "fc")]
    pools = [op.in_shape[0] * op.in_shape[1] for s in steps for op in s.ops if op.kind == "pool"]
    cin = steps[0].first.in_shape[2]
    fmaps_in_dram = any(bool(np.any(t.in_dram)) or bool(np.any(t.out_dram)) for t in tiles.values())
    input_dram = bool(np.any(tiles[steps[0].name].in_dram))
    fbanks = np.asarray(grids.fmap[0]) * np.asarray(grids.fmap[1])
    bbanks = np.asarray(grids.in_band[0]) * np.asarray(grids.in_band[1]) * fmaps_in_dram
    # a conv reads its window from the buffer of its input: in_band when that is in DRAM, else fmap_a / fmap_b
    runs = [conv_group_runs(s.first.kernel, s.first.in_shape[2], k, cfg.tk, cfg.tin,
                            grids.in_band if tiles[s.name].in_dram else grids.fmap)
            for s in steps if s.first.kind == "conv"]

    def bands(s: Step) -> Any:  # hw.steps.bands_of's count, for band heights over splits too
        return cdiv(s.out_rows, tiles[s.name].band_rows) if s.bandable else 1

    def weight_tile_count(s: Step) -> Any:  # hw.steps.weight_tiled's tiles, hw.steps.weight_tile_channels' count
        t = np.asarray(tiles[s.name].weight_tiles)
        count = cdiv(s.pw_op.out_shape[2], weight_tile_group(s.pw_op, t, cfg))
        return np.where(np.asarray(weights_in_dram, dtype=bool) & (t > 1), count, 1)

    return LutInputs(
        cfg=cfg, act_bits=act_bits,
        pw_acc=max([accumulator_bits(act_bits, weight_bits, op.in_shape[2] * op.kernel ** 2) for op in pw_ops] or [2]),
        dw_acc=accumulator_bits(act_bits, weight_bits, k * k),
        pool_acc=max([pool_acc_bits(act_bits, n) for n in pools] or [2]),
        word=feature_word(cfg, cin, pixels_per_beat),
        read_banks=unbox(np.maximum(fbanks, bbanks)),
        # the memories of the plan's feature buffers (a band buffer has two halves)
        buffer_banks=unbox(sum((2 if name in BAND_BUFFERS else 1) * np.asarray(banks) * (np.asarray(depth) > 0)
                               for name, depth, banks in slots if name in FEATURE_BUFFERS)),
        pw_runs=unbox(np.max(runs, axis=0)) if runs else 1,
        input_codes=cin * pixels_per_beat,
        input_packers=1 if input_dram else unbox(fbanks),
        scatter_packers=unbox(np.where(bbanks > 1, bbanks, 0)),
        weights_in_dram=weights_in_dram, fmaps_in_dram=fmaps_in_dram,
        pw_tiles=unbox(sum(np.asarray(bands(s)) * weight_tile_count(s) for s in steps if s.pw_op is not None)),
        dw_tiles=unbox(sum(np.asarray(bands(s)) for s in steps if s.dw_op is not None)),
        weight_word=unbox(np.maximum(pw_word_bits(cfg, weight_bits), dw_word_bits(cfg, weight_bits))),
        pool_terms=max([bin(pool_recip(n)).count("1") for n in pools] or [1]), family=family)


def buffer_slots(steps: list[Step], tiles: dict[str, StepTiling], cfg: Lanes, weights_in_dram: bool,
                 fmap_limit: int, act_bits: int, weight_bits: int,
                 words: PlanWords | None = None, pixels_per_beat: int = 1) -> list[tuple[str, Any, Any, Any]]:
    """The memory plan: (name, depth in words per bank, width in bits, banks) of every buffer of
    :data:`BUFFERS`, in that order, depth 0 where the plan has none. ``cfg`` an EngineConfig, or EngineArrays
    of many splits; then the tilings' band heights and weight tiles may be arrays over the same splits (their
    feature-map flags are shared), and depths, widths and banks are arrays. ``words``: :func:`plan_words` of
    ``cfg`` (and ``pixels_per_beat``), if known. The feature buffers :func:`buffer_banks` names hold each map
    in the bank layout (``hw.contract.bank_words``: the fullest bank's words); the others are one memory."""
    w = plan_words(steps, cfg, pixels_per_beat) if words is None else words
    word = w.word
    grids = buffer_banks(steps, tiles, cfg)
    shapes = [steps[0].first.in_shape] + [s.last.out_shape for s in steps]
    onchip = [(h, wd, c) for (h, wd, c), t in zip(shapes, tensor_elems(steps)) if t <= fmap_limit]
    fmap = np.max([bank_words(h, wd, c, word, grids.fmap) for h, wd, c in onchip], axis=0) if onchip else 0
    fmap = unbox(fmap)
    halves: list[Any] = [0, 0, 0]
    in_words: Any = 0  # words of the tallest input band in one in_band bank
    tile_words: Any = 0
    if tensor_elems(steps)[0] > fmap_limit:  # the network input streams to DRAM through the out_band halves
        in_c = steps[0].first.in_shape[2]
        halves[1] = np.minimum(tensor_elems(steps)[0],
                               input_write_codes(word, map_bus_bits(cfg, in_c, act_bits, pixels_per_beat)))
    for i, s in enumerate(steps):
        t = tiles[s.name]
        halves = [np.maximum(h, e) for h, e in zip(halves, band_buffer_elems(s, t, cfg))]
        if t.in_dram:
            _, wd, c = s.first.in_shape
            in_words = np.maximum(in_words, bank_words(in_band_rows(s, t), wd, c, word, grids.in_band))
        if weights_in_dram and s.pw_op is not None:
            # the first tile is the largest; untiled (one int tile), the whole layer's words
            tw = w.pw_step[i] if np.ndim(t.weight_tiles) == 0 and t.weight_tiles == 1 else \
                weight_words(s.pw_op, cfg, s.dw_kernel, first_tile_channels(s.pw_op, t.weight_tiles, cfg))
            tile_words = np.maximum(tile_words, tw)
    fmap_width = word * act_bits
    fbanks, ibanks = (unbox(br * bc) for br, bc in grids)
    slots = [("fmap_a", fmap, fmap_width, fbanks), ("fmap_b", fmap, fmap_width, fbanks)]
    # a band buffer no step needs stays a plain 0 (absent from every split: place_blocks skips it)
    if np.any(halves[0]):
        # A one-bank half holds the DRAM words as transferred (a band starts anywhere in a word: one word
        # more, band_buffer_depth); a banked half is written by pixel, each bank's band from its element 0.
        slots.append(("in_band", unbox(2 * (in_words + (np.asarray(ibanks) == 1))), fmap_width, ibanks))
    else:
        slots.append(("in_band", 0, fmap_width, 1))
    slots += [(name, band_buffer_depth(h, word, staged=name != "dw_pw_pingpong") if np.any(h) else 0, fmap_width, 1)
              for name, h in zip(BAND_BUFFERS[1:], halves[1:])]
    if weights_in_dram:
        slots += [("pw_weights_2x", 2 * tile_words, cfg.tin * cfg.tout * weight_bits, 1),
                  ("dw_weights_2x", 2 * w.dw_max, cfg.tc * cfg.tk * weight_bits, 1)]
    else:
        slots += [("pw_weights", w.pw_weights, cfg.tin * cfg.tout * weight_bits, 1),
                  ("dw_weights", w.dw_weights, cfg.tc * cfg.tk * weight_bits, 1)]
    # Biases: one word per output group of each engine (tout or tc biases of act_bits + weight_bits).
    slots += [("pw_bias", w.pw_bias, cfg.tout * (act_bits + weight_bits), 1),
              ("dw_bias", w.dw_bias, cfg.tc * (act_bits + weight_bits), 1)]
    return slots


def plan_buffers(steps: list[Step], tiles: dict[str, StepTiling], cfg: EngineConfig, weights_in_dram: bool,
                 fmap_limit: int, act_bits: int, weight_bits: int, pixels_per_beat: int = 1) -> list[Buffer]:
    """The on-chip memories of a mapping (banks x depth x width, before placement): :func:`buffer_slots` of one
    split, the absent ones left out."""
    return [Buffer(name, int(depth), int(width), banks=int(banks))
            for name, depth, width, banks in buffer_slots(steps, tiles, cfg, weights_in_dram, fmap_limit, act_bits,
                                                          weight_bits, pixels_per_beat=pixels_per_beat) if depth]


def place_buffers(bufs: list[Buffer], board: Board) -> list[Buffer]:
    """Assign each buffer to URAM or BRAM36 (largest first) and count its blocks (:func:`place_blocks`)."""
    if not bufs:
        return []
    blocks, in_uram = place_blocks([b.name for b in bufs], [b.depth for b in bufs], [b.width for b in bufs], board,
                                   [b.banks for b in bufs])
    return [Buffer(b.name, b.depth, b.width, "uram" if u else "bram", int(n), b.banks)
            for b, n, u in zip(bufs, blocks[:, 0].tolist(), in_uram[:, 0].tolist())]


def bram36_equivalent(bufs: list[Buffer]) -> int:
    """BRAM36 blocks of a placed plan on a part without URAM (7-series, what Yosys maps): a buffer the plan
    put in URAM counts at its BRAM36 placement (:func:`memory_blocks`)."""
    return sum(b.blocks if b.memory == "bram" else memory_blocks(b.name, b.depth, b.width, b.banks)[0] for b in bufs)


def place_blocks(names: list[str], depths: list, widths: list, board: Board,
                 banks: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The placement rule, for one plan or many: buffer k, named ``names[k]``, is ``banks[k]`` (default 1)
    memories of ``depths[k]`` x ``widths[k]`` (ints, or arrays over plans; depth 0: absent), in plan_buffers
    order, its blocks :func:`memory_blocks`. Largest first (by BRAM36 blocks, ties in plan order), a buffer
    goes to URAM when the board has that many URAM blocks left and it needs no more than a quarter of its
    BRAM36 count in URAM blocks. Returns (blocks, in_uram), each of shape (buffers, plans)."""
    banks = [1] * len(depths) if banks is None else banks
    plans = max(np.size(x) for x in (*depths, *widths, *banks))
    # A scalar depth 0 is a buffer absent from every plan: no blocks, left out of the placement.
    live = [k for k, d in enumerate(depths) if not (np.ndim(d) == 0 and d == 0)]
    blocks = np.zeros((len(depths), plans), dtype=np.int64)
    in_uram = np.zeros((len(depths), plans), dtype=bool)
    if not live:
        return blocks, in_uram
    per = [memory_blocks(names[k], depths[k], widths[k], banks[k]) for k in live]
    nb = np.stack([np.broadcast_to(b, (plans,)) for b, _ in per])
    nu = np.stack([np.broadcast_to(u, (plans,)) for _, u in per])
    order = np.argsort(-nb, axis=0, kind="stable")  # sorted() is stable too
    uram_left = np.full(plans, board.uram, dtype=np.int64)
    taken = np.zeros(nb.shape, dtype=bool)
    cols = np.arange(plans)
    for k in range(len(live)):
        idx = order[k]
        b, u = nb[idx, cols], nu[idx, cols]
        take = (u > 0) & (u <= uram_left) & (4 * u <= b)
        uram_left = uram_left - np.where(take, u, 0)
        taken[idx, cols] = take
    if len(live) == len(depths):
        return np.where(taken, nu, nb), taken
    blocks[live], in_uram[live] = np.where(taken, nu, nb), taken
    return blocks, in_uram


def onchip_data_bits(op: ComputeOp, step: Step, mapping: Mapping) -> int:
    """On-chip bits the op's data occupies: its maps held on-chip, band/ping-pong halves, its weights."""
    t = mapping.tiles[step.name]
    ab, wb = mapping.act_bits, mapping.weight_bits
    h, w, c = op.in_shape
    ho, wo, co = op.out_shape
    bits = 0
    i_b, o_b, pp = band_buffer_elems(step, t, mapping.cfg)
    if op is step.first:
        bits += (h * w * c if not t.in_dram else 2 * i_b) * ab
    if op is step.last:
        bits += (ho * wo * co if not t.out_dram else 2 * o_b) * ab
    if step.fused:
        bits += pp * ab  # each op of the pair is charged half of the two-half ping-pong
    else:
        bits += 2 * pp * ab  # a lone step's bands through the ping-pong (a map in DRAM)
    if op.kind != "pool":
        if mapping.weights_in_dram and op is step.pw_op:
            ch = first_tile_channels(op, t.weight_tiles, mapping.cfg)
            bits += 2 * pw_dot(op) * ch * wb
        else:
            bits += op.weights * wb * (2 if mapping.weights_in_dram else 1)
    return bits
