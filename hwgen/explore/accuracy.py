"""The accuracy columns: published ImageNet top-1 where the paper reports it, and the fixed-point top-1
measured on a labelled dataset for an ONNX model — never interpolated, never invented.

Source of ``top1_paper``: A. G. Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications", arXiv:1704.04861 (2017), Table 6 (width multiplier at 224) and Table 7
(resolution at α = 1.0); float models, so the value does not depend on the bit widths explored. The
Keras applications documentation reproduces the same tables.

``top1_measured``: what ``hwgen quantize MODEL.onnx --data D --act-bits A --weight-bits W`` reports as
the fixed-point top-1 (the golden model on every test image, calibrated the same way), in percent.
"""
from __future__ import annotations

from typing import Callable

from hwgen.ir.graph import Graph
from hwgen.quant.accuracy import accuracy_report
from hwgen.quant.data import calibration_images, load_dataset
from hwgen.quant.quantize import quantize

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


def measured_top1(graph: Graph, data: str, bits: list[tuple[int, int]],
                  progress: Callable[[int, int], None] | None = None) -> dict[tuple[int, int], float]:
    """Fixed-point top-1 (%) of ``graph`` on the labelled ``data`` for each (act_bits, weight_bits) pair,
    each pair quantized and evaluated once; ``progress(done, total)`` after each."""
    ds = load_dataset(data, graph.input_shape)
    calib = calibration_images(ds)
    out: dict[tuple[int, int], float] = {}
    for k, (ab, wb) in enumerate(bits):
        report = accuracy_report(quantize(graph, wb, ab, calib), ds.x, ds.y)
        assert report.fixed_correct is not None
        out[(ab, wb)] = 100 * report.fixed_correct / report.images
        if progress:
            progress(k + 1, len(bits))
    return out
