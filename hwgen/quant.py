"""Quantization: BN folding, per-layer ap_fixed precisions from calibration, and the accuracy report.

Formats (``FixedFormat(width, frac)`` = ``ap_fixed<width, width-frac>``):

* activations: ``act_bits`` wide. The input image gets the integer bits of the
  largest |x| over the calibration images (smallest I with max|x| < 2**(I-1));
  op outputs get one bit of headroom on top, capped at I = 4 (the range holding
  6.0) for ReLU6 outputs and their average pool. Integer bits never exceed the
  width (frac >= 0); values beyond the range saturate and are counted.
* weights: ``weight_bits`` wide, integer bits from max |w'| of the BN-folded
  weights, or fewer when clipping rare outliers lowers the squared error.
* bias: frac = in.frac + w.frac (the accumulator's), as many bits as its codes
  need; by default corrected for the mean fixed-point error on the calibration set.
* accumulator: :func:`hwgen.fixed.accumulator_bits` — no overflow inside a dot product.

Weight layouts (int64 codes): conv (K, K, Cin, Cout), dw (K, K, C), pw (Cin, Cout),
fc (Cin, Cout). The PW engine runs a standard conv as an im2col dot product over
inputs ordered (ky, kx, cin): :func:`im2col_weights` gives that (K*K*Cin, Cout)
matrix. In exact integer arithmetic the summation order does not change the result.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from . import kernels
from .errors import HwgenError
from .fixed import POOL_RECIP_BITS, FixedFormat, accumulator_bits, pool_recip, requantize
from .golden import (STREAM_CALIB, dequantize, quantize_array, quantize_input, random_images, run_fixed,
                     run_op_fixed)
from .graph import ComputeOp, Graph, compute_ops
from .reference import FloatWeights, FoldedWeights, activation, forward_op, run_ops
from .weights import check_weights, fold_bn, random_weights

#: Accepted total widths for --weight-bits / --act-bits (ap_fixed supports more; 32 keeps products in int64).
MIN_BITS, MAX_BITS = 2, 32
#: The golden model computes in int64: accumulators (and shifted accumulators) must fit in 62 bits.
MAX_ACC_BITS = 62
#: Extra integer bits of calibrated activations over the observed range (capped at 6.0 for ReLU6 outputs).
ACT_HEADROOM_BITS = 1
#: Weight formats may clip up to this many integer bits below the max-|w| range (see weight_format).
WEIGHT_CLIP_BITS = 2
#: Default number of seeded calibration images.
DEFAULT_CALIB = 16


@dataclass
class QuantOp:
    """One ComputeOp with its fixed-point formats, integer weights and requantization shift."""

    op: ComputeOp
    in_fmt: FixedFormat
    out_fmt: FixedFormat
    w_fmt: FixedFormat | None
    weights: np.ndarray | None  # int64 codes in the layouts of the module docstring; None for pool
    bias: np.ndarray | None  # int64 at frac in_fmt.frac + w_fmt.frac, shape (Cout,)
    shift: int  # acc frac - out frac (pool: in.frac + POOL_RECIP_BITS - out.frac)
    acc_bits: int  # signed accumulator width that cannot overflow
    bias_bits: int = 0  # signed width of the bias codes (0 for pool)
    weight_saturations: int = 0  # weights clamped when quantized

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def terms(self) -> int:
        """Products per dot product (pool: pixels summed)."""
        op = self.op
        if op.kind == "conv":
            return op.kernel * op.kernel * op.in_shape[2]
        if op.kind == "dw":
            return op.kernel * op.kernel
        if op.kind == "pool":
            return op.in_shape[0] * op.in_shape[1]
        return op.in_shape[2]


@dataclass
class QuantGraph:
    """The quantized network: ops in order, the input format, and the float model it came from."""

    name: str
    ops: list[QuantOp]
    input_fmt: FixedFormat
    graph: Graph
    weights: FloatWeights  # float weights per IR layer (unfolded)
    folded: FoldedWeights  # BN-folded float weights per op (QuantOp layouts)
    weight_bits: int
    act_bits: int
    act_max: dict[str, float] = field(default_factory=dict)  # calibrated max |x| per tensor ("input", op names)

    def op(self, name: str) -> QuantOp:
        for q in self.ops:
            if q.op.name == name:
                return q
        raise HwgenError(f"no op named {name!r} in {self.name!r}")


def check_bits(name: str, value: object) -> int:
    """Validate a total width (weight_bits / act_bits); the message names the CLI flag too."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not MIN_BITS <= value <= MAX_BITS:
        flag = "--" + name.replace("_", "-")
        raise HwgenError(f"{name} ({flag}) must be an integer in {MIN_BITS}..{MAX_BITS}, got {value!r}")
    return int(value)


def int_bits(max_abs: float) -> int:
    """Integer bits (sign included) of the smallest ap_fixed range holding +-max_abs: max_abs < 2**(I-1)."""
    if not max_abs > 0:
        return 1
    return math.floor(math.log2(max_abs)) + 2


def calibrated_format(width: int, max_abs: float) -> FixedFormat:
    """``width`` bits with integer bits for ``max_abs``, capped at ``width`` (frac >= 0; larger values saturate)."""
    return FixedFormat(width, width - min(int_bits(max_abs), width))


def weight_format(w: np.ndarray, width: int) -> FixedFormat:
    """Weight format with the least squared error: the max-|w| range or up to WEIGHT_CLIP_BITS fewer
    integer bits (clipping rare outliers buys resolution for all other weights; clipped weights are counted)."""
    widest = calibrated_format(width, float(np.abs(w).max()))
    best, best_err = widest, math.inf
    for frac in range(widest.frac, widest.frac + WEIGHT_CLIP_BITS + 1):
        fmt = FixedFormat(width, frac)
        err = float(np.sum((dequantize(quantize_array(w, fmt)[0], fmt) - w) ** 2))
        if err < best_err:
            best, best_err = fmt, err
    return best


def make_format(width: int, integer: int, what: str) -> FixedFormat:
    """ap_fixed<width, integer> after validation (integer bits may not exceed the width)."""
    if not MIN_BITS <= width <= MAX_BITS:
        raise HwgenError(f"{what}: width {width} outside {MIN_BITS}..{MAX_BITS}")
    if integer > width:
        raise HwgenError(f"{what}: ap_fixed<{width},{integer}> has more integer bits than total bits")
    return FixedFormat(width, width - integer)


def im2col_weights(qop: QuantOp) -> np.ndarray:
    """Weights as the PW engine's (K*K*Cin, Cout) matrix, rows ordered (ky, kx, cin); pw/fc unchanged."""
    if qop.weights is None or qop.op.kind == "dw":
        raise HwgenError(f"op {qop.name!r} ({qop.op.kind}) has no im2col weight matrix")
    return qop.weights.reshape(-1, qop.weights.shape[-1])


def calibration_inputs(graph: Graph, count: int = DEFAULT_CALIB, seed: int = 0) -> np.ndarray:
    """Default calibration set: ``count`` seeded uniform [-1, 1) images."""
    if count < 1:
        raise HwgenError(f"calibration needs at least one image (--calib), got {count}")
    return random_images(graph.input_shape, count, seed, STREAM_CALIB)


def quantize(graph: Graph, weight_bits: int = 8, act_bits: int = 8, calib_inputs: np.ndarray | None = None,
             seed: int = 0, weights: FloatWeights | None = None,
             formats: dict[str, tuple[int, int]] | None = None, bias_correction: bool = True) -> QuantGraph:
    """Fold BN, calibrate and quantize ``graph``.

    ``weights``: float weights (default: the graph's trained ``graph.weights``, else ``random_weights(graph, seed)``).
    ``calib_inputs``: float images (N, H, W, C) (default: DEFAULT_CALIB seeded uniform [-1, 1) images).
    ``formats``: activation format overrides, tensor name ("input" or an op name) -> (width, integer bits).
    ``bias_correction``: subtract from each bias the mean error (per output channel) of the fixed-point
    pre-activation against the float one on the calibration images (empirical bias correction, Nagel et
    al. 2019): rounding weights and activations shifts channel means, and those shifts otherwise pile
    up through the network into a systematic logit offset.
    """
    weight_bits = check_bits("weight_bits", weight_bits)
    act_bits = check_bits("act_bits", act_bits)
    if weights is None and graph.weights is not None:  # a trained model (ONNX import) brings its own
        weights = graph.weights
    if weights is None:
        weights = random_weights(graph, seed)
    else:
        check_weights(graph, weights)
    folded = fold_bn(graph, weights)
    ops = compute_ops(graph)
    if calib_inputs is None:
        calib_inputs = calibration_inputs(graph, DEFAULT_CALIB, seed)
    calib = np.asarray(calib_inputs, dtype=np.float64)
    if calib.ndim == 3:
        calib = calib[None]
    if calib.shape[1:] != tuple(graph.input_shape) or not len(calib):
        raise HwgenError(f"calibration inputs have shape {calib.shape}, expected (N, "
                         f"{', '.join(map(str, graph.input_shape))})")
    if not np.all(np.isfinite(calib)):
        raise HwgenError("calibration inputs contain NaN or infinity")
    overrides = dict(formats or {})
    unknown = sorted(set(overrides) - {"input", *(op.name for op in ops)})
    if unknown:
        raise HwgenError(f"format override for unknown tensor {unknown[0]!r}")

    def act_format(name: str, max_abs: float, bounded_by_6: bool) -> FixedFormat:
        if name in overrides:
            width, integer = overrides[name]
            return make_format(width, integer, f"format of {name!r}")
        if name == "input":
            return calibrated_format(act_bits, max_abs)
        # One bit of headroom over the few calibration images (unseen inputs reach further); ReLU6
        # outputs (and their averages) never exceed 6.0, so they need no more than 6.0 does.
        integer = int_bits(max_abs) + ACT_HEADROOM_BITS
        if bounded_by_6:
            integer = min(integer, int_bits(6.0))
        return FixedFormat(act_bits, act_bits - min(integer, act_bits))

    act_max = {"input": float(np.abs(calib).max())}
    input_fmt = act_format("input", act_max["input"], False)
    # Float and fixed-point activations of every calibration image, advanced op by op.
    xs_f = list(calib)
    xs_q = [quantize_array(x, input_fmt)[0] for x in calib]
    qops, in_fmt = [], input_fmt
    for op in ops:
        if op.kind == "pool":
            ys_f = [forward_op(op, x, folded) for x in xs_f]
            act_max[op.name] = max(float(np.abs(y).max()) for y in ys_f)
            bounded = bool(qops) and qops[-1].op.relu6  # an average of ReLU6 outputs stays within [0, 6]
            qop = _pool_op(op, in_fmt, act_format(op.name, act_max[op.name], bounded))
        else:
            w, b = folded[op.name]
            pre_f = [kernels.linear(op, x, w) + b for x in xs_f]
            ys_f = [activation(op, y) for y in pre_f]
            act_max[op.name] = max(float(np.abs(y).max()) for y in ys_f)
            out_fmt = act_format(op.name, act_max[op.name], op.relu6)
            qop, accs = _weighted_op(op, in_fmt, out_fmt, w, b, weight_bits, xs_q, pre_f, bias_correction)
        qops.append(_checked(qop))
        xs_f = ys_f
        if op.kind == "pool":
            xs_q = [run_op_fixed(qop, x)[0] for x in xs_q]
        else:  # the products are already summed: add the final bias and requantize as run_op_fixed does
            xs_q = [requantize(acc + qop.bias, qop.shift, qop.out_fmt, op.relu6, op.relu)[0] for acc in accs]
        in_fmt = qop.out_fmt
    return QuantGraph(graph.name, qops, input_fmt, graph, weights, folded, weight_bits, act_bits, act_max)


def _pool_op(op: ComputeOp, in_fmt: FixedFormat, out_fmt: FixedFormat) -> QuantOp:
    pixels = op.in_shape[0] * op.in_shape[1]
    acc_bits = accumulator_bits(in_fmt.width, pool_recip(pixels).bit_length() + 1, pixels)
    return QuantOp(op, in_fmt, out_fmt, None, None, None, in_fmt.frac + POOL_RECIP_BITS - out_fmt.frac, acc_bits)


def _weighted_op(op: ComputeOp, in_fmt: FixedFormat, out_fmt: FixedFormat, w: np.ndarray, b: np.ndarray,
                 weight_bits: int, xs_q: list[np.ndarray], pre_f: list[np.ndarray],
                 bias_correction: bool) -> tuple[QuantOp, list[np.ndarray]]:
    """Quantize weights and bias (bias-corrected against the float pre-activations ``pre_f``).

    Also returns the bias-free integer accumulators of the calibration codes ``xs_q``.
    """
    w_fmt = weight_format(w, weight_bits)
    wq, w_sat = quantize_array(w, w_fmt)
    acc_frac = in_fmt.frac + w_fmt.frac
    qop = QuantOp(op, in_fmt, out_fmt, w_fmt, wq, None, acc_frac - out_fmt.frac, 0, 0, w_sat)
    bound = accumulator_bits(in_fmt.width, w_fmt.width, qop.terms)  # products only, no bias yet
    if bound > MAX_ACC_BITS:
        raise HwgenError(f"op {op.name!r}: accumulator needs {bound} bits (> {MAX_ACC_BITS}, the int64 golden "
                         "model's limit); lower --act-bits/--weight-bits")
    accs = [kernels.linear(op, x, wq, bound) for x in xs_q]
    if bias_correction:
        err = [np.ldexp(acc.astype(np.float64), -acc_frac) + b - y for acc, y in zip(accs, pre_f)]
        b = b - np.concatenate([e.reshape(-1, e.shape[-1]) for e in err]).mean(axis=0)
    with np.errstate(over="ignore"):  # absurd ranges become inf here and are rejected just below
        scaled = np.rint(np.ldexp(b, acc_frac))
    bias_max = min(float(np.abs(scaled).max()), 2.0 ** 63)
    qop.bias_bits = int_bits(bias_max) if bias_max else 1
    if qop.bias_bits > MAX_ACC_BITS:
        raise HwgenError(f"op {op.name!r}: bias needs {qop.bias_bits} bits at frac {acc_frac} (> {MAX_ACC_BITS}, "
                         f"the int64 golden model's limit; max |bias| {np.abs(b).max():.3g}, max |weight| "
                         f"{np.abs(w).max():.3g})")
    qop.bias = scaled.astype(np.int64)
    qop.acc_bits = accumulator_bits(in_fmt.width, w_fmt.width, qop.terms, qop.bias_bits)
    return qop, accs


def _checked(qop: QuantOp) -> QuantOp:
    """Reject ops whose accumulator or shift would leave the int64 golden model's exact range."""
    if qop.acc_bits > MAX_ACC_BITS:
        raise HwgenError(f"op {qop.name!r}: accumulator needs {qop.acc_bits} bits (> {MAX_ACC_BITS}, the int64 "
                         "golden model's limit); lower --act-bits/--weight-bits")
    if qop.shift > MAX_ACC_BITS or qop.acc_bits - min(qop.shift, 0) > MAX_ACC_BITS:
        raise HwgenError(f"op {qop.name!r}: requantization shift {qop.shift} is out of range for a "
                         f"{qop.acc_bits}-bit accumulator (formats {qop.in_fmt.ctype(False)} -> "
                         f"{qop.out_fmt.ctype(False)})")
    return qop


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
    layers = [LayerAccuracy(q.name, q.op.kind, q.in_fmt.ctype(False), q.w_fmt.ctype(False) if q.w_fmt else None,
                            q.out_fmt.ctype(False), q.bias_bits, q.acc_bits, q.shift,
                            _sqnr_db(signal[i], noise[i]), float(max_err[i]), int(sats[i]), int(clipped[i]),
                            q.weight_saturations)
              for i, q in enumerate(qgraph.ops)]
    return AccuracyReport(qgraph.name, qgraph.weight_bits, qgraph.act_bits, len(inputs),
                          qgraph.input_fmt.ctype(False), input_sat, layers, agree,
                          _sqnr_db(signal[-1], noise[-1]), None if labels is None else float_correct,
                          None if labels is None else fixed_correct)
