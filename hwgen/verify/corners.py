"""Corner-case vectors: weights, biases and inputs that saturate every weighted layer, or that put every
accumulator of a weighted layer on an exact rounding tie — at the extremes of each format.

Seeded images in [-1, 1) with calibrated weights almost never reach a format's limits or a tie, so
"saturate" versus "wrap" and "round half to even" versus "half up" would go unseen. Two modes replace a
quantized graph's weights and biases (formats and shifts are kept, so the datapath widths are the same):

* ``saturate``: output channel ``c`` of layer ``i`` gets all weights at the format's maximum ``2^(W-1)-1``
  when bit ``i % 2`` of ``c`` is 0 and at its minimum ``-2^(W-1)`` otherwise, zero bias; the input is the input format's maximum
  with one pixel at its minimum. Every weighted layer's pre-activations overflow its output format in both directions.
* ``ties``: a layer with requantization shift ``s > 0`` gets weights that are multiples of ``2^b``
  (``b = min(s, W-1)``, drawn from the whole range, ``-2^(W-1)`` included) and biases that are odd multiples
  of ``2^(s-1)``; the network input codes are multiples of ``2^(s-b)`` for the first layer. Every product is
  then a multiple of ``2^s`` and every accumulator sits exactly halfway between two output codes.
"""
from __future__ import annotations

import copy

import numpy as np

from hwgen.errors import HwgenError
from hwgen.numerics.fixed import accumulator_bits
from hwgen.quant.qgraph import QuantGraph

MODES = ("saturate", "ties")


def _bits(values: np.ndarray) -> int:
    """Signed bits of the widest value (at least 1)."""
    m = int(np.abs(values).max()) if values.size else 0
    return m.bit_length() + 1 if m else 1


def _input_step(qgraph: QuantGraph) -> int:
    """Input codes must be multiples of this for the first layer's products to be multiples of 2^shift."""
    q = qgraph.ops[0]
    if q.w_fmt is None or q.shift <= 0:
        return 1
    return 1 << (q.shift - min(q.shift, q.w_fmt.width - 1))


def corner_qgraph(qgraph: QuantGraph, mode: str, seed: int = 0) -> QuantGraph:
    """A copy of ``qgraph`` with corner-case weights and biases (module docstring)."""
    if mode not in MODES:
        raise HwgenError(f"corner mode must be one of {', '.join(MODES)}, got {mode!r}")
    rng = np.random.default_rng(seed)
    out = copy.copy(qgraph)
    out.ops = []
    for i, q in enumerate(qgraph.ops):
        q = copy.copy(q)
        out.ops.append(q)
        if q.weights is None:
            continue
        fw, cout = q.w_fmt, q.op.out_shape[2]
        if mode == "saturate":
            sign = (np.arange(cout) >> (i % 2)) % 2 == 0  # on odd layers in pairs: a depthwise layer after a
            # ReLU (zeros on the previous layer's negative channels) still sees positive inputs under both signs
            q.weights = np.broadcast_to(np.where(sign, fw.max_int, fw.min_int), q.weights.shape).astype(np.int64)
            q.bias = np.zeros(cout, dtype=np.int64)
        else:
            if q.shift <= 0:
                raise HwgenError(f"op {q.name!r}: shift {q.shift} has no rounding ties")
            b = min(q.shift, fw.width - 1)
            if i > 0 and b < q.shift:
                raise HwgenError(f"op {q.name!r}: shift {q.shift} needs weights in multiples of 2^{q.shift}, "
                                 f"beyond {fw.width}-bit codes")
            steps = np.arange(fw.min_int >> b, (fw.max_int >> b) + 1)
            q.weights = rng.choice(steps, size=q.weights.shape) << b
            q.weights.reshape(-1)[0] = fw.min_int  # -2^(W-1): a multiple of 2^b for every b <= W-1
            odd = 2 * rng.integers(-q.out_fmt.max_int - 2, q.out_fmt.max_int + 2, size=cout) + 1
            q.bias = odd.astype(np.int64) << (q.shift - 1)
        q.bias_bits = _bits(q.bias)
        q.acc_bits = accumulator_bits(q.in_fmt.width, fw.width, q.terms, q.bias_bits)
    return out


def corner_input(qgraph: QuantGraph, mode: str, seed: int = 0) -> np.ndarray:
    """Input codes (H, W, C) for ``mode``: the format's extremes, or random multiples of the tie step."""
    f, shape = qgraph.input_fmt, qgraph.ops[0].op.in_shape
    if mode == "saturate":  # the maximum everywhere but one pixel at the minimum: the sums cannot cancel
        x = np.full(shape, f.max_int, dtype=np.int64)
        x[0, 0, :] = f.min_int
        return x
    step = _input_step(qgraph)
    rng = np.random.default_rng(seed)
    x = rng.integers(f.min_int // step, f.max_int // step + 1, size=shape) * step
    x.reshape(-1)[:2] = [f.min_int, f.max_int // step * step]  # both extremes (reachable multiples) appear
    return x.astype(np.int64)
