"""Options and output helpers shared by the CLI commands."""
from __future__ import annotations

import csv
import functools
import io
import json
import math
from dataclasses import fields
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import click
import numpy as np
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hwgen.build import WEIGHT_PLACEMENT, Design, HwConfig, build
from hwgen.cli.params import PathArg, bounded_option, sized_by
from hwgen.codegen.writer import check_outdir
from hwgen.errors import HwgenError
from hwgen.hw.boards import BOARDS, DEFAULT_BOARD
from hwgen.ir.graph import Graph
from hwgen.models import load_model as load_any_model
from hwgen.models.zoo import VARIANTS
from hwgen.quant.data import Dataset, calibration_images, load_dataset
from hwgen.quant.formats import WEIGHT_SCALES
from hwgen.quant.golden import quantize_input, random_input

FORMATS = ("table", "json", "csv")


def model_options(f: Callable) -> Callable:
    """MODEL argument (a zoo name or a path to an .onnx file) plus --alpha/--resolution/--variant/--input-shape."""
    f = click.option("--input-shape", default=None, metavar="HxWxC",
                     help="Input shape of an .onnx MODEL whose input is dynamic (e.g. 28x28x1).")(f)
    f = click.option("--variant", default="standard", show_default=True, type=click.Choice(VARIANTS),
                     help="MobileNet v1 variant.")(f)
    f = bounded_option("--resolution", "Input resolution ρ.", default=224, show_default=True)(f)
    f = bounded_option("--alpha", "Width multiplier α.", default=1.0, show_default=True)(f)
    f = click.argument("model", default="mobilenet_v1")(f)
    return f


#: --weight-scale, shared by the accelerator commands and `hwgen quantize`.
WEIGHT_SCALE_OPTION = click.option("--weight-scale", default="per-layer", show_default=True,
                                   type=click.Choice(WEIGHT_SCALES),
                                   help="Weight formats: one per layer, or a fractional-bit shift per output channel.")

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
    WEIGHT_SCALE_OPTION,
    click.option("--dsp-packing/--no-dsp-packing", default=True, show_default=True,
                 help="Two PW MACs per DSP48E2 (AMD WP486) where operands are <= 8 bits and the part has DSP48E2."),
    bounded_option("--pixels-per-beat", "Input pixels per AXI4-Stream beat (the input streams in ceil(H*W/N) "
                   "cycles).", default=1),
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


def prepare_design(model: str, alpha: float, resolution: int, variant: str, input_shape: str | None, hw: HwConfig,
                   seed: int, outdir: Path, force: bool, data: str | None = None,
                   images: int = 1) -> tuple[Design, Dataset | None]:
    """Check flags and OUTDIR first (cheap), then map (the design quantizes on first use).

    With ``data`` (a labelled .npz), calibration uses its calib images (else its first test images).
    """
    check_outdir(outdir, force)
    graph = load_model(model, alpha, resolution, variant, input_shape)
    ds = None if data is None else load_dataset(data, graph.input_shape)
    if ds is not None and images > len(ds.x):
        raise HwgenError(f"--images {images}: {data!r} has only {len(ds.x)} test images")
    calib = None if ds is None else calibration_images(ds)
    with sized_by("--resolution", resolution, "building the design"):
        return build(graph, hw, seed=seed, calib_inputs=calib), ds


def vector_inputs(design: Design, ds: Dataset | None, images: int, seed: int) -> np.ndarray:
    """Input codes (N, H, W, C) of the test vectors: the first ``images`` of ``ds``, else seeded random images."""
    if ds is None:
        return np.stack([random_input(design.qgraph, seed + i) for i in range(images)])
    return np.stack([quantize_input(design.qgraph, x)[0] for x in ds.x[:images]])


def output_options(f: Callable) -> Callable:
    """-o/--outdir and --force for commands that write a project directory."""
    f = click.option("--force", is_flag=True, help="Replace OUTDIR if it exists and is not empty.")(f)
    f = click.option("-o", "--outdir", required=True, type=PathArg(path_type=Path),
                     help="Directory to create (written atomically).")(f)
    f = bounded_option("--images", "Test images in the vectors (the first of --data, else seeded random inputs).",
                       default=1, show_default=True)(f)
    f = click.option("--data", type=PathArg(dir_okay=False), default=None,
                     help="Labelled .npz (see `hwgen quantize --data`): calibrate on its calib images, "
                          "test vectors from its images.")(f)
    return bounded_option("--seed", "Seed of weights, calibration and test input.", default=0, show_default=True)(f)


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(FORMATS),
                        help="Output format.")(f)


def load_model(model: str, alpha: float, resolution: int, variant: str, input_shape: str | None = None) -> Graph:
    """The one place the CLI resolves MODEL: a path ending in .onnx is imported (with its trained weights)."""
    if model.lower().endswith(".onnx"):
        if (alpha, resolution, variant) != (1.0, 224, "standard"):
            raise HwgenError("--alpha/--resolution/--variant apply to zoo models only, not to an .onnx file")
        return load_any_model(model, parse_shape(input_shape) if input_shape else None)
    if input_shape is not None:
        raise HwgenError("--input-shape applies to .onnx models only")
    return load_any_model(model, alpha=alpha, resolution=resolution, variant=variant)


def parse_shape(text: str) -> tuple[int, int, int]:
    """'28x28x1' -> (28, 28, 1) (H, W, C)."""
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise HwgenError(f"--input-shape must be HxWxC with positive integers (e.g. 28x28x1), got {text!r}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def memory_figure(bram36: int, uram: int, bram36_xc7: int) -> str:
    """The plan's on-chip memory as `hwgen estimate`, `hwgen rtl` and `hwgen synth` all print it."""
    return (f"memory plan {bram36} BRAM36 + {uram} URAM = {bram36_xc7} BRAM36 on xc7 "
            f"(URAM buffers at their BRAM36 placement)")


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


@contextmanager
def live_status(what: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the elapsed time on stderr for long work (csim, cosim, synth); yields the phase setter.

    On stderr so that `--json` output on stdout stays clean; transient, so nothing is left behind; only on a
    terminal, so that a piped or logged stderr keeps its one-line errors."""
    err = Console(stderr=True)
    if not err.is_terminal:
        yield lambda phase: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda phase: bar.update(task, description=f"{what}: {phase}")


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
