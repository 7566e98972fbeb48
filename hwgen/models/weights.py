"""Float weights: the container, seeded random weights for zoo networks, and BN folding.

The container is :data:`hwgen.numerics.float_model.FloatWeights`, a dict ``IR layer name ->
{array name -> float ndarray}``, so trained weights (e.g. from ONNX) plug in
unchanged. Arrays per layer type:

* Conv2D / PointwiseConv2D: ``kernel`` (K, K, Cin, Cout); ``bias`` (Cout,) if ``use_bias``
* DepthwiseConv2D: ``kernel`` (K, K, C); ``bias`` (C,) if ``use_bias``
* BatchNorm: ``gamma``, ``beta``, ``mean``, ``var`` (C,) each (epsilon is the layer's)
* Dense: ``kernel`` (Cin, Cout); ``bias`` (Cout,) if ``use_bias``
"""
from __future__ import annotations

import numpy as np

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.layers import BatchNorm, Conv2D, Dense, DepthwiseConv2D
from hwgen.ir.ops import compute_ops
from hwgen.numerics.float_model import FloatWeights, FoldedWeights, forward_layer, layer_kernel, op_geometry

#: Seeded random images whose activations set the BN moving statistics and the FC scaling.
STATS_IMAGES = 4


def expected_shapes(graph: Graph) -> dict[str, dict[str, tuple[int, ...]]]:
    """Layer name -> array name -> shape that the float weights must provide."""
    shapes: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, layer, in_shape, out_shape in graph.nodes():
        cin, cout = in_shape[2], out_shape[2]
        if isinstance(layer, DepthwiseConv2D):
            shapes[name] = {"kernel": (layer.kernel, layer.kernel, cin)}
        elif isinstance(layer, Conv2D):
            shapes[name] = {"kernel": (layer.kernel, layer.kernel, cin, cout)}
        elif isinstance(layer, Dense):
            shapes[name] = {"kernel": (cin, cout)}
        elif isinstance(layer, BatchNorm):
            shapes[name] = {k: (cin,) for k in ("gamma", "beta", "mean", "var")}
        if getattr(layer, "use_bias", False):
            shapes[name]["bias"] = (cout,)
    return shapes


def check_weights(graph: Graph, weights: FloatWeights) -> None:
    """Raise HwgenError naming the first missing or misshapen array."""
    for name, arrays in expected_shapes(graph).items():
        for key, shape in arrays.items():
            arr = weights.get(name, {}).get(key)
            if arr is None:
                raise HwgenError(f"weights: layer {name!r} is missing array {key!r} {shape}")
            if tuple(np.shape(arr)) != shape:
                raise HwgenError(f"weights: layer {name!r} array {key!r} has shape {tuple(np.shape(arr))}, "
                                 f"expected {shape}")
            if not np.all(np.isfinite(arr)):
                raise HwgenError(f"weights: layer {name!r} array {key!r} has non-finite values")
        if "var" in arrays and np.any(np.asarray(weights[name]["var"]) < 0):
            raise HwgenError(f"weights: layer {name!r} has a negative moving variance")


def random_weights(graph: Graph, seed: int = 0) -> FloatWeights:
    """Deterministic He-initialised weights with realistic BN statistics.

    BN moving mean/variance are the per-channel statistics of the conv output
    on STATS_IMAGES seeded uniform [-1, 1) images (slightly perturbed), as a
    trained network's would be, so activations stay in a realistic range; the
    FC layer is scaled by the mean spread of the pooled features across images
    (and its bias centres the logits), so the logits depend on the input rather
    than being dominated by a constant.
    """
    rng = np.random.default_rng([seed, 1])
    geometry = op_geometry(graph)
    acts = [rng.uniform(-1.0, 1.0, graph.input_shape) for _ in range(STATS_IMAGES)]
    weights: FloatWeights = {}
    for name, layer, in_shape, out_shape in graph.nodes():
        cin, cout = in_shape[2], out_shape[2]
        params: dict[str, np.ndarray] = {}
        if isinstance(layer, DepthwiseConv2D):
            params["kernel"] = rng.normal(0.0, np.sqrt(2.0 / layer.kernel ** 2), (layer.kernel, layer.kernel, cin))
        elif isinstance(layer, Conv2D):
            fan_in = layer.kernel ** 2 * cin
            params["kernel"] = rng.normal(0.0, np.sqrt(2.0 / fan_in), (layer.kernel, layer.kernel, cin, cout))
        elif isinstance(layer, Dense):
            feats = np.stack([a.reshape(-1) for a in acts])
            spread = max(float(feats.std(axis=0).mean()), 1e-6)  # one scale: no outlier weights
            kernel = rng.normal(0.0, 1.0 / np.sqrt(cin), (cin, cout)) / spread
            params["kernel"] = kernel
            if layer.use_bias:
                params["bias"] = -feats.mean(axis=0) @ kernel + rng.normal(0.0, 0.1, cout)
        elif isinstance(layer, BatchNorm):
            y = np.stack(acts).reshape(-1, cin)
            mean, var = y.mean(axis=0), y.var(axis=0)
            params = {
                "gamma": rng.uniform(0.5, 2.0, cin),
                "beta": rng.uniform(-0.5, 1.5, cin),
                "mean": mean + rng.normal(0.0, 0.05, cin) * np.sqrt(var),
                "var": var * rng.uniform(0.8, 1.25, cin),
            }
        if getattr(layer, "use_bias", False) and "bias" not in params:
            params["bias"] = rng.normal(0.0, 0.05, cout)
        if params:
            weights[name] = params
        acts = [forward_layer(layer, a, params, geometry.get(name)) for a in acts]
    return weights


def fold_bn(graph: Graph, weights: FloatWeights) -> FoldedWeights:
    """Fold each op's BN into its weights and bias: w' = w*s, b' = beta + (b - mean)*s, s = gamma/sqrt(var+eps).

    Weights come out in the QuantOp layouts: conv (K,K,Cin,Cout), dw (K,K,C), pw/fc (Cin,Cout).
    """
    folded: FoldedWeights = {}
    for op in compute_ops(graph):
        if op.kind == "pool":
            continue
        params = weights[op.name]
        w = layer_kernel(op, np.asarray(params["kernel"], dtype=np.float64))
        b = np.asarray(params.get("bias", np.zeros(op.out_shape[2])), dtype=np.float64)
        if op.bn is not None:
            bn = weights[op.bn]
            scale = bn["gamma"] / np.sqrt(bn["var"] + graph.g.nodes[op.bn]["layer"].epsilon)
            w = w * scale  # the output channel is the last axis in every layout
            b = bn["beta"] + (b - bn["mean"]) * scale
        folded[op.name] = (w, b)
    return folded
