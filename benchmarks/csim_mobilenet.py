"""C-simulation cost of generated HLS projects: generate, compile (g++), run, per model.

Prints one line per case: codegen seconds, compile seconds, run seconds, PASS/FAIL, and the schedule
of the generated top: fused pairs in the band region (with a map in DRAM or not), lone steps with a map in DRAM, input in DRAM or not.
Usage: python benchmarks/csim_mobilenet.py [--full] [--only MODEL-BOARD]
(--full adds MobileNet v1 0.5-160 and 1.0-224; --only runs the cases whose label contains MODEL-BOARD,
e.g. `--only 1_224-pynq-z2`)
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from hwgen.build import HwConfig, build
from hwgen.models.zoo import get_model
from hwgen.verify.csim import run_csim

CASES = [("tiny_dsc", {}, "zcu104"), ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, "zcu104"),
         ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, "pynq-z2")]
FULL = [("mobilenet_v1", {"alpha": 0.5, "resolution": 160}, "zcu104"), ("mobilenet_v1", {}, "zcu104"),
        ("mobilenet_v1", {}, "pynq-z2")]


def main() -> None:
    cases = CASES + (FULL if "--full" in sys.argv or "--only" in sys.argv else [])
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else ""
    print(f"{'model':30s} {'board':8s} {'weights':7s} {'codegen s':>9s} {'compile s':>9s} {'run s':>7s}  result")
    for name, kw, board in cases:
        graph = get_model(name, **kw)
        if only not in f"{graph.name}-{board}":
            continue
        design = build(graph, HwConfig(pe=64, board=board))
        mapping = design.mapping
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            proj = design.write_hls(Path(tmp) / "p")
            gen = time.perf_counter() - t0
            print(f"  {graph.name} on {board}: {proj.dataflow_pairs} fused pairs in the band region ({proj.staged_pairs} "
                  f"with a map in DRAM), {proj.staged_lone} lone steps with a map in DRAM there too; input "
                  f"{'in DRAM' if proj.input_in_dram else 'on-chip'}")
            for unity in (True, False):
                r = run_csim(Path(tmp) / "p", unity=unity)
                label = f"{graph.name}{' (unity)' if unity else ''}"
                print(f"{label:30s} {board:8s} {'DRAM' if mapping.weights_in_dram else 'on-chip':7s} {gen:9.2f} "
                      f"{r.compile_seconds:9.2f} {r.run_seconds:7.2f}  {'PASS' if r.passed else 'FAIL'}"
                      f"{'' if not r.warnings else f' ({len(r.warnings)} warnings)'}")


if __name__ == "__main__":
    main()
