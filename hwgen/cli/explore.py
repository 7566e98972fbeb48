"""`hwgen explore`: every design point through the hardware model; Pareto front, plots and a report."""
from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hwgen.cli.common import console, parse_shape, print_table
from hwgen.cli.params import PathArg, bounded_option
from hwgen.codegen.writer import check_outdir
from hwgen.explore.pareto import DEFAULT_OBJECTIVES
from hwgen.explore.report import FRONT_COLUMNS, front_rows, summary, write
from hwgen.explore.run import explore as run_explore
from hwgen.explore.space import (
    HwSpace,
    ModelSpace,
    parse_alpha,
    parse_bits,
    parse_boards,
    parse_clocks,
    parse_pe,
    parse_resolution,
)
from hwgen.hw.boards import DEFAULT_BOARD
from hwgen.models.zoo import VARIANTS

#: Front rows printed in the terminal (all of them are in pareto.csv and index.html).
SHOWN = 15


@click.command("explore")
@click.argument("model", default="mobilenet_v1")
@click.option("--pe", "pe", default="16:1024", show_default=True,
              help="PE totals of the splits: a:b (every split the mapper considers), a:b:step or a list.")
@click.option("--alpha", default="1.0", show_default=True,
              help="Widths α: list, a:b (the paper's 0.25..1.0) or a:b:step.")
@click.option("--resolution", default="224", show_default=True,
              help="Resolutions ρ: list, a:b (multiples of 32), a:b:step.")
@click.option("--input-shape", default=None, metavar="HxWxC",
              help="Input shape of an .onnx MODEL whose input is dynamic (e.g. 28x28x1).")
@click.option("--data", default=None, metavar="NPZ",
              help="Labelled images (.npz, docs/onnx.md) to measure an .onnx MODEL's fixed-point top-1 per bit widths.")
@click.option("--variant", default="standard", show_default=True, type=click.Choice(VARIANTS),
              help="MobileNet v1 variant.")
@click.option("--act-bits", default="8", show_default=True, help="Activation bits: list, a:b or a:b:step (2..32).")
@click.option("--weight-bits", default="8", show_default=True, help="Weight bits: list, a:b or a:b:step (2..32).")
@click.option("--board", default=DEFAULT_BOARD, show_default=True, help="Boards: comma list, or all.")
@click.option("--clock-mhz", default=None, help="Clocks: list or a:b:step [default: each board's].")
@click.option("--objective", default=",".join(DEFAULT_OBJECTIVES), show_default=True,
              help="Pareto objectives (fps, latency, dsp, bram, uram, lut, onchip_bits, dram_bytes, dram_gbps, top1, top1_measured).")
@bounded_option("--target-fps", "Only points reaching this fps enter the front.", default=None)
@bounded_option("--jobs", "Worker processes.", default=1, show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:port): evaluate there.")
@click.option("--no-plots", is_flag=True, help="Skip the matplotlib plots.")
@click.option("-o", "--outdir", required=True, type=PathArg(path_type=Path), help="Directory to create.")
@click.option("--force", is_flag=True, help="Replace OUTDIR if it exists and is not empty.")
def explore(model: str, pe: str, alpha: str, resolution: str, input_shape: str | None, data: str | None,
            variant: str, act_bits: str, weight_bits: str,
            board: str, clock_mhz: str | None, objective: str, target_fps: float | None, jobs: int,
            scheduler: str | None, no_plots: bool, outdir: Path, force: bool) -> None:
    """Evaluate every (α, ρ, bits, board, clock, PE split) point of MODEL; write CSVs, plots, index.html."""
    check_outdir(outdir, force)
    ms = ModelSpace(model, parse_alpha(alpha), parse_resolution(resolution), variant,
                    None if input_shape is None else parse_shape(input_shape), data)
    hw = HwSpace(parse_pe(pe), parse_bits("--act-bits", act_bits), parse_bits("--weight-bits", weight_bits),
                 parse_boards(board), parse_clocks(clock_mhz))
    objectives = tuple(o.strip() for o in objective.split(",") if o.strip())
    con = console()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=con, transient=True) as bar:
        task = bar.add_task("exploring: points", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description="exploring: points")

        def measured(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description="measuring top-1: bit-width pairs")

        ex = run_explore(ms, hw, objectives, target_fps, jobs, scheduler, advance, measured)
    for line in summary(ex):
        con.print(line)
    con.print(f"evaluated in {ex.seconds:.2f} s ({len(ex.points) / max(ex.seconds, 1e-9):,.0f} points/s)")
    rows = front_rows(ex.pareto, SHOWN)
    print_table(f"Pareto front: {len(ex.pareto):,} points ({', '.join(ex.objectives)}), "
                f"{min(SHOWN, len(ex.pareto))} with the most fps shown", rows, FRONT_COLUMNS, con)
    best = front_rows(ex.best_per_board())
    title = "best point per board" + ("" if target_fps is None else f" (fewest DSPs at >= {target_fps:g} fps)")
    print_table(title, best, FRONT_COLUMNS, con)
    written = write(ex, outdir, force, plots=not no_plots)
    con.print(f"wrote {outdir}: {', '.join(written)}")


COMMANDS = (explore,)
