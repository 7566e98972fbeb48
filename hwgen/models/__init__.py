"""Models in: the zoo (MobileNet v1 family, tiny nets), ONNX import, float weights and BN folding, analysis."""
from __future__ import annotations

from hwgen.ir.graph import Graph
from hwgen.ir.layers import Shape
from hwgen.models.onnx import from_onnx
from hwgen.models.zoo import get_model


def load_model(model: str, input_shape: Shape | None = None, **zoo_args: object) -> Graph:
    """A path ending in ``.onnx`` is imported (trained weights in ``graph.weights``); anything else is a zoo name."""
    if model.lower().endswith(".onnx"):
        return from_onnx(model, input_shape)
    return get_model(model, **zoo_args)  # type: ignore[arg-type]


__all__ = ["from_onnx", "get_model", "load_model"]
