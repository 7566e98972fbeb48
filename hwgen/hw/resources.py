"""DSP and LUT estimates of a mapped accelerator (its BRAM/URAM come from the mapping's memory plan).

DSP rule: one DSP48 per PE when the multiplier fits the DSP48's signed 18x25 port
(the narrower operand <= 18 bits and the wider <= 25, as with 8-bit operands); a
wider product is split into partial products, ceil(wide/25) * ceil(narrow/18) DSPs
per PE (their sum reuses the DSP post-adders). The pool engine adds, so it uses none.
With DSP packing (AMD WP486, :mod:`hwgen.numerics.packing`; activations and weights <= 8 bits on a part with
DSP48E2 slices) the PW array's output lanes 2j and 2j+1 share each activation, so one DSP computes both
products: ``tin * ceil(tout / 2)`` DSPs for the array (an odd last lane unpacked). The DW engine's MACs share no
operand within a cycle (each lane and tap has its own activation and weight), so it keeps one DSP per MAC.

LUT rule (a rule of thumb for 8-16 bit datapaths, not a synthesis result): per PE, the accumulator register feed/clear mux and the adder-tree
share ~ acc_bits LUTs; per output lane (tout of the PW engine, tc of the DW engine)
requantization (rounding, shift, saturate, ReLU6 clamp) ~ 4 * act_bits LUTs; per
engine a fixed control/address generator of 600 LUTs (PW, DW, pool, top FSM), plus
1,500 LUTs for an AXI4 DRAM master when weights or feature maps live in DRAM.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from hwgen.hw.boards import Board
from hwgen.hw.contract import Lanes, cdiv
from hwgen.numerics.fixed import accumulator_bits
from hwgen.numerics.packing import packing_fits

LUT_PER_ENGINE = 600

LUT_DRAM_MASTER = 1_500
#: Dot-product length the LUT rule sizes accumulators for.
LUT_DOT_TERMS = 4096


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


def lut_count(cfg: Lanes, act_bits: int, weight_bits: int, dram_master: Any) -> Any:
    """LUT rule of thumb (module docstring); ``dram_master``: weights or feature maps live in DRAM.

    ``cfg`` is an EngineConfig with a bool, or EngineArrays of many splits with a bool array."""
    acc = accumulator_bits(act_bits, weight_bits, LUT_DOT_TERMS)
    luts = cfg.pe * acc + (cfg.tout + cfg.tc) * 4 * act_bits + 4 * LUT_PER_ENGINE
    extra = np.where(dram_master, LUT_DRAM_MASTER, 0)
    return luts + (int(extra) if np.ndim(extra) == 0 else extra)
