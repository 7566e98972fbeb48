"""Exploration benchmark: design points evaluated per second, against one `hwgen estimate` call.

Run: python benchmarks/bench_explore.py [--jobs N]
Spaces (MobileNet v1, every split the mapper considers in the PE range):
  A. 1.0-224, PE 16:256, act/weight bits {4, 8} x {4, 8}, boards zcu104 + zcu102;
  B. the paper's 16 α x ρ variants, PE 16:128, 8/8 bits, zcu104.
Prints, per space, (1) the closed-form evaluator alone: points/s over every point with the exact
path left out (target >= 100,000 on this 2-core machine), (2) end to end (``explore``: every point,
the exact simulator included, the Pareto front): points/s and how many points took each evaluation
path — the exact path is for points whose feature maps stream from DRAM (for 1.0-224 on these boards:
splits with max(tin, tc) <= 3, whose narrow feature-map words overflow the block RAMs), each a
``hwgen estimate`` — and (3) the ratios to one in-process `hwgen estimate --split` (the same kind of
point through map_network + simulate) and to one `hwgen estimate` with its mapping search.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from hwgen.build import HwConfig, build
from hwgen.explore.evaluate import PATHS, SplitTables, evaluate
from hwgen.explore.run import _network, _splits, combos, explore
from hwgen.explore.space import HwSpace, ModelSpace, PeSet
from hwgen.models.zoo import get_model

SPACES = {
    "A: 1.0-224, PE 16:256, bits {4,8}^2, zcu104+zcu102":
        (ModelSpace("mobilenet_v1", (1.0,), (224,)), HwSpace(PeSet(16, 256), (4, 8), (4, 8), ("zcu104", "zcu102"))),
    "B: 16 paper variants, PE 16:128, 8/8, zcu104":
        (ModelSpace("mobilenet_v1", (0.25, 0.5, 0.75, 1.0), (128, 160, 192, 224)), HwSpace(PeSet(16, 128))),
}


def best_of(f, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def fast_rate(ms: ModelSpace, hw: HwSpace) -> float:
    """Points per second of the vectorised plans alone (split tables included, exact points skipped)."""
    points = 0
    t0 = time.perf_counter()
    for alpha, res in ms.variants():
        net = _network(ms.model, alpha, res, ms.variant)
        splits = _splits(ms.model, alpha, res, ms.variant, hw.pe)
        tables = SplitTables(net, splits)
        for combo in combos(hw):
            r = evaluate(tables, combo, exact=False)
            points += int(np.count_nonzero(r.path != PATHS.index("exact")))
    return points / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()
    graph = get_model("mobilenet_v1")
    forced = best_of(lambda: build(graph, HwConfig(pe=64, split="5x12,4x1")).estimate())
    searched = best_of(lambda: build(graph, HwConfig(pe=64)).estimate())
    print(f"one `hwgen estimate --split 5x12,4x1` (1.0-224, in-process): {forced * 1e3:.1f} ms; "
          f"with the mapping search: {searched * 1e3:.1f} ms")
    for name, (ms, hw) in SPACES.items():
        print(f"{name}: closed-form evaluator {fast_rate(ms, hw):,.0f} points/s (exact path left out, one process)")
        t0 = time.perf_counter()
        ex = explore(ms, hw, jobs=args.jobs)
        dt = time.perf_counter() - t0
        n = len(ex.points)
        paths = ", ".join(f"{k} {v:,} ({100 * v / n:.1f} %)" for k, v in ex.paths.items())
        rate = n / dt
        print(f"    end to end: {n:,} points in {dt:.2f} s = {rate:,.0f} points/s (jobs {args.jobs}); "
              f"{rate * forced:,.0f}x one forced-split estimate, {rate * searched:,.0f}x one searched estimate")
        print(f"    paths: {paths}; {int(ex.points['fits'].sum()):,} fit; front {len(ex.pareto):,} points; "
              f"best fps {float(np.max(ex.pareto['fps'])):.1f}")


if __name__ == "__main__":
    main()
