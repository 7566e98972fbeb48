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
* accumulator: :func:`hwgen.numerics.fixed.accumulator_bits` — no overflow inside a dot product.

Weight layouts (int64 codes): conv (K, K, Cin, Cout), dw (K, K, C), pw (Cin, Cout),
fc (Cin, Cout). The PW engine runs a standard conv as an im2col dot product over
inputs ordered (ky, kx, cin): :func:`im2col_weights` gives that (K*K*Cin, Cout)
matrix. In exact integer arithmetic the summation order does not change the result.
"""
from __future__ import annotations

import numpy as np

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.models.weights import check_weights, fold_bn, random_weights
from hwgen.numerics import kernels
from hwgen.numerics.fixed import (POOL_RECIP_BITS, FixedFormat, accumulator_bits, check_bits, pool_recip,
                                  quantize_array, requantize)
from hwgen.numerics.float_model import FloatWeights, activation, forward_op
from hwgen.quant.calibration import DEFAULT_CALIB, calibration_inputs
from hwgen.quant.formats import (ACT_HEADROOM_BITS, MAX_ACC_BITS, WEIGHT_SCALES, calibrated_format, int_bits,
                                 make_format, weight_format)
from hwgen.quant.golden import run_op_fixed
from hwgen.quant.qgraph import QuantGraph, QuantOp


def quantize(graph: Graph, weight_bits: int = 8, act_bits: int = 8, calib_inputs: np.ndarray | None = None,
             seed: int = 0, weights: FloatWeights | None = None,
             formats: dict[str, tuple[int, int]] | None = None, bias_correction: bool = True,
             weight_scale: str = "per-layer") -> QuantGraph:
    """Fold BN, calibrate and quantize ``graph``.

    ``weights``: float weights (default: the graph's trained ``graph.weights``, else ``random_weights(graph, seed)``).
    ``calib_inputs``: float images (N, H, W, C) (default: DEFAULT_CALIB seeded uniform [-1, 1) images).
    ``formats``: activation format overrides, tensor name ("input" or an op name) -> (width, integer bits).
    ``bias_correction``: subtract from each bias the mean error (per output channel) of the fixed-point
    pre-activation against the float one on the calibration images (empirical bias correction, Nagel et
    al. 2019): rounding weights and activations shifts channel means, and those shifts otherwise pile
    up through the network into a systematic logit offset.
    ``weight_scale``: ``per-layer`` (one weight format per op) or ``per-channel`` (each output channel
    of a conv/dw/pw/fc gets its own fractional bits, power-of-two ap_fixed steps: see QuantOp.channel_shift).
    """
    if weight_scale not in WEIGHT_SCALES:
        raise HwgenError(f"weight scale (--weight-scale) must be one of {', '.join(WEIGHT_SCALES)}, "
                         f"got {weight_scale!r}")
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
            qop, accs = _weighted_op(op, in_fmt, out_fmt, w, b, weight_bits, xs_q, pre_f, bias_correction,
                                     weight_scale == "per-channel")
        qops.append(_checked(qop))
        xs_f = ys_f
        if op.kind == "pool":
            xs_q = [run_op_fixed(qop, x)[0] for x in xs_q]
        else:  # the products are already summed: add the final bias and requantize as run_op_fixed does
            xs_q = [requantize(acc + qop.bias, qop.shifts, qop.out_fmt, op.relu6, op.relu)[0] for acc in accs]
        in_fmt = qop.out_fmt
    return QuantGraph(graph.name, qops, input_fmt, graph, weights, folded, weight_bits, act_bits, act_max,
                      weight_scale)


def _pool_op(op: ComputeOp, in_fmt: FixedFormat, out_fmt: FixedFormat) -> QuantOp:
    pixels = op.in_shape[0] * op.in_shape[1]
    acc_bits = accumulator_bits(in_fmt.width, pool_recip(pixels).bit_length() + 1, pixels)
    return QuantOp(op, in_fmt, out_fmt, None, None, None, in_fmt.frac + POOL_RECIP_BITS - out_fmt.frac, acc_bits)


def _weighted_op(op: ComputeOp, in_fmt: FixedFormat, out_fmt: FixedFormat, w: np.ndarray, b: np.ndarray,
                 weight_bits: int, xs_q: list[np.ndarray], pre_f: list[np.ndarray],
                 bias_correction: bool, per_channel: bool = False) -> tuple[QuantOp, list[np.ndarray]]:
    """Quantize weights and bias (bias-corrected against the float pre-activations ``pre_f``).

    Also returns the bias-free integer accumulators of the calibration codes ``xs_q``.
    """
    w_fmt = weight_format(w, weight_bits)
    qop = QuantOp(op, in_fmt, out_fmt, w_fmt, None, None, in_fmt.frac + w_fmt.frac - out_fmt.frac, 0)
    bound = accumulator_bits(in_fmt.width, w_fmt.width, qop.terms)  # products only, no bias yet
    if bound > MAX_ACC_BITS:
        raise HwgenError(f"op {op.name!r}: accumulator needs {bound} bits (> {MAX_ACC_BITS}, the int64 golden "
                         "model's limit); lower --act-bits/--weight-bits")
    extra = np.zeros(w.shape[-1], dtype=np.int64)  # fractional bits of each output channel over w_fmt
    if per_channel:
        fracs = np.array([weight_format(w[..., c], weight_bits).frac for c in range(w.shape[-1])])
        w_fmt = FixedFormat(weight_bits, int(fracs.min()))
        qop.w_fmt, qop.shift = w_fmt, in_fmt.frac + w_fmt.frac - out_fmt.frac
        # A channel's shift stays below the accumulator width, so the hardware's shifters cover it
        # (a larger one would only round that channel's outputs to zero).
        extra = np.minimum(fracs - w_fmt.frac, max(bound - 1 - qop.shift, 0))
        qop.channel_shift = extra
    # Channel c's codes at frac w_fmt.frac + extra[c]: scaling by 2**extra[c] is exact.
    wq, qop.weight_saturations = quantize_array(np.ldexp(w, extra), w_fmt)
    qop.weights = wq
    acc_frac = in_fmt.frac + w_fmt.frac + extra  # per output channel
    accs = [kernels.linear(op, x, wq, bound) for x in xs_q]
    if bias_correction:
        err = [np.ldexp(acc.astype(np.float64), -acc_frac) + b - y for acc, y in zip(accs, pre_f)]
        b = b - np.concatenate([e.reshape(-1, e.shape[-1]) for e in err]).mean(axis=0)
    with np.errstate(over="ignore"):  # absurd ranges become inf here and are rejected just below
        scaled = np.rint(np.ldexp(b, acc_frac))
    bias_max = min(float(np.abs(scaled).max()), 2.0 ** 63)
    qop.bias_bits = int_bits(bias_max) if bias_max else 1
    if qop.bias_bits > MAX_ACC_BITS:
        raise HwgenError(f"op {op.name!r}: bias needs {qop.bias_bits} bits at frac {int(acc_frac.max())} "
                         f"(> {MAX_ACC_BITS}, the int64 golden model's limit; max |bias| {np.abs(b).max():.3g}, "
                         f"max |weight| {np.abs(w).max():.3g})")
    qop.bias = scaled.astype(np.int64)
    qop.acc_bits = accumulator_bits(in_fmt.width, w_fmt.width, qop.terms, qop.bias_bits)
    return qop, accs


def _checked(qop: QuantOp) -> QuantOp:
    """Reject ops whose accumulator or shift would leave the int64 golden model's exact range."""
    if qop.acc_bits > MAX_ACC_BITS:
        raise HwgenError(f"op {qop.name!r}: accumulator needs {qop.acc_bits} bits (> {MAX_ACC_BITS}, the int64 "
                         "golden model's limit); lower --act-bits/--weight-bits")
    if qop.max_shift > MAX_ACC_BITS or qop.acc_bits - min(qop.shift, 0) > MAX_ACC_BITS:
        raise HwgenError(f"op {qop.name!r}: requantization shift {qop.shift} is out of range for a "
                         f"{qop.acc_bits}-bit accumulator (formats {qop.in_fmt.ctype(False)} -> "
                         f"{qop.out_fmt.ctype(False)})")
    return qop
