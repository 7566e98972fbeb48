"""``explore(model_space, hw_space)``: every design point through the hardware model, then the Pareto front.

Work is cut into units of (model variant, a chunk of its splits); a unit evaluates its splits for every
(bits, board, clock) combination and returns structured rows. Units run in this process, in a
multiprocessing pool (``jobs``) or on a Dask cluster (``scheduler``); the rows are put in one canonical
order afterwards, so the result does not depend on how the work was cut or where it ran.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterator

import numpy as np

from hwgen.errors import HwgenError
from hwgen.explore.accuracy import measured_top1, paper_top1
from hwgen.explore.evaluate import PATHS, Combo, Network, SplitTables, evaluate
from hwgen.explore.pareto import DEFAULT_OBJECTIVES, OBJECTIVES, objective_matrix, pareto_mask
from hwgen.explore.space import HwSpace, ModelSpace, PeSet
from hwgen.hw.boards import BOARDS, get_board
from hwgen.limits import check_limit
from hwgen.models import load_model

#: Columns of points.csv / the structured arrays, in order (documented in docs/explore.md).
FIELDS: list[tuple[str, str]] = [
    ("model", "U40"), ("alpha", "f8"), ("resolution", "i8"), ("variant", "U9"), ("act_bits", "i8"),
    ("weight_bits", "i8"), ("board", "U8"), ("clock_mhz", "f8"), ("pe", "i8"), ("tin", "i8"), ("tout", "i8"),
    ("tc", "i8"), ("tk", "i8"), ("macs", "i8"), ("cycles", "i8"), ("latency_ms", "f8"), ("fps", "f8"),
    ("dsp", "i8"), ("bram36", "i8"), ("uram", "i8"), ("lut", "i8"), ("onchip_bits", "i8"), ("dram_bytes", "i8"),
    ("dram_gbps", "f8"), ("weights_in_dram", "?"), ("fmaps_in_dram", "?"), ("fits", "?"), ("path", "U6"),
    ("top1_paper", "f8"), ("top1_measured", "f8"),
]
DTYPE = np.dtype(FIELDS)

#: Splits per work unit.
CHUNK = 8192


@dataclass(frozen=True)
class Unit:
    """One piece of work: splits [lo, hi) of a variant, evaluated for every combo."""

    model: str
    alpha: float
    resolution: int
    variant: str
    pe: PeSet
    lo: int
    hi: int
    combos: tuple[Combo, ...]
    variant_index: int
    input_shape: tuple[int, int, int] | None = None
    top1: tuple[float, ...] | None = None  # measured top-1 of each combo's bit widths (ONNX model with --data)


@lru_cache(maxsize=8)
def _network(model: str, alpha: float, resolution: int, variant: str,
             input_shape: tuple[int, int, int] | None = None) -> Network:
    if model.lower().endswith(".onnx"):
        return Network(load_model(model, input_shape))
    return Network(load_model(model, alpha=alpha, resolution=resolution, variant=variant))


@lru_cache(maxsize=8)
def _splits(model: str, alpha: float, resolution: int, variant: str, pe: PeSet,
            input_shape: tuple[int, int, int] | None = None) -> np.ndarray:
    """The mapper's candidate splits with a PE total in ``pe``, ordered by (pe, tin, tout, tc, tk)."""
    net = _network(model, alpha, resolution, variant, input_shape)
    cand = net.splits(pe.hi)
    total = cand[:, 0] * cand[:, 1] + cand[:, 2] * cand[:, 3]
    keep = (total >= pe.lo) & (total <= pe.hi)
    if pe.values is not None:
        keep &= np.isin(total, pe.values)
    cand, total = cand[keep], total[keep]
    order = np.lexsort((cand[:, 3], cand[:, 2], cand[:, 1], cand[:, 0], total))
    return cand[order]


def run_unit(unit: Unit) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a unit and their sort keys (variant, combo, split index)."""
    net = _network(unit.model, unit.alpha, unit.resolution, unit.variant, unit.input_shape)
    splits = _splits(unit.model, unit.alpha, unit.resolution, unit.variant, unit.pe, unit.input_shape)[unit.lo:unit.hi]
    tables = SplitTables(net, splits)
    n = len(splits)
    out = np.zeros(n * len(unit.combos), dtype=DTYPE)
    keys = np.zeros((len(out), 3), dtype=np.int64)
    top1 = paper_top1(unit.model, unit.variant, unit.alpha, unit.resolution)
    for k, combo in enumerate(unit.combos):
        r = evaluate(tables, combo)
        rows = out[k * n:(k + 1) * n]
        # α is a zoo MobileNet's axis: an ONNX model has none (empty cell)
        rows["model"], rows["alpha"], rows["resolution"], rows["variant"] = (
            net.graph.name, np.nan if unit.model.lower().endswith(".onnx") else unit.alpha,
            net.steps[0].first.in_shape[0], unit.variant)
        rows["act_bits"], rows["weight_bits"], rows["board"] = combo.act_bits, combo.weight_bits, combo.board
        rows["clock_mhz"] = combo.clock_mhz
        for j, name in enumerate(("tin", "tout", "tc", "tk")):
            rows[name] = splits[:, j]
        rows["pe"] = splits[:, 0] * splits[:, 1] + splits[:, 2] * splits[:, 3]
        rows["macs"] = net.macs
        rows["cycles"] = r.cycles
        # The same float operations as Estimate.latency_ms / fps / dram_gbps_needed.
        latency = r.cycles / (combo.clock_mhz * 1e3)
        rows["latency_ms"] = latency
        rows["fps"] = 1e3 / latency
        rows["dsp"], rows["bram36"], rows["uram"], rows["lut"] = r.dsp, r.bram36, r.uram, r.lut
        rows["onchip_bits"], rows["dram_bytes"] = r.onchip_bits, r.dram_bytes
        rows["dram_gbps"] = r.dram_bytes * rows["fps"] / 1e9
        rows["weights_in_dram"], rows["fmaps_in_dram"], rows["fits"] = r.weights_in_dram, r.fmaps_in_dram, r.fits
        rows["path"] = np.array(PATHS)[r.path]
        rows["top1_paper"] = np.nan if top1 is None else top1
        rows["top1_measured"] = np.nan if unit.top1 is None else unit.top1[k]
        keys[k * n:(k + 1) * n] = np.stack([np.full(n, unit.variant_index), np.full(n, k),
                                            np.arange(unit.lo, unit.hi)], axis=1)
    return out, keys


@dataclass
class Exploration:
    """The evaluated space: ``points`` (every point) and ``pareto`` (the non-dominated fitting points)
    as numpy structured arrays with the fields of :data:`FIELDS`."""

    points: np.ndarray
    pareto: np.ndarray
    objectives: tuple[str, ...]
    target_fps: float | None
    seconds: float
    spaces: tuple[ModelSpace, HwSpace] = field(repr=False)

    @property
    def paths(self) -> dict[str, int]:
        """How many points each evaluation path took."""
        return {p: int(np.count_nonzero(self.points["path"] == p)) for p in PATHS}

    def best_per_board(self) -> np.ndarray:
        """Per board, the fitting point with the most fps (with a target: the fewest DSPs, then BRAM36,
        among those reaching it); boards in BOARDS order, those with no such point left out."""
        rows = []
        for board in BOARDS:
            sel = self.points[(self.points["board"] == board) & self.points["fits"]]
            if self.target_fps is not None:
                sel = sel[sel["fps"] >= self.target_fps]
            if len(sel) == 0:
                continue
            if self.target_fps is None:
                i = np.lexsort((sel["bram36"], sel["dsp"], -sel["fps"]))[0]
            else:
                i = np.lexsort((-sel["fps"], sel["bram36"], sel["dsp"]))[0]
            rows.append(sel[i])
        return np.array(rows, dtype=DTYPE)


def combos(hw: HwSpace) -> tuple[Combo, ...]:
    out = []
    for board, clock, ab, wb in itertools.product(hw.boards, hw.clock_mhz, hw.act_bits, hw.weight_bits):
        out.append(Combo(ab, wb, board, get_board(board).clock_mhz if clock is None else float(clock)))
    return tuple(out)


def units(model_space: ModelSpace, hw: HwSpace, top1: dict[tuple[int, int], float] | None = None) -> list[Unit]:
    """The work units; ``top1``: measured top-1 per (act_bits, weight_bits), put on every point of those bits."""
    cs = combos(hw)
    acc = None if top1 is None else tuple(top1[(c.act_bits, c.weight_bits)] for c in cs)
    ms = model_space
    out = []
    for v, (alpha, res) in enumerate(ms.variants()):
        n = len(_splits(ms.model, alpha, res, ms.variant, hw.pe, ms.input_shape))
        for lo in range(0, n, CHUNK):
            out.append(Unit(ms.model, alpha, res, ms.variant, hw.pe, lo, min(n, lo + CHUNK), cs, v, ms.input_shape,
                            acc))
    return out


def _local(todo: list[Unit], jobs: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    if jobs <= 1:
        yield from map(run_unit, todo)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(run_unit, todo)


def _dask(todo: list[Unit], address: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    try:
        from dask.distributed import Client
    except ImportError:
        raise HwgenError("--scheduler needs dask distributed: pip install 'hwgen[dist]'") from None
    try:
        client = Client(address, timeout=10)
    except (OSError, TimeoutError, ValueError) as e:
        raise HwgenError(f"--scheduler {address!r}: cannot connect ({e})") from None
    try:
        futures = client.map(run_unit, todo, pure=False)
        for fut in futures:
            yield fut.result()
    finally:
        client.close()


def explore(model_space: ModelSpace, hw_space: HwSpace, objectives: tuple[str, ...] = DEFAULT_OBJECTIVES,
            target_fps: float | None = None, jobs: int = 1, scheduler: str | None = None,
            progress: Callable[[int, int], None] | None = None,
            accuracy_progress: Callable[[int, int], None] | None = None) -> Exploration:
    """Evaluate every point of ``model_space`` x ``hw_space``; ``progress(done, total)`` after each unit.

    With ``model_space.data`` the fixed-point top-1 is measured once per (act_bits, weight_bits) pair
    (``accuracy_progress(done, total)`` after each) and shared by all the hardware points of those bits."""
    for name in objectives:
        if name not in OBJECTIVES:
            raise HwgenError(f"--objective: unknown objective {name!r} (choose from {', '.join(OBJECTIVES)})")
    if not objectives:
        raise HwgenError("--objective: no objective given")
    if target_fps is not None:
        check_limit("--target-fps", target_fps)
    check_limit("--jobs", jobs)
    for clock in hw_space.clock_mhz:
        if clock is not None and clock <= 0:
            raise HwgenError(f"--clock-mhz must be > 0, got {clock}")
    t0 = time.perf_counter()
    top1 = None
    if model_space.data is not None:
        ms = model_space
        graph = _network(ms.model, 1.0, 224, ms.variant, ms.input_shape).graph
        pairs = list(dict.fromkeys((c.act_bits, c.weight_bits) for c in combos(hw_space)))
        top1 = measured_top1(graph, ms.data, pairs, accuracy_progress)
    todo = units(model_space, hw_space, top1)
    total = sum((u.hi - u.lo) * len(u.combos) for u in todo)
    if total == 0:
        raise HwgenError(f"--pe {hw_space.pe.text()}: no PE split of the network has such a PE total")
    # Each row goes straight to its place in the canonical order (variant, combo, split).
    splits = np.zeros(max(u.variant_index for u in todo) + 1, dtype=np.int64)
    for u in todo:
        splits[u.variant_index] = max(splits[u.variant_index], u.hi)
    base = np.concatenate([[0], np.cumsum(splits * len(todo[0].combos))[:-1]])
    points = np.empty(total, dtype=DTYPE)
    done = 0
    results = _dask(todo, scheduler) if scheduler else _local(todo, jobs)
    for rows, k in results:
        points[base[k[:, 0]] + k[:, 1] * splits[k[:, 0]] + k[:, 2]] = rows
        done += len(rows)
        if progress:
            progress(done, total)
    assert done == total
    return Exploration(points, front(points, objectives, target_fps), tuple(objectives), target_fps,
                       time.perf_counter() - t0, (model_space, hw_space))


def front(points: np.ndarray, objectives: tuple[str, ...], target_fps: float | None = None) -> np.ndarray:
    """The non-dominated points among those that fit (and reach ``target_fps``), in points order."""
    ok = points["fits"].copy()
    if target_fps is not None:
        ok &= points["fps"] >= target_fps
    cand = points[ok]
    return cand[pareto_mask(objective_matrix(cand, objectives))]
