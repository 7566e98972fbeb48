"""Vitis HLS C++ project generator: engines, top, weights, testbench, vectors, build.tcl.

The generated design follows :mod:`hwgen.hw.contract`: one pointwise engine (TIN x TOUT
MACs; also the first standard conv via im2col and the FC), one depthwise
engine (TC lanes x TK taps) and one pool engine, shared by all layers and
driven by a layer-sequential schedule; each fused DW->PW pair runs over row
bands through a ping-pong band buffer. Arithmetic is integer on the codes of
:mod:`hwgen.numerics.fixed` (accumulate exactly, add the bias at accumulator scale,
round half to even, saturate, ReLU6 clamp), so C-simulation is bit-exact with
:func:`hwgen.quant.golden.run_fixed`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwgen.codegen.blocks import axis_bits, dw_blocks, pw_blocks, pw_lane_inputs
from hwgen.codegen.templating import render
from hwgen.codegen.vectors import format_vectors
from hwgen.codegen.writer import check_outdir, write_tree
from hwgen.errors import HwgenError
from hwgen.hw.contract import (EngineConfig, bank_grid, bank_words, cdiv, input_cycles, map_beats, map_bus_bits,
                               max_burst_beats, spanning_word_units, weight_bus_bits, weight_section_beats,
                               weight_word_pitch)
from hwgen.hw.resources import pw_array_packs
from hwgen.hw.steps import input_row_range, pw_groups, pw_rows, weight_words
from hwgen.ir.ops import ComputeOp
from hwgen.mapping.plan import Mapping, band_buffer_depth, band_buffer_elems, buffer_banks, dw_kernel, feature_word
from hwgen.numerics.fixed import output_range, pool_recip
from hwgen.numerics.packing import PACK_SHIFT
from hwgen.quant.golden import random_input, run_fixed
from hwgen.quant.qgraph import QuantGraph, QuantOp

#: The two feature buffers of the generated design (named as in the memory plan).
BUF_FM0, BUF_FM1 = 0, 1
FM_NAMES = ("fmap_a", "fmap_b")

#: Widest activation / weight code the int fields of the job descriptors carry.
MAX_CODE_BITS = 30

ENGINE_SOURCES = ("pw_engine", "dw_engine", "pool_engine")


@dataclass
class HlsProject:
    """What :func:`generate_hls` wrote."""

    outdir: Path
    top: str
    files: list[str]
    ops: int
    pw_words: int
    dw_words: int
    weight_codes: int
    weights_in_dram: bool
    fmap_words: int  # codes per on-chip feature-map buffer (two of them, ping-pong)
    fmaps_in_dram: int  # feature maps kept in DRAM (fmem) between steps
    band_rows: dict[str, int] = field(default_factory=dict)
    input_in_dram: bool = False  # the network input is stored in fmem and loaded in bands by the first step
    dataflow_pairs: int = 0  # fused DW->PW pairs run by the fused_pair DATAFLOW region (DW and PW overlap)
    staged_pairs: int = 0  # fused pairs with a feature map in DRAM: the region stages their bands in its PIPOs
    staged_lone: int = 0  # lone steps with a feature map in DRAM, run through the region too
    weight_tiles: dict[str, int] = field(default_factory=dict)  # PW layer -> output-channel weight tiles


@dataclass
class _Block:
    """Weight and bias words of one op in an engine's ROM."""

    name: str
    w_off: int
    b_off: int
    words: list[str]
    bias: list[str]
    chshift: list[str] = field(default_factory=list)  # per-channel extra shifts, laid out like the bias words


@dataclass
class _Rom:
    """One engine's weights (all layers as a ROM, or two DRAM-loaded slots, ping-pong) and bias ROM (always on-chip)."""

    engine: str
    lanes: int
    blanes: int
    dram: bool
    slot_words: int  # DRAM mode: words of the largest layer or weight tile
    blocks: list[_Block] = field(default_factory=list)
    used: int = 0
    bused: int = 0
    loads: int = 0  # DRAM mode: slot loads so far (they alternate between the two slots)

    def place(self, name: str, words: np.ndarray, bias: np.ndarray, loads: int = 1,
              chshift: np.ndarray | None = None) -> tuple[int, int, int]:
        """Offsets (weight word, bias word) of a layer and, in DRAM mode, the weight slot of its first of ``loads`` loads."""
        slot = self.loads % 2
        self.loads += loads
        if self.dram:
            w_off, b_off = slot * self.slot_words, self.bused
        else:
            w_off, b_off = self.used, self.bused
        # DRAM mode: the words go to weights.bin, the header only declares the slots
        self.blocks.append(_Block(name, w_off, b_off, [] if self.dram else _rows(words), _rows(bias),
                                  [] if chshift is None else _rows(chshift)))
        self.used += len(words)
        self.bused += len(bias)
        return w_off, b_off, slot

    @property
    def words(self) -> int:
        return max(2 * self.slot_words if self.dram else self.used, 1)

    @property
    def bwords(self) -> int:
        return max(self.bused, 1)


def _pack(codes: np.ndarray, bits: int, bus: int) -> bytes:
    """Rows of signed codes (weight words) -> one load section of the ``bus``-bit weight bus, little-endian, code 0
    in the LSBs (hw.contract.weight_section_beats): a word no wider than the bus per beat, wider words back to back
    in whole 32-bit units; the section fills whole beats."""
    rows, lanes = codes.shape
    u = codes.astype(np.int64) & ((1 << bits) - 1)
    bitmat = ((u[:, :, None] >> np.arange(bits, dtype=np.int64)) & 1).astype(np.uint8).reshape(rows, lanes * bits)
    pitch = int(weight_word_pitch(lanes * bits, bus))
    padded = np.zeros((rows, pitch), dtype=np.uint8)
    padded[:, :lanes * bits] = bitmat
    stream = np.zeros(weight_section_beats(rows, lanes * bits, bus) * bus, dtype=np.uint8)
    stream[:rows * pitch] = padded.reshape(-1)
    return np.packbits(stream, bitorder="little").tobytes()


def ident(name: str) -> str:
    """A C identifier from a model or layer name."""
    s = re.sub(r"\W", "_", name)
    return s if re.match(r"[A-Za-z_]", s) else f"m_{s}"


def _rows(arr: np.ndarray) -> list[str]:
    return [", ".join(str(int(v)) for v in row) for row in arr]


def _channel_shifts(q: QuantOp, groups: int, lanes: int) -> np.ndarray:
    """Per-channel extra requantization shifts (zero for a per-layer op) in the bias words' (group, lane) layout."""
    extra = np.zeros(groups * lanes, dtype=np.int64)
    if q.channel_shift is not None:
        extra[:len(q.channel_shift)] = q.channel_shift
    return extra.reshape(groups, lanes)


def _ctype(bits: int) -> str:
    for limit, name in ((8, "signed char"), (16, "short"), (32, "int")):
        if bits <= limit:
            return name
    return "long long"


def _unused_block(lanes: int, blanes: int) -> list[_Block]:
    """One zero word, so an engine no layer uses still has (unread) ROMs of legal C size."""
    zeros = [", ".join(["0"] * blanes)]
    return [_Block("unused (no layer on this engine)", 0, 0, [", ".join(["0"] * lanes)], zeros, zeros)]


def _words(shape: tuple[int, int, int]) -> int:
    return int(np.prod(shape))


def _check(qgraph: QuantGraph) -> None:
    if not qgraph.ops:
        raise HwgenError(f"model {qgraph.name!r} has no ops to generate")
    widths = [qgraph.input_fmt.width] + [q.out_fmt.width for q in qgraph.ops]
    widths += [q.w_fmt.width for q in qgraph.ops if q.w_fmt is not None]
    if max(widths) > MAX_CODE_BITS:
        raise HwgenError(f"HLS generator supports codes up to {MAX_CODE_BITS} bits, got {max(widths)}")
    for q in qgraph.ops:
        if q.op.kind not in ("conv", "dw", "pw", "pool", "fc"):
            raise HwgenError(f"op {q.op.name!r}: kind {q.op.kind!r} has no HLS engine")


def _engine_words(q: QuantOp, cfg: EngineConfig, dw_k: int) -> tuple[str, int]:
    """(engine, weight words) of a weighted op."""
    return ("dw" if q.op.kind == "dw" else "pw"), weight_words(q.op, cfg, dw_k)


def _groups(ops: list[QuantOp], mapping: Mapping) -> list[list[int]]:
    """Op indices of each of the mapping's schedule steps (a fused DW->PW pair or one op)."""
    index = {q.op.name: i for i, q in enumerate(ops)}
    groups = [[index.get(op.name, -1) for op in step.ops] for step in mapping.steps]
    if [i for g in groups for i in g] != list(range(len(ops))):
        raise HwgenError(f"mapping steps {[s.name for s in mapping.steps]} do not cover the ops of "
                         f"{[q.op.name for q in ops]} in order")
    return groups


def _im2col_rows(op: ComputeOp, cfg: EngineConfig, dw_k: int) -> list[tuple[list[int], list[int], list[int]]]:
    """(channel, dy, dx) of every im2col lane of a KxK conv (blocks.pw_lane_inputs); channel -1: a zero lane."""
    cin, k = op.in_shape[2], op.kernel
    rows = pw_lane_inputs(op, cfg, dw_k).tolist()
    return [([c % cin if c >= 0 else -1 for c in row], [c // cin // k if c >= 0 else 0 for c in row],
             [c // cin % k if c >= 0 else 0 for c in row]) for row in rows]


def _tap_rows(k: int, ngt: int, tk: int) -> list[tuple[list[int], list[int]]]:
    """(dy, dx) of every tap lane of a KxK window; dy -1 beyond the K*K taps."""
    taps = [[tg * tk + t for t in range(tk)] for tg in range(ngt)]
    return [([tap // k if tap < k * k else -1 for tap in row], [tap % k if tap < k * k else 0 for tap in row])
            for row in taps]


def _pw_tile_groups(q: QuantOp, tiles: int, cfg: EngineConfig) -> int:
    """Output-channel groups (of tout) per weight tile when a PW-engine layer's weights are split in ``tiles``."""
    ngo = cdiv(q.op.out_shape[2], cfg.tout)
    return cdiv(ngo, max(1, tiles))


def _plan(qgraph: QuantGraph, mapping: Mapping) -> dict:
    """Lay out buffers, weight memories and engine jobs; returns the template context (minus vectors)."""
    cfg = mapping.cfg
    dw_k = dw_kernel(mapping.steps)
    ops = qgraph.ops
    dram = bool(mapping.weights_in_dram)
    w_bits = max([q.w_fmt.width for q in ops if q.w_fmt is not None], default=2)
    bias_bits = max([q.bias_bits for q in ops if q.bias is not None], default=2)
    per_channel = any(q.channel_shift is not None for q in ops)  # per-channel shift ROMs beside the biases
    groups = _groups(ops, mapping)
    word = feature_word(cfg, ops[0].op.in_shape[2], mapping.pixels_per_beat)
    # Weight tiles (DRAM mode): a step's PW layer split into output-channel tiles, as hwgen.mapping planned.
    tilings = mapping.tiles
    pw_tiles = {step.pw_op.name: tilings[step.name].weight_tiles
                for step in mapping.steps if dram and step.pw_op is not None and step.name in tilings}
    slot_words = {"pw": 0, "dw": 0}  # DRAM mode: the largest layer or weight tile per engine
    for q in ops:
        if q.weights is not None:
            engine, nw = _engine_words(q, cfg, dw_k)
            if engine == "pw" and pw_tiles.get(q.op.name, 1) > 1:
                nw = _pw_tile_groups(q, pw_tiles[q.op.name], cfg) * pw_groups(q.op, cfg, dw_k)
            slot_words[engine] = max(slot_words[engine], nw)
    roms = {"pw": _Rom("pw", cfg.tin * cfg.tout, cfg.tout, dram, slot_words["pw"]),
            "dw": _Rom("dw", cfg.tc * cfg.tk, cfg.tc, dram, slot_words["dw"])}
    wbus = weight_bus_bits(cfg, w_bits)  # the m_axi weight port: hw.contract's weight bus
    # 32-bit units of a stored weight word that spans beats (0: a word per beat)
    wunits = {e: int(spanning_word_units(r.lanes * w_bits, wbus)) for e, r in roms.items()}
    wmem = bytearray()
    im2col_rows: list[tuple[list[int], list[int], list[int]]] = []  # per TIN-lane group: (c, dy, dx)
    tap_rows: list[tuple[list[int], list[int]]] = []  # per TK-tap group: (dy, dx)
    tap_offsets: dict[int, int] = {}
    steps: list[dict] = []
    fm_words = band_words = 1
    in_band_need = out_band_need = 0  # codes of the largest band staged from / to DRAM
    band_rows_used: dict[str, int] = {}
    max_rows = max_cols = max_ngi = max_ngo = max_ngc = max_ngt = max_pool_px = max_pool_ngc = 1

    def emit(words: np.ndarray) -> int:
        """DRAM mode: append a load section of weight words to weights.bin (biases stay on-chip); its first beat."""
        wbeat = len(wmem) // (wbus // 8)
        wmem.extend(_pack(words, w_bits, wbus))
        return wbeat

    def load(engine: str, words: np.ndarray, slot: int) -> dict:
        """The top's loader call for a whole layer."""
        return {"engine": engine, "wbeat": emit(words), "words": len(words), "slot": slot}

    def pw_job(i: int, q: QuantOp, loads: list[dict], bands: int = 1, gather: bool = False) -> dict:
        """A PW-engine job; ``gather``: a lone conv whose im2col groups the region's DW process gathers, which
        the PW process runs as a 1x1 over ngi x TIN codes per output pixel (its job ``gathered``)."""
        nonlocal max_ngi, max_ngo
        blocks, bias = pw_blocks(q, cfg, dw_k)
        ngo, ngi = blocks.shape[:2]
        words = blocks.reshape(ngo * ngi, -1)  # word og*ngi + ig, lane i*tout + j
        col_off = -1
        if q.op.kind == "conv":  # KxK conv: decode table of its im2col lanes
            col_off = len(im2col_rows)
            im2col_rows.extend(_im2col_rows(q.op, cfg, dw_k))
        tiled = pw_tiles.get(q.op.name, 1) > 1
        g = _pw_tile_groups(q, pw_tiles[q.op.name], cfg) if tiled else ngo
        count = cdiv(ngo, g)
        # a tiled layer reloads its tiles for every row band (loop order: band, then weight tile)
        w_off, b_off, slot = roms["pw"].place(q.op.name, words, bias, loads=bands * count if tiled else 1,
                                              chshift=_channel_shifts(q, ngo, cfg.tout) if per_channel else None)
        tiles = None
        if dram and tiled:
            # each tile its own section (as the RTL's regions), so tile t starts at beat wbeat + t * tile_wbeats
            firsts = [emit(words[t * g * ngi:(t + 1) * g * ngi]) for t in range(count)]
            tiles = {"count": count, "groups": g, "ngo": ngo, "ngi": ngi, "wbeat": firsts[0],
                     "tile_wbeats": weight_section_beats(g * ngi, roms["pw"].lanes * w_bits, wbus), "slot0": slot,
                     "slot_words": roms["pw"].slot_words}
        elif dram:
            loads.append(load("pw", words, slot))
        op = q.op
        lo, hi = output_range(q.out_fmt, q.op.relu6, q.op.relu)
        fields = [i, op.in_shape[0], op.in_shape[1], op.in_shape[2], op.out_shape[1], op.out_shape[2],
                  op.kernel, op.stride, op.pad[0], op.pad[1], op.kernel * op.kernel * op.in_shape[2], ngi, ngo,
                  w_off, b_off, q.shift, lo, hi, col_off]
        m = ngi * cfg.tin
        gathered = [i, op.out_shape[0], op.out_shape[1], m, op.out_shape[1], op.out_shape[2], 1, 1, 0, 0, m, ngi, ngo,
                    w_off, b_off, q.shift, lo, hi, -1] if gather else None
        max_ngi, max_ngo = max(max_ngi, ngi), max(max_ngo, ngo)
        return {"op": i, "name": op.name, "fields": fields, "ngo": ngo, "tiles": tiles, "gathered": gathered}

    def dw_job(i: int, q: QuantOp, loads: list[dict]) -> dict:
        nonlocal max_ngc, max_ngt
        blocks, bias = dw_blocks(q, cfg)
        ngc, ngt = blocks.shape[:2]
        words = blocks.reshape(ngc * ngt, -1)  # word cg*ngt + tg, lane l*tk + t
        if q.op.kernel not in tap_offsets:  # one decode table block per kernel size
            tap_offsets[q.op.kernel] = len(tap_rows)
            tap_rows.extend(_tap_rows(q.op.kernel, ngt, cfg.tk))
        w_off, b_off, slot = roms["dw"].place(q.op.name, words, bias,
                                              chshift=_channel_shifts(q, ngc, cfg.tc) if per_channel else None)
        if dram:
            loads.append(load("dw", words, slot))
        op = q.op
        lo, hi = output_range(q.out_fmt, q.op.relu6, q.op.relu)
        fields = [i, op.in_shape[0], op.in_shape[1], op.in_shape[2], op.out_shape[1], op.kernel,
                  op.stride, op.pad[0], op.pad[1], ngc, ngt, w_off, b_off, q.shift, lo, hi, tap_offsets[op.kernel]]
        max_ngc, max_ngt = max(max_ngc, ngc), max(max_ngt, ngt)
        return {"op": i, "name": op.name, "fields": fields}

    # Feature maps in DRAM (the mapping's StepTiling.out_dram): a step's output bands are staged in the
    # output-side feature buffer and stored; the next step loads the input rows of each band (halo
    # included) into its input-side buffer. DRAM tensors alternate between two regions.
    fmaps = mapping.fmaps_in_dram
    # The network input in DRAM (the first step's tiling says in_dram, as hwgen.hw.schedule models it):
    # read_input stores the stream in region 0 and the first step loads its bands from there.
    first = tilings.get(ops[0].op.name)
    input_dram = fmaps and first is not None and first.in_dram
    fmem_half = _words(ops[0].op.in_shape) if input_dram else 0
    out_region = 1 if input_dram else 0  # the fmem region the next map stored to DRAM goes to
    # where the current tensor is: fmap_a/fmap_b, None = DRAM; read_input stores an on-chip input in fmap_a
    cur: int | None = None if input_dram else BUF_FM0
    cur_region = 0
    banked_inputs = []  # (op, its input bands' row ranges) of the steps that load their input from DRAM
    onchip = []  # the maps fmap_a / fmap_b hold (their banks: hw.contract.bank_words)
    if not input_dram:
        fm_words = max(fm_words, _words(ops[0].op.in_shape))
        onchip.append(ops[0].op.in_shape)
    for n, group in enumerate(groups):
        i = group[0]
        q = ops[i]
        op = q.op
        last = ops[group[-1]].op
        tiling = tilings.get(op.name)
        in_dram = cur is None
        if tiling is not None and fmaps and tiling.in_dram != in_dram:
            raise HwgenError(f"mapping step {op.name!r}: its input map is {'' if in_dram else 'not '}in DRAM but its "
                             f"tiling says in_dram={tiling.in_dram}")
        out_dram = fmaps and tiling is not None and tiling.out_dram and n + 1 < len(groups)
        dst = BUF_FM1 if cur == BUF_FM0 else BUF_FM0
        out_h, out_w, out_c = op.out_shape
        max_rows, max_cols = max(max_rows, out_h), max(max_cols, out_w)
        if len(group) == 2:
            rows = int(mapping.band_rows[op.name])
        elif last.kind not in ("pool", "fc") and (in_dram or out_dram) and tiling is not None:
            rows = tiling.band_rows
        else:
            rows = out_h
        rows = max(1, min(rows, out_h))
        bands = cdiv(out_h, rows)
        loads: list[dict] = []
        staged = in_dram or out_dram
        # A fused pair, and a lone step with a map in DRAM, run through the band region (fused_pair): its
        # maps in DRAM are staged in the region's PIPOs (the plan's in_band / out_band). The region's
        # unused on-chip map arguments are bound to the other feature buffer (never the one it writes).
        region = len(group) == 2 or staged
        step = {"index": n, "kind": op.kind, "pw": None, "dw": None, "pool": None, "out_h": out_h, "band_rows": rows,
                "bands": bands, "region": region, "staged": staged,
                "src": FM_NAMES[cur] if cur is not None else FM_NAMES[1 - dst], "dst": FM_NAMES[dst],
                "out_words": _words(last.out_shape), "out_row_words": last.out_shape[1] *
                last.out_shape[2], "loads": loads, "in_dram": in_dram, "out_dram": out_dram, "last_op": group[-1]}
        row_codes = op.in_shape[1] * op.in_shape[2]
        in_ranges = [input_row_range(op, r0, min(r0 + rows, out_h)) for r0 in range(0, out_h, rows)]
        if in_dram:
            banked_inputs.append((op, in_ranges))
            # a band moves the words its codes touch and is staged from the first of them (hw.map_beats)
            in_band_need = max([in_band_need] + [word * map_beats(lo * row_codes, hi * row_codes, word)
                                                 for lo, hi in in_ranges])
        if out_dram:
            fmem_half = max(fmem_half, _words(last.out_shape))
            out_band_need = max([out_band_need] + [
                word * map_beats(r0 * step["out_row_words"], min(r0 + rows, out_h) * step["out_row_words"], word)
                for r0 in range(0, out_h, rows)])
        else:
            fm_words = max(fm_words, _words(last.out_shape))
            onchip.append(last.out_shape)
        step["out_shape"] = list(last.out_shape)
        # The region's job (stage_desc): its maps in DRAM, their fmem regions and row geometry. A lone conv whose
        # window is one run (hw.contract.conv_rows) gets its im2col groups gathered by the DW process (mode 4):
        # its dense band could not give a group spanning kernel rows one run per bank.
        gather = staged and len(group) == 1 and op.kind == "conv" and pw_rows(op, cfg, dw_k) == 1
        mode = 0 if len(group) == 2 else 4 if gather else {"conv": 1, "pw": 1, "fc": 1, "dw": 2, "pool": 3}[op.kind]
        step["mode"] = mode
        step["sd"] = [n, group[-1], mode, int(in_dram), cur_region if in_dram else 0, row_codes, op.stride,
                      op.pad[0], op.kernel, op.in_shape[0], int(op.kind in ("pool", "fc")), int(out_dram),
                      out_region if out_dram else 0,
                      step["out_row_words"], op.in_shape[1], op.in_shape[2], last.out_shape[1], last.out_shape[2]]
        if staged and len(group) == 1:
            # a PW-engine step receives its input bands through the ping-pong; a DW or pool step hands its
            # output bands to the store there (hwgen.mapping.plan.band_buffer_elems)
            band_words = max([band_words] + ([(hi - lo) * row_codes for lo, hi in in_ranges] if mode == 1 else
                                             [rows * out_w * int(pw_groups(op, cfg, dw_k)) * cfg.tin] if gather
                                             else [rows * step["out_row_words"]]))
        if len(group) == 2:
            nxt = ops[i + 1]
            band_rows_used[op.name] = rows
            step.update(kind="fused", dw=dw_job(i, q, loads), pw=pw_job(i + 1, nxt, loads, bands),
                        title=f"{op.name} -> {nxt.op.name}: fused, {bands} bands of "
                              f"{rows} row{'s' if rows > 1 else ''}")
            band_words = max(band_words, rows * out_w * out_c)
        elif op.kind in ("conv", "pw", "fc"):
            step.update(kind="pw", pw=pw_job(i, q, loads, bands, gather),
                        title=f"{op.name}: {op.kind} on the PW engine")
            if gather:
                step["title"] += ", its im2col groups gathered by the DW process"
        elif op.kind == "dw":
            step.update(dw=dw_job(i, q, loads), title=f"{op.name}: dw on the DW engine")
        else:
            pixels = op.in_shape[0] * op.in_shape[1]
            ngc = cdiv(op.in_shape[2], cfg.tin)
            lo, hi = output_range(q.out_fmt, q.op.relu6, q.op.relu)
            step["pool"] = {"op": i, "name": op.name,
                            "fields": [i, pixels, op.in_shape[2], ngc, pool_recip(pixels), q.shift,
                                       lo, hi, op.in_shape[1]]}
            step["title"] = f"{op.name}: global average pool on the pool engine"
            max_pool_px, max_pool_ngc = max(max_pool_px, pixels), max(max_pool_ngc, ngc)
        if step["pw"] is not None:
            step["pw"]["step"] = n
        if step["pw"] is not None and step["pw"]["tiles"] is not None:
            step["title"] += f", weights in {step['pw']['tiles']['count']} output-channel tiles"
        if in_dram:
            step["title"] += ", input from DRAM"
        if out_dram:
            step["title"] += ", output to DRAM"
            cur, cur_region, out_region = None, out_region, 1 - out_region
        else:
            cur = dst
        steps.append(step)

    # Each plan memory's storage (BIND_STORAGE impl): where the mapper placed it. A memory the plan does not
    # have is an unused engine's one-word ROM (LUTRAM; Vitis builds no unused engine anyway).
    placed = {b.name: b.memory for b in mapping.buffers}
    plan_name = {"fmap_a": "fmap_a", "fmap_b": "fmap_b", "dw_pw_pingpong": "dw_pw_pingpong",
                 "in_band": "in_band", "out_band": "out_band",
                 "pw_weights": "pw_weights_2x" if dram else "pw_weights",
                 "dw_weights": "dw_weights_2x" if dram else "dw_weights", "pw_bias": "pw_bias", "dw_bias": "dw_bias"}
    storage = {name: placed.get(planned, "lutram") for name, planned in plan_name.items()}
    fm_words, band_words = word * cdiv(fm_words, word), word * cdiv(band_words, word)
    # The staging buffers are the plan's (hwgen.mapping.plan.band_buffer_elems): one half each here.
    halves = [band_buffer_elems(st, mapping.tiles[st.name], cfg) for st in mapping.steps if st.name in mapping.tiles]
    in_band_words = word * band_buffer_depth(max([h[0] for h in halves], default=0), word, staged=True) // 2
    # out_band is the plan's: with the network input in DRAM it also holds one input write per half (the RTL
    # streams the input through it; read_input here writes fmem directly), so it is not the bands' alone.
    out_band_words = word * ({b.name: b.depth for b in mapping.buffers}.get("out_band", 0) // 2)
    if in_band_need > in_band_words or out_band_need > out_band_words:
        raise HwgenError(f"mapping's band buffers ({in_band_words} / {out_band_words} codes per half) are smaller "
                         f"than the staged bands ({in_band_need} / {out_band_need} codes)")
    # Pixel banks (hw.contract "Feature-memory banks"): the grid of the DW kernel and TK; which buffers are
    # banked is the plan's (hwgen.mapping.plan.buffer_banks). A banked fmap_a / fmap_b is BANKS memories of
    # the fullest bank's words of its largest map.
    br, bc = (int(v) for v in bank_grid(dw_kernel(mapping.steps), cfg.tk))
    grids = buffer_banks(mapping.steps, mapping.tiles, cfg)
    fm_banked = br * bc > 1 and tuple(int(v) for v in grids.fmap) == (br, bc)
    ib_banked = br * bc > 1 and tuple(int(v) for v in grids.in_band) == (br, bc) and in_band_words > 0
    fm_bank_words = word * max([int(bank_words(h, w, c, word, (br, bc))) for h, w, c in onchip], default=1) \
        if fm_banked else fm_words
    # a banked in_band half: each bank holds its band's rows from element 0 (the plan's in_band depth per bank
    # is two halves); the tallest band's bank 0 must fit
    ib_bank_words = word * ({b.name: b.depth for b in mapping.buffers}.get("in_band", 0) // 2) if ib_banked else 1
    if ib_banked:
        need = max([word * int(bank_words(hi - lo, st_op.in_shape[1], st_op.in_shape[2], word, (br, bc)))
                    for st_op, ranges in banked_inputs for lo, hi in ranges], default=0)
        if need > ib_bank_words:
            raise HwgenError(f"mapping's in_band banks ({ib_bank_words} codes per half) are smaller than the "
                             f"staged bands ({need} codes)")
    pw_iters = dw_iters = 1
    for st in steps:
        for key in ("pw", "dw"):
            if st[key] is not None:
                f = st[key]["fields"]
                rows = st["band_rows"]
                if key == "pw":  # rows x out_w x ngo x ngi
                    pw_iters = max(pw_iters, rows * f[4] * f[12] * f[11])
                else:  # rows x out_w x ngc x ngt
                    dw_iters = max(dw_iters, rows * f[4] * f[9] * f[10])
    acc_bits = max(q.acc_bits for q in ops)
    max_left = max(0, -min(q.shift for q in ops))
    rq_bits = max(acc_bits + max_left, max(q.max_shift for q in ops) + 2) + 1
    act_bits = max([qgraph.input_fmt.width] + [q.out_fmt.width for q in ops])
    in_shape = ops[0].op.in_shape
    out_bits = ops[-1].out_fmt.width
    for rom in roms.values():
        if not rom.blocks:
            rom.blocks = _unused_block(rom.lanes, rom.blanes)
    # Two PW products per multiply (WP486) when the mapping packs and every code fits (hwgen.numerics.packing).
    packing = pw_array_packs(mapping.dsp_packing, cfg, act_bits, w_bits)
    return dict(
        top=f"{ident(qgraph.name)}_top", model=qgraph.name, cfg=cfg, act_bits=act_bits,
        dsp_packing=packing, pack_shift=PACK_SHIFT,
        pw_muls=cfg.tin * (cdiv(cfg.tout, 2) if packing else cfg.tout),
        in_bits=qgraph.input_fmt.width, out_bits=out_bits, w_bits=w_bits, bias_bits=bias_bits, acc_bits=acc_bits,
        rq_bits=rq_bits, per_channel=per_channel, in_shape=in_shape, img_words=_words(in_shape), fm_words=fm_words, band_words=band_words,
        out_words=_words(ops[-1].op.out_shape),
        in_beat_bits=axis_bits(mapping.pixels_per_beat * in_shape[2] * qgraph.input_fmt.width),
        pixels_per_beat=mapping.pixels_per_beat, in_beats=input_cycles(in_shape[0] * in_shape[1], mapping.pixels_per_beat),
        out_beat_bits=axis_bits(out_bits),
        word=word, storage=storage, br=br, bc=bc, banks=br * bc if fm_banked or ib_banked else 1,
        fm_banked=fm_banked, ib_banked=ib_banked, fm_bank_words=fm_bank_words, ib_bank_words=ib_bank_words,
        out_shape=list(ops[-1].op.out_shape), buf_words=max(fm_words, band_words, in_band_words, out_band_words),
        in_band_words=in_band_words, out_band_words=out_band_words,
        has_conv=any(q.op.kind == "conv" for q in ops),
        contiguous_out=not any(v > 1 for v in pw_tiles.values()),
        max_pw_iters=pw_iters, max_dw_iters=dw_iters, max_pool_iters=max_pool_px * max_pool_ngc,
        bias_bits_rom=max(bias_bits, mapping.act_bits + mapping.weight_bits),
        pw_words=roms["pw"].words, pw_bwords=roms["pw"].bwords, dw_words=roms["dw"].words,
        dw_bwords=roms["dw"].bwords, roms=roms, dram=dram, wmem=bytes(wmem),
        wmem_beats=max(len(wmem) // (wbus // 8), 1), wmem_burst=int(max_burst_beats(wbus)),
        # a map in DRAM is stored as the plan's feature words, one beat of the map bus each (hw.schedule)
        fmaps=fmem_half > 0, fmem_half=cdiv(fmem_half, word), input_dram=input_dram,
        fmem_bits=map_bus_bits(cfg, in_shape[2], act_bits, mapping.pixels_per_beat),
        wbus=wbus, pw_wunits=wunits["pw"], dw_wunits=wunits["dw"],
        wrom_ctype=_ctype(w_bits), brom_ctype=_ctype(bias_bits), steps=steps,
        regions=any(st["region"] for st in steps),
        # the lone steps' kinds the region runs (mode 1 PW engine, 2 DW engine, 3 pool): only their engine calls
        region_modes=sorted({st["mode"] for st in steps if st["region"]}),
        max_bands=max([st["bands"] for st in steps if st["region"]], default=1),
        max_tiles=max([st["pw"]["tiles"]["count"] for st in steps if st["region"] and st["pw"] and st["pw"]["tiles"]],
                      default=1),
        result_buf=FM_NAMES[cur], fm_names=FM_NAMES,
        max_rows=max_rows, max_cols=max_cols, max_ngi=max_ngi, max_ngo=max_ngo, max_ngc=max_ngc, max_ngt=max_ngt,
        max_pool_pixels=max_pool_px, max_pool_ngc=max_pool_ngc,
        im2col_rows=im2col_rows or [([-1] * cfg.tin, [0] * cfg.tin, [0] * cfg.tin)],
        tap_rows=tap_rows or [([-1] * cfg.tk, [0] * cfg.tk)],
        tb_ops=[{"name": ident(q.op.name), "words": _words(q.op.out_shape)} for q in ops],
        band_rows_used=band_rows_used, weight_tiles={k: v for k, v in pw_tiles.items() if v > 1}, weight_codes=sum(int(q.weights.size) for q in ops if q.weights is not None),
    )


def render_hls(qgraph: QuantGraph, mapping: Mapping, x: np.ndarray, outputs: list[np.ndarray], *,
               part: str, clock_mhz: float, board: str) -> dict[str, str | bytes]:
    """All project files (relative path -> text) for input codes ``x`` and golden per-op ``outputs``."""
    return _render(qgraph, mapping, x, outputs, part=part, clock_mhz=clock_mhz, board=board)[0]


def _render(qgraph: QuantGraph, mapping: Mapping, x: np.ndarray, outputs: list[np.ndarray], *,
            part: str, clock_mhz: float, board: str) -> tuple[dict[str, str | bytes], dict]:
    _check(qgraph)
    if len(outputs) != len(qgraph.ops):
        raise HwgenError(f"expected {len(qgraph.ops)} golden outputs, got {len(outputs)}")
    ctx = _plan(qgraph, mapping)
    top = ctx["top"]
    ctx.update(part=part, clock_mhz=f"{clock_mhz:g}", period_ns=f"{1000.0 / clock_mhz:.3f}", board=board,
               project=f"{top}_prj", n_ops=len(qgraph.ops), ops=ctx["tb_ops"])
    files = {
        "hwgen_ap.h": render("hls/hwgen_ap.h.j2", **ctx),
        "hwgen_types.h": render("hls/hwgen_types.h.j2", **ctx),
        f"{top}.h": render("hls/top.h.j2", **ctx),
        f"{top}.cpp": render("hls/top.cpp.j2", **ctx),
        f"tb_{top}.cpp": render("hls/tb.cpp.j2", **ctx),
        "pw_weights.h": render("hls/weights.h.j2", rom=ctx["roms"]["pw"], model=ctx["model"],
                               layout="index i*TOUT+j: input i, output j of the group",
                               per_channel=ctx["per_channel"]),
        "dw_weights.h": render("hls/weights.h.j2", rom=ctx["roms"]["dw"], model=ctx["model"],
                               layout="index l*TK+t: channel lane l, tap t of the group",
                               per_channel=ctx["per_channel"]),
    }
    if ctx["dram"]:
        files["weights.bin"] = ctx["wmem"]
    files["pw_decode.h"] = render(
        "hls/decode.h.j2", engine="pw", model=ctx["model"], rows_macro="IM2COL_ROWS", lanes="TIN",
        tables=[(name, [", ".join(map(str, row[j])) for row in ctx["im2col_rows"]])
                for j, name in enumerate(("im2col_c", "im2col_dy", "im2col_dx"))],
        comment={"im2col_c": "input channel of each im2col lane (-1: a zero lane, padding its kernel row)",
                 "im2col_dy": "window row offset of each lane", "im2col_dx": "window column offset of each lane"},
        ctype={"im2col_c": "int", "im2col_dy": "signed char", "im2col_dx": "signed char"})
    files["dw_decode.h"] = render(
        "hls/decode.h.j2", engine="dw", model=ctx["model"], rows_macro="TAP_ROWS", lanes="TK",
        tables=[(name, [", ".join(map(str, row[j])) for row in ctx["tap_rows"]])
                for j, name in enumerate(("tap_dy", "tap_dx"))],
        comment={"tap_dy": "window row offset of each tap lane (-1: beyond the K*K taps)",
                 "tap_dx": "window column offset of each tap lane"},
        ctype={"tap_dy": "signed char", "tap_dx": "signed char"})
    for engine in ENGINE_SOURCES:
        files[f"{engine}.h"] = render(f"hls/{engine}.h.j2", **ctx)
        files[f"{engine}.cpp"] = render(f"hls/{engine}.cpp.j2", **ctx)
    sources = sorted([f"{top}.cpp"] + [f"{e}.cpp" for e in ENGINE_SOURCES])
    files["build.tcl"] = render("hls/build.tcl.j2", sources=sources, **ctx)
    # Board integration: Vivado block design (PS, AXI DMA, HP port) and the PYNQ driver.
    files[f"board/{top}_bd.tcl"] = render("hls/board/bd.tcl.j2", zynq7=part.startswith("xc7z"), **ctx)
    files[f"board/{top}_driver.py"] = render("hls/board/driver.py.j2",
                                             fmem_bytes=2 * ctx["fmem_half"] * ctx["fmem_bits"] // 8, **ctx)
    files["README.md"] = render("hls/README.md.j2", **ctx)
    files.update(_vector_files(qgraph, x, outputs, "vectors"))
    return files, ctx


#: Extra test images' vector directories (vectors/batch/001, ...), each laid out like vectors/.
BATCH_DIR = "vectors/batch"


def _vector_files(qgraph: QuantGraph, x: np.ndarray, outputs: list[np.ndarray], folder: str) -> dict[str, str]:
    """The testbench's vector files for one image: input, output and every op's golden output."""
    files = {f"{folder}/input.txt": format_vectors(x, "input"),
             f"{folder}/output.txt": format_vectors(outputs[-1], "output")}
    for i, (q, out) in enumerate(zip(qgraph.ops, outputs)):
        files[f"{folder}/{i:02d}_{ident(q.op.name)}.txt"] = format_vectors(out, q.op.name)
    return files


def generate_hls(qgraph: QuantGraph, mapping: Mapping, outdir: str | Path, *, part: str, clock_mhz: float,
                 board: str, seed: int = 0, force: bool = False, inputs: np.ndarray | None = None) -> HlsProject:
    """Write the Vitis HLS project for ``qgraph`` on ``mapping`` to ``outdir`` (atomically).

    The test vectors are the golden model's outputs for ``random_input(qgraph, seed)``, or for the input
    codes ``inputs`` (N, H, W, C): the first image in vectors/, the others in vectors/batch/NNN/ (csim runs all).
    """
    outdir = Path(outdir)
    check_outdir(outdir, force)
    x = random_input(qgraph, seed) if inputs is None else inputs[0]
    golden = run_fixed(qgraph, x)
    files, ctx = _render(qgraph, mapping, x, golden.outputs, part=part, clock_mhz=clock_mhz, board=board)
    for n, xb in enumerate([] if inputs is None else inputs[1:], start=1):
        files.update(_vector_files(qgraph, xb, run_fixed(qgraph, xb).outputs, f"{BATCH_DIR}/{n:03d}"))
    written = write_tree(files, outdir, force=force)
    return HlsProject(outdir=outdir, top=ctx["top"], files=written, ops=len(qgraph.ops), pw_words=ctx["pw_words"],
                      dw_words=ctx["dw_words"], weight_codes=ctx["weight_codes"],
                      weights_in_dram=ctx["dram"], fmap_words=ctx["fm_words"],
                      fmaps_in_dram=sum(1 for st in ctx["steps"] if st["out_dram"]), band_rows=ctx["band_rows_used"],
                      input_in_dram=ctx["input_dram"],
                      dataflow_pairs=sum(1 for st in ctx["steps"] if st["kind"] == "fused"),
                      staged_pairs=sum(1 for st in ctx["steps"] if st["kind"] == "fused" and st["staged"]),
                      staged_lone=sum(1 for st in ctx["steps"] if st["kind"] != "fused" and st["staged"]),
                      weight_tiles=ctx["weight_tiles"])
