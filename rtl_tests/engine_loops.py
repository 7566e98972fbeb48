"""Independent numpy reference for the engines, written directly against hwgen.numerics.fixed.

Loops over the im2col / depthwise windows the way the engines do (zero padding, round half to
even, saturate, ReLU6 clamp); the RTL tests check it against hwgen.quant.golden.run_fixed as well.
"""
from __future__ import annotations

import numpy as np

from hwgen.numerics.fixed import pool_recip, requantize


def _padded(x: np.ndarray, op) -> np.ndarray:
    hi, wi, _ = op.in_shape
    ho, wo, _ = op.out_shape
    k, s = op.kernel, op.stride
    pt, pl = op.pad
    pb = max(0, (ho - 1) * s + k - hi - pt)
    pr = max(0, (wo - 1) * s + k - wi - pl)
    return np.pad(x, ((pt, pb), (pl, pr), (0, 0)))


def run_op(qop, x: np.ndarray) -> np.ndarray:
    op = qop.op
    ho, wo, n = op.out_shape
    if op.kind == "pool":
        acc = x.sum(axis=(0, 1)).reshape(1, 1, -1) * pool_recip(x.shape[0] * x.shape[1])
    elif op.kind in ("pw", "fc"):
        acc = x.reshape(-1, x.shape[2]) @ qop.weights.reshape(x.shape[2], n)
        acc = acc.reshape(ho, wo, n) + qop.bias
    else:
        xp = _padded(x, op)
        k, s = op.kernel, op.stride
        acc = np.zeros((ho, wo, n), dtype=np.int64)
        for ky in range(k):
            for kx in range(k):
                win = xp[ky:ky + s * (ho - 1) + 1:s, kx:kx + s * (wo - 1) + 1:s, :]
                if op.kind == "dw":
                    acc += win * qop.weights[ky, kx, :]
                else:
                    acc += win @ qop.weights[ky, kx]
        acc += qop.bias
    return requantize(acc, qop.shift, qop.out_fmt, op.relu6)[0]


def run_network(qgraph, x: np.ndarray) -> np.ndarray:
    cur = np.asarray(x, dtype=np.int64)
    for qop in qgraph.ops:
        cur = run_op(qop, cur)
    return cur
