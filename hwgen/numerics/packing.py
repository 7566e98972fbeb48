"""Two signed multiplications sharing an operand in one DSP48E2 multiply (AMD WP486, "Deep Learning with INT8
Optimization on Xilinx Devices").

The DSP48E2 multiplies a 27-bit by an 18-bit signed operand. With both weights ``w_lo``, ``w_hi`` of at most
``PACK_MAX_BITS`` bits, ``w_hi * 2**PACK_SHIFT + w_lo`` fits the 27-bit port and its product with an activation
``a`` (the 18-bit port) holds both products: ``a * w_lo`` in the low ``PACK_SHIFT`` bits (signed; |a*w_lo| <= 2**14
< 2**17) and ``a * w_hi`` above them — less one when the low product is negative, because that borrow came out of
the upper field. Adding the low field's sign bit back is WP486's correction. The engines (RTL and HLS PW arrays)
implement exactly :func:`packed_products`; the golden model multiplies plainly, and the tests show the two agree.
"""
from __future__ import annotations

from typing import Any

import numpy as np

#: Offset of the upper product (WP486): the low product needs 17 bits + sign headroom.
PACK_SHIFT = 18

#: Widest activation and weight codes a packed multiply takes (the upper operand must stay within 27 bits).
PACK_MAX_BITS = 8

#: Widths of the DSP48E2 multiplier ports the packed multiply uses.
DSP48E2_A_BITS = 27
DSP48E2_B_BITS = 18


def packed_operand(w_lo: Any, w_hi: Any) -> Any:
    """The 27-bit port's operand: ``w_hi * 2**PACK_SHIFT + w_lo`` (signed, ints or int64 arrays)."""
    return (np.asarray(w_hi, dtype=np.int64) << PACK_SHIFT) + np.asarray(w_lo, dtype=np.int64)


def unpack_products(p: Any) -> tuple[Any, Any]:
    """(low, high) products from the DSP's product ``p`` of a packed multiply."""
    p = np.asarray(p, dtype=np.int64)
    field = p & ((1 << PACK_SHIFT) - 1)
    sign = (field >> (PACK_SHIFT - 1)) & 1
    lo = field - (sign << PACK_SHIFT)  # the low field read as a signed PACK_SHIFT-bit number
    hi = (p >> PACK_SHIFT) + sign      # WP486's sign correction: a negative low product borrowed one
    return lo, hi


def packed_products(a: Any, w_lo: Any, w_hi: Any) -> tuple[Any, Any]:
    """``(a * w_lo, a * w_hi)`` computed as the one multiply ``a * packed_operand(w_lo, w_hi)`` and
    :func:`unpack_products` — exact for signed codes of at most PACK_MAX_BITS bits."""
    return unpack_products(np.asarray(a, dtype=np.int64) * packed_operand(w_lo, w_hi))


def packing_fits(act_bits: int, weight_bits: int) -> bool:
    """Whether activations and weights of these widths can share a DSP48E2 two products at a time."""
    return act_bits <= PACK_MAX_BITS and weight_bits <= PACK_MAX_BITS
