"""Plan of the generated RTL: buffers, engine op tables, tile lists, schedule steps and ROM images.

Everything the Verilog templates need is computed here from (QuantGraph, Mapping), so the
templates only lay it out. The schedule follows the network schedule of :mod:`hwgen.hw.contract`
and the steps and tilings of :mod:`hwgen.hw.steps` / ``mapping.tiles`` (what :mod:`hwgen.hw.schedule`
simulates): a conv/pw/fc op runs on the PW engine, one tile per (row band, weight tile); a lone dw op on
the DW engine, one tile per band; pool as one pool tile; a dw op followed by a pw op reading its output is
a fused pair over row bands (DW writes the ping-pong band buffer, PW reads it). With weights in DRAM the
weight loads are the simulator's (one per step, or one per PW tile of a weight-tiled step). With feature
maps in DRAM the bands of a streamed map are staged in the plan's in_band / out_band buffers, and one DMA
runs the simulator's queue of transfers (``Trace.transfers``) in its order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd
from typing import Any, Sequence

from hwgen.codegen.blocks import axis_bits, dw_blocks, pw_blocks, pw_lane_inputs
from hwgen.errors import HwgenError
from hwgen.hw.contract import (DW_DEPTH, POOL_DEPTH, PW_DEPTH, WEIGHT_UNIT_BITS, EngineConfig, bank_element,
                               bank_words, bus_bits, cdiv, conv_rows, dw_iterations, dw_word_bits, input_cycles,
                               input_write_codes, map_bus_bits, max_burst_beats, pixel_bank, pool_iterations,
                               pw_iterations, pw_word_bits, spanning_word_units, tile_cycles, weight_bus_bits,
                               weight_section_beats, weight_word_pitch)
from hwgen.hw.resources import pw_array_packs
from hwgen.hw.steps import (bands_of, input_row_range, pw_groups, schedule_steps, step_loads,
                            weight_tile_channels,
                            weight_tiled)
from hwgen.mapping.plan import Mapping, bram36_equivalent, buffer_banks, dw_kernel, feature_word
from hwgen.numerics.fixed import output_range, pool_acc_bits, pool_recip
from hwgen.quant.qgraph import QuantGraph, QuantOp

#: Feature memories shared by the top and the engines: the plan's two feature-map buffers, the two halves
#: of its DW->PW ping-pong buffer (a fused pair's DW engine writes one half while its PW engine reads the other)
#: and the halves of its in_band / out_band buffers (a map in DRAM: the DMA fills / drains one half while an
#: engine reads / writes the other).
BUF_A, BUF_B, BUF_BAND0, BUF_BAND1, BUF_IN0, BUF_IN1, BUF_OUT0, BUF_OUT1 = range(8)

BUF_NAMES = ("fmap_a", "fmap_b", "band0", "band1", "in_band0", "in_band1", "out_band0", "out_band1")

BUF_PLAN = ("fmap_a", "fmap_b", "dw_pw_pingpong", "dw_pw_pingpong", "in_band", "in_band", "out_band", "out_band")

#: DMA transfer kinds (hwgen.hw.schedule.Trace.transfers: "w", "r", "s").
DMA_W, DMA_R, DMA_S = 0, 1, 2

#: Schedule step kinds.
STEP_PW, STEP_DW, STEP_POOL, STEP_FUSED = 0, 1, 2, 3

#: Width of the signed shift field of the op tables.
SHIFT_BITS = 8
#: Width of each lane's per-channel extra shift (0 .. accumulator width - 1).
CH_SHIFT_BITS = 8
#: The widest counter the templates build: the engines and the DMA's scatter widen counts into 32-bit integer
#: arithmetic (a count and its carry), as the top's DRAM addresses and beat counts are 32 bits.
MAX_COUNTER_BITS = 31


@dataclass(frozen=True)
class CounterWidths:
    """Bits of each group of counters, addresses and counts the RTL builds (:func:`counter_widths` computes them
    all from the plan; the templates take them as parameters). Counters compared with each other share a width."""

    seq: int  # the top's sequencer and DMA queue: a step's bands and tiles, issue / done counters, band reads /
    # writes done and the ones before a step, input writes, trigger counts, sequence numbers (all ones: none)
    in_col: int  # the input stream's column (a banked fmap_a writer)
    out_ch: int  # the output stream's channel
    out_col: int  # and column
    scat: int  # the DMA's scatter into banked in_band halves: a beat's channel offset in its pixel, columns
    pw: int  # each engine's loop counters and op / tile table entries (groups, columns, rows, channels)
    dw: int
    pool: int


def count_bits(what: str, n: int) -> int:
    """Bits of an unsigned counter holding 0 .. ``n``; a count beyond :data:`MAX_COUNTER_BITS` is one line naming it."""
    bits = max(1, int(n).bit_length())
    if bits > MAX_COUNTER_BITS:
        raise HwgenError(f"RTL: {n:,} {what} need a {bits}-bit counter, beyond the RTL's {MAX_COUNTER_BITS}-bit "
                         "counters")
    return bits


@dataclass
class FeatureBuffer:
    """One feature buffer: memories of ``depth`` words of the plan's feature word (``word`` codes), named after
    the plan buffer it implements. A banked buffer (``grid`` BR x BC > 1 x 1: fmap_a / fmap_b when a DW step
    reads an on-chip map, the in_band halves when a DW step reads its input from DRAM, hw.contract "Feature-memory
    banks") is BR*BC memories, bank b holding its pixels of every map in the bank layout, ``depth`` the plan's
    words per bank; each reader reads one run of <= word codes per bank per cycle (the bank's two ports). An
    unbanked buffer is one memory of dense maps, read one run per cycle."""

    id: int
    name: str
    plan: str  # the Mapping.buffers entry this memory implements
    depth: int = 0
    lane_we: bool = False  # per-lane write enables (a writer writes non-consecutive codes)
    readers: set[str] = field(default_factory=set)
    writers: set[str] = field(default_factory=set)
    grid: tuple[int, int] = (1, 1)  # bank rows x bank columns (hw.contract.bank_grid)

    @property
    def banks(self) -> int:
        return self.grid[0] * self.grid[1]

    @property
    def mem_depths(self) -> list[int]:
        """Words of each memory the RTL builds: one per bank, each the plan's per-bank depth."""
        return [self.depth] * self.banks


def row_base(y: int, width: int, channels: int, grid: tuple[int, int]) -> tuple[int, int]:
    """(element of row y's first pixel in its bank, that pixel's bank (y mod BR) * BC), for any y (a window's row
    may be above the map): hw.contract.bank_element / pixel_bank. The engines track a row's bank so, and add a
    column's x mod BC: a bank index without a multiply."""
    return bank_element(y, 0, 0, width, channels, grid), pixel_bank(y, 0, grid)


def col_base(x: int, channels: int, grid: tuple[int, int]) -> tuple[int, int]:
    """(element offset of column x's bank pixel from its row's first, its bank column x mod BC), for any x."""
    return bank_element(0, x, 0, 1, channels, grid), pixel_bank(0, x, grid)


def bank_row_stride(width: int, channels: int, grid: tuple[int, int]) -> int:
    """Elements from one bank row's first pixel to the next's (row y to row y + BR)."""
    return bank_element(grid[0], 0, 0, width, channels, grid)


@dataclass
class EngineOp:
    """One op's constants in an engine's op table (names match the template)."""

    name: str
    kind: str
    m: int  # dot-product length (pw/fc: Cin; conv: K*K*Cin; dw: taps; pool: pixels)
    channels: int  # input channels (conv: Cin; dw/pool: C)
    n: int  # output channels
    inner_groups: int  # PW: hw.steps.pw_groups (a conv: K padded kernel rows); DW: ceil(K*K/tk); pool: ceil(C/tin)
    outer_groups: int  # PW: ceil(N/tout); DW: ceil(C/tc); pool: 1
    k: int
    s: int
    pad_t: int
    pad_l: int
    hi: int
    wi: int
    wo: int
    shift: int
    lo: int
    hi_clamp: int
    in_buf: int
    out_buf: int
    wbase: int = 0
    bbase: int = 0
    tbase: int = 0  # first row of the op's im2col / tap table
    recip: int = 0  # pool only
    # Per-channel weight formats: each output group's extra right shifts, 8-bit lanes packed (lane 0 in the LSBs).
    ch_shift: list[int] = field(default_factory=list)
    # The bank layout (hw.contract "Feature-memory banks") of the input and output buffers: grids, bank row
    # strides (elements from row y to row y + BR), and the first output column whose append is the last of its
    # bank in the row (the packer flushes that bank's pending word there; none for an unbanked output).
    ig: tuple[int, int] = (1, 1)
    og: tuple[int, int] = (1, 1)
    iwbc: int = 0
    owbc: int = 0
    flx: int | None = None  # None: an unbanked output (no column flushes)


@dataclass
class Tile:
    """One engine invocation: output rows [row0, row0+rows) of op ``op`` (index in the engine's op table);
    on the PW engine, output groups [go0, go0 + ngo) of them (a weight tile), with weights from ``wbase``."""

    op: int
    rows: int
    in_row0: int  # first input row the tile reads: row0*s - pad_t
    in_addr0: int  # input address of (row in_row0, column 0), relative to the buffer
    out0: int  # output address of the tile's first pixel
    iterations: int
    cycles: int
    go0: int = 0  # first output group (tout channels each)
    ngo: int = 1  # output groups of the tile
    wbase: int = 0  # weight-memory word of the tile's first block
    bbase: int = 0  # bias-ROM word of its first output group
    in_buf: int = BUF_A  # feature memory the tile reads
    out_buf: int = BUF_B  # and writes
    in_e0: int = 0  # element (code) address of row in_row0's first code (its bank's, in a banked buffer)
    out_e0: int = 0  # element address of the tile's first output code (its bank's)
    in_yr: int = 0  # bank of row in_row0's first pixel ((row mod BR) * BC)
    out_yr: int = 0  # bank of the first output row's first pixel


@dataclass
class SeqStep:
    """One step of the top's sequencer: an engine tile, or a fused DW->PW pair over ``bands`` row bands.

    With weight tiles (weights in DRAM that do not fit a slot) each band's PW work is ``wtiles`` PW tiles, one
    weight load each (``tiled``): the loads of a tiled step are consumed by its PW tiles, not by its start."""

    kind: int
    bands: int  # row bands (hw.steps.bands_of): fused pairs, and lone ops whose maps are banded
    ops: tuple[str, ...]
    wtiles: int = 1  # PW tiles per band (output-channel weight tiles)
    tiled: bool = False  # one weight load per PW tile (hw.steps.weight_tiled)
    rd: bool = False  # the input map is in DRAM: band i is read into in_band half i % 2
    wr: bool = False  # the output map is in DRAM: band i is written from out_band half i % 2
    rbase: int = 0  # band reads (DMA_R transfers) queued before this step's
    wbase: int = 0  # band writes (DMA_S) queued before this step's

    @property
    def pw_tiles(self) -> int:
        """PW-engine tiles the step runs (band-major, then weight tile)."""
        return self.bands * self.wtiles if self.kind in (STEP_PW, STEP_FUSED) else 0


@dataclass
class Load:
    """One weight load (a step's, or one weight tile's of a tiled step), in the order the schedule simulator
    issues them: DRAM byte address and the PW/DW ROM-image words it carries, into slot (index % 2)."""

    addr: int
    pw_first: int
    pw_words: int
    dw_first: int
    dw_words: int
    pw_beats: int = 0  # bus beats of its PW section, then of its DW section (hw.weight_section_beats)
    dw_beats: int = 0

    @property
    def beats(self) -> int:
        return self.pw_beats + self.dw_beats


@dataclass
class Dma:
    """One DMA transfer, in the queue order of the schedule simulator: ``kind`` (DMA_W a weight load, DMA_R a
    band read, DMA_S a band write), ``seq`` its place among the transfers of its kind (the trigger it waits for:
    weight load g for the consumer of load g-1, band read / write j for the j-th read / write trigger), DRAM byte
    address, beats, and the band half it fills or drains; ``lane`` for a write: the first code's lane in its
    word (lanes below it are the previous band's tail, sent as the DMA last sent them)."""

    kind: int
    seq: int
    addr: int
    beats: int
    buf: int = 0
    lane: int = 0
    codes: int = 0  # a band read into a banked in_band half: the band's codes (from lane ``lane`` of beat 0)
    shape: int = 0  # and its map's index in RtlPlan.in_shapes (the scatter's geometry)


@dataclass
class RtlPlan:
    name: str
    cfg: EngineConfig
    act_width: int  # activation lane width (max over formats)
    weight_width: int  # weight lane width
    word: int  # codes per feature-memory word (hwgen.mapping.plan.feature_word)
    abits: int  # feature-memory word address bits
    in_channels: int
    in_width: int  # input format width
    in_pixels: int
    in_beat_bits: int
    pixels_per_beat: int  # input pixels per beat (hw.contract.input_cycles); the last beat carries the rest
    out_pixels: int
    out_channels: int
    out_width: int
    out_beat_bits: int
    out_buf: int
    buffers: list[FeatureBuffer]
    pw_ops: list[EngineOp]
    dw_ops: list[EngineOp]
    pool_ops: list[EngineOp]
    pw_tiles: list[Tile]
    dw_tiles: list[Tile]
    pool_tiles: list[Tile]
    steps: list[SeqStep]
    pw_ports: int  # pixels an im2col group touches (each with its padding mask)
    # im2col rows: ports [(ky,kx)], runs [(element offset, bank row offset, bank column offset)],
    # lanes [(sel, port, valid)]
    pw_table: list[dict[str, Any]]
    # tap rows: ports [(ky, kx, element offset, valid, bank row offset, bank column offset)]
    dw_table: list[dict[str, Any]]
    pw_runs: int  # code runs the PW engine reads per cycle (one per bank an im2col group touches)
    bias_bits: int  # bias ROM lane width
    pw_acc: int
    dw_acc: int
    pool_acc: int
    pool_channels: int
    left_shift: int  # largest left shift of any requantization (negative shift)
    per_channel: bool  # some op has per-channel weight formats (EngineOp.ch_shift)
    pw_wrom: list[int]  # words of tin*tout*wb bits
    pw_brom: list[int]  # words of tout*pw_acc bits
    dw_wrom: list[int]
    dw_brom: list[int]
    predicted_cycles: int = 0
    dsp_packing: bool = False  # the PW multiply stage packs output lanes 2j, 2j+1 into one DSP48E2 (WP486)
    layer_cycles: list[tuple[str, int]] = field(default_factory=list)
    dram: bool = False  # weights streamed from DRAM through the AXI4 read master
    axi_bits: int = 0
    axi_max_burst: int = 0  # beats of the longest INCR burst (none crosses 4 KB)
    loads: list["Load"] = field(default_factory=list)
    dram_bytes_per_cycle: float = 0.0  # the mapping's DRAM channel (what the testbench emulates)
    dram_latency: int = 0
    bram36_plan: int = 0  # the mapping's buffers in BRAM36 on xc7 (hwgen.mapping.plan.bram36_equivalent)
    fdram: bool = False  # feature maps in DRAM: the map AXI4 bundle (m_axi_f*) and band staging
    faxi_bits: int = 0  # map bus: one feature word per beat (hw.map_bus_bits)
    faxi_max_burst: int = 0
    fbytes: int = 0  # the map DRAM: two regions (a streamed map is read from one while the next is written)
    dma: list[Dma] = field(default_factory=list)
    #: The maps left in the map DRAM after an inference: per region, the last map written there (the name of the op
    #: that produced it, its byte address), what the testbench compares with the golden model's feature maps.
    dram_maps: list[tuple[str, int]] = field(default_factory=list)
    #: The network input in DRAM: it streams through the out_band halves, write j (a DMA_S transfer, the first
    #: ``in_writes`` of them) from half j % 2 holding words [j*in_write_words, (j+1)*in_write_words) of the input.
    in_dram: bool = False
    in_writes: int = 0
    in_write_words: int = 0
    plan_blocks: tuple[int, int] = (0, 0)  # the mapping's (BRAM36, URAM): hwgen estimate's figure
    plan_lut: int = 0  # the mapping's LUTs (hwgen.hw.resources.lut_parts): hwgen estimate's figure
    in_shape: tuple[int, int, int] = (1, 1, 1)  # the network input and output maps (H, W, C)
    out_shape: tuple[int, int, int] = (1, 1, 1)
    fmap_grid: tuple[int, int] = (1, 1)  # bank grid of the banked buffers (fmap_a / fmap_b)
    #: Maps read from DRAM into banked in_band halves: (width, channels, pixels a beat touches) of each
    #: (the DMA's scatter into the banks, hwgen_top).
    in_shapes: list[tuple[int, int, int]] = field(default_factory=list)
    # Read ports of each engine (one per bank of the memories it reads) and banks it writes.
    pw_banks: int = 1
    dw_banks: int = 1
    pool_banks: int = 1
    pw_wbanks: int = 1
    dw_wbanks: int = 1
    pool_wbanks: int = 1
    widths: CounterWidths | None = None  # bits of each counter group (counter_widths)

    @property
    def axi(self) -> bool:
        """The top has the DMA and both AXI4 bundles (weights and/or maps in DRAM)."""
        return self.dram or self.fdram

    @property
    def dma_scatters(self) -> bool:
        """Band reads scatter into banked in_band halves (the DMA's per-beat bank writes, hwgen_top)."""
        return self.buffers[BUF_IN0].grid != (1, 1) and bool(self.in_shapes)

    @property
    def pw_wdepth(self) -> int:
        """Words of the PW weight memory: the ROM, or two slots of the largest load."""
        return 2 * max([ld.pw_words for ld in self.loads] + [1]) if self.dram else len(self.pw_wrom)

    @property
    def dw_wdepth(self) -> int:
        return 2 * max([ld.dw_words for ld in self.loads] + [1]) if self.dram else len(self.dw_wrom)

    @property
    def pw_word_bits(self) -> int:
        return pw_word_bits(self.cfg, self.weight_width)

    @property
    def dw_word_bits(self) -> int:
        return dw_word_bits(self.cfg, self.weight_width)

    def gear(self, engine: str) -> dict[str, int] | None:
        """The loader's gearbox for an engine whose weight words are wider than the bus (None: a word per beat):
        words of ``stored`` bits back to back; a window of ``k`` beats holds every word that ends in its newest
        beat, the word starting ``base + off`` 32-bit units into it (``off`` < bus units: ``ob`` select bits)."""
        bits = self.pw_word_bits if engine == "pw" else self.dw_word_bits
        wu = int(spanning_word_units(bits, self.axi_bits))
        if not self.dram or not wu:
            return None
        bu = self.axi_bits // WEIGHT_UNIT_BITS
        k = cdiv(wu, bu) + 1
        return {"bits": bits, "bu": bu, "wu": wu, "k": k, "base": k * bu - wu - bu + 1, "ob": max(1, sel_bits(bu)),
                "fb": sel_bits(wu + bu)}

    def dram_image(self) -> bytes:
        """The weights in DRAM: per region (a step, or a weight tile), its PW then its DW section, each from a
        beat boundary (little-endian): a word per beat, or words wider than the bus back to back in whole
        32-bit units (hw.weight_section_beats). A tile re-loaded for a later band reads the same region's PW
        section."""
        beat = self.axi_bits // 8
        size = max([ld.addr + cdiv(ld.beats * beat, 4096) * 4096 for ld in self.loads] + [0])
        img = bytearray(max(size, 4096))
        for ld in self.loads:
            at = ld.addr
            for rom, first, n, beats, bits in (
                    (self.pw_wrom, ld.pw_first, ld.pw_words, ld.pw_beats, self.pw_word_bits),
                    (self.dw_wrom, ld.dw_first, ld.dw_words, ld.dw_beats, self.dw_word_bits)):
                pitch = int(weight_word_pitch(bits, self.axi_bits))
                section = 0
                for i, w in enumerate(rom[first:first + n]):
                    section |= w << (i * pitch)
                img[at:at + beats * beat] = section.to_bytes(beats * beat, "little")
                at += beats * beat
        return bytes(img)

    @property
    def in_beats(self) -> int:
        return input_cycles(self.in_pixels, self.pixels_per_beat)

    @property
    def in_last_pixels(self) -> int:
        """Pixels of the last input beat."""
        return self.in_pixels - (self.in_beats - 1) * self.pixels_per_beat

    @property
    def has_pw(self) -> bool:
        return bool(self.pw_ops)

    @property
    def has_dw(self) -> bool:
        return bool(self.dw_ops)

    @property
    def has_pool(self) -> bool:
        return bool(self.pool_ops)


def _pack(values: Sequence[int], bits: int) -> int:
    """Pack signed values into one word, element 0 in the LSBs (two's complement lanes)."""
    word = 0
    mask = (1 << bits) - 1
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * bits)
    return word


def sel_bits(n: int) -> int:
    """Bits to index ``n`` entries (at least 1)."""
    return max(1, (max(n, 1) - 1).bit_length())


def _trigger(kind: str) -> str:
    """The DMA trigger a transfer kind counts with: the input's writes are the first band writes (DMA_S)."""
    return "s" if kind == "i" else kind


def _numbered(transfers: list[tuple]) -> list[tuple[tuple, int]]:
    """Each transfer with its place among the transfers of its trigger kind."""
    seen: dict[str, int] = {}
    out = []
    for t in transfers:
        k = _trigger(t[0])
        out.append((t, seen.get(k, 0)))
        seen[k] = seen.get(k, 0) + 1
    return out


#: The name :func:`maps_left_in_dram` gives the network input (stored in DRAM when it exceeds the fmap limit).
INPUT_MAP = "input"


def maps_left_in_dram(mapping: Mapping) -> list[tuple[str, int]]:
    """The feature maps in the map DRAM after an inference: (op that produced it, or :data:`INPUT_MAP`; region) for
    each region's last write. Maps in DRAM alternate between two regions (a step reads one and writes the other):
    the k-th step output written goes into region k % 2, a network input in DRAM into region 1 (step 0 reads it
    from there)."""
    left: dict[int, str] = {1: INPUT_MAP} if mapping.tiles[mapping.steps[0].name].in_dram else {}
    writes = [s.last.name for s in mapping.steps if mapping.tiles[s.name].out_dram]
    for k, name in enumerate(writes):
        left[k % 2] = name
    return [(left[r], r) for r in sorted(left)]


def beat_pixels(word: int, width: int, channels: int, rows: int) -> int:
    """Pixels one DRAM beat (a feature word of ``word`` codes) of a band of ``rows`` rows of a dense map touches at
    most: the band starts at a pixel, so a beat's first code is at a channel that is a multiple of
    gcd(word, channels)."""
    return min(cdiv(channels - gcd(word, channels) + word, channels), rows * width)


def plan_rtl(qgraph: QuantGraph, mapping: Mapping) -> RtlPlan:
    """Derive the whole RTL plan from a QuantGraph and a Mapping (on-chip feature maps; weights on-chip or in DRAM)."""
    cfg: EngineConfig = mapping.cfg
    qops = list(qgraph.ops)
    if not qops:
        raise HwgenError(f"network {qgraph.name!r} has no ops to map")
    dw_k = dw_kernel(mapping.steps)
    dram = mapping.weights_in_dram
    fdram = bool(mapping.fmaps_in_dram)
    in_dram = mapping.tiles[mapping.steps[0].name].in_dram  # the input streams to DRAM through out_band
    steps: list[SeqStep] = []
    wtile_ch: dict[str, list[int]] = {}  # per tiled step: output channels of each weight tile (hw.steps)
    band_list: dict[str, list[int]] = {}  # per step: output rows of each band (hw.steps.bands_of)
    for sst in schedule_steps([q.op for q in qops]):
        op = sst.first
        tiling = mapping.tiles[sst.name]  # the simulator's tiling of the step (hw.schedule reads the same)
        band_list[sst.name] = bands_of(sst, tiling)
        nb = len(band_list[sst.name])
        nt = 1
        tiled = weight_tiled(sst, tiling, dram)
        if tiled:
            assert sst.pw_op is not None
            wtile_ch[sst.name] = weight_tile_channels(sst.pw_op, tiling.weight_tiles, cfg)
            nt = len(wtile_ch[sst.name])
        if sst.fused:
            steps.append(SeqStep(STEP_FUSED, nb, (op.name, sst.last.name), nt, tiled, tiling.in_dram,
                                 tiling.out_dram))
            continue
        kind = {"conv": STEP_PW, "pw": STEP_PW, "fc": STEP_PW, "dw": STEP_DW, "pool": STEP_POOL}.get(op.kind)
        if kind is None:
            raise HwgenError(f"op {op.name!r}: unsupported kind {op.kind!r} for RTL")
        steps.append(SeqStep(kind, nb, (op.name,), nt, tiled, tiling.in_dram, tiling.out_dram))

    by_name = {q.op.name: q for q in qops}
    word = feature_word(cfg, qops[0].op.in_shape[2], mapping.pixels_per_beat)
    plan_bufs = {b.name: b for b in mapping.buffers}
    buffers = [FeatureBuffer(b, BUF_NAMES[b], BUF_PLAN[b]) for b in range(len(BUF_NAMES))]
    # fmap_a / fmap_b in the plan's bank layout (a DW step reads an on-chip map; the input stream writes one run
    # per bank and beat, hw.contract "Feature-memory banks").
    fmap_grid = tuple(int(g) for g in buffer_banks(mapping.steps, mapping.tiles, cfg).fmap)
    buffers[BUF_A].grid = buffers[BUF_B].grid = fmap_grid
    # in_band halves in the plan's bank layout (a DW step reads its input from DRAM): the DMA scatters each beat's
    # codes into the banks by pixel, the band's first input row being row 0 of the half's layout.
    in_grid = tuple(int(g) for g in buffer_banks(mapping.steps, mapping.tiles, cfg).in_band)
    buffers[BUF_IN0].grid = buffers[BUF_IN1].grid = in_grid
    in_bank_words = 0  # words of the largest band in one in_band bank
    h0, w0, c0 = qops[0].op.in_shape
    if in_dram:  # the input is written to DRAM through the out_band halves (the DMA transfers size them)
        need: dict[int, int] = {BUF_OUT0: 0, BUF_OUT1: 0}
        buffers[BUF_OUT0].writers.add("in")
        buffers[BUF_OUT1].writers.add("in")
    else:
        need = {BUF_A: bank_words(h0, w0, c0, word, buffers[BUF_A].grid)}  # words each memory must hold
        buffers[BUF_A].writers.add("in")

    pw_ops: list[EngineOp] = []
    dw_ops: list[EngineOp] = []
    pool_ops: list[EngineOp] = []
    pw_tiles: list[Tile] = []
    dw_tiles: list[Tile] = []
    pool_tiles: list[Tile] = []
    pw_table: list[dict[str, Any]] = []
    dw_table: list[dict[str, Any]] = []
    pw_w: list[int] = []
    pw_b: list[int] = []
    dw_w: list[int] = []
    dw_b: list[int] = []
    pw_ports = 1  # pixels a conv's im2col group touches (their padding masks)
    pw_runs = 1  # code runs the PW engine reads per cycle (in distinct banks)
    wb = max([q.w_fmt.width for q in qops if q.w_fmt is not None] or [2])
    aw = max([qgraph.input_fmt.width] + [q.out_fmt.width for q in qops])
    pw_acc = max([q.acc_bits for q in qops if q.op.kind in ("conv", "pw", "fc")] or [2])
    dw_acc = max([q.acc_bits for q in qops if q.op.kind == "dw"] or [2])
    pool_acc = 2
    # Bias ROM lanes: the plan's act_bits + weight_bits (hwgen.mapping.plan), wider only for wider codes (as HLS).
    bias_bits = max([q.bias_bits for q in qops if q.bias is not None] + [mapping.act_bits + mapping.weight_bits])
    left_shift = max([0] + [-q.shift for q in qops])
    tin, tout, tc, tk = cfg.tin, cfg.tout, cfg.tc, cfg.tk
    half_elems = max([max(band_list[s.ops[0]]) * by_name[s.ops[0]].op.out_shape[1] * by_name[s.ops[0]].op.out_shape[2]
                      for s in steps if s.kind == STEP_FUSED] or [0])

    def use(buf: int, shape: tuple[int, int, int], who: str, writing: bool, runs: int = 1) -> None:
        halves = {BUF_BAND0: (BUF_BAND0, BUF_BAND1), BUF_IN0: (BUF_IN0, BUF_IN1), BUF_OUT0: (BUF_OUT0, BUF_OUT1)}
        for b in halves.get(buf, (buf,)):
            if b < BUF_BAND0:
                need_words = bank_words(shape[0], shape[1], shape[2], word, buffers[b].grid)
            elif b < BUF_IN0:
                need_words = cdiv(half_elems, word)
            else:  # a staged band's words: the DMA transfers (below)
                need_words = 0
            need[b] = max(need.get(b, 0), need_words)
            # a reader of several runs a cycle reads them from distinct banks (the plan banks its buffers)
            assert runs == 1 or buffers[b].banks > 1, (buffers[b].name, who, runs)
            (buffers[b].writers if writing else buffers[b].readers).add(who)

    def set_banks(e: EngineOp, in_shape: tuple[int, int, int], out_shape: tuple[int, int, int]) -> None:
        e.ig, e.og = buffers[e.in_buf].grid, buffers[e.out_buf].grid
        e.iwbc = bank_row_stride(in_shape[1], in_shape[2], e.ig)
        e.owbc = bank_row_stride(out_shape[1], out_shape[2], e.og)
        e.flx = max(0, out_shape[1] - e.og[1]) if buffers[e.out_buf].banks > 1 else None

    def add_pw(q: QuantOp, in_buf: int, out_buf: int) -> int:
        nonlocal pw_ports, pw_runs
        op = q.op
        hi, wi, cin = op.in_shape
        ho, wo, n = op.out_shape
        k = op.kernel if op.kind == "conv" else 1
        s = op.stride if op.kind == "conv" else 1
        m = k * k * cin
        lo, hc = output_range(q.out_fmt, q.op.relu6, q.op.relu)
        eop = EngineOp(op.name, op.kind, m, cin, n, pw_groups(op, cfg, dw_k), cdiv(n, tout), k, s,
                       op.pad[0] if op.kind == "conv" else 0, op.pad[1] if op.kind == "conv" else 0,
                       hi, wi, wo, q.shift, lo, hc, in_buf, out_buf, len(pw_w), len(pw_b), len(pw_table))
        set_banks(eop, op.in_shape, op.out_shape)
        blocks, bias = pw_blocks(q, cfg, dw_k)
        for og in range(eop.outer_groups):
            pw_b.append(_pack(bias[og], bias_bits))
            pw_w.extend(_pack(blocks[og, ig].T.reshape(-1), wb) for ig in range(eop.inner_groups))  # lane t*tin + j
            if q.channel_shift is not None:
                eop.ch_shift.append(_pack([int(q.channel_shift[og * tout + t]) if og * tout + t < n else 0
                                           for t in range(tout)], CH_SHIFT_BITS))
        if op.kind == "conv":
            ibr, ibc = eop.ig
            for row in pw_lane_inputs(op, cfg, dw_k).tolist():
                ms = [mi if mi >= 0 else m for mi in row]  # m: a zero lane of a padded run
                qs = sorted({mi // cin for mi in ms if mi < m})
                ports = [(q_ // k, q_ % k) for q_ in qs]  # the pixels (kernel positions): padding masks
                # A group's pixels (ky, kx) of one kernel row and one bank column (x0 + kx mod BC: kx mod BC is a
                # class) are consecutive bank pixels, so each (ky, class) is one run of codes in its bank,
                # starting at its first code: element offset (ky div BR) * row stride + (kx div BC) * Cin + cin
                # from the window's (row, column) base, in bank row (yr + ky mod BR) and bank column
                # (xr + kx mod BC), with a carry into the next bank pixel / row when those wrap. A group lies in
                # one kernel row, or (hw.contract.conv_rows: the window in groups) its pixels are distinct banks.
                pos = {mi: (mi // (k * cin) // ibr * eop.iwbc + (mi % (k * cin)) // cin // ibc * cin + mi % cin,
                            (mi // (k * cin), (mi % (k * cin)) // cin % ibc)) for mi in ms if mi < m}
                classes = sorted({c_ for _, c_ in pos.values()})
                assert len({pixel_bank(ky, kc, eop.ig) for ky, kc in classes}) == len(classes), \
                    "two runs of an im2col group in one bank"
                first = {c_: min(p_ for p_, cc in pos.values() if cc == c_) for c_ in classes}
                runs = [(first[c_], pixel_bank(c_[0], 0, eop.ig), c_[1]) for c_ in classes]
                lanes_t = []
                for mi in ms:
                    if mi < m:
                        p_, c_ = pos[mi]
                        assert p_ - first[c_] < word, "an im2col run longer than a word"
                        lanes_t.append((classes.index(c_) * word + p_ - first[c_], qs.index(mi // cin), 1))
                    else:
                        lanes_t.append((0, 0, 0))
                pw_table.append({"ports": ports, "runs": runs, "lanes": lanes_t})
                pw_ports = max(pw_ports, len(ports))
                pw_runs = max(pw_runs, len(runs))
        pw_ops.append(eop)
        use(in_buf, op.in_shape, "pw", False,
            max(len(row["runs"]) for row in pw_table[eop.tbase:]) if op.kind == "conv" else 1)
        use(out_buf, op.out_shape, "pw", True)
        return len(pw_ops) - 1

    def add_dw(q: QuantOp, in_buf: int, out_buf: int) -> int:
        op = q.op
        hi, wi, c = op.in_shape
        ho, wo, _ = op.out_shape
        k = op.kernel
        lo, hc = output_range(q.out_fmt, q.op.relu6, q.op.relu)
        eop = EngineOp(op.name, "dw", k * k, c, c, cdiv(k * k, tk), cdiv(c, tc), k, op.stride, op.pad[0],
                       op.pad[1], hi, wi, wo, q.shift, lo, hc, in_buf, out_buf, len(dw_w), len(dw_b),
                       len(dw_table))
        set_banks(eop, op.in_shape, op.out_shape)
        blocks, bias = dw_blocks(q, cfg)
        for cg in range(eop.outer_groups):
            dw_b.append(_pack(bias[cg], bias_bits))
            dw_w.extend(_pack(blocks[cg, tg].reshape(-1), wb) for tg in range(eop.inner_groups))  # lane l*tk + u
            if q.channel_shift is not None:
                eop.ch_shift.append(_pack([int(q.channel_shift[cg * tc + l]) if cg * tc + l < c else 0
                                           for l in range(tc)], CH_SHIFT_BITS))
        for tg in range(eop.inner_groups):
            ports = []
            for u in range(tk):
                tap = tg * tk + u
                ky, kx = divmod(tap, k)
                # (ky, kx, element offset of its bank pixel from the window's (row, column) base, valid, the bank
                # offsets (ky mod BR) * BC and kx mod BC: a carry when added to the window's wraps)
                ports.append((ky, kx, ky // eop.ig[0] * eop.iwbc + kx // eop.ig[1] * c, 1, pixel_bank(ky, 0, eop.ig),
                              pixel_bank(0, kx, eop.ig)) if tap < k * k else (0, 0, 0, 0, 0, 0))
            dw_table.append({"ports": ports})
        dw_ops.append(eop)
        use(in_buf, op.in_shape, "dw", False, tk)
        use(out_buf, op.out_shape, "dw", True)
        return len(dw_ops) - 1

    def pw_tile(idx: int, in_row0: int, rows: int, in_buf: int, out_row0: int, go0: int, ngo: int) -> Tile:
        # A PW tile reads input rows from in_row0 of memory in_buf (a band half or a whole map) and computes
        # output groups [go0, go0 + ngo) of output rows from out_row0.
        e = pw_ops[idx]
        # a conv's runs (hw.contract.conv_rows: kernel rows or the window); pw/fc: e.k = 1, one run
        it = pw_iterations(rows * e.wo, e.m, min(e.n - go0 * tout, ngo * tout), cfg, conv_rows(e.k, dw_k, cfg.tk))
        ie0, iyr = row_base(in_row0, e.wi, e.channels, buffers[in_buf].grid)
        oe0, oyr = row_base(out_row0, e.wo, e.n, e.og)
        return Tile(idx, rows, in_row0, in_row0 * e.wi, out_row0 * e.wo, it, tile_cycles(it, PW_DEPTH), go0, ngo,
                    e.wbase + go0 * e.inner_groups, e.bbase + go0, in_buf, e.out_buf, ie0, oe0 + go0 * tout, iyr, oyr)

    def dw_tile(idx: int, row0: int, rows: int, out_buf: int, out_row0: int) -> Tile:
        e = dw_ops[idx]
        in_row0 = row0 * e.s - e.pad_t
        it = dw_iterations(rows * e.wo, e.channels, e.k, cfg)
        ie0, iyr = row_base(in_row0, e.wi, e.channels, e.ig)
        oe0, oyr = row_base(out_row0, e.wo, e.channels, buffers[out_buf].grid)
        return Tile(idx, rows, in_row0, in_row0 * e.wi, out_row0 * e.wo, it, tile_cycles(it, DW_DEPTH),
                    in_buf=e.in_buf, out_buf=out_buf, in_e0=ie0, out_e0=oe0, in_yr=iyr, out_yr=oyr)

    # Weight loads in the simulator's order (hwgen.hw.schedule): one per step, or per tiled step one per
    # (band, weight tile), the step's DW words with its first. Each PW tile / DW op records the load it reads.
    loads: list[Load] = []
    regions: dict[tuple[int, int], int] = {}  # (first PW word, first DW word) -> region index
    region_words: list[tuple[int, int]] = []  # (PW words, DW words) of each region
    load_region: list[int] = []
    tile_load: list[int] = []  # per PW tile
    dw_load: dict[int, int] = {}  # DW op -> load

    def add_load(pw0: int, npw: int, dw0: int, ndw: int) -> int:
        if npw + ndw == 0:  # nothing to move (a pool step): no region
            load_region.append(-1)
            loads.append(Load(0, pw0, 0, dw0, 0))
            return len(loads) - 1
        key = (pw0, dw0 if ndw else -1)
        if key not in regions and ndw == 0 and (pw0, dw0) in regions:
            key = (pw0, dw0)  # a re-load of a tile: the prefix of the region that also holds the DW words
        if key not in regions:
            regions[key] = len(region_words)
            region_words.append((npw, ndw))
        load_region.append(regions[key])
        loads.append(Load(0, pw0, npw, dw0, ndw))
        return len(loads) - 1

    tiled_out: set[int] = set()  # memories weight-tiled PW steps write
    cur = BUF_A  # the input image is stored in fmap_a (as the plan and the HLS do)
    nxt_buf = BUF_B
    for st in steps:
        bands = band_list[st.ops[0]]
        first_q = by_name[st.ops[0]]
        src = BUF_IN0 if st.rd else cur  # a map in DRAM is read band by band from the in_band halves
        out_buf = BUF_OUT0 if st.wr else nxt_buf
        in_row = first_q.op.in_shape[1] * first_q.op.in_shape[2]
        out_row = by_name[st.ops[-1]].op.out_shape[1] * by_name[st.ops[-1]].op.out_shape[2]

        def staged_in(b: int, r0: int, rows: int, tile: Tile) -> Tile:
            """Band b of a map in DRAM: read from in_band half b % 2. A dense half's word 0 is the DRAM word
            holding the band's first input code (hw.map_beats: the transfer starts at that word); a banked half
            holds the band from row 0 of the bank layout (each bank's band from its element 0)."""
            nonlocal in_bank_words
            if st.rd:
                lo, hi = input_row_range(first_q.op, r0, r0 + rows)
                tile.in_buf = BUF_IN0 + b % 2
                if in_grid != (1, 1):
                    _, wi, ci = first_q.op.in_shape
                    tile.in_e0, tile.in_yr = row_base(tile.in_row0 - lo, wi, ci, in_grid)
                    in_bank_words = max(in_bank_words, bank_words(hi - lo, wi, ci, word, in_grid))
                else:
                    tile.in_e0 -= (lo * in_row) // word * word
            return tile

        def staged_out(b: int, r0: int, tile: Tile) -> Tile:
            if st.wr:
                tile.out_buf = BUF_OUT0 + b % 2
                tile.out_e0 -= (r0 * out_row) // word * word
            return tile

        pw_q = by_name[st.ops[-1]] if st.kind in (STEP_PW, STEP_FUSED) else None
        d_first = len(dw_w)
        if st.kind in (STEP_FUSED, STEP_DW):
            qd = by_name[st.ops[0]]
            di = add_dw(qd, src, BUF_BAND0 if st.kind == STEP_FUSED else out_buf)
        if pw_q is not None:
            if st.kind == STEP_FUSED:
                if pw_q.op.in_shape != qd.op.out_shape:
                    raise HwgenError(f"op {pw_q.op.name!r}: input shape does not match {qd.op.name!r}'s output")
                pi = add_pw(pw_q, BUF_BAND0, out_buf)
            else:
                pi = add_pw(pw_q, src, out_buf)
            e = pw_ops[pi]
            groups = [(0, e.outer_groups)]
            if st.tiled:
                tiled_out.update((out_buf, BUF_OUT1) if st.wr else (out_buf,))
                groups, g0 = [], 0
                for ch in wtile_ch[st.ops[0]]:
                    groups.append((g0, cdiv(ch, tout)))
                    g0 += cdiv(ch, tout)
        if dram and not st.tiled:
            k = add_load(pw_ops[pi].wbase if pw_q is not None else len(pw_w),
                         len(pw_w) - pw_ops[pi].wbase if pw_q is not None else 0, d_first, len(dw_w) - d_first)
            if st.kind in (STEP_FUSED, STEP_DW):
                dw_load[di] = k
        row0 = 0
        for b, rows in enumerate(bands):
            if st.kind == STEP_FUSED:
                half = BUF_BAND0 + b % 2
                dw_tiles.append(staged_in(b, row0, rows, dw_tile(di, row0, rows, half, 0)))
            elif st.kind == STEP_DW:
                dw_tiles.append(staged_out(b, row0, staged_in(b, row0, rows,
                                                               dw_tile(di, row0, rows, out_buf, row0))))
            if pw_q is not None:
                e = pw_ops[pi]
                for j, (g0, ng) in enumerate(groups):
                    if st.kind == STEP_FUSED:
                        tl = pw_tile(pi, -e.pad_t, rows, half, row0, g0, ng)
                    else:
                        tl = staged_in(b, row0, rows, pw_tile(pi, row0 * e.s - e.pad_t, rows, src, row0, g0, ng))
                    pw_tiles.append(staged_out(b, row0, tl))
                    if st.tiled:
                        with_dw = b == 0 and j == 0 and st.kind == STEP_FUSED
                        k = add_load(e.wbase + g0 * e.inner_groups, ng * e.inner_groups, d_first,
                                     len(dw_w) - d_first if with_dw else 0)
                        if with_dw:
                            dw_load[di] = k
                    tile_load.append(len(loads) - 1)
            row0 += rows
        if st.kind == STEP_POOL:
            q = by_name[st.ops[0]]
            hi, wi, c = q.op.in_shape
            lo, hc = output_range(q.out_fmt, q.op.relu6, q.op.relu)
            pool_ops.append(EngineOp(q.op.name, "pool", hi * wi, c, c, cdiv(c, tin), 1, 1, 1, 0, 0, hi, wi, 1,
                                     q.shift, lo, hc, src, out_buf, recip=pool_recip(hi * wi)))
            set_banks(pool_ops[-1], q.op.in_shape, q.op.out_shape)
            use(src, q.op.in_shape, "pool", False)
            use(out_buf, q.op.out_shape, "pool", True)
            it = pool_iterations(hi * wi, c, cfg)
            pool_tiles.append(staged_out(0, 0, staged_in(0, 0, 1, Tile(len(pool_ops) - 1, 1, 0, 0, 0, it,
                                                                       tile_cycles(it, POOL_DEPTH), in_buf=src,
                                                                       out_buf=out_buf))))
            pool_acc = max(pool_acc, pool_acc_bits(aw, hi * wi))
        if not st.wr:  # an output in DRAM leaves the on-chip maps where they are
            cur, nxt_buf = out_buf, (BUF_B if out_buf == BUF_A else BUF_A)

    axi_bits = axi_max_burst = 0
    if dram:
        # Each region (a step's weights, or a weight tile's) is 4 KB aligned; load g goes into slot g % 2 of
        # the engines' weight RAMs while the consumer of load g-1 runs. A region is its PW section, then its DW
        # section, each starting on a beat (hw.weight_section_beats: a word per beat, or words wider than the
        # bus back to back, assembled by the loader's gearbox).
        axi_bits = weight_bus_bits(cfg, wb)
        axi_max_burst = max_burst_beats(axi_bits)

        def section(words: int, engine: str) -> int:
            return weight_section_beats(words, (pw_word_bits if engine == "pw" else dw_word_bits)(cfg, wb), axi_bits)

        region_addr, addr = [], 0
        for npw, ndw in region_words:
            region_addr.append(addr)
            addr += cdiv((section(npw, "pw") + section(ndw, "dw")) * (axi_bits // 8), 4096) * 4096
        for ld, r in zip(loads, load_region):
            ld.addr = region_addr[r] if r >= 0 else 0
            ld.pw_beats, ld.dw_beats = section(ld.pw_words, "pw"), section(ld.dw_words, "dw")
        slot_pw = max(ld.pw_words for ld in loads)
        slot_dw = max(ld.dw_words for ld in loads)
        for tl, k in zip(pw_tiles, tile_load):
            tl.wbase = (k % 2) * slot_pw
        for di, k in dw_load.items():
            dw_ops[di].wbase = (k % 2) * slot_dw
        # The loads carry exactly the words the simulator charges (one copy of the schedule model).
        sim_loads = [ld for sst in schedule_steps([q.op for q in qops])
                     for ld in step_loads(sst, mapping.tiles[sst.name], cfg, dram)]
        assert [(ld.pw_words, ld.dw_words) for ld in loads] == sim_loads, "RTL weight loads differ from hw.schedule"
    elif fdram:  # the weight bundle is there (one DMA, both bundles) but idle
        axi_bits = 32
        axi_max_burst = max_burst_beats(axi_bits)

    last = qops[-1]
    ho, wo, n = last.op.out_shape
    buffers[cur].readers.add("out")
    # Cycles come from the one schedule model (hwgen.hw.schedule via the mapping), never re-derived here.
    trace = mapping.trace([q.op for q in qops])
    layer_cycles = [("input", trace.input_done)]
    prev = trace.input_done
    for st in trace.steps:
        layer_cycles.append(("+".join(op.name for op in st.step.ops), st.done - prev))
        prev = st.done
    layer_cycles.append(("output", trace.total_cycles - prev))
    faxi_bits = faxi_max_burst = fbytes = 0
    dma: list[Dma] = []
    in_shapes: list[tuple[int, int, int]] = []
    dram_maps: list[tuple[str, int]] = []
    if dram or fdram:
        # The DMA runs the simulator's queue in its order (one copy of the schedule: hw.schedule logs it).
        faxi_bits = map_bus_bits(cfg, c0, mapping.act_bits, mapping.pixels_per_beat)
        if faxi_bits != bus_bits(word * aw) or faxi_bits > 1024:
            raise HwgenError(f"feature words of {word} x {aw} bits need a {bus_bits(word * aw)}-bit map bus; the "
                             f"schedule moves {faxi_bits}-bit beats (at most 1024)")
        faxi_max_burst = max_burst_beats(faxi_bits)
        fbeat = faxi_bits // 8
        # Maps in DRAM alternate between two 4 KB-aligned regions (a step reads one and writes the other).
        sizes = [cdiv(by_name[s.ops[-1]].op.out_shape[0] * by_name[s.ops[-1]].op.out_shape[1] *
                      by_name[s.ops[-1]].op.out_shape[2], word) * fbeat for s in steps if s.wr]
        sizes += [cdiv(h0 * w0 * c0, word) * fbeat] if in_dram else []
        region = cdiv(max(sizes + [1]), 4096) * 4096
        fbytes = 2 * region if sizes else 4096
        out_region: dict[str, int] = {}
        in_region: dict[str, int] = {}
        r = 0
        for s in steps:
            if s.rd:
                in_region[s.ops[0]] = (r - 1) % 2
            if s.wr:
                out_region[s.ops[0]] = r % 2
                r += 1
        dram_maps = [(name, k * region) for name, k in maps_left_in_dram(mapping)]
        seq = {"w": 0, "r": 0, "s": 0}
        for kind, name, band, first, beats, _, _ in trace.transfers:
            j = seq[_trigger(kind)]
            seq[_trigger(kind)] += 1
            if kind == "i":  # a write of the network input, from out_band half band % 2 into region 1
                dma.append(Dma(DMA_S, j, region + first // word * fbeat, beats, BUF_OUT0 + band % 2, first % word))
            elif kind == "w":
                assert beats == loads[j].beats, "RTL weight loads differ from hw.schedule"
                if beats:  # an empty load is no transfer (its consumer never waits for it)
                    dma.append(Dma(DMA_W, j, loads[j].addr, beats))
            elif kind == "r":
                d = Dma(DMA_R, j, in_region[name] * region + first // word * fbeat, beats, BUF_IN0 + band % 2)
                if in_grid != (1, 1):  # scattered into the banks: the band's codes, from its first code's lane
                    op0 = by_name[name].op
                    _, wi, ci = op0.in_shape
                    r0 = sum(band_list[name][:band])
                    lo, hi = input_row_range(op0, r0, r0 + band_list[name][band])
                    d.lane, d.codes = first % word, (hi - lo) * wi * ci
                    touch = beat_pixels(word, wi, ci, hi - lo)
                    if (wi, ci, touch) not in in_shapes:  # each bank takes one run per beat (hw.contract)
                        in_shapes.append((wi, ci, touch))
                    d.shape = in_shapes.index((wi, ci, touch))
                dma.append(d)
            else:
                dma.append(Dma(DMA_S, j, out_region[name] * region + first // word * fbeat, beats,
                               BUF_OUT0 + band % 2, first % word))
        firsts: dict[tuple[str, str], int] = {}  # (kind, step) -> the place of its band 0's transfer
        for t, j in _numbered(trace.transfers):
            firsts.setdefault((t[0], t[1]), j)
        for s in steps:
            s.rbase = firsts.get(("r", s.ops[0]), 0)
            s.wbase = firsts.get(("s", s.ops[0]), 0)
        for b, kind in ((BUF_IN0, DMA_R), (BUF_IN1, DMA_R), (BUF_OUT0, DMA_S), (BUF_OUT1, DMA_S)):
            if b in need:
                need[b] = max([d.beats for d in dma if d.kind == kind] + [1]) if buffers[b].banks == 1 else \
                    max(in_bank_words, 1)
                (buffers[b].writers if kind == DMA_R else buffers[b].readers).add("dma")
    # Each memory is the plan's buffer: its depth in words of feature_word codes (the ping-pong's halves are
    # two memories of half its depth, so a DW band write and a PW band read never share a port); a banked
    # buffer's banks have the plan's per-bank depth (the fullest bank's words).
    for b in buffers:
        if b.id not in need:
            continue
        pb = plan_bufs.get(b.plan)
        if pb is None:
            raise HwgenError(f"the mapping has no {b.plan!r} buffer for the RTL's {b.name!r} memory")
        b.depth = pb.depth // 2 if b.id >= BUF_BAND0 else pb.depth
        if need[b.id] > b.depth:
            raise HwgenError(f"RTL memory {b.name!r} needs {need[b.id]} words but the plan's {b.plan!r} has {b.depth}")
    # Weight tiles write each pixel's slice of output channels: not consecutive codes, so lane write enables.
    for b in buffers:
        b.lane_we = b.id in tiled_out
    depth = max(b.depth for b in buffers)

    def engine_ports(who: str, writing: bool) -> int:
        used = [b for b in buffers if b.depth and who in (b.writers if writing else b.readers)]
        return max([b.banks for b in used] + [1])

    ports = {f"{who}_{'w' if wr else ''}banks": engine_ports(who, wr) for who in ("pw", "dw", "pool")
             for wr in (False, True)}
    pool_channels = max([e.channels for e in pool_ops] or [1])
    plan = RtlPlan(
        name=qgraph.name, cfg=cfg, act_width=aw, weight_width=wb, word=word, abits=sel_bits(depth + 1),
        in_channels=c0, in_width=qgraph.input_fmt.width, in_pixels=h0 * w0,
        in_beat_bits=axis_bits(mapping.pixels_per_beat * c0 * qgraph.input_fmt.width),
        pixels_per_beat=mapping.pixels_per_beat, out_pixels=ho * wo, out_channels=n,
        out_width=last.out_fmt.width, out_beat_bits=axis_bits(last.out_fmt.width), out_buf=cur,
        buffers=buffers, pw_ops=pw_ops, dw_ops=dw_ops, pool_ops=pool_ops, pw_tiles=pw_tiles,
        dw_tiles=dw_tiles, pool_tiles=pool_tiles, steps=steps, pw_ports=pw_ports, pw_table=pw_table,
        dw_table=dw_table, pw_runs=pw_runs, bias_bits=bias_bits, pw_acc=pw_acc, dw_acc=dw_acc, pool_acc=pool_acc, pool_channels=pool_channels,
        left_shift=left_shift, per_channel=any(q.channel_shift is not None for q in qops), pw_wrom=pw_w, pw_brom=pw_b, dw_wrom=dw_w, dw_brom=dw_b,
        predicted_cycles=trace.total_cycles, layer_cycles=layer_cycles,
        dsp_packing=pw_array_packs(mapping.dsp_packing, cfg, aw, wb),
        dram=dram, axi_bits=axi_bits,
        axi_max_burst=axi_max_burst, loads=loads,
        dram_bytes_per_cycle=float(mapping.dram_bytes_per_cycle) if dram or fdram else 0.0,
        dram_latency=int(mapping.dram_latency) if dram or fdram else 0, bram36_plan=bram36_equivalent(mapping.buffers),
        fdram=fdram, faxi_bits=faxi_bits, faxi_max_burst=faxi_max_burst, fbytes=fbytes, dma=dma, dram_maps=dram_maps,
        in_dram=in_dram, in_writes=sum(1 for t in trace.transfers if t[0] == "i"),
        in_write_words=input_write_codes(word, faxi_bits) // word if in_dram else 0,
        plan_blocks=(mapping.bram36, mapping.uram), plan_lut=mapping.lut, in_shape=(h0, w0, c0), out_shape=(ho, wo, n),
        fmap_grid=fmap_grid, in_shapes=in_shapes, **ports)
    plan.widths = counter_widths(plan)
    return plan


def counter_widths(plan: RtlPlan) -> CounterWidths:
    """The bits of each counter group of the RTL (:class:`CounterWidths`): the largest value its counters and the
    sums the RTL forms of them reach in this design, each named for the one-line error beyond
    :data:`MAX_COUNTER_BITS` (:func:`count_bits`)."""

    def width(counts: dict[str, int], floor: int = 1) -> int:
        return max([floor] + [count_bits(what, n) for what, n in counts.items()])

    tin, tc = plan.cfg.tin, plan.cfg.tc
    steps = plan.steps
    reads = sum(d.kind == DMA_R for d in plan.dma)
    writes = sum(d.kind == DMA_S for d in plan.dma)
    # The sequencer compares its counts with each other (and + 1 / + 2: a fused pair's band-half handshakes; a
    # trigger count is its counter plus up to four triggers of one cycle), so they share one width; the empty
    # queue's sequence number is all ones, above every trigger count: + 1. At least 3 bits (the input stage adds
    # a 2-bit count of input writes to the band-write triggers).
    seq = width({
        "bands of one step": max(st.bands for st in steps) + 2 + 1,
        "PW tiles of one step": max(st.pw_tiles for st in steps) + 2 + 1,
        "weight tiles of one step": max(st.wtiles for st in steps) + 1,
        "weight loads": len(plan.loads) + 1 + 4 + 1,  # the first input beat triggers load 0
        "band reads": reads + 4 + 1,
        "band writes": writes + 4 + 1,
        "band reads before a step's last": max(st.rbase + st.bands for st in steps) + 2 + 1,
        "band writes before a step's last": max(st.wbase + st.bands for st in steps) + 2 + 1,
        "input writes": plan.in_writes + 1 + 1,
    }, floor=3)
    # The input stream's column (banked fmap_a): the next beat's first column before a row wrap; at least the
    # 8-bit bank indices its low bits feed.
    in_col = width({"input columns": plan.in_shape[1] + plan.pixels_per_beat}, floor=8)
    out_ch = width({"output channels": plan.out_channels - 1})
    out_col = width({"output columns": plan.out_shape[1] - 1})
    # The DMA's scatter: a beat's end channel in its pixel (its start < C, plus a word of codes), the column after
    # a row's last; at least the beat's code count (lane bits + 1) it adds.
    word = plan.word
    scat = width({"codes of a pixel and a beat": max([c + word for _, c, _ in plan.in_shapes] + [1]),
                  "columns of a map read into banks": max([w for w, _, _ in plan.in_shapes] + [1])},
                 floor=sel_bits(word) + 2)
    # The engines: loop counters (input / output groups, column, row, channel base), op and tile table entries. An
    # unbanked output's flush column is all ones, above every column (a column count fits the width).
    pw = width({"PW input groups": max([e.inner_groups * tin for e in plan.pw_ops] + [1]),
                "PW dot-product lengths": max([e.m for e in plan.pw_ops] + [1]),
                "PW output groups": max([e.outer_groups for e in plan.pw_ops] + [1]),
                "PW output columns": max([e.wo for e in plan.pw_ops] + [1]),
                "im2col table rows": max([e.tbase + e.inner_groups for e in plan.pw_ops] + [1]),
                "PW tile rows": max([t.rows for t in plan.pw_tiles] + [1]), "PW lanes": tin})
    dw = width({"DW channels": max([e.outer_groups * tc for e in plan.dw_ops] + [1]),
                "DW tap groups": max([e.tbase + e.inner_groups for e in plan.dw_ops] + [1]),
                "DW output columns": max([e.wo for e in plan.dw_ops] + [1]),
                "DW tile rows": max([t.rows for t in plan.dw_tiles] + [1]), "DW lanes": tc})
    pool = width({"pool channels": max([e.inner_groups * tin for e in plan.pool_ops] + [1]),
                  "pool input columns": max([e.wi for e in plan.pool_ops] + [1]), "pool lanes": tin})
    return CounterWidths(seq, in_col, out_ch, out_col, scat, pw, dw, pool)
