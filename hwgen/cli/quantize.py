"""`hwgen quantize`: per-layer fixed-point formats and the fixed-vs-float accuracy report."""
from __future__ import annotations

import math

import click
from rich.console import Console

from hwgen.cli.common import console as make_console
from hwgen.cli.common import format_option, load_model, model_options, print_csv, print_json, print_table
from hwgen.numerics.fixed import check_bits
from hwgen.quant.accuracy import AccuracyReport, accuracy_report
from hwgen.quant.calibration import DEFAULT_CALIB, STREAM_EVAL, calibration_inputs, random_images
from hwgen.quant.quantize import quantize

COLUMNS = ("name", "kind", "in_fmt", "w_fmt", "out_fmt", "bias_bits", "acc_bits", "shift", "sqnr_db",
           "max_abs_err", "saturations", "clipped", "weight_saturations")


def report_rows(report: AccuracyReport) -> list[dict]:
    """One row per op for tables and CSV."""
    return [{k: getattr(layer, k) for k in COLUMNS} for layer in report.layers]


def print_report(report: AccuracyReport, fmt: str = "table", out: Console | None = None) -> None:
    """Render an accuracy report as a rich table (with a summary line), JSON or CSV."""
    if fmt == "json":
        print_json(_finite(report.to_dict()))
        return
    if fmt == "csv":
        print_csv(report_rows(report), COLUMNS)
        return
    out = out or make_console()
    title = (f"{report.model}: weights {report.weight_bits} bits, activations {report.act_bits} bits, "
             f"input {report.input_fmt}")
    print_table(title, report_rows(report), COLUMNS, out)
    out.print(f"top-1 agreement fixed vs float: {report.top1_agree}/{report.images} "
              f"({100 * report.top1_agreement:.1f} %); logits SQNR {report.logits_sqnr_db:.1f} dB; "
              f"saturations: {report.total_saturations} in ops ({report.total_clipped} outputs clipped), "
              f"{report.input_saturations} in the input (over {report.images} images)")


def _finite(obj: object) -> object:
    """JSON has no infinity: an SQNR of a bit-exact layer becomes null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


@click.command("quantize")
@model_options
@click.option("--weight-bits", default=8, show_default=True, type=int, help="Total weight width (2..32).")
@click.option("--act-bits", default=8, show_default=True, type=int, help="Total activation width (2..32).")
@click.option("--calib", default=DEFAULT_CALIB, show_default=True, type=int,
              help="Seeded calibration images (uniform [-1, 1)).")
@click.option("--batch", default=64, show_default=True, type=int, help="Seeded evaluation images.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of weights and images.")
@click.option("--no-bias-correction", is_flag=True, help="Keep the folded float bias (no calibration correction).")
@format_option
def quantize_cmd(model: str, alpha: float, resolution: int, variant: str, weight_bits: int, act_bits: int,
                 calib: int, batch: int, seed: int, no_bias_correction: bool, fmt: str) -> None:
    """Quantize MODEL and report per-layer formats, SQNR, errors, saturations and top-1 agreement."""
    check_bits("weight_bits", weight_bits)
    check_bits("act_bits", act_bits)
    if batch < 1:
        raise click.BadParameter(f"must be >= 1, got {batch}", param_hint="--batch")
    graph = load_model(model, alpha, resolution, variant)
    qgraph = quantize(graph, weight_bits, act_bits, calibration_inputs(graph, calib, seed), seed,
                      bias_correction=not no_bias_correction)
    print_report(accuracy_report(qgraph, random_images(graph.input_shape, batch, seed, STREAM_EVAL)), fmt)


COMMANDS = (quantize_cmd,)
