"""Graph IR: a networkx DiGraph of typed layers with inferred NHWC shapes.

Nodes are layer names; node data holds ``layer`` (a :mod:`hwgen.ir.layers` object),
``in_shape`` and ``out_shape``, nothing else: later stages build their own objects from it
(:func:`hwgen.ir.ops.compute_ops`, the quantized graph, the mapping) and never annotate it.
"""
from __future__ import annotations

from typing import Iterator

import networkx as nx

from hwgen.errors import HwgenError
from hwgen.ir.layers import Input, Layer, Shape


class Graph:
    """A single-input, single-output network of layers in topological order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.g = nx.DiGraph()
        self._last: str | None = None
        #: Trained float weights (the hwgen.models.weights container) when the model brought them (ONNX
        #: import); None for zoo networks, which get seeded random weights.
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
