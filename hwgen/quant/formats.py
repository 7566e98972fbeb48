"""Choosing fixed-point formats: integer bits from a calibrated range, weight formats that may clip outliers."""
from __future__ import annotations

import math

import numpy as np

from hwgen.errors import HwgenError
from hwgen.numerics.fixed import MAX_BITS, MIN_BITS, FixedFormat, dequantize, quantize_array

#: The golden model computes in int64: accumulators (and shifted accumulators) must fit in 62 bits.
MAX_ACC_BITS = 62
#: --weight-scale: one weight format per layer, or one fractional-bit count per output channel.
WEIGHT_SCALES = ("per-layer", "per-channel")

#: Extra integer bits of calibrated activations over the observed range (capped at 6.0 for ReLU6 outputs).
ACT_HEADROOM_BITS = 1

#: Weight formats may clip up to this many integer bits below the max-|w| range (see weight_format).
WEIGHT_CLIP_BITS = 2


def int_bits(max_abs: float) -> int:
    """Integer bits (sign included) of the smallest ap_fixed range holding +-max_abs: max_abs < 2**(I-1)."""
    if not max_abs > 0:
        return 1
    return math.floor(math.log2(max_abs)) + 2


def calibrated_format(width: int, max_abs: float) -> FixedFormat:
    """``width`` bits with integer bits for ``max_abs``, capped at ``width`` (frac >= 0; larger values saturate)."""
    return FixedFormat(width, width - min(int_bits(max_abs), width))


def weight_format(w: np.ndarray, width: int) -> FixedFormat:
    """Weight format with the least squared error: the max-|w| range or up to WEIGHT_CLIP_BITS fewer
    integer bits (clipping rare outliers buys resolution for all other weights; clipped weights are counted)."""
    widest = calibrated_format(width, float(np.abs(w).max()))
    best, best_err = widest, math.inf
    for frac in range(widest.frac, widest.frac + WEIGHT_CLIP_BITS + 1):
        fmt = FixedFormat(width, frac)
        err = float(np.sum((dequantize(quantize_array(w, fmt)[0], fmt) - w) ** 2))
        if err < best_err:
            best, best_err = fmt, err
    return best


def make_format(width: int, integer: int, what: str) -> FixedFormat:
    """ap_fixed<width, integer> after validation (integer bits may not exceed the width)."""
    if not MIN_BITS <= width <= MAX_BITS:
        raise HwgenError(f"{what}: width {width} outside {MIN_BITS}..{MAX_BITS}")
    if integer > width:
        raise HwgenError(f"{what}: ap_fixed<{width},{integer}> has more integer bits than total bits")
    return FixedFormat(width, width - integer)
