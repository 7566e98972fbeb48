"""Exploration benchmark: design points evaluated per second end to end, against one `hwgen estimate` call.

Run: python benchmarks/bench_explore.py [--jobs N] [--spaces A,B,C]
Spaces (MobileNet v1, every split the mapper considers in the PE range):
  A. 1.0-224, PE 16:256, act/weight bits {4, 8} x {4, 8}, boards zcu104 + zcu102;
  B. the paper's 16 α x ρ variants, PE 16:128, 8/8 bits, zcu104;
  C. 0.25-224 on pynq-z2 at 16/16 bits, PE 16:64: every point streams its feature maps from DRAM.
Prints, per space, the end-to-end rate of ``explore`` (every point through its memory plan and the
schedule, the Pareto front included) in wall-clock and CPU time (the --jobs workers' included), how many
points took each evaluation path (``stream``: feature maps in DRAM, the vectorised plan and the
simulator's array form; ``exact``: the per-point simulator, for splits the array channel flagged), and
the ratios to one in-process `hwgen estimate --split` (the same kind of point through map_network +
simulate) and to one `hwgen estimate` with its mapping search; with --jobs 1 also the CPU time of the stream
path apart from the rest. The target is >= 100,000 points/s on this
2-core machine.
"""
from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

import hwgen.explore.evaluate as evaluate
from hwgen.build import HwConfig, build
from hwgen.explore.run import explore
from hwgen.explore.space import HwSpace, ModelSpace, PeSet
from hwgen.models.zoo import get_model

SPACES = {
    "A": ("1.0-224, PE 16:256, bits {4,8}^2, zcu104+zcu102",
          ModelSpace("mobilenet_v1", (1.0,), (224,)), HwSpace(PeSet(16, 256), (4, 8), (4, 8), ("zcu104", "zcu102"))),
    "B": ("16 paper variants, PE 16:128, 8/8, zcu104",
          ModelSpace("mobilenet_v1", (0.25, 0.5, 0.75, 1.0), (128, 160, 192, 224)), HwSpace(PeSet(16, 128))),
    "C": ("0.25-224, PE 16:64, 16/16, pynq-z2 (all streaming)",
          ModelSpace("mobilenet_v1", (0.25,), (224,)), HwSpace(PeSet(16, 64), (16,), (16,), ("pynq-z2",))),
}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the --jobs workers)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))


class StreamClock:
    """CPU time inside the streamed-maps path (``evaluate._streamed``, in this process: --jobs 1), so the rate
    of the other paths can be printed apart from it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._inner = evaluate._streamed
        evaluate._streamed = self._timed

    def _timed(self, *args):
        c0 = cpu_seconds()
        try:
            return self._inner(*args)
        finally:
            self.seconds += cpu_seconds() - c0


def best_of(f, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--spaces", default="A,B,C")
    args = ap.parse_args()
    graph = get_model("mobilenet_v1")
    forced = best_of(lambda: build(graph, HwConfig(pe=64, split="5x12,4x1")).estimate())
    searched = best_of(lambda: build(graph, HwConfig(pe=64)).estimate())
    print(f"load average {os.getloadavg()[0]:.1f}; one `hwgen estimate --split 5x12,4x1` (1.0-224, in-process): "
          f"{forced * 1e3:.1f} ms; with the mapping search: {searched * 1e3:.1f} ms")
    clock = StreamClock()
    for key in args.spaces.split(","):
        name, ms, hw = SPACES[key]
        clock.seconds = 0.0
        t0, c0 = time.perf_counter(), cpu_seconds()
        ex = explore(ms, hw, jobs=args.jobs)
        dt, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        n = len(ex.points)
        paths = ", ".join(f"{k} {v:,} ({100 * v / n:.2f} %)" for k, v in ex.paths.items())
        rate = n / dt
        print(f"{key}: {name}: {n:,} points in {dt:.2f} s wall = {rate:,.0f} points/s (jobs {args.jobs}; "
              f"CPU {cpu:.2f} s, workers included = {n / cpu:,.0f} points per CPU-second); "
              f"{rate * forced:,.0f}x one forced-split estimate, {rate * searched:,.0f}x one searched estimate; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"    paths: {paths}; {int(ex.points['fits'].sum()):,} fit; front {len(ex.pareto):,} points; "
              f"best fps {float(np.max(ex.pareto['fps'])):.1f}")
        streamed = ex.paths["stream"]
        if args.jobs == 1 and streamed:
            rest = cpu - clock.seconds
            others = (f"; the other {n - streamed:,} points (the front included) {rest:.2f} s = "
                      f"{(n - streamed) / rest:,.0f} points per CPU-second") if n > streamed else ""
            print(f"    CPU in the stream path {clock.seconds:.2f} s = {streamed / clock.seconds:,.0f} points per "
                  f"CPU-second{others}")


if __name__ == "__main__":
    main()
