"""`hwgen models` and `hwgen analyze`."""
from __future__ import annotations

import click

from hwgen.cli.common import console as make_console
from hwgen.cli.common import format_option, load_model, model_options, print_csv, print_json, print_table
from hwgen.models.analyze import analyze as analyze_graph
from hwgen.models.zoo import ZOO

COLUMNS = ("name", "op", "in_shape", "out_shape", "kernel", "stride", "macs", "params", "activations")


@click.command()
def models() -> None:
    """List the model zoo."""
    for entry in ZOO.values():
        click.echo(f"{entry.name:14s} {entry.description}")


@click.command()
@model_options
@format_option
def analyze(model: str, alpha: float, resolution: int, variant: str, input_shape: str | None, fmt: str) -> None:
    """Per-layer MACs, parameters and activation sizes of MODEL."""
    report = analyze_graph(load_model(model, alpha, resolution, variant, input_shape))
    data = report.to_dict()
    if fmt == "json":
        print_json(data)
        return
    if fmt == "csv":
        print_csv(data["layers"], COLUMNS)
        return
    console = make_console()
    print_table(report.model, data["layers"], COLUMNS, console)
    t = report.total
    console.print(f"total: {t['macs'] / 1e6:.1f} M mult-adds, {t['params'] / 1e6:.3f} M parameters, "
                  f"{t['activations'] / 1e6:.3f} M activations (peak layer in+out {t['peak_activations']:,})")
    share_rows = [{"type": cat, "macs %": 100 * s["macs"], "params %": 100 * s["params"]}
                  for cat, s in report.shares.items()]
    print_table("share by layer type", share_rows, ("type", "macs %", "params %"), console)


COMMANDS = (models, analyze)
