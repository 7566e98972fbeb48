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

_BLOCK = 512


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Which rows of ``values`` (n x k, every column to be maximised) no other row dominates.

    Row a dominates b when a >= b in every column and a > b in one; equal rows do not dominate each
    other, so ties are all kept. In descending lexicographic order a row can only be dominated by
    rows before it, so rows are taken in blocks and checked against the front so far and their block.
    """
    n = len(values)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    order = np.lexsort(tuple(-values[:, j] for j in reversed(range(values.shape[1]))))
    front = np.empty((0, values.shape[1]), dtype=values.dtype)
    for start in range(0, n, _BLOCK):
        idx = order[start:start + _BLOCK]
        block = values[idx]
        alive = ~_dominated_by(front, block)
        inner = _dominated_by(block, block)
        alive &= ~inner
        keep[idx[alive]] = True
        front = np.concatenate([front, block[alive]])
    return keep


def _dominated_by(front: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows``: is some row of ``front`` >= it everywhere and > somewhere?"""
    if len(front) == 0:
        return np.zeros(len(rows), dtype=bool)
    ge = np.ones((len(front), len(rows)), dtype=bool)
    gt = np.zeros((len(front), len(rows)), dtype=bool)
    for j in range(rows.shape[1]):
        f, r = front[:, j][:, None], rows[:, j][None, :]
        ge &= f >= r
        gt |= f > r
    return (ge & gt).any(axis=0)


def objective_matrix(points: np.ndarray, objectives: tuple[str, ...]) -> np.ndarray:
    """Columns to maximise (minimised objectives negated), float64."""
    cols = []
    for name in objectives:
        field, sign = OBJECTIVES[name]
        col = points[field].astype(np.float64)
        cols.append(sign * np.nan_to_num(col, nan=-np.inf if sign > 0 else np.inf))
    return np.stack(cols, axis=1) if cols else np.zeros((len(points), 0))
