"""Vectorised numpy kernels of the hardware ops, shared by the float and fixed-point models.

Tensors are NHWC without the batch dimension: (H, W, C). The same functions run
on float64 (float reference) and on int64 codes (golden model). Integer dot
products are exact: they run through float32 / float64 BLAS when the accumulator
bound fits in the 24 / 53-bit significand (every product and partial sum is then
an exactly representable integer, whatever the summation order), otherwise
through numpy's int64 matmul.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hwgen.ir.ops import ComputeOp

#: Largest accumulator widths (signed bits) whose integer sums float32 / float64 represent exactly
#: (24- and 53-bit significands).
FLOAT32_EXACT_BITS, FLOAT64_EXACT_BITS = 24, 53


def matmul(a: np.ndarray, b: np.ndarray, acc_bits: int | None = None) -> np.ndarray:
    """``a @ b``; for int64 operands exact, given ``acc_bits`` bounds every partial sum."""
    if a.dtype.kind != "i":
        return a @ b
    if acc_bits is not None and acc_bits <= FLOAT32_EXACT_BITS:
        return (a.astype(np.float32) @ b.astype(np.float32)).astype(np.int64)
    if acc_bits is not None and acc_bits <= FLOAT64_EXACT_BITS:
        return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    return np.matmul(a.astype(np.int64), b.astype(np.int64))


def pad_same(x: np.ndarray, op: ComputeOp) -> np.ndarray:
    """Zero-pad for TF 'same': ``op.pad`` at top/left, whatever the output size needs at bottom/right."""
    h, w = x.shape[:2]
    ho, wo = op.out_shape[:2]
    top, left = op.pad
    bottom = max((ho - 1) * op.stride + op.kernel - h - top, 0)
    right = max((wo - 1) * op.stride + op.kernel - w - left, 0)
    return np.pad(x, ((top, bottom), (left, right), (0, 0)))


def windows(x: np.ndarray, op: ComputeOp) -> np.ndarray:
    """Strided view of the receptive fields: (Ho, Wo, K, K, C), no copy."""
    k, s = op.kernel, op.stride
    ho, wo = op.out_shape[:2]
    v = sliding_window_view(pad_same(x, op), (k, k), axis=(0, 1))  # (H', W', C, K, K)
    return v[: (ho - 1) * s + 1: s, : (wo - 1) * s + 1: s].transpose(0, 1, 3, 4, 2)


def conv(x: np.ndarray, w: np.ndarray, op: ComputeOp, acc_bits: int | None = None) -> np.ndarray:
    """Standard KxK conv as an im2col dot product over inputs ordered (ky, kx, cin); w is (K, K, Cin, Cout)."""
    ho, wo = op.out_shape[:2]
    k, cin, cout = op.kernel, op.in_shape[2], op.out_shape[2]
    cols = windows(x, op).reshape(ho * wo, k * k * cin)
    return matmul(cols, w.reshape(k * k * cin, cout), acc_bits).reshape(ho, wo, cout)


def depthwise(x: np.ndarray, w: np.ndarray, op: ComputeOp) -> np.ndarray:
    """Depthwise KxK conv; w is (K, K, C). Sums K*K shifted, strided slices (exact for int64)."""
    k, s = op.kernel, op.stride
    ho, wo = op.out_shape[:2]
    xp = pad_same(x, op)
    acc = np.zeros((ho, wo, x.shape[2]), dtype=np.result_type(x, w))
    for ky in range(k):
        for kx in range(k):
            acc += xp[ky: ky + (ho - 1) * s + 1: s, kx: kx + (wo - 1) * s + 1: s] * w[ky, kx]
    return acc


def pointwise(x: np.ndarray, w: np.ndarray, acc_bits: int | None = None) -> np.ndarray:
    """1x1 conv (and FC on a 1x1xC vector); w is (Cin, Cout)."""
    h, wd, cin = x.shape
    return matmul(x.reshape(h * wd, cin), w, acc_bits).reshape(h, wd, w.shape[1])


def pool_sum(x: np.ndarray) -> np.ndarray:
    """Per-channel sum over all pixels, kept as (1, 1, C)."""
    return x.sum(axis=(0, 1), keepdims=True)


def linear(op: ComputeOp, x: np.ndarray, w: np.ndarray, acc_bits: int | None = None) -> np.ndarray:
    """The weighted sum of a conv/dw/pw/fc op, without bias."""
    if op.kind == "conv":
        return conv(x, w, op, acc_bits)
    if op.kind == "dw":
        return depthwise(x, w, op)
    if op.kind in ("pw", "fc"):
        return pointwise(x, w, acc_bits)
    raise ValueError(f"op {op.name!r} of kind {op.kind!r} has no weights")
