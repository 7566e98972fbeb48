"""`hwgen estimate`: latency, throughput, memory and resources of MODEL on the DW/PW engines."""
from __future__ import annotations

import click

from hwgen.build import HwConfig, build
from hwgen.cli.common import (console, format_option, hardware_options, load_model, memory_figure, model_options,
                              print_csv, print_json, print_table)
from hwgen.cli.params import sized_by
from hwgen.estimate import Estimate
from hwgen.hw.resources import max_macs
from hwgen.hw.steps import StepTiling
from hwgen.mapping.plan import bram36_equivalent, format_split

COLUMNS = ("layer", "engine", "cycles", "busy", "stall dram", "stall buf", "util %", "on-chip kbit", "DRAM rd KB",
           "DRAM wr KB", "band", "wtiles", "maps")
CSV_COLUMNS = ("name", "kind", "engine", "step", "cycles", "busy", "stall_dram", "stall_buffer", "macs", "pe",
               "utilization", "onchip_bits", "dram_read", "dram_write", "band_rows", "weight_tiles")


@click.command()
@model_options
@hardware_options
@format_option
def estimate(model: str, alpha: float, resolution: int, variant: str, input_shape: str | None, hw: HwConfig,
             fmt: str) -> None:
    """Map MODEL onto the PW and DW engines and simulate one inference."""
    with sized_by("--resolution", resolution, "estimating"):
        est = build(load_model(model, alpha, resolution, variant, input_shape), hw).estimate()
    if fmt == "json":
        print_json(est.to_dict())
    elif fmt == "csv":
        print_csv([vars(x) for x in est.layers], CSV_COLUMNS)
    else:
        print_report(est, hw.pe)


def print_report(est: Estimate, pe_budget: int) -> None:
    m = est.mapping
    c = m.cfg
    con = console()
    con.print(f"[bold]{est.model}[/bold] on {m.board.name} ({m.board.part}) at {m.clock_mhz:g} MHz, "
              f"{m.act_bits}-bit activations, {m.weight_bits}-bit weights")
    if pe_budget > max_macs(m.board, m.act_bits, m.weight_bits, m.dsp_packing):
        con.print(f"note: {pe_budget} PEs need more DSPs than {m.board.name} has ({m.board.dsp}): searched within "
                  f"the DSP budget")
    con.print(f"mapping: {c.pe} of {pe_budget} PEs — PW engine {c.tin}x{c.tout} = {c.pw_pe} "
              f"(also runs the first conv via im2col, the FC and, with {c.tin} adders, the pool); "
              f"DW engine {c.tc} lanes x {c.tk} taps = {c.dw_pe}  [--split {format_split(c)}]")
    con.print(f"DSP packing: {'two PW MACs per DSP48E2 (AMD WP486)' if m.dsp_packing else 'off, one MAC per DSP'}"
              f" -> {est.dsp} DSPs")
    fm = (f"maps > {m.fmap_limit:,} elements streamed from/to DRAM in row bands" if m.fmaps_in_dram
          else "all feature maps on-chip")
    con.print(f"memory: weights {'in DRAM (double-buffered)' if m.weights_in_dram else 'on-chip'}; {fm}; "
              f"DRAM {m.dram_bytes_per_cycle:.2f} B/cycle, burst latency {m.dram_latency} cycles")
    rows = [{
        "layer": x.name, "engine": x.engine, "cycles": x.cycles, "busy": x.busy, "stall dram": x.stall_dram,
        "stall buf": x.stall_buffer, "util %": round(100 * x.utilization, 1), "on-chip kbit": round(x.onchip_bits / 1024),
        "DRAM rd KB": round(x.dram_read / 1024, 1), "DRAM wr KB": round(x.dram_write / 1024, 1), "band": x.band_rows,
        "wtiles": x.weight_tiles, "maps": _maps(m.tiles[x.step])} for x in est.layers]
    print_table("per layer (cycles: wall-clock share; stalls: DRAM = waiting on a transfer, buffer = on the "
                "other engine or a full buffer)", rows, COLUMNS, con)
    print_table("on-chip buffers (depth per bank)", [
        {"buffer": b.name, "banks": b.banks, "depth": b.depth, "width": b.width, "kbit": round(b.bits / 1024, 1),
         "memory": b.memory, "blocks": b.blocks} for b in m.buffers],
        ("buffer", "banks", "depth", "width", "kbit", "memory", "blocks"), con)
    con.print(f"total: {est.total_cycles:,} cycles (input {est.input_cycles:,}, output {est.output_cycles:,}) = "
              f"{est.latency_ms:.3f} ms, {est.fps:.1f} fps at {est.clock_mhz:g} MHz")
    con.print(f"work: {est.macs / 1e6:.1f} M MACs on {est.pe} PEs: ideal {est.ideal_cycles:,.0f} cycles, "
              f"ratio {est.ratio:.3f}x, average utilization {100 * est.utilization:.1f} %")
    b = m.board
    con.print(f"on-chip: {est.onchip_bits / 1e6:.2f} Mbit in {est.bram36}/{b.bram36} BRAM36 + {est.uram}/{b.uram} URAM; "
              f"DRAM {est.dram_bytes / 1e6:.2f} MB/inference (read {est.dram_read / 1e6:.2f}, "
              f"write {est.dram_write / 1e6:.2f}) = {est.dram_gbps_needed:.3f} GB/s at {est.fps:.1f} fps "
              f"(board peak {m.dram_bytes_per_cycle * m.clock_mhz / 1e3:.1f} GB/s)")
    con.print(memory_figure(m.bram36, m.uram, bram36_equivalent(m.buffers)))
    con.print(f"resources: {est.dsp}/{b.dsp} DSP, ~{est.lut:,}/{b.lut:,} LUT")
    if est.warnings:
        for w in est.warnings:
            con.print(f"[bold red]WARNING: does not fit {b.name}: {w}[/bold red]")
    else:
        con.print(f"fits {b.name}: yes")


def _maps(t: StepTiling) -> str:
    """Where a layer's step reads and writes its feature maps."""
    return {(False, False): "on-chip", (True, False): "in DRAM", (False, True): "out DRAM",
            (True, True): "in+out DRAM"}[(t.in_dram, t.out_dram)]


COMMANDS = (estimate,)
