"""Per-layer MACs, parameters and activation sizes of a graph (MobileNets paper convention).

Mult-adds count conv and FC layers only; parameters are conv/FC weights plus
their biases where the layer has one (BN is folded away, so it adds none).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from hwgen.ir.graph import Graph
from hwgen.ir.layers import Conv2D, Dense, DepthwiseConv2D, Input, PointwiseConv2D, Shape

#: Report categories for the share-by-type summary.
CATEGORIES = ("standard conv", "depthwise", "pointwise", "fc")


def layer_category(layer: object) -> str | None:
    if isinstance(layer, DepthwiseConv2D):
        return "depthwise"
    if isinstance(layer, PointwiseConv2D) or (isinstance(layer, Conv2D) and layer.kernel == 1):
        return "pointwise"
    if isinstance(layer, Conv2D):
        return "standard conv"
    if isinstance(layer, Dense):
        return "fc"
    return None


@dataclass
class LayerStats:
    name: str
    op: str
    in_shape: Shape
    out_shape: Shape
    kernel: int | None
    stride: int | None
    macs: int
    params: int
    activations: int  # output elements


@dataclass
class Report:
    model: str
    layers: list[LayerStats]
    total: dict[str, int]
    shares: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "model": self.model,
            "layers": [{**asdict(s), "in_shape": list(s.in_shape), "out_shape": list(s.out_shape)}
                       for s in self.layers],
            "total": dict(self.total),
            "shares": self.shares,
        }


def analyze(graph: Graph) -> Report:
    """Count MACs, parameters and activations of every layer of ``graph``."""
    layers: list[LayerStats] = []
    by_cat = {c: {"macs": 0, "params": 0} for c in CATEGORIES}
    for name, layer, in_shape, out_shape in graph.nodes():
        if isinstance(layer, Input):
            continue
        desc = layer.describe()
        stats = LayerStats(name, layer.op, in_shape, out_shape, desc.get("kernel"), desc.get("stride"),
                           layer.macs(in_shape, out_shape), layer.params(in_shape),
                           out_shape[0] * out_shape[1] * out_shape[2])
        layers.append(stats)
        cat = layer_category(layer)
        if cat:
            by_cat[cat]["macs"] += stats.macs
            by_cat[cat]["params"] += stats.params
    macs = sum(s.macs for s in layers)
    params = sum(s.params for s in layers)
    # Activations: the input plus every tensor a conv/pool/FC writes (BN, ReLU6/ReLU, softmax act in place).
    writers = [s for s in layers if s.op not in ("batchnorm", "relu6", "relu", "softmax")]
    h, w, c = graph.input_shape
    total = {
        "macs": macs,
        "params": params,
        "activations": h * w * c + sum(s.activations for s in writers),
        "peak_activations": max(s.activations + s.in_shape[0] * s.in_shape[1] * s.in_shape[2] for s in writers),
        "layers": len(layers),
    }
    shares = {cat: {"macs": v["macs"] / macs if macs else 0.0, "params": v["params"] / params if params else 0.0}
              for cat, v in by_cat.items()}
    return Report(graph.name, layers, total, shares)
