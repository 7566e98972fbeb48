"""Options and output helpers shared by the CLI commands."""
from __future__ import annotations

import csv
import io
import json
from typing import Any, Callable, Sequence

import click
from rich.console import Console
from rich.table import Table

from ..graph import Graph
from ..zoo import VARIANTS, get_model

FORMATS = ("table", "json", "csv")


def model_options(f: Callable) -> Callable:
    """MODEL argument plus --alpha/--resolution/--variant."""
    f = click.option("--variant", default="standard", show_default=True, type=click.Choice(VARIANTS),
                     help="MobileNet v1 variant.")(f)
    f = click.option("--resolution", default=224, show_default=True, type=int,
                     help="Input resolution ρ (multiple of 32).")(f)
    f = click.option("--alpha", default=1.0, show_default=True, type=float, help="Width multiplier α in (0, 1].")(f)
    f = click.argument("model", default="mobilenet_v1")(f)
    return f


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(FORMATS),
                        help="Output format.")(f)


def load_model(model: str, alpha: float, resolution: int, variant: str) -> Graph:
    return get_model(model, alpha=alpha, resolution=resolution, variant=variant)


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2))


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
