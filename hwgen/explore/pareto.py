"""Non-dominated points: exact, blockwise over points in lexicographic order."""
from __future__ import annotations

import numpy as np

#: Objectives: point field and direction (+1 maximise, -1 minimise).
OBJECTIVES: dict[str, tuple[str, int]] = {
    "fps": ("fps", 1),
    "latency": ("latency_ms", -1),
    "dsp": ("dsp", -1),
    "bram": ("bram36", -1),
    "uram": ("uram", -1),
    "lut": ("lut", -1),
    "onchip_bits": ("onchip_bits", -1),
    "dram_bytes": ("dram_bytes", -1),
    "dram_gbps": ("dram_gbps", -1),
    "top1": ("top1_paper", 1),
    "top1_measured": ("top1_measured", 1),
}

DEFAULT_OBJECTIVES = ("fps", "dsp", "bram", "dram_bytes")

_BLOCK = 8192

#: Front points compared at once.
_CHUNK = 4


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Which rows of ``values`` (n x k, every column to be maximised) no other row dominates.

    Row a dominates b when a >= b in every column and a > b in one; equal rows do not dominate each
    other, so ties are all kept. In descending order of the sum of its dense ranks a row can only be
    dominated by rows before it, so rows are taken in blocks and checked against the front so far and
    their block.
    The front is tried in chunks, the points that dominated most rows so far first, and a row leaves
    the check once dominated: most rows fall to the first chunk.
    """
    n = len(values)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    # Descending sum of dense ranks: a dominating row has a larger sum (>= rank in every column, > in one),
    # so it comes first, and the strong all-round rows, which dominate the most, come first of all.
    ranks = sum(np.unique(values[:, j], return_inverse=True)[1].ravel() for j in range(values.shape[1]))
    order = np.argsort(-np.asarray(ranks, dtype=np.int64), kind="stable")
    front = np.empty((0, values.shape[1]), dtype=values.dtype)
    power = np.zeros(0, dtype=np.int64)  # rows each front point has dominated
    for start in range(0, n, _BLOCK):
        idx = order[start:start + _BLOCK]
        block = values[idx]
        dominated, hits = _dominated_by(front, block)
        power += hits
        alive = ~dominated
        # a row the front dominates dominates no other row the front does not (transitivity)
        survivors = block[alive]
        alive[alive] = ~_dominated_by(survivors, survivors)[0]
        keep[idx[alive]] = True
        front = np.concatenate([front, block[alive]])
        power = np.concatenate([power, np.zeros(int(alive.sum()), dtype=np.int64)])
        by_power = np.argsort(-power, kind="stable")
        front, power = front[by_power], power[by_power]
    return keep


def _dominated_by(front: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows``: is some row of ``front`` >= it everywhere and > somewhere? Also, per front
    row, how many rows it was the first (in chunk order) found to dominate."""
    dominated = np.zeros(len(rows), dtype=bool)
    hits = np.zeros(len(front), dtype=np.int64)
    alive = np.arange(len(rows))
    for lo in range(0, len(front), _CHUNK):
        if not len(alive):
            break
        f, r = front[lo:lo + _CHUNK][:, None, :], rows[alive][None, :, :]
        dom = (f >= r).all(axis=2) & (f > r).any(axis=2)
        hit = dom.any(axis=0)
        hits[lo:lo + _CHUNK] += dom.sum(axis=1)
        dominated[alive[hit]] = True
        alive = alive[~hit]
    return dominated, hits


def objective_matrix(points: np.ndarray, objectives: tuple[str, ...]) -> np.ndarray:
    """Columns to maximise (minimised objectives negated), float64."""
    cols = []
    for name in objectives:
        field, sign = OBJECTIVES[name]
        col = points[field].astype(np.float64)
        cols.append(sign * np.nan_to_num(col, nan=-np.inf if sign > 0 else np.inf))
    return np.stack(cols, axis=1) if cols else np.zeros((len(points), 0))
