"""Shared pieces of the RTL tests: build tiny networks, generate RTL, run cocotb, record cycles."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwgen.build import Design, HwConfig, build
from hwgen.codegen.rtl.plan import INPUT_MAP
from hwgen.estimate import Estimate
from hwgen.hw.contract import EngineConfig
from hwgen.mapping.plan import with_fmaps_in_dram, with_weight_tiles
from hwgen.ir.graph import Graph
from hwgen.ir.layers import BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, PointwiseConv2D, ReLU6
from hwgen.verify.cosim import default_simulator, make_vectors, run_cosim

#: (test, predicted by hwgen estimate, measured in RTL) rows for the session's cycle table.
CYCLE_ROWS: list[tuple[str, int, int]] = []


def net(name: str, shape: tuple[int, int, int], layers: list[tuple[str, str, dict]]) -> Graph:
    """A small graph: (layer name, kind in conv/pw/dw/pool/fc, kwargs); conv/pw/dw get BN+ReLU6."""
    g = Graph(name)
    g.add("input", Input(shape=shape))
    for lname, kind, kw in layers:
        layer = {"conv": Conv2D, "pw": PointwiseConv2D, "dw": DepthwiseConv2D, "pool": GlobalAvgPool,
                 "fc": Dense}[kind](**kw)
        g.add(lname, layer)
        if kind in ("conv", "pw", "dw"):
            g.add(f"{lname}_bn", BatchNorm())
            g.add(f"{lname}_relu", ReLU6())
    return g.validate()


@dataclass
class Outcome:
    results: dict
    summary: dict
    estimate: Estimate  # hwgen's estimate of the same design
    expected: np.ndarray
    rtl_dir: Path


def full_range_input(qgraph, seed: int) -> np.ndarray:
    """Uniform random codes over the whole input format (saturation and rounding corner cases)."""
    fmt = qgraph.input_fmt
    rng = np.random.default_rng(seed)
    return rng.integers(fmt.min_int, fmt.max_int + 1, size=qgraph.ops[0].op.in_shape, dtype=np.int64)


def generate(graph: Graph, tmp: Path, split: EngineConfig | str | None = None, pe: int = 32,
             band_rows: int | None = None, act_bits: int = 8, weight_bits: int = 8, seed: int = 0,
             weights_in_dram: bool | None = False, dram_gbps: float | None = None,
             formats: dict[str, tuple[int, int]] | None = None, weight_tiles: int | None = None,
             tile_band_rows: int | None = None, calib: np.ndarray | None = None, fmap_limit: int | None = None,
             fmap_band_rows: int | None = None, pixels_per_beat: int = 1):
    config = HwConfig(pe=pe, act_bits=act_bits, weight_bits=weight_bits, split=split, band_rows=band_rows,
                      weights={None: "auto", True: "dram", False: "onchip"}[weights_in_dram], dram_gbps=dram_gbps,
                      pixels_per_beat=pixels_per_beat)
    design = build(graph, config, seed=seed, formats=formats, calib_inputs=calib)
    if weight_tiles is not None:
        design.mapping = with_weight_tiles(design.mapping, weight_tiles, tile_band_rows)
    if fmap_limit is not None:  # maps above the limit in DRAM (the mapper does that only on a small board)
        design.mapping = with_fmaps_in_dram(design.mapping, fmap_limit, fmap_band_rows)
    return design, design.write_rtl(tmp / "rtl")


def cosim(test: str, graph: Graph, tmp: Path, x_seed: int = 1, patch=None, record: bool = True,
          simulator: str | None = None, **gen_kw) -> Outcome:
    """Generate, simulate with random back-pressure, and compare with the golden model."""
    design, rtl = generate(graph, tmp, **gen_kw)
    return cosim_design(test, design, rtl, tmp, x_seed, patch, record, simulator)


def cosim_design(test: str, design: Design, rtl: Path, tmp: Path, x_seed: int = 1, patch=None, record: bool = True,
                 simulator: str | None = None, x: np.ndarray | None = None) -> Outcome:
    """Simulate the RTL ``rtl`` generated for ``design`` on input codes ``x`` (default: full-range random codes
    seeded by ``x_seed``) and compare with the golden model."""
    qg = design.qgraph
    if patch is not None:
        patch(rtl)
    summary = json.loads((rtl / "plan.json").read_text())
    x = full_range_input(qg, x_seed) if x is None else x
    golden = design.predict(x)
    expected = golden.logits
    maps = {INPUT_MAP: x, **{name: golden.output(name) for name in golden.names}}
    res = run_cosim(rtl, make_vectors(summary, x, expected, seed=x_seed, maps=maps), tmp / "sim",
                    simulator=simulator or default_simulator())
    est = design.estimate()
    if record and "cycles" in res:
        CYCLE_ROWS.append((test, est.total_cycles, res["cycles"]))
    return Outcome(res, summary, est, expected, rtl)


def assert_exact(out: Outcome) -> None:
    """Bit-exact outputs in both runs, every tile as long as tile_cycles says, and the total cycles equal to
    the plan's figure and to hwgen's estimate (both the one schedule model)."""
    r = out.results
    assert r["timeout"] is None, r["timeout"]
    assert r["outputs"] == [int(v) for v in out.expected.reshape(-1)]
    assert r["outputs_backpressure"] == r["outputs"]
    assert r["mismatches"] == 0 and r["mismatches_backpressure"] == 0
    # every map left in the map DRAM holds the golden model's codes (none is left unchecked)
    assert len(r.get("dram_map_mismatches", [])) == len(out.summary["dram_maps"])
    assert not any(r.get("dram_map_mismatches", [])), f"maps left in DRAM: {r['dram_map_mismatches']} wrong codes"
    for eng, durations in out.summary["tiles"].items():
        measured = [done - start for start, done in r["tiles"].get(eng, [])]
        assert measured == durations, f"{eng} tiles: measured {measured}, tile_cycles {durations}"
    assert r["cycles"] == out.summary["predicted_cycles"] == out.estimate.total_cycles

