"""Weights and biases in the engines' block layout, shared by the HLS and RTL generators.

A PW-engine layer (pw, fc, and conv as im2col rows ordered (ky, kx, cin), in runs padded to whole groups
of ``tin``: :func:`pw_lane_inputs`) is ``ngo x ngi`` blocks of ``tin x tout`` weights,
zero-padded; a DW layer is ``ngc x ngt`` blocks of ``tc`` channel lanes x
``tk`` taps (taps in raster order ky, kx). Biases are one ``tout`` / ``tc`` lane vector per output
group. How each generator flattens a block into a memory word is its own business; the blocks, their
order and their padding are this one layout (``hw.steps.weight_words`` counts them).
Also the AXI4-Stream TDATA width of both generators' tops (:func:`axis_bits`), so they stream alike.
"""
from __future__ import annotations

import numpy as np

from hwgen.hw.contract import EngineConfig, cdiv
from hwgen.hw.steps import pw_dot, pw_rows
from hwgen.ir.ops import ComputeOp
from hwgen.quant.qgraph import QuantOp


def pw_lane_inputs(op: ComputeOp, cfg: EngineConfig, dw_kernel: int) -> np.ndarray:
    """The dot-product input (im2col row, ordered (ky, kx, cin) for a conv) of each PW-engine lane, per input
    group: shape (groups, tin), -1 for a zero lane. The dot product's runs (``hw.steps.pw_rows``: a conv's
    kernel rows, or its whole window when every window pixel has its own bank) are each padded to whole
    groups."""
    tin, rows = cfg.tin, int(pw_rows(op, cfg, dw_kernel))
    run = pw_dot(op) // rows
    per = cdiv(run, tin)
    g = np.arange(rows * per)[:, None]
    pos = (g % per) * tin + np.arange(tin)[None, :]
    return np.where(pos < run, (g // per) * run + pos, -1)


def pw_blocks(q: QuantOp, cfg: EngineConfig, dw_kernel: int) -> tuple[np.ndarray, np.ndarray]:
    """(weights (ngo, ngi, tin, tout), bias (ngo, tout)) of a conv/pw/fc op on the PW engine (``dw_kernel``:
    the network's, hw.steps.Step.dw_kernel)."""
    w = q.weights.reshape(-1, q.weights.shape[-1])  # conv (K,K,Cin,Cout) -> im2col rows (ky, kx, cin)
    idx = pw_lane_inputs(q.op, cfg, dw_kernel).reshape(-1)
    lanes = np.zeros((len(idx), w.shape[1]), dtype=np.int64)
    lanes[idx >= 0] = w[idx[idx >= 0]]
    return _tiles(lanes, cfg.tin, cfg.tout), _lane_groups(q.bias, cfg.tout)


def dw_blocks(q: QuantOp, cfg: EngineConfig) -> tuple[np.ndarray, np.ndarray]:
    """(weights (ngc, ngt, tc, tk), bias (ngc, tc)) of a depthwise op on the DW engine."""
    k = q.op.kernel
    taps = q.weights.reshape(k * k, -1)  # (K,K,C) -> (tap, C)
    return _tiles(taps, cfg.tk, cfg.tc).transpose(0, 1, 3, 2), _lane_groups(q.bias, cfg.tc)


def _tiles(matrix: np.ndarray, row_lanes: int, col_lanes: int) -> np.ndarray:
    """A (R, C) matrix zero-padded to lane multiples -> (column group, row group, row lane, column lane)."""
    r, c = matrix.shape
    ngr, ngc = cdiv(r, row_lanes), cdiv(c, col_lanes)
    padded = np.zeros((ngr * row_lanes, ngc * col_lanes), dtype=np.int64)
    padded[:r, :c] = matrix
    return padded.reshape(ngr, row_lanes, ngc, col_lanes).transpose(2, 0, 1, 3)


def _lane_groups(values: np.ndarray, lanes: int) -> np.ndarray:
    """A vector zero-padded to a multiple of ``lanes`` -> (group, lane)."""
    padded = np.zeros(cdiv(len(values), lanes) * lanes, dtype=np.int64)
    padded[:len(values)] = values
    return padded.reshape(-1, lanes)


def axis_bits(bits: int) -> int:
    """AXI4-Stream TDATA width for ``bits`` of payload: 8, 16, 32, 64 (what AXI DMA streams), then powers of
    two. The HLS and the RTL top both pad their input and output beats to it."""
    width = 8
    while width < bits:
        width *= 2
    return width
