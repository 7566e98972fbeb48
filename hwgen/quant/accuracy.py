"""Fixed-point vs float accuracy: per-layer SQNR, max error, saturations, top-1 agreement."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from hwgen.errors import HwgenError
from hwgen.numerics.fixed import dequantize
from hwgen.numerics.float_model import run_ops
from hwgen.quant.golden import quantize_input, run_fixed
from hwgen.quant.qgraph import QuantGraph, QuantOp


@dataclass
class LayerAccuracy:
    """Per-op formats and fixed-vs-float error over a batch."""

    name: str
    kind: str
    in_fmt: str
    w_fmt: str | None
    out_fmt: str
    bias_bits: int
    acc_bits: int
    shift: int
    sqnr_db: float  # 10*log10(sum float^2 / sum (fixed - float)^2); inf when identical
    max_abs_err: float
    saturations: int  # AP_SAT events over the whole batch
    clipped: int  # outputs that saturation changed (not hidden by the ReLU6 clamp)
    weight_saturations: int


@dataclass
class AccuracyReport:
    model: str
    weight_bits: int
    act_bits: int
    images: int
    input_fmt: str
    input_saturations: int
    layers: list[LayerAccuracy]
    top1_agree: int  # images whose fixed-point top-1 class equals the float one
    logits_sqnr_db: float
    float_correct: int | None = None  # with labels: images the float model classifies correctly
    fixed_correct: int | None = None  # with labels: images the golden (fixed-point) model classifies correctly

    @property
    def top1_agreement(self) -> float:
        return self.top1_agree / self.images

    @property
    def total_saturations(self) -> int:
        return sum(layer.saturations for layer in self.layers)

    @property
    def total_clipped(self) -> int:
        return sum(layer.clipped for layer in self.layers)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["top1_agreement"] = self.top1_agreement
        d["total_saturations"] = self.total_saturations
        d["total_clipped"] = self.total_clipped
        return d


def _sqnr_db(signal: float, noise: float) -> float:
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def _weight_format(q: QuantOp) -> str | None:
    """'ap_fixed<8,2>', or with per-channel formats the range over channels: 'ap_fixed<8,2..-1>'."""
    if q.w_fmt is None:
        return None
    if q.channel_shift is None or not q.channel_shift.any():
        return q.w_fmt.ctype(False)
    return f"ap_fixed<{q.w_fmt.width},{q.w_fmt.integer}..{q.w_fmt.integer - int(q.channel_shift.max())}>"


def accuracy_report(qgraph: QuantGraph, inputs: np.ndarray, labels: np.ndarray | None = None) -> AccuracyReport:
    """Compare the golden model with the float model on float images ``inputs`` (N, H, W, C).

    The float model sees the float image; the golden model its quantized codes,
    so the per-op errors include input quantization and accumulate through the network.
    With ``labels`` (N,) class indices, both models' top-1 accuracy is counted too.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim == 3:
        inputs = inputs[None]
    if not len(inputs):
        raise HwgenError("accuracy report needs at least one input image")
    if labels is not None and np.shape(labels) != (len(inputs),):
        raise HwgenError(f"labels have shape {np.shape(labels)}, expected ({len(inputs)},)")
    float_correct = fixed_correct = 0
    n_ops = len(qgraph.ops)
    signal, noise, max_err = np.zeros(n_ops), np.zeros(n_ops), np.zeros(n_ops)
    sats, clipped = np.zeros(n_ops, dtype=int), np.zeros(n_ops, dtype=int)
    input_sat = agree = 0
    ops = [q.op for q in qgraph.ops]
    for n, x in enumerate(inputs):
        codes, sat = quantize_input(qgraph, x)
        input_sat += sat
        fixed = run_fixed(qgraph, codes)
        ref = run_ops(ops, qgraph.folded, x)
        for i, (qop, y, r) in enumerate(zip(qgraph.ops, fixed.outputs, ref)):
            err = dequantize(y, qop.out_fmt) - r
            signal[i] += float(np.sum(r * r))
            noise[i] += float(np.sum(err * err))
            max_err[i] = max(max_err[i], float(np.abs(err).max()))
            sats[i] += fixed.saturations[qop.name]
            clipped[i] += fixed.clipped[qop.name]
        agree += int(np.argmax(fixed.logits) == np.argmax(ref[-1]))
        if labels is not None:
            float_correct += int(np.argmax(ref[-1]) == labels[n])
            fixed_correct += int(np.argmax(fixed.logits) == labels[n])
    layers = [LayerAccuracy(q.name, q.op.kind, q.in_fmt.ctype(False), _weight_format(q),
                            q.out_fmt.ctype(False), q.bias_bits, q.acc_bits, q.shift,
                            _sqnr_db(signal[i], noise[i]), float(max_err[i]), int(sats[i]), int(clipped[i]),
                            q.weight_saturations)
              for i, q in enumerate(qgraph.ops)]
    return AccuracyReport(qgraph.name, qgraph.weight_bits, qgraph.act_bits, len(inputs),
                          qgraph.input_fmt.ctype(False), input_sat, layers, agree,
                          _sqnr_db(signal[-1], noise[-1]), None if labels is None else float_correct,
                          None if labels is None else fixed_correct)
