"""Typed layer objects of the graph IR.

Shapes are NHWC without the batch dimension: (H, W, C). Vectors after global
pooling stay (1, 1, C) so every tensor has the same rank.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from hwgen.errors import HwgenError

Shape = tuple[int, int, int]
#: Explicit zero padding (top, left, bottom, right), as imported models (ONNX ``pads``) give it.
Pads = tuple[int, int, int, int]


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow 'same' padding: (out, pad_before, pad_after).

    The extra pixel of an odd total goes after (bottom/right), as in TF/Keras,
    which is what MobileNet v1 was trained with.
    """
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


@dataclass(frozen=True)
class Layer:
    """Base class: a layer maps one input shape to one output shape."""

    op: ClassVar[str] = "layer"

    def out_shape(self, name: str, shape: Shape) -> Shape:
        return shape

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return 0

    def params(self, in_shape: Shape) -> int:
        return 0

    def describe(self) -> dict:
        """Kernel/stride summary for reports."""
        return {}


@dataclass(frozen=True)
class Input(Layer):
    op: ClassVar[str] = "input"
    shape: Shape = (224, 224, 3)

    def out_shape(self, name: str, shape: Shape) -> Shape:
        return self.shape


@dataclass(frozen=True)
class _Windowed(Layer):
    """A KxK window with stride; padding is TF 'same' unless ``pads`` gives it explicitly."""

    kernel: int = 3
    stride: int = 1
    pads: Pads | None = None

    def _spatial(self, name: str, shape: Shape) -> tuple[int, int]:
        if self.kernel < 1 or self.stride < 1:
            raise HwgenError(f"layer {name!r}: kernel and stride must be >= 1")
        if self.pads is None:
            return (same_padding(shape[0], self.kernel, self.stride)[0],
                    same_padding(shape[1], self.kernel, self.stride)[0])
        top, left, bottom, right = self.pads
        if min(self.pads) < 0 or max(self.pads) >= self.kernel:
            raise HwgenError(f"layer {name!r}: pads {self.pads} must be in 0..kernel-1 ({self.kernel - 1})")
        h, w = shape[0] + top + bottom, shape[1] + left + right
        if h < self.kernel or w < self.kernel:
            raise HwgenError(f"layer {name!r}: padded input {h}x{w} is smaller than the {self.kernel}x{self.kernel} "
                             "kernel")
        return (h - self.kernel) // self.stride + 1, (w - self.kernel) // self.stride + 1

    def pad_top_left(self, shape: Shape) -> tuple[int, int]:
        """Padding before the first row and column (the hardware's pad_t, pad_l)."""
        if self.pads is not None:
            return self.pads[0], self.pads[1]
        return (same_padding(shape[0], self.kernel, self.stride)[1],
                same_padding(shape[1], self.kernel, self.stride)[1])

    def describe(self) -> dict:
        return {"kernel": self.kernel, "stride": self.stride}


@dataclass(frozen=True)
class Conv2D(_Windowed):
    """Standard convolution ('same' padding unless ``pads`` is given)."""

    op: ClassVar[str] = "conv"
    filters: int = 32
    use_bias: bool = False

    def out_shape(self, name: str, shape: Shape) -> Shape:
        h, w = self._spatial(name, shape)
        return (h, w, self.filters)

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return self.kernel * self.kernel * in_shape[2] * out_shape[0] * out_shape[1] * out_shape[2]

    def params(self, in_shape: Shape) -> int:
        return self.kernel * self.kernel * in_shape[2] * self.filters + (self.filters if self.use_bias else 0)


@dataclass(frozen=True)
class PointwiseConv2D(Conv2D):
    """1x1 convolution, stride 1 (the second half of a depthwise-separable block)."""

    op: ClassVar[str] = "pointwise"
    kernel: int = 1
    stride: int = 1

    def out_shape(self, name: str, shape: Shape) -> Shape:
        if self.kernel != 1 or self.stride != 1:
            raise HwgenError(f"layer {name!r}: a pointwise conv must have kernel 1 and stride 1")
        return (shape[0], shape[1], self.filters)


@dataclass(frozen=True)
class DepthwiseConv2D(_Windowed):
    op: ClassVar[str] = "depthwise"
    use_bias: bool = False

    def out_shape(self, name: str, shape: Shape) -> Shape:
        h, w = self._spatial(name, shape)
        return (h, w, shape[2])

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return self.kernel * self.kernel * out_shape[0] * out_shape[1] * out_shape[2]

    def params(self, in_shape: Shape) -> int:
        return self.kernel * self.kernel * in_shape[2] + (in_shape[2] if self.use_bias else 0)


@dataclass(frozen=True)
class BatchNorm(Layer):
    """Inference batch norm; folded into the preceding conv by quantization."""

    op: ClassVar[str] = "batchnorm"
    epsilon: float = 1e-3


@dataclass(frozen=True)
class ReLU6(Layer):
    op: ClassVar[str] = "relu6"


@dataclass(frozen=True)
class ReLU(Layer):
    """Plain ReLU: the requantizer clamps at 0 and at the output format's maximum."""

    op: ClassVar[str] = "relu"


@dataclass(frozen=True)
class GlobalAvgPool(Layer):
    op: ClassVar[str] = "avgpool"

    def out_shape(self, name: str, shape: Shape) -> Shape:
        return (1, 1, shape[2])

    def describe(self) -> dict:
        return {}


@dataclass(frozen=True)
class Dense(Layer):
    """Fully connected layer on a (1, 1, C) vector."""

    op: ClassVar[str] = "fc"
    units: int = 1000
    use_bias: bool = True

    def out_shape(self, name: str, shape: Shape) -> Shape:
        if shape[0] != 1 or shape[1] != 1:
            raise HwgenError(f"layer {name!r}: dense input must be 1x1xC (pool first), got {shape}")
        return (1, 1, self.units)

    def macs(self, in_shape: Shape, out_shape: Shape) -> int:
        return in_shape[2] * self.units

    def params(self, in_shape: Shape) -> int:
        return in_shape[2] * self.units + (self.units if self.use_bias else 0)


@dataclass(frozen=True)
class Softmax(Layer):
    op: ClassVar[str] = "softmax"


#: op name -> class; the set of layer types the IR knows.
LAYER_TYPES: dict[str, type[Layer]] = {
    cls.op: cls
    for cls in (Input, Conv2D, PointwiseConv2D, DepthwiseConv2D, BatchNorm, ReLU6, ReLU, GlobalAvgPool, Dense,
                Softmax)
}
