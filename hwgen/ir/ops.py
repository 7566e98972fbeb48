"""Lowering of the graph IR to hardware compute ops: conv/dw/pw/pool/fc with BN and ReLU6 fused in."""
from __future__ import annotations

from dataclasses import dataclass

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.layers import (BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, PointwiseConv2D, ReLU,
                             ReLU6, Shape, Softmax)


@dataclass(frozen=True)
class ComputeOp:
    """One hardware-level operation: a conv/FC/pool with BN and ReLU6 (or plain ReLU) fused in.

    ``kind`` is one of ``conv`` (standard KxK), ``dw``, ``pw``, ``pool``, ``fc``.
    ``layers`` names the IR layers merged into it (conv, batchnorm, relu6/relu).
    ``pad`` = (top, left); bottom/right follow from shapes (TF 'same' or the layer's explicit pads).
    ``relu`` is a plain ReLU (clamp at 0 only); ``relu6`` and ``relu`` are never both set.
    """

    name: str
    kind: str
    in_shape: Shape
    out_shape: Shape
    kernel: int
    stride: int
    pad: tuple[int, int]
    bn: str | None
    relu6: bool
    layers: tuple[str, ...]
    relu: bool = False

    @property
    def macs(self) -> int:
        h, w, c = self.out_shape
        cin = self.in_shape[2]
        if self.kind == "dw":
            return self.kernel * self.kernel * h * w * c
        if self.kind == "pool":
            return 0
        return self.kernel * self.kernel * cin * h * w * c

    @property
    def weights(self) -> int:
        """Weight count after BN folding (biases excluded)."""
        cin, cout = self.in_shape[2], self.out_shape[2]
        if self.kind == "dw":
            return self.kernel * self.kernel * cout
        if self.kind == "pool":
            return 0
        return self.kernel * self.kernel * cin * cout


_KIND = {Conv2D: "conv", PointwiseConv2D: "pw", DepthwiseConv2D: "dw", Dense: "fc", GlobalAvgPool: "pool"}


def compute_ops(graph: Graph) -> list[ComputeOp]:
    """Lower the graph to hardware ops, fusing each conv with its BN and ReLU6.

    Softmax is left to the host (the accelerator returns logits); a 1x1/s1
    Conv2D is treated as pointwise.
    """
    ops: list[ComputeOp] = []
    pending: dict | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            ops.append(ComputeOp(**pending))
            pending = None

    for name, layer, in_shape, out_shape in graph.nodes():
        if isinstance(layer, (Input, Softmax)):
            continue
        if isinstance(layer, BatchNorm):
            if pending is None or pending["bn"] is not None or pending["relu6"] or pending["relu"]:
                raise HwgenError(f"layer {name!r}: batchnorm must directly follow a conv or dense layer")
            pending["bn"] = name
            pending["layers"] += (name,)
            continue
        if isinstance(layer, (ReLU6, ReLU)):
            if pending is None or pending["relu6"] or pending["relu"] or pending["kind"] == "pool":
                raise HwgenError(f"layer {name!r}: {layer.op} must follow a conv, dense or batchnorm layer")
            pending["relu6" if isinstance(layer, ReLU6) else "relu"] = True
            pending["layers"] += (name,)
            continue
        kind = _KIND.get(type(layer))
        if kind is None:
            raise HwgenError(f"layer {name!r}: unsupported layer type {layer.op!r} for hardware")
        flush()
        kernel = getattr(layer, "kernel", 1) if kind != "pool" else in_shape[0]
        stride = getattr(layer, "stride", 1)
        if kind == "conv" and kernel == 1 and stride == 1:
            kind = "pw"
        pad = layer.pad_top_left(in_shape) if kind in ("conv", "dw") else (0, 0)
        pending = dict(name=name, kind=kind, in_shape=in_shape, out_shape=out_shape, kernel=kernel,
                       stride=stride, pad=pad, bn=None, relu6=False, relu=False, layers=(name,))
    flush()
    return ops
