"""Integer semantics of the fixed-point datapath, shared by the golden model,
the HLS code generator and the RTL.

A value of format ``FixedFormat(width, frac)`` is the signed integer ``q`` with
``-2**(width-1) <= q < 2**(width-1)`` standing for ``q / 2**frac`` — Vitis'
``ap_fixed<width, width-frac>``. Products of activations (frac ``fa``) and
weights (frac ``fw``) accumulate exactly at frac ``fa+fw``; the result is brought
to the output format by :func:`requantize`: ``AP_RND_CONV`` (round half to even)
then ``AP_SAT`` (clamp), then the ReLU6 clamp where the layer has one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.errors import HwgenError

#: Accepted total widths for --weight-bits / --act-bits (ap_fixed supports more; 32 keeps products in int64).
MIN_BITS, MAX_BITS = 2, 32


def check_bits(name: str, value: object) -> int:
    """Validate a total width (weight_bits / act_bits); the message names the CLI flag too."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not MIN_BITS <= value <= MAX_BITS:
        flag = "--" + name.replace("_", "-")
        raise HwgenError(f"{name} ({flag}) must be an integer in {MIN_BITS}..{MAX_BITS}, got {value!r}")
    return int(value)


#: Fractional bits of the reciprocal used by global average pooling (sum * recip >> shift).
POOL_RECIP_BITS = 16


@dataclass(frozen=True)
class FixedFormat:
    """Signed fixed point: ``width`` total bits, ``frac`` fractional bits (ap_fixed<width, width-frac>)."""

    width: int
    frac: int

    @property
    def integer(self) -> int:
        return self.width - self.frac

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1))

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1

    def ctype(self, rounding: bool = True) -> str:
        mode = ",AP_RND_CONV,AP_SAT" if rounding else ""
        return f"ap_fixed<{self.width},{self.integer}{mode}>"


def round_shift(acc: np.ndarray, shift: int | np.ndarray) -> np.ndarray:
    """``acc / 2**shift`` rounded half-to-even (AP_RND_CONV); a negative shift multiplies.

    ``shift`` may be an array broadcast against ``acc`` (per output channel: the last axis).
    """
    acc = np.asarray(acc, dtype=np.int64)
    if np.ndim(shift):
        right = np.maximum(np.asarray(shift, dtype=np.int64), 0)
        q = acc >> right
        rem = acc & ((np.int64(1) << right) - 1)
        half = np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 0)
        up = (right > 0) & ((rem > half) | ((rem == half) & ((q & 1) == 1)))
        return np.where(right > 0, q + up, acc << np.maximum(-np.asarray(shift, dtype=np.int64), 0))
    if shift <= 0:
        return acc << (-shift)
    q = acc >> shift  # floor
    rem = acc & ((1 << shift) - 1)
    half = 1 << (shift - 1)
    up = (rem > half) | ((rem == half) & ((q & 1) == 1))
    return q + up.astype(np.int64)


def saturate(q: np.ndarray, fmt: FixedFormat) -> tuple[np.ndarray, int]:
    """Clamp to the format's range (AP_SAT); returns (values, number of clamped elements)."""
    q = np.asarray(q, dtype=np.int64)
    over = int(np.count_nonzero((q > fmt.max_int) | (q < fmt.min_int)))
    return np.clip(q, fmt.min_int, fmt.max_int), over


def relu6_max(fmt: FixedFormat) -> int:
    """Integer code of 6.0 in ``fmt`` (or the format's maximum if 6 is not representable)."""
    return min(6 << fmt.frac, fmt.max_int) if fmt.frac >= 0 else min(6 >> -fmt.frac, fmt.max_int)


def output_range(fmt: FixedFormat, relu6: bool, relu: bool = False) -> tuple[int, int]:
    """The codes a requantized output can take: the format's range, narrowed to [0, 6.0] under ReLU6,
    to [0, max] under a plain ReLU."""
    if relu6:
        return 0, relu6_max(fmt)
    return (0, fmt.max_int) if relu else (fmt.min_int, fmt.max_int)


def requantize(acc: np.ndarray, shift: int | np.ndarray, fmt: FixedFormat, relu6: bool,
               relu: bool = False) -> tuple[np.ndarray, int]:
    """Accumulator -> output code: round (AP_RND_CONV), saturate (AP_SAT), then the ReLU6 (or ReLU) clamp.

    Returns (codes, saturation events). The activation clamp is not an overflow.
    """
    q, over = saturate(round_shift(acc, shift), fmt)
    if relu6 or relu:
        q = np.clip(q, *output_range(fmt, relu6, relu))
    return q, over


def pool_recip(count: int) -> int:
    """Integer reciprocal of the pooling window size at POOL_RECIP_BITS fractional bits."""
    return ((1 << (POOL_RECIP_BITS + 1)) + count) // (2 * count)  # round half up


def pool_acc_bits(width: int, count: int) -> int:
    """Signed width of a pool's sum of ``count`` codes of ``width`` bits times :func:`pool_recip` (the RTL pool
    engine's accumulator, and the LUT model's)."""
    return width + max(1, (count - 1).bit_length()) + 1 + pool_recip(count).bit_length() + 1


def sum_tree(n: int, bits: int, cap: int) -> list[tuple[int, int, int]]:
    """The RTL engines' adder tree over ``n`` signed terms of ``bits`` bits, as two-input adders: node ``n + i`` =
    node ``2i`` + node ``2i + 1`` (nodes ``0 .. n-1`` the terms; the root is node ``2n - 2``), each
    ``(left, right, width)``, a width one bit over its wider child's, at most ``cap`` (the accumulator, whose sum
    mod 2**cap is exact because the total fits it). The LUT model counts the same widths."""
    width = [min(bits, cap)] * n
    nodes = []
    for i in range(n - 1):
        a, b = 2 * i, 2 * i + 1
        width.append(min(max(width[a], width[b]) + 1, cap))
        nodes.append((a, b, width[-1]))
    return nodes


def accumulator_bits(width_a: int, width_w: int, terms: int, bias_bits: int = 0) -> int:
    """Signed accumulator width that cannot overflow for ``terms`` products (plus a bias)."""
    prod = width_a + width_w - 1  # |a*w| <= 2**(wa-1) * 2**(ww-1)
    total = max(terms, 1) * (1 << (prod - 1)) + ((1 << (bias_bits - 1)) if bias_bits else 0)
    return int(total).bit_length() + 1


def quantize_array(x: np.ndarray, fmt: FixedFormat) -> tuple[np.ndarray, int]:
    """Float -> codes: round half to even, saturate; returns (codes, saturated elements)."""
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise HwgenError("cannot quantize non-finite values (NaN or infinity in the input)")
    limit = float(1 << 62)  # keep the int64 conversion defined; saturate() clamps far inside this
    scaled = np.clip(np.rint(np.ldexp(x, fmt.frac)), -limit, limit)
    return saturate(scaled.astype(np.int64), fmt)


def dequantize(codes: np.ndarray, fmt: FixedFormat) -> np.ndarray:
    return np.ldexp(np.asarray(codes, dtype=np.float64), -fmt.frac)
