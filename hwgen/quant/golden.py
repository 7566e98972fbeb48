"""The bit-exact fixed-point golden model (int64 numpy) and the float reference runner.

``run_fixed`` reproduces the datapath of :mod:`hwgen.numerics.fixed` exactly: per op,
``acc = sum(x_q * w_q) + bias_q`` at frac ``in.frac + w.frac`` (pool:
``acc = sum_pixels(x_q) * pool_recip(H*W)``), then ``requantize(acc, shift,
out_fmt, relu6)`` — round half to even, saturate (counted), ReLU6 clamp.
Saturation events are counted as the datapath sees them (before the ReLU6
clamp, so a pre-activation above the format's range counts even though ReLU6
would have clamped it anyway); ``clipped`` counts the outputs that saturation
actually changed.
Softmax is left to the host: ``logits`` are the last op's codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.layers import Shape
from hwgen.ir.ops import compute_ops
from hwgen.models.weights import fold_bn, random_weights
from hwgen.numerics import kernels
from hwgen.numerics.fixed import pool_recip, quantize_array, requantize, round_shift
from hwgen.numerics.float_model import run_ops, softmax
from hwgen.quant.calibration import STREAM_INPUT, random_images
from hwgen.quant.qgraph import QuantGraph, QuantOp


@dataclass
class GoldenResult:
    """Fixed-point outputs: int64 codes (H, W, C) per op, saturation events per op name."""

    names: list[str]
    outputs: list[np.ndarray]
    saturations: dict[str, int]  # AP_SAT events (before the ReLU6 clamp), as the datapath sees them
    clipped: dict[str, int] = field(default_factory=dict)  # outputs that saturation actually changed

    @property
    def logits(self) -> np.ndarray:
        return self.outputs[-1]

    def output(self, name: str) -> np.ndarray:
        return self.outputs[self.names.index(name)]


@dataclass
class FloatResult:
    """Float64 outputs per op (BN folded); softmax applied on the host from the logits."""

    names: list[str]
    outputs: list[np.ndarray]

    @property
    def logits(self) -> np.ndarray:
        return self.outputs[-1]

    @property
    def probabilities(self) -> np.ndarray:
        return softmax(self.logits)


def quantize_input(qgraph: "QuantGraph", x: np.ndarray) -> tuple[np.ndarray, int]:
    """A float image (H, W, C) -> input codes in ``qgraph.input_fmt`` and the saturation count."""
    _check_shape(qgraph.ops[0].op.in_shape, np.shape(x), "input image")
    return quantize_array(x, qgraph.input_fmt)


def random_input(qgraph: "QuantGraph", seed: int = 0) -> np.ndarray:
    """A seeded uniform [-1, 1) image, quantized to the input format: int64 codes (H, W, C)."""
    return quantize_input(qgraph, random_images(qgraph.ops[0].op.in_shape, 1, seed, STREAM_INPUT)[0])[0]


def accumulate(qop: "QuantOp", x: np.ndarray) -> np.ndarray:
    """The op's exact accumulator: sum(x*w) + bias (pool: per-channel pixel sum * pool_recip(H*W))."""
    op = qop.op
    if op.kind == "pool":
        return kernels.pool_sum(x) * pool_recip(op.in_shape[0] * op.in_shape[1])
    return kernels.linear(op, x, qop.weights, qop.acc_bits) + qop.bias


def run_op_fixed(qop: "QuantOp", x: np.ndarray) -> tuple[np.ndarray, int]:
    """One op on int64 codes in ``qop.in_fmt``: (output codes in ``qop.out_fmt``, saturation events)."""
    return requantize(accumulate(qop, x), qop.shifts, qop.out_fmt, qop.op.relu6, qop.op.relu)


def clipped_count(qop: "QuantOp", acc: np.ndarray, out: np.ndarray) -> int:
    """Outputs that differ from an unbounded format's: saturation that the ReLU6 clamp did not hide."""
    ideal = round_shift(acc, qop.shifts)
    if qop.op.relu6:
        frac = qop.out_fmt.frac
        ideal = np.clip(ideal, 0, 6 << frac if frac >= 0 else 6 >> -frac)  # relu6_max without the format cap
    elif qop.op.relu:
        ideal = np.maximum(ideal, 0)
    return int(np.count_nonzero(ideal != out))


def run_fixed(qgraph: "QuantGraph", x: np.ndarray) -> GoldenResult:
    """Bit-exact fixed-point forward pass on input codes ``x`` (H, W, C) in ``qgraph.input_fmt``."""
    x = np.asarray(x)
    _check_shape(qgraph.ops[0].op.in_shape, x.shape, "input codes")
    if x.dtype.kind not in "iu":
        raise HwgenError(f"input codes must be integers, got dtype {x.dtype}")
    fmt = qgraph.input_fmt
    if x.size and (x.min() < fmt.min_int or x.max() > fmt.max_int):
        raise HwgenError(f"input codes outside {fmt.ctype(False)}: range [{x.min()}, {x.max()}]")
    cur = x.astype(np.int64)
    outputs, saturations, clipped = [], {}, {}
    for qop in qgraph.ops:
        acc = accumulate(qop, cur)
        cur, saturations[qop.name] = requantize(acc, qop.shifts, qop.out_fmt, qop.op.relu6, qop.op.relu)
        clipped[qop.name] = clipped_count(qop, acc, cur)
        outputs.append(cur)
    return GoldenResult([q.op.name for q in qgraph.ops], outputs, saturations, clipped)


def run_float(qgraph_or_graph: "QuantGraph | Graph", x_float: np.ndarray, seed: int = 0) -> FloatResult:
    """Float reference (BN folded) on a float image; a bare Graph uses its trained weights or
    ``random_weights(graph, seed)``."""
    if isinstance(qgraph_or_graph, Graph):
        ops = compute_ops(qgraph_or_graph)
        weights = qgraph_or_graph.weights or random_weights(qgraph_or_graph, seed)
        folded = fold_bn(qgraph_or_graph, weights)
    else:
        ops = [q.op for q in qgraph_or_graph.ops]
        folded = qgraph_or_graph.folded
    _check_shape(ops[0].in_shape, np.shape(x_float), "input image")
    return FloatResult([op.name for op in ops], run_ops(ops, folded, x_float))


def _check_shape(expected: Shape, got: tuple[int, ...], what: str) -> None:
    if tuple(got) != tuple(expected):
        raise HwgenError(f"{what} has shape {tuple(got)}, expected {tuple(expected)} (H, W, C)")
