"""Model zoo: MobileNet v1 (width α, resolution ρ, variants) and tiny test networks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from hwgen.errors import HwgenError
from hwgen.limits import check_limit
from hwgen.ir.graph import Graph
from hwgen.ir.layers import (BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, PointwiseConv2D, ReLU6,
                             Softmax)

#: (output channels, stride) of the 13 depthwise-separable blocks (Howard et al. 2017, Table 1).
MOBILENET_V1_BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
)

VARIANTS = ("standard", "shallow", "full-conv")


def _conv_bn_relu(g: Graph, name: str, filters: int, kernel: int, stride: int) -> None:
    layer = PointwiseConv2D(filters=filters) if kernel == 1 else Conv2D(kernel=kernel, stride=stride, filters=filters)
    g.add(name, layer)
    g.add(f"{name}_bn", BatchNorm())
    g.add(f"{name}_relu", ReLU6())


def _dsc_block(g: Graph, index: int, filters: int, stride: int) -> None:
    g.add(f"conv_dw_{index}", DepthwiseConv2D(kernel=3, stride=stride))
    g.add(f"conv_dw_{index}_bn", BatchNorm())
    g.add(f"conv_dw_{index}_relu", ReLU6())
    _conv_bn_relu(g, f"conv_pw_{index}", filters, 1, 1)


def build_dsc_net(name: str, input_shape: tuple[int, int, int], stem: int, blocks: list[tuple[int, int]],
                  classes: int, full_conv: bool = False) -> Graph:
    """A MobileNet-style network: conv3x3/s2 stem, blocks, global pool, FC, softmax."""
    g = Graph(name)
    g.add("input", Input(shape=input_shape))
    _conv_bn_relu(g, "conv1", stem, 3, 2)
    for i, (filters, stride) in enumerate(blocks, start=1):
        if full_conv:
            _conv_bn_relu(g, f"conv_{i}", filters, 3, stride)
        else:
            _dsc_block(g, i, filters, stride)
    g.add("avgpool", GlobalAvgPool())
    g.add("fc", Dense(units=classes))
    g.add("softmax", Softmax())
    return g.validate()


def mobilenet_v1(alpha: float = 1.0, resolution: int = 224, variant: str = "standard",
                 classes: int = 1000) -> Graph:
    """MobileNet v1 with width multiplier ``alpha`` and input ``resolution``.

    ``variant``: ``standard``; ``shallow`` (the five 512/1 blocks removed);
    ``full-conv`` (every depthwise-separable block replaced by a standard 3x3 conv).
    """
    check_limit("--alpha", alpha)
    check_limit("--resolution", resolution)
    if variant not in VARIANTS:
        raise HwgenError(f"unknown variant {variant!r} (choose from {', '.join(VARIANTS)})")
    blocks = list(MOBILENET_V1_BLOCKS)
    if variant == "shallow":
        blocks = blocks[:6] + blocks[11:]
    scaled = [(max(1, int(c * alpha)), s) for c, s in blocks]
    suffix = "" if variant == "standard" else f"_{variant.replace('-', '')}"
    name = f"mobilenet_v1_{alpha:g}_{resolution}{suffix}"
    return build_dsc_net(name, (resolution, resolution, 3), max(1, int(32 * alpha)), scaled, classes,
                         full_conv=variant == "full-conv")


def tiny_dsc() -> Graph:
    """16x16x3 input, 3 depthwise-separable blocks, 8..32 channels, 10 classes."""
    return build_dsc_net("tiny_dsc", (16, 16, 3), 8, [(16, 1), (32, 2), (32, 1)], 10)


def tiny_dsc4() -> Graph:
    """32x32x3 input, 4 blocks with two stride-2 steps, 10 classes."""
    return build_dsc_net("tiny_dsc4", (32, 32, 3), 8, [(16, 1), (16, 2), (32, 1), (32, 2)], 10)


def tiny_odd() -> Graph:
    """15x15x3 input: odd sizes, asymmetric 'same' padding, channel counts that are not powers of two."""
    return build_dsc_net("tiny_odd", (15, 15, 3), 6, [(12, 2), (20, 1)], 5)


@dataclass(frozen=True)
class ZooEntry:
    name: str
    description: str
    build: Callable[..., Graph]
    scalable: bool  # accepts alpha / resolution / variant


ZOO: dict[str, ZooEntry] = {e.name: e for e in (
    ZooEntry("mobilenet_v1", "MobileNet v1 (Howard et al. 2017); --alpha, --resolution, --variant", mobilenet_v1, True),
    ZooEntry("tiny_dsc", tiny_dsc.__doc__ or "", tiny_dsc, False),
    ZooEntry("tiny_dsc4", tiny_dsc4.__doc__ or "", tiny_dsc4, False),
    ZooEntry("tiny_odd", tiny_odd.__doc__ or "", tiny_odd, False),
)}


def get_model(name: str, alpha: float = 1.0, resolution: int = 224, variant: str = "standard") -> Graph:
    """Build a zoo model by name; alpha/resolution/variant apply to scalable models only."""
    entry = ZOO.get(name)
    if entry is None:
        raise HwgenError(f"unknown model {name!r} (see `hwgen models`: {', '.join(ZOO)})")
    if entry.scalable:
        return entry.build(alpha=alpha, resolution=resolution, variant=variant)
    if (alpha, resolution, variant) != (1.0, 224, "standard"):
        raise HwgenError(f"model {name!r} has a fixed shape: --alpha/--resolution/--variant do not apply")
    return entry.build()
