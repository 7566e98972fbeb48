"""ImageNet top-1 where it is published: only the MobileNets paper's own (α, ρ) points, never interpolated.

Source: A. G. Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications", arXiv:1704.04861 (2017), Table 6 (width multiplier at 224) and Table 7 (resolution at
α = 1.0); float models, so the value does not depend on the bit widths explored. The Keras
applications documentation reproduces the same tables.
"""
from __future__ import annotations

#: (α, ρ) -> ImageNet top-1 accuracy in percent.
MOBILENET_V1_TOP1: dict[tuple[float, int], float] = {
    (1.0, 224): 70.6, (0.75, 224): 68.4, (0.5, 224): 63.7, (0.25, 224): 50.6,   # Table 6
    (1.0, 192): 69.1, (1.0, 160): 67.2, (1.0, 128): 64.4,                      # Table 7
}


def paper_top1(model: str, variant: str, alpha: float, resolution: int) -> float | None:
    """The paper's top-1 of the standard MobileNet v1 at (α, ρ), or None when the paper does not report it."""
    if model != "mobilenet_v1" or variant != "standard":
        return None
    return MOBILENET_V1_TOP1.get((alpha, resolution))
