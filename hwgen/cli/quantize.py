"""`hwgen quantize`: per-layer fixed-point formats and the fixed-vs-float accuracy report."""
from __future__ import annotations

import click
from rich.console import Console

from hwgen.cli.common import console as make_console
from hwgen.cli.common import (WEIGHT_SCALE_OPTION, format_option, load_model, model_options, print_csv, print_json,
                              print_table)
from hwgen.cli.params import PathArg, bounded_option, check_images_fit, sized_by
from hwgen.quant.accuracy import AccuracyReport, accuracy_report
from hwgen.quant.calibration import DEFAULT_CALIB, STREAM_EVAL, calibration_inputs, random_images
from hwgen.quant.data import calibration_images, load_dataset
from hwgen.quant.quantize import quantize

COLUMNS = ("name", "kind", "in_fmt", "w_fmt", "out_fmt", "bias_bits", "acc_bits", "shift", "sqnr_db",
           "max_abs_err", "saturations", "clipped", "weight_saturations")


def report_rows(report: AccuracyReport) -> list[dict]:
    """One row per op for tables and CSV."""
    return [{k: getattr(layer, k) for k in COLUMNS} for layer in report.layers]


def print_report(report: AccuracyReport, fmt: str = "table", out: Console | None = None) -> None:
    """Render an accuracy report as a rich table (with a summary line), JSON or CSV."""
    if fmt == "json":
        print_json(report.to_dict())
        return
    if fmt == "csv":
        print_csv(report_rows(report), COLUMNS)
        return
    out = out or make_console()
    title = (f"{report.model}: weights {report.weight_bits} bits, activations {report.act_bits} bits, "
             f"input {report.input_fmt}")
    print_table(title, report_rows(report), COLUMNS, out)
    if report.float_correct is not None:
        out.print(f"top-1 accuracy on the labelled data: float {report.float_correct}/{report.images} "
                  f"({100 * report.float_correct / report.images:.1f} %), fixed point {report.fixed_correct}/"
                  f"{report.images} ({100 * report.fixed_correct / report.images:.1f} %)")
    out.print(f"top-1 agreement fixed vs float: {report.top1_agree}/{report.images} "
              f"({100 * report.top1_agreement:.1f} %); logits SQNR {report.logits_sqnr_db:.1f} dB; "
              f"saturations: {report.total_saturations} in ops ({report.total_clipped} outputs clipped), "
              f"{report.input_saturations} in the input (over {report.images} images)")


@click.command("quantize")
@model_options
@bounded_option("--weight-bits", "Total weight width.", default=8, show_default=True)
@bounded_option("--act-bits", "Total activation width.", default=8, show_default=True)
@click.option("--data", type=PathArg(dir_okay=False), default=None,
              help="Labelled .npz (x: N,H,W,C images; y: labels; optional calib): evaluate on it, calibrate on "
                   "its calib images (else its first --calib test images).")
@bounded_option("--calib", f"Calibration images (default: {DEFAULT_CALIB} seeded uniform [-1, 1), or all of "
                "--data's calib).", default=None)
@bounded_option("--batch", "Evaluation images (default: all of --data, else 64 seeded).", default=None)
@bounded_option("--seed", "Seed of weights and images.", default=0, show_default=True)
@click.option("--no-bias-correction", is_flag=True, help="Keep the folded float bias (no calibration correction).")
@WEIGHT_SCALE_OPTION
@format_option
def quantize_cmd(model: str, alpha: float, resolution: int, variant: str, input_shape: str | None, weight_bits: int,
                 act_bits: int, data: str | None, calib: int | None, batch: int | None, seed: int,
                 no_bias_correction: bool, weight_scale: str, fmt: str) -> None:
    """Quantize MODEL and report per-layer formats, SQNR, errors, saturations, top-1 agreement (and accuracy)."""
    graph = load_model(model, alpha, resolution, variant, input_shape)
    if data is None:  # the seeded images are made here: refuse counts that would not fit in memory
        for flag, count in (("--calib", DEFAULT_CALIB if calib is None else calib), ("--batch", batch or 64)):
            check_images_fit(flag, count, graph.input_shape)
    ds = None if data is None else load_dataset(data, graph.input_shape)
    with sized_by("--calib", calib or DEFAULT_CALIB, "calibrating"):
        if ds is None:
            calib_x = calibration_inputs(graph, DEFAULT_CALIB if calib is None else calib, seed)
        else:
            calib_x = calibration_images(ds, calib)
        qgraph = quantize(graph, weight_bits, act_bits, calib_x, seed, bias_correction=not no_bias_correction,
                          weight_scale=weight_scale)
    with sized_by("--batch", batch or 64, "evaluating"):
        if ds is None:
            images, labels = random_images(graph.input_shape, batch or 64, seed, STREAM_EVAL), None
        else:
            images, labels = ds.x[:batch], ds.y[:batch]
        report = accuracy_report(qgraph, images, labels)
    print_report(report, fmt)


COMMANDS = (quantize_cmd,)
