"""Small test networks: a chain of layers after one input, lowered to compute ops."""
from __future__ import annotations

from hwgen.ir.graph import Graph
from hwgen.ir.layers import Input, Layer
from hwgen.ir.ops import ComputeOp, compute_ops


def chain_ops(shape: tuple[int, int, int], *layers: Layer) -> list[ComputeOp]:
    """The compute ops of ``input(shape) -> layers[0] -> layers[1] -> ...``."""
    g = Graph("t")
    g.add("input", Input(shape=shape))
    for i, layer in enumerate(layers):
        g.add(f"l{i}", layer)
    return compute_ops(g.validate())
