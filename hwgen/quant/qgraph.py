"""The quantized graph: per op its formats, integer weights and bias, shift and accumulator width."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.ops import ComputeOp
from hwgen.numerics.fixed import FixedFormat
from hwgen.numerics.float_model import FloatWeights, FoldedWeights


@dataclass
class QuantOp:
    """One ComputeOp with its fixed-point formats, integer weights and requantization shift."""

    op: ComputeOp
    in_fmt: FixedFormat
    out_fmt: FixedFormat
    w_fmt: FixedFormat | None
    weights: np.ndarray | None  # int64 codes in the layouts of the module docstring; None for pool
    bias: np.ndarray | None  # int64 at frac in_fmt.frac + w_fmt.frac, shape (Cout,)
    shift: int  # acc frac - out frac (pool: in.frac + POOL_RECIP_BITS - out.frac)
    acc_bits: int  # signed accumulator width that cannot overflow
    bias_bits: int = 0  # signed width of the bias codes (0 for pool)
    weight_saturations: int = 0  # weights clamped when quantized
    # Per-channel weight formats: output channel c's weights (and bias, accumulator) have
    # channel_shift[c] >= 0 more fractional bits than w_fmt, so its requantization shift is
    # shift + channel_shift[c]. None: one format for the whole layer.
    channel_shift: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def shifts(self) -> int | np.ndarray:
        """The requantization shift: an int, or one per output channel (Cout,) with per-channel formats."""
        return self.shift if self.channel_shift is None else self.shift + self.channel_shift

    @property
    def max_shift(self) -> int:
        return self.shift if self.channel_shift is None else self.shift + int(self.channel_shift.max())

    @property
    def terms(self) -> int:
        """Products per dot product (pool: pixels summed)."""
        op = self.op
        if op.kind == "conv":
            return op.kernel * op.kernel * op.in_shape[2]
        if op.kind == "dw":
            return op.kernel * op.kernel
        if op.kind == "pool":
            return op.in_shape[0] * op.in_shape[1]
        return op.in_shape[2]


@dataclass
class QuantGraph:
    """The quantized network: ops in order, the input format, and the float model it came from."""

    name: str
    ops: list[QuantOp]
    input_fmt: FixedFormat
    graph: Graph
    weights: FloatWeights  # float weights per IR layer (unfolded)
    folded: FoldedWeights  # BN-folded float weights per op (QuantOp layouts)
    weight_bits: int
    act_bits: int
    act_max: dict[str, float] = field(default_factory=dict)  # calibrated max |x| per tensor ("input", op names)
    weight_scale: str = "per-layer"  # or "per-channel" (QuantOp.channel_shift)

    def op(self, name: str) -> QuantOp:
        for q in self.ops:
            if q.op.name == name:
                return q
        raise HwgenError(f"no op named {name!r} in {self.name!r}")


def im2col_weights(qop: QuantOp) -> np.ndarray:
    """Weights as the PW engine's (K*K*Cin, Cout) matrix, rows ordered (ky, kx, cin); pw/fc unchanged."""
    if qop.weights is None or qop.op.kind == "dw":
        raise HwgenError(f"op {qop.name!r} ({qop.op.kind}) has no im2col weight matrix")
    return qop.weights.reshape(-1, qop.weights.shape[-1])
