"""Yosys synthesis time of generated RTL (``hwgen synth``: synth_xilinx -family xc7 -noiopad): wall and
CPU seconds per design, with the DSP / block RAM / LUT counts, the RAMB36 equivalents Yosys built
(RAMB36 + RAMB18 / 2), the figure the RTL memory list predicts (hwgen.codegen.rtl.memories) and the plan's
(hwgen estimate on xc7: URAM buffers at their BRAM36 placement, hwgen.mapping.plan.bram36_equivalent). A design the RTL generator does not accept is printed with the reason.

Run from the repository root: python benchmarks/bench_synth.py [NAME ...]
(names from DESIGNS; default: all; each MobileNet run takes minutes on the 2-core machine)

Measured with packed memories (2 December 2026, load average ~10 on 2 cores; docs/rtl.md): tiny_dsc4-pe64
96 CPU s (47 RAMB36 + 4 RAMB18, as predicted), mnet0.25-128-pe128 462 CPU s (207 RAMB36, 128 DSP48E1) with
`hwgen rtl mobilenet_v1 --alpha 0.25 --resolution 128 --pe 128 -o D && hwgen synth D`; with partial copies,
mnet1.0-224-pe64 (`hwgen rtl mobilenet_v1 --pe 64 --board zcu104`) 1,214 CPU s, 2,816 s wall at load 4-11, 706 RAMB36
+ 12 RAMB18, 64 DSP48E1, 114,078 LUT (rule 664, plan 637 on xc7; measured before main padded the conv's kernel
rows, which removed a 39-RAMB36 feature-map copy).
"""
from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hwgen.build import HwConfig, build  # noqa: E402
from hwgen.errors import HwgenError  # noqa: E402
from hwgen.verify.synth import synthesize  # noqa: E402

#: name -> (zoo model, model args, PE budget)
DESIGNS = {
    "tiny_dsc4-pe64": ("tiny_dsc4", {}, 64),
    "mnet0.25-32-pe16": ("mobilenet_v1", {"alpha": 0.25, "resolution": 32}, 16),
    "mnet0.25-128-pe128": ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, 128),
    "mnet1.0-224-pe64": ("mobilenet_v1", {"alpha": 1.0, "resolution": 224}, 64),
}


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    names = sys.argv[1:] or list(DESIGNS)
    print(f"{'design':20s} {'wall s':>8s} {'cpu s':>8s} {'DSP':>5s} {'RAMB36':>6s} {'RAMB18':>6s} {'LUTRAM':>7s} "
          f"{'LUT':>8s} {'FF':>7s} {'RAMB36 eq.':>10s} {'predicted':>9s} {'plan':>5s}")
    for name in names:
        model, kw, pe = DESIGNS[name]
        with tempfile.TemporaryDirectory() as tmp:
            try:
                rtl = build(model, HwConfig(pe=pe), **kw).write_rtl(Path(tmp) / "rtl")
            except HwgenError as e:
                print(f"{name:20s} not generated: {e}")
                continue
            t0, c0 = time.perf_counter(), children_cpu()
            rep = synthesize(rtl)
            wall, cpu = time.perf_counter() - t0, children_cpu() - c0
            summary = json.loads((rtl / "plan.json").read_text())
            print(f"{name:20s} {wall:8.0f} {cpu:8.0f} {rep['dsp']:5d} {rep['bram36']:6d} {rep['bram18']:6d} "
                  f"{rep['lutram']:7d} {rep['lut']:8d} {rep['ff']:7d} {rep['bram36'] + rep['bram18'] / 2:10g} "
                  f"{summary['bram36_predicted']:9g} {summary['bram36_plan']:5d}", flush=True)


if __name__ == "__main__":
    main()
