"""DSP and LUT estimates of a mapped accelerator (its BRAM/URAM come from the mapping's memory plan).

DSP rule: one DSP48 per PE when the multiplier fits the DSP48's signed 18x25 port
(the narrower operand <= 18 bits and the wider <= 25, as with 8-bit operands); a
wider product is split into partial products, ceil(wide/25) * ceil(narrow/18) DSPs
per PE (their sum reuses the DSP post-adders). The pool engine adds, so it uses none.
With DSP packing (AMD WP486, :mod:`hwgen.numerics.packing`; activations and weights <= 8 bits on a part with
DSP48E2 slices) the PW array's output lanes 2j and 2j+1 share each activation, so one DSP computes both
products: ``tin * ceil(tout / 2)`` DSPs for the array (an odd last lane unpacked). The DW engine's MACs share no
operand within a cycle (each lane and tap has its own activation and weight), so it keeps one DSP per MAC.

LUT model (:func:`lut_parts`): the generated RTL's logic module by module, each a structural count (mux bits,
adder bits, shifter stages of the module's datapath) times a coefficient fitted to Yosys ``synth_xilinx -family
xc7`` LUT counts of generated designs (``benchmarks/bench_lut_model.py`` prints model against Yosys; the
calibration and its spread are in docs/estimate.md). It estimates Yosys' mapping; what Vivado builds only Vivado can
say. The terms:

* requantizer, per output lane (tout PW, tc DW, tin pool): one barrel shifter and two clamps of the accumulator
  width;
* word packer (``hwgen_wpack``), per instance (PW, DW, pool, one per input bank, one per DMA-scatter bank): the
  shift of an append's N codes to its lanes of two words (log2(2 WORD) stages), and the pending word per bank;
* PW engine: its adder trees (tout x tin products, ``hwgen_add`` nodes up to the accumulator width), per code
  run read in a cycle the bank select (banks x two words) and the rotation (a logarithmic shifter of two words,
  log2(2 WORD) stages), then each of tin lanes' select among runs x WORD codes; its tile table (a LUT ROM, one
  entry per band and weight tile of its steps);
* DW engine: its tc adder trees of tk products, per tap the bank select and the rotation (a shifter as the PW's);
  its tile table;
* pool engine: tin accumulators and the reciprocal's shift-adds (the per-group sums live in LUTRAM, not
  counted), a bank select and the rotation (a shifter as the PW's);
* top (with the weight gearbox and the feature memories' lane-write glue): the buffer port muxes (banks x
  words of every feature buffer), the weights' AXI4 master and the feature-map DMA, and with weights in DRAM
  the gearbox and the path of the widest weight word to the engines.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from hwgen.hw.boards import Board
from hwgen.hw.contract import Lanes, cdiv, unbox
from hwgen.numerics.packing import packing_fits

#: The generated Verilog modules each part of :func:`lut_parts` counts.
LUT_MODULES = {"requant": ("hwgen_requant",), "wpack": ("hwgen_wpack",), "pw": ("hwgen_pw_engine",),
               "dw": ("hwgen_dw_engine",), "pool": ("hwgen_pool_engine",),
               "top": ("hwgen_top", "hwgen_wgear", "hwgen_fmem")}

#: Yosys-fitted LUTs per unit of each feature of :func:`lut_features` (docs/estimate.md has the fit).
LUT_COEF = {
    "requant": (6.0814, 38.1113),
    "wpack": (0.6539, 0.0, 0.0, 38.0849),
    "pw": (0.8798, 0.0, 1.8187, 6.4877, 753.6131),
    "dw": (1.5277, 0.8071, 0.584, 1.3874, 525.9369),
    "pool": (2.6882, 0.0, 1.3236, 313.165),
    "top": (5.4851, 1125.2247, 0.0, 4.9076, 366.1431),
}

#: UltraScale+ (``xcup``) coefficients where Yosys ``synth_xilinx -family xcup`` maps a module differently from
#: xc7: the PW engine (its packed 27 x 18 products and adder tree on DSP48E2 / CARRY8), fitted on the PW engine
#: alone (docs/estimate.md, "LUTs").
LUT_COEF_XCUP = {
    "pw": (0.8367, 0.2336, 2.2985, 6.3139, 681.7749),
}


def dsp_per_pe(act_bits: int, weight_bits: int) -> int:
    narrow, wide = sorted((act_bits, weight_bits))
    if narrow <= 18 and wide <= 25:
        return 1
    return cdiv(wide, 25) * cdiv(narrow, 18)


def dsp_packing_applies(requested: bool, board: Board, act_bits: int, weight_bits: int) -> bool:
    """Whether the PW array packs two MACs per DSP: asked for, <= 8-bit operands and a DSP48E2 part (the
    DSP48E1 of 7-series parts has a 25-bit port, too narrow for WP486's 2**18-offset 8-bit operand)."""
    return requested and board.dsp_slice == "DSP48E2" and packing_fits(act_bits, weight_bits)


def pw_array_packs(mapping_packs: bool, cfg: Lanes, act_width: int, weight_width: int) -> bool:
    """Whether the generated PW array (HLS and RTL) packs: the mapping packs (:func:`dsp_packing_applies` on the
    mapping's widths), every code of the quantized network fits, and there are two output lanes to pair (with one
    lane both counts are ``tin``, so :func:`dsp_count` needs no such case)."""
    return mapping_packs and packing_fits(act_width, weight_width) and cfg.tout >= 2


def dsp_count(cfg: Lanes, act_bits: int, weight_bits: int, packed: bool = False) -> Any:
    """DSP slices of a split (an EngineConfig, or EngineArrays of many); ``packed``: the PW array packs
    two products per DSP (:func:`dsp_packing_applies`)."""
    if packed:
        return cfg.tin * cdiv(cfg.tout, 2) + cfg.tc * cfg.tk
    return cfg.pe * dsp_per_pe(act_bits, weight_bits)


def max_macs(board: Board, act_bits: int, weight_bits: int, packed: bool) -> int:
    """MACs per cycle the board's DSPs can hold: two per DSP when packed (the DW engine's unpacked share is
    what the split search then charges against it), else DSPs / DSPs per MAC."""
    return 2 * board.dsp if packed else board.dsp // dsp_per_pe(act_bits, weight_bits)


class LutInputs(NamedTuple):
    """What the LUT model reads of a design: ints, or numpy arrays over splits (``cfg`` then EngineArrays)."""

    cfg: Lanes
    act_bits: int
    pw_acc: int            # accumulator bits of the PW engine (its widest dot product)
    dw_acc: int            # ... the DW engine's
    pool_acc: int          # ... the pool engine's (sum times reciprocal)
    word: Any              # codes per feature-memory word (hw.contract.feature_word)
    read_banks: Any        # banks an engine reads a map from (the banked buffers' BR x BC; 1 unbanked)
    buffer_banks: Any      # banks of all feature buffers (fmap_a, fmap_b, in_band, ping-pong, out_band)
    pw_runs: Any           # code runs the PW engine reads per cycle (hw.contract.conv_group_runs)
    input_codes: int       # codes of an input beat (pixels per beat x input channels)
    input_packers: Any     # word packers of the input stream (one per bank of fmap_a it writes)
    scatter_packers: Any   # word packers of the DMA scatter (one per in_band bank; 0 without)
    weights_in_dram: Any
    fmaps_in_dram: Any
    pw_tiles: Any          # entries of the PW engine's tile table (bands x weight tiles of its steps)
    dw_tiles: Any          # ... the DW engine's (bands of its steps)
    weight_word: Any       # bits of the widest engine weight word (the weight loader's gearbox output)
    pool_terms: int        # shift-add terms of the pool's reciprocal (its set bits; the widest of the pools)
    family: str            # the part's synth_xilinx family (Board.family): the PW engine has its own fit on xcup


def lut_features(d: LutInputs) -> dict[str, tuple[Any, ...]]:
    """Structural counts of each module of the generated RTL (module docstring), in the order of
    :data:`LUT_COEF`'s coefficients; ints, or arrays over splits."""
    c, aw, w = d.cfg, d.act_bits, np.asarray(d.word)
    ww = w * aw
    rb = np.asarray(d.read_banks) - 1
    stages = np.ceil(np.log2(2 * w)).astype(np.int64)  # the rotation's shifter: two words by < WORD codes
    wdram = np.asarray(d.weights_in_dram, dtype=int)

    def packers(n: Any, count: Any = 1, banks: Any = 0) -> tuple[Any, ...]:
        # the shift of N codes into two words; the pending word's lanes; its banks' pending words
        return count * (w + np.minimum(n, w)) * aw * stages, count * ww, count * banks * ww, count

    lanes = c.tout * d.pw_acc + c.tc * d.dw_acc + c.tin * d.pool_acc
    units = [packers(c.tout, 1, rb), packers(c.tc, 1, rb), packers(c.tin),
             packers(d.input_codes, d.input_packers), packers(w, d.scatter_packers)]
    return {
        "requant": (lanes, c.tout + c.tc + c.tin),  # accumulator bits of all lanes; lanes
        "wpack": tuple(sum(u[i] for u in units) for i in range(4)),
        # the adder trees; the runs' rotation and the lanes' select; the runs' bank select; the tile table; control
        "pw": (c.tout * c.tin * d.pw_acc, d.pw_runs * ww * (stages + c.tin), d.pw_runs * rb * ww, d.pw_tiles, 1),
        # the adder trees; the taps' rotation; the taps' bank select; the tile table; control
        "dw": (c.tc * c.tk * d.dw_acc, c.tk * ww * stages, c.tk * rb * ww, d.dw_tiles, 1),
        # the accumulators and the reciprocal's shift-adds; the word's rotation; the bank select; control
        "pool": (c.tin * d.pool_acc * d.pool_terms, ww * stages, rb * ww, 1),
        # the buffer ports' muxes; the weights' AXI4 master; the feature-map DMA; the weight words' gearbox and
        # path to the engines; control
        "top": (d.buffer_banks * ww, wdram, np.asarray(d.fmaps_in_dram, dtype=int),
                wdram * np.asarray(d.weight_word), 1),
    }


def lut_coefficients(family: str) -> dict[str, tuple[float, ...]]:
    """:data:`LUT_COEF`, with :data:`LUT_COEF_XCUP`'s parts on UltraScale+ (``family`` ``xcup``)."""
    return {**LUT_COEF, **LUT_COEF_XCUP} if family == "xcup" else dict(LUT_COEF)


def lut_parts(d: LutInputs) -> dict[str, Any]:
    """LUTs of the generated RTL by module: each of :func:`lut_features`' counts times its coefficient (those of
    the part's family, :func:`lut_coefficients`)."""
    coef = lut_coefficients(d.family)
    return {name: unbox(np.rint(sum(k * np.asarray(x) for k, x in zip(coef[name], f))).astype(np.int64))
            for name, f in lut_features(d).items()}


def lut_count(d: LutInputs) -> Any:
    """LUTs of the generated RTL (:func:`lut_parts` summed); an int, or an array over splits."""
    return unbox(sum(np.asarray(v) for v in lut_parts(d).values()))


def fit_lut_coefficients(rows: list[tuple[dict[str, tuple[Any, ...]], dict[str, int]]],
                         parts: Any = None) -> dict[str, tuple[float, ...]]:
    """:data:`LUT_COEF` fitted to measurements: ``rows`` of (:func:`lut_features` of a design, Yosys LUTs per
    part). Per part a non-negative least-squares fit of the relative error (each design weighs alike, small or
    large; active set: the most negative term dropped until none is), rounded to 4 decimals."""
    out = {}
    for part in parts or LUT_COEF:
        y = np.array([max(float(t[part]), 1.0) for _, t in rows])
        x = np.array([[float(v) for v in f[part]] for f, _ in rows]) / y[:, None]
        y = np.ones_like(y)
        active = list(range(x.shape[1]))
        while True:
            c = np.linalg.lstsq(x[:, active], y, rcond=None)[0]
            if (c >= 0).all():
                break
            active.pop(int(np.argmin(c)))
        coef = np.zeros(x.shape[1])
        coef[active] = c
        out[part] = tuple(round(float(v), 4) for v in coef)
    return out
