"""Graph IR: a networkx DiGraph of typed layers with inferred NHWC shapes.

Nodes are layer names; node data holds ``layer`` (a :mod:`hwgen.layers` object),
``in_shape`` and ``out_shape``. Later stages add their own annotations
(quantization, mapping) without changing this structure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import networkx as nx

from .errors import HwgenError
from .layers import (BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, Layer, PointwiseConv2D,
                     ReLU, ReLU6, Shape, Softmax)


class Graph:
    """A single-input, single-output network of layers in topological order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.g = nx.DiGraph()
        self._last: str | None = None
        #: Trained float weights (hwgen.weights container) when the model brought them (ONNX import);
        #: None for zoo networks, which get seeded random weights.
        self.weights: dict | None = None

    def add(self, name: str, layer: Layer, inputs: list[str] | None = None) -> str:
        """Add a layer fed by ``inputs`` (default: the last layer added)."""
        if name in self.g:
            raise HwgenError(f"duplicate layer name {name!r}")
        if inputs is None:
            inputs = [] if self._last is None else [self._last]
        for src in inputs:
            if src not in self.g:
                raise HwgenError(f"layer {name!r}: unknown input {src!r}")
        self.g.add_node(name, layer=layer)
        for src in inputs:
            self.g.add_edge(src, name)
        self._last = name
        return name

    def validate(self) -> "Graph":
        """Check structure and infer shapes; raises HwgenError naming the bad node."""
        if not nx.is_directed_acyclic_graph(self.g):
            cycle = nx.find_cycle(self.g)
            raise HwgenError(f"graph {self.name!r} has a cycle through layer {cycle[0][0]!r}")
        for name in nx.topological_sort(self.g):
            data = self.g.nodes[name]
            layer = data["layer"]
            preds = list(self.g.predecessors(name))
            if isinstance(layer, Input):
                if preds:
                    raise HwgenError(f"layer {name!r}: an input layer cannot have inputs")
                in_shape = layer.shape
            else:
                if len(preds) != 1:
                    raise HwgenError(f"layer {name!r}: expected exactly one input, got {len(preds)}")
                in_shape = self.g.nodes[preds[0]]["out_shape"]
            if any(d < 1 for d in in_shape):
                raise HwgenError(f"layer {name!r}: invalid input shape {in_shape}")
            data["in_shape"] = in_shape
            data["out_shape"] = layer.out_shape(name, in_shape)
        inputs = [n for n in self.g if isinstance(self.g.nodes[n]["layer"], Input)]
        if len(inputs) != 1:
            raise HwgenError(f"graph {self.name!r}: expected one input layer, got {len(inputs)}")
        return self

    def nodes(self) -> Iterator[tuple[str, Layer, Shape, Shape]]:
        """(name, layer, in_shape, out_shape) in topological order."""
        for name in nx.topological_sort(self.g):
            d = self.g.nodes[name]
            yield name, d["layer"], d["in_shape"], d["out_shape"]

    @property
    def input_shape(self) -> Shape:
        return next(self.nodes())[3]

    @property
    def output_shape(self) -> Shape:
        return list(self.nodes())[-1][3]

    def __len__(self) -> int:
        return self.g.number_of_nodes()


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
