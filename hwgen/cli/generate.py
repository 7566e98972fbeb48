"""`hwgen generate` (Vitis HLS project) and `hwgen csim` (C-simulation with g++)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from hwgen.build import HwConfig
from hwgen.cli.common import (console, hardware_options, live_status, model_options, output_options, prepare_design,
                              vector_inputs)
from hwgen.cli.params import PathArg
from hwgen.cli.quantize import print_report
from hwgen.mapping.plan import format_split
from hwgen.quant.accuracy import accuracy_report
from hwgen.quant.calibration import STREAM_EVAL, random_images
from hwgen.verify.csim import run_csim

#: Seeded images of the accuracy report printed by `generate`.
REPORT_IMAGES = 8


@click.command("generate")
@model_options
@hardware_options
@output_options
def generate(model: str, alpha: float, resolution: int, variant: str, input_shape: str | None, hw: HwConfig,
             seed: int, outdir: Path, force: bool, data: str | None, images: int) -> None:
    """Write a Vitis HLS project (engines, top, weights, testbench, vectors, build.tcl) for MODEL."""
    design, ds = prepare_design(model, alpha, resolution, variant, input_shape, hw, seed, outdir, force, data,
                                images)
    graph, mapping, qgraph = design.graph, design.mapping, design.qgraph
    inputs = vector_inputs(design, ds, images, seed) if ds is not None or images > 1 else None
    project = design.write_hls(outdir, force=force, inputs=inputs)
    out = console()
    if ds is None:
        print_report(accuracy_report(qgraph, random_images(graph.input_shape, REPORT_IMAGES, seed, STREAM_EVAL)),
                     out=out)
    else:  # the labelled images the vectors come from
        print_report(accuracy_report(qgraph, ds.x[:images], ds.y[:images]), out=out)
    bands = sorted(set(project.band_rows.values()))
    out.print(f"engines: split {format_split(mapping.cfg)} ({mapping.cfg.pe} PEs); "
              f"{len(project.band_rows)} fused DW->PW pairs, band rows {bands or '-'}; "
              f"weights {'in DRAM (m_axi)' if project.weights_in_dram else 'on-chip'} "
              f"({project.weight_codes:,} codes"
              f"{_tiles(len(project.weight_tiles))})")
    out.print(f"feature maps: {project.fmaps_in_dram} in DRAM (m_axi), on-chip buffers 2 x {project.fmap_words:,} "
              f"codes")
    for warning in mapping.warnings:
        out.print(f"note: mapping {warning}")
    out.print(f"wrote {len(project.files)} files to {outdir} (top {project.top}, {mapping.board.part} at "
              f"{mapping.clock_mhz:g} MHz); run `hwgen csim {outdir}` or `vitis_hls -f build.tcl` there")


def _tiles(layers: int) -> str:
    return f", {layers} layer{'s' if layers > 1 else ''} in output-channel weight tiles" if layers else ""


@click.command("csim")
@click.argument("outdir", type=PathArg(path_type=Path))
@click.option("--opt", default="-O2", show_default=True, type=click.Choice(["-O0", "-O1", "-O2", "-O3"]),
              help="g++ optimisation level.")
@click.option("--unity", is_flag=True, help="Compile all sources as one translation unit (faster).")
def csim(outdir: Path, opt: str, unity: bool) -> None:
    """Compile OUTDIR's HLS sources with its testbench (g++, -Wall) and compare bit-exactly with the golden vectors."""
    with live_status("csim") as phase:
        result = run_csim(outdir, opt=opt, unity=unity, phase=phase)
    for line in result.warnings:
        click.echo(line)
    if result.compile_error:
        click.echo(result.compile_error.rstrip())
        click.echo(f"FAIL: compile error ({result.compile_seconds:.2f} s)")
        sys.exit(1)
    click.echo(result.output.rstrip())
    timing = f"compile {result.compile_seconds:.2f} s, run {result.run_seconds:.2f} s"
    if result.warnings:
        click.echo(f"FAIL: {len(result.warnings)} compiler warnings ({timing})")
        sys.exit(1)
    if not result.passed:
        click.echo(f"FAIL: {result.first_mismatch or 'testbench error'} ({timing})")
        sys.exit(1)
    click.echo(f"csim PASS: {result.images} images bit-exact ({timing})" if result.images > 1 else
               f"csim PASS ({timing})")


COMMANDS = (generate, csim)
