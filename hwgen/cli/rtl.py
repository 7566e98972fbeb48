"""`hwgen rtl`, `hwgen cosim` and `hwgen synth`: Verilog generation and its verification."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
import numpy as np

from hwgen.build import HwConfig
from hwgen.cli.common import (hardware_options, live_status, memory_figure, model_options, output_options,
                              prepare_design, print_json, vector_inputs)
from hwgen.cli.params import PathArg
from hwgen.codegen.rtl.plan import INPUT_MAP, maps_left_in_dram
from hwgen.errors import HwgenError
from hwgen.verify.cosim import SIMULATORS, default_simulator, make_vectors, run_cosim
from hwgen.verify.project import PLAN_SCHEMA, VECTORS, check_top, read_json, read_rtl_project
from hwgen.verify.synth import synthesize


@click.command()
@model_options
@hardware_options
@output_options
def rtl(model: str, alpha: float, resolution: int, variant: str, input_shape: str | None, hw: HwConfig, seed: int,
        outdir: Path, force: bool, data: str | None, images: int) -> None:
    """Generate Verilog RTL (engines, top, ROM images, test vectors) for MODEL."""
    design, ds = prepare_design(model, alpha, resolution, variant, input_shape, hw, seed, outdir, force, data,
                                images)
    xs = vector_inputs(design, ds, images, seed)
    golden = [design.predict(x) for x in xs]
    logits = [g.logits.reshape(-1).tolist() for g in golden]
    # The feature maps of the first image that the RTL leaves in DRAM (the testbench checks them).
    maps = {name: (xs[0] if name == INPUT_MAP else golden[0].output(name)).reshape(-1).tolist()
            for name, _ in maps_left_in_dram(design.mapping)}
    est = design.estimate()
    batch = [{"input": x.reshape(-1).tolist(), "expected": y} for x, y in zip(xs[1:], logits[1:])]
    out = design.write_rtl(outdir, force=force,
                           extra={VECTORS: json.dumps({"input": xs[0].reshape(-1).tolist(), "expected": logits[0],
                                                       "seed": seed, "sim_cycles": est.total_cycles,
                                                       "dram_maps": maps,
                                                       **({"batch": batch} if batch else {})}) + "\n"})
    summary = json.loads((out / "plan.json").read_text())
    click.echo(f"wrote {out}: {', '.join(summary['sources'])}; split {summary['cfg']}; "
               f"predicted {summary['predicted_cycles']} cycles (hwgen estimate: {est.total_cycles}), "
               f"{memory_figure(summary['plan_bram36'], summary['plan_uram'], summary['bram36_plan'])}; the RTL's "
               f"memories {summary['bram36_predicted']:g} RAMB36 equivalents by the Yosys rule "
               f"(hwgen.codegen.rtl.memories)")


@click.command()
@click.argument("outdir", type=PathArg(file_okay=False))
@click.option("--simulator", type=click.Choice(SIMULATORS), default=None,
              help="RTL simulator [default: $HWGEN_SIM or icarus].")
@click.option("--rtl-dir", type=PathArg(file_okay=False), default=None,
              help="Simulate this RTL (e.g. Vitis-exported Verilog with the same top ports) instead of OUTDIR's.")
@click.option("--top", default="hwgen_top", show_default=True, help="Top-level module name.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def cosim(outdir: str, simulator: str | None, rtl_dir: str | None, top: str, as_json: bool) -> None:
    """Run the cocotb testbench on OUTDIR's RTL: bit-exact vs the golden model, cycles vs prediction."""
    out = Path(outdir)
    summary, vec = read_rtl_project(out, sources=rtl_dir is None)
    rtl_path = Path(rtl_dir) if rtl_dir else out
    if not rtl_path.is_dir():
        raise HwgenError(f"--rtl-dir {rtl_dir!r} is not a directory")
    check_top(rtl_path, top)
    vectors = make_vectors(summary, np.array(vec["input"]), np.array(vec["expected"]), seed=vec["seed"],
                           engines=rtl_dir is None, batch=vec.get("batch"), maps=vec.get("dram_maps"))
    with tempfile.TemporaryDirectory(prefix="hwgen_cosim_") as work, live_status("cosim") as phase:
        res = run_cosim(rtl_path, vectors, work, simulator=simulator or default_simulator(), toplevel=top,
                        log_dir=out, phase=phase)
    predicted = vec["sim_cycles"]
    measured = res.get("cycles")
    batch = res.get("batch_mismatches", [])
    dram = res.get("dram_map_mismatches", [])
    ok = res["timeout"] is None and res["mismatches"] == 0 and res["mismatches_backpressure"] == 0 and not any(batch) \
        and not any(dram)
    report = {"outputs_match": ok, "mismatches": res["mismatches"],
              "mismatches_backpressure": res["mismatches_backpressure"], "timeout": res["timeout"],
              "images": 1 + len(vec.get("batch", [])), "batch_mismatches": batch,
              "dram_maps": [m["op"] for m in vectors["dram_maps"]], "dram_map_mismatches": dram,
              "predicted_cycles": predicted, "measured_cycles": measured,
              "error_pct": None if measured is None else round(100 * (measured - predicted) / predicted, 3)}
    if as_json:
        print_json(report)
    else:
        click.echo(f"outputs: {'bit-exact' if ok else 'MISMATCH'} ({len(vec['expected'])} values, "
                   f"{res['mismatches']} mismatches; {res['mismatches_backpressure']} with back-pressure)")
        if vec.get("batch"):
            click.echo(f"further images: {sum(m == 0 for m in batch)}/{len(vec['batch'])} bit-exact "
                       f"(mismatching values per image: {batch})")
        if vectors["dram_maps"]:
            click.echo("maps left in DRAM: " + ", ".join(
                f"{m['op']} ({len(m['codes'])} codes, {bad} mismatches)" for m, bad in zip(vectors["dram_maps"], dram)))
        if res["timeout"]:
            click.echo(f"timeout: {res['timeout']}")
        if measured is not None:
            click.echo(f"cycles: measured {measured}, predicted {predicted}, error {report['error_pct']:.3f} %")
    if not ok:
        raise SystemExit(1)


@click.command()
@click.argument("outdir", type=PathArg(exists=True, file_okay=False))
@click.option("--top", default="hwgen_top", show_default=True, help="Top-level module name.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def synth(outdir: str, top: str, as_json: bool) -> None:
    """Synthesize OUTDIR's RTL with Yosys (synth_xilinx -family xc7); report DSP/BRAM/LUT/FF."""
    check_top(Path(outdir), top)
    with live_status("synth") as phase:
        phase("yosys synth_xilinx")
        report = synthesize(outdir, top)
    plan = Path(outdir) / "plan.json"
    if plan.exists():  # hwgen's RTL: what the resource model predicted
        keys = ("bram36_predicted", "bram36_plan", "plan_bram36", "plan_uram", "plan_lut")
        got = read_json(plan, {k: PLAN_SCHEMA[k] for k in keys}, "regenerate the project with `hwgen rtl`")
        report.update({k: got.get(k) for k in keys})
    if as_json:
        print_json(report)
        return
    click.echo(f"DSP48E1 {report['dsp']}  RAMB36E1 {report['bram36']}  RAMB18E1 {report['bram18']}  "
               f"LUTRAM/SRL {report['lutram']}  LUT {report['lut']}  FF {report['ff']}  CARRY4 {report['carry']}  "
               f"(stat.json, yosys.log in {outdir}; {report['warnings']} Yosys warnings)"
               + (f"; block RAM {report['bram36'] + report['bram18'] / 2:g} RAMB36 equivalents, predicted "
                  f"{report['bram36_predicted']:g} (hwgen.codegen.rtl.memories)"
                  if report.get("bram36_predicted") is not None else "")
               + (f"; {memory_figure(report['plan_bram36'], report['plan_uram'], report['bram36_plan'])}"
                  if report.get("plan_uram") is not None else "")
               + (f"; LUT model {report['plan_lut']:,} (hwgen estimate; Yosys/model {report['lut'] / report['plan_lut']:.2f})"
                  if report.get("plan_lut") else ""))


COMMANDS = [rtl, cosim, synth]
