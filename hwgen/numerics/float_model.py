"""Float64 reference forward passes: layer by layer on the IR (BN unfolded) and op by op (BN folded).

Float weights are a plain dict ``layer name -> {array name -> ndarray}`` (see
:mod:`hwgen.models.weights`), so weights from any source (zoo generator, ONNX) plug in.
"""
from __future__ import annotations

import numpy as np

from hwgen.ir.graph import Graph
from hwgen.ir.layers import BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, Layer, ReLU, ReLU6, Softmax
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.numerics import kernels

#: layer name -> {array name -> array}; keys per layer type are documented in hwgen.models.weights.
FloatWeights = dict[str, dict[str, np.ndarray]]

#: op name -> (folded weights in the QuantOp layout, folded bias (Cout,)).
FoldedWeights = dict[str, tuple[np.ndarray, np.ndarray]]


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    e = np.exp(z - z.max())
    return e / e.sum()


def op_geometry(graph: Graph) -> dict[str, ComputeOp]:
    """The ComputeOp of each conv/dw/pw/pool/fc IR layer, keyed by that layer's name (kernel, stride, padding)."""
    return {op.name: op for op in compute_ops(graph)}


def forward_layer(layer: Layer, x: np.ndarray, params: dict[str, np.ndarray], op: ComputeOp | None) -> np.ndarray:
    """One IR layer in float64. ``op`` gives the geometry of conv-like and pooling layers."""
    if isinstance(layer, Input):
        return x
    if isinstance(layer, BatchNorm):
        scale = params["gamma"] / np.sqrt(params["var"] + layer.epsilon)
        return (x - params["mean"]) * scale + params["beta"]
    if isinstance(layer, ReLU6):
        return np.clip(x, 0.0, 6.0)
    if isinstance(layer, ReLU):
        return np.maximum(x, 0.0)
    if isinstance(layer, Softmax):
        return softmax(x).reshape(x.shape)
    if isinstance(layer, GlobalAvgPool):
        return kernels.pool_sum(x) / (x.shape[0] * x.shape[1])
    assert op is not None and isinstance(layer, (Conv2D, DepthwiseConv2D, Dense))
    y = kernels.linear(op, x, layer_kernel(op, params["kernel"]))
    return y + params["bias"] if "bias" in params else y


def layer_kernel(op: ComputeOp, kernel: np.ndarray) -> np.ndarray:
    """A layer's stored kernel in the layout its op kernel uses (pw: (Cin, Cout) from (1, 1, Cin, Cout))."""
    return kernel.reshape(kernel.shape[-2:]) if op.kind == "pw" else kernel


def run_graph(graph: Graph, weights: FloatWeights, x: np.ndarray) -> dict[str, np.ndarray]:
    """Float forward pass over every IR layer with BN unfolded; returns each layer's output."""
    geometry = op_geometry(graph)
    outputs: dict[str, np.ndarray] = {}
    cur = np.asarray(x, dtype=np.float64)
    for name, layer, _, _ in graph.nodes():
        cur = forward_layer(layer, cur, weights.get(name, {}), geometry.get(name))
        outputs[name] = cur
    return outputs


def forward_op(op: ComputeOp, x: np.ndarray, folded: FoldedWeights) -> np.ndarray:
    """One fused op (conv/dw/pw/fc with folded BN, ReLU6 or ReLU; or average pool) in float64."""
    if op.kind == "pool":
        return kernels.pool_sum(x) / (x.shape[0] * x.shape[1])
    w, b = folded[op.name]
    return activation(op, kernels.linear(op, x, w) + b)


def activation(op: ComputeOp, y: np.ndarray) -> np.ndarray:
    """The op's fused activation in float: ReLU6, ReLU or none."""
    if op.relu6:
        return np.clip(y, 0.0, 6.0)
    return np.maximum(y, 0.0) if op.relu else y


def run_ops(ops: list[ComputeOp], folded: FoldedWeights, x: np.ndarray) -> list[np.ndarray]:
    """Float forward pass op by op (BN folded); returns every op's output, the last being the logits."""
    outputs = []
    cur = np.asarray(x, dtype=np.float64)
    for op in ops:
        cur = forward_op(op, cur, folded)
        outputs.append(cur)
    return outputs
