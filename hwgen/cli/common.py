"""Options and output helpers shared by the CLI commands."""
from __future__ import annotations

import csv
import functools
import io
import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, Sequence

import click
from rich.console import Console
from rich.table import Table

from hwgen.build import WEIGHT_PLACEMENT, Design, HwConfig, build
from hwgen.cli.params import PathArg, bounded_option, sized_by
from hwgen.codegen.writer import check_outdir
from hwgen.hw.boards import BOARDS, DEFAULT_BOARD
from hwgen.ir.graph import Graph
from hwgen.models.zoo import VARIANTS, get_model

FORMATS = ("table", "json", "csv")


def model_options(f: Callable) -> Callable:
    """MODEL argument plus --alpha/--resolution/--variant."""
    f = click.option("--variant", default="standard", show_default=True, type=click.Choice(VARIANTS),
                     help="MobileNet v1 variant.")(f)
    f = bounded_option("--resolution", "Input resolution ρ.", default=224, show_default=True)(f)
    f = bounded_option("--alpha", "Width multiplier α.", default=1.0, show_default=True)(f)
    f = click.argument("model", default="mobilenet_v1")(f)
    return f


_HARDWARE_OPTIONS = (
    bounded_option("--pe", "Total PEs (MACs/cycle) over all engines.", default=64, show_default=True),
    click.option("--board", default=DEFAULT_BOARD, show_default=True, type=click.Choice(sorted(BOARDS)),
                 help="Target board (part, memory budget, DRAM, default clock)."),
    bounded_option("--clock-mhz", "Clock in MHz (default: the board's).", default=None),
    bounded_option("--act-bits", "Activation bits.", default=8, show_default=True),
    bounded_option("--weight-bits", "Weight bits.", default=8, show_default=True),
    bounded_option("--dram-gbps", "DRAM bandwidth in GB/s (default: the board's peak).", default=None),
    click.option("--split", default=None, help="Force the PE split TINxTOUT,TCxTK (e.g. 8x7,8x1)."),
    click.option("--weights", default="auto", show_default=True, type=click.Choice(tuple(WEIGHT_PLACEMENT)),
                 help="Where weights live (auto: on-chip when everything fits)."),
    bounded_option("--band-rows", "Force the row-band height of every fused DW->PW pair.", default=None),
)


def hardware_options(f: Callable) -> Callable:
    """Add the accelerator flags; the command receives them as one ``hw: HwConfig`` (validated there)."""
    names = [field.name for field in fields(HwConfig)]

    @functools.wraps(f)
    def wrapper(**kwargs: Any) -> Any:
        hw = HwConfig(**{n: kwargs.pop(n) for n in names})
        return f(hw=hw, **kwargs)

    for option in reversed(_HARDWARE_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


def prepare_design(model: str, alpha: float, resolution: int, variant: str, hw: HwConfig, seed: int,
                   outdir: Path, force: bool) -> Design:
    """Check OUTDIR first (cheap), then map (the design quantizes on first use)."""
    check_outdir(outdir, force)
    with sized_by("--resolution", resolution, "building the design"):
        return build(load_model(model, alpha, resolution, variant), hw, seed=seed)


def output_options(f: Callable) -> Callable:
    """-o/--outdir and --force for commands that write a project directory."""
    f = click.option("--force", is_flag=True, help="Replace OUTDIR if it exists and is not empty.")(f)
    f = click.option("-o", "--outdir", required=True, type=PathArg(path_type=Path),
                     help="Directory to create (written atomically).")(f)
    return bounded_option("--seed", "Seed of weights, calibration and test input.", default=0, show_default=True)(f)


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(FORMATS),
                        help="Output format.")(f)


def load_model(model: str, alpha: float, resolution: int, variant: str) -> Graph:
    return get_model(model, alpha=alpha, resolution=resolution, variant=variant)


def print_json(obj: Any) -> None:
    """Strict JSON: a non-finite float (an SQNR of a bit-exact layer, ...) becomes null, never NaN/Infinity."""
    click.echo(json.dumps(_finite(obj), indent=2, allow_nan=False))


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def print_csv(rows: Sequence[dict], columns: Sequence[str]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _raw(row.get(k)) for k in columns})
    click.echo(buf.getvalue(), nl=False)


def console() -> Console:
    """A console that does not squeeze tables to 80 columns when stdout is a pipe or file."""
    c = Console()
    return c if c.is_terminal else Console(width=200)


def print_table(title: str, rows: Sequence[dict], columns: Sequence[str], out: Console | None = None) -> None:
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, justify="right" if rows and isinstance(rows[0].get(col), (int, float)) else "left")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    (out or console()).print(table)


def _raw(value: Any) -> Any:
    """CSV cells: shapes as HxWxC, numbers unformatted."""
    return "x".join(str(v) for v in value) if isinstance(value, (tuple, list)) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return "x".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)
