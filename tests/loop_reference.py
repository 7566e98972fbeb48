"""Slow, loop-based integer reference of one quantized op (Python ints, fractions): obviously correct, small shapes only."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from hwgen.numerics.fixed import pool_recip


def requantize_ref(acc: int, shift: int, width: int, frac: int, relu6: bool, relu: bool = False) -> tuple[int, bool]:
    value = round(Fraction(acc, 2 ** shift) if shift >= 0 else Fraction(acc * 2 ** -shift))  # half to even
    lo, hi = -(2 ** (width - 1)), 2 ** (width - 1) - 1
    saturated = not lo <= value <= hi
    value = min(max(value, lo), hi)
    if relu6:
        six = min(math.floor(Fraction(6) * Fraction(2) ** frac), hi)
        value = min(max(value, 0), six)
    elif relu:
        value = max(value, 0)
    return value, saturated


def op_ref(qop, x: np.ndarray) -> tuple[np.ndarray, int]:
    """(output codes, saturation count) of ``qop`` on codes ``x``, one output element at a time."""
    op = qop.op
    h, w, _ = op.in_shape
    ho, wo, cout = op.out_shape
    top, left = op.pad
    out = np.zeros((ho, wo, cout), dtype=np.int64)
    sats = 0
    for oy in range(ho):
        for ox in range(wo):
            for co in range(cout):
                if op.kind == "pool":
                    acc = sum(int(x[y, xx, co]) for y in range(h) for xx in range(w)) * pool_recip(h * w)
                else:
                    acc = int(qop.bias[co])
                    if op.kind in ("pw", "fc"):
                        acc += sum(int(x[oy, ox, ci]) * int(qop.weights[ci, co]) for ci in range(op.in_shape[2]))
                    else:
                        for ky in range(op.kernel):
                            for kx in range(op.kernel):
                                iy, ix = oy * op.stride - top + ky, ox * op.stride - left + kx
                                if not (0 <= iy < h and 0 <= ix < w):
                                    continue  # zero padding
                                if op.kind == "dw":
                                    acc += int(x[iy, ix, co]) * int(qop.weights[ky, kx, co])
                                else:
                                    acc += sum(int(x[iy, ix, ci]) * int(qop.weights[ky, kx, ci, co])
                                               for ci in range(op.in_shape[2]))
                shift = qop.shift + (0 if qop.channel_shift is None else int(qop.channel_shift[co]))
                value, saturated = requantize_ref(acc, shift, qop.out_fmt.width, qop.out_fmt.frac, op.relu6,
                                                  op.relu)
                out[oy, ox, co] = value
                sats += saturated
    return out, sats
