"""Weights and biases in the engines' block layout, shared by the HLS and RTL generators.

A PW-engine layer (pw, fc, and conv as im2col rows ordered (ky, kx, cin)) is ``ngo x ngi`` blocks of
``tin x tout`` weights, zero-padded; a DW layer is ``ngc x ngt`` blocks of ``tc`` channel lanes x
``tk`` taps (taps in raster order ky, kx). Biases are one ``tout`` / ``tc`` lane vector per output
group. How each generator flattens a block into a memory word is its own business; the blocks, their
order and their padding are this one layout (``hw.steps.weight_words`` counts them).
"""
from __future__ import annotations

import numpy as np

from hwgen.hw.contract import EngineConfig, cdiv
from hwgen.quant.qgraph import QuantOp


def pw_blocks(q: QuantOp, cfg: EngineConfig) -> tuple[np.ndarray, np.ndarray]:
    """(weights (ngo, ngi, tin, tout), bias (ngo, tout)) of a conv/pw/fc op on the PW engine."""
    w = q.weights.reshape(-1, q.weights.shape[-1])  # conv (K,K,Cin,Cout) -> im2col rows (ky, kx, cin)
    m, n = w.shape
    ngi, ngo = cdiv(m, cfg.tin), cdiv(n, cfg.tout)
    padded = np.zeros((ngi * cfg.tin, ngo * cfg.tout), dtype=np.int64)
    padded[:m, :n] = w
    bias = np.zeros(ngo * cfg.tout, dtype=np.int64)
    bias[:n] = q.bias
    return padded.reshape(ngi, cfg.tin, ngo, cfg.tout).transpose(2, 0, 1, 3), bias.reshape(ngo, cfg.tout)


def dw_blocks(q: QuantOp, cfg: EngineConfig) -> tuple[np.ndarray, np.ndarray]:
    """(weights (ngc, ngt, tc, tk), bias (ngc, tc)) of a depthwise op on the DW engine."""
    k = q.op.kernel
    taps = q.weights.reshape(k * k, -1)  # (K,K,C) -> (tap, C)
    kk, c = taps.shape
    ngc, ngt = cdiv(c, cfg.tc), cdiv(kk, cfg.tk)
    padded = np.zeros((ngt * cfg.tk, ngc * cfg.tc), dtype=np.int64)
    padded[:kk, :c] = taps
    bias = np.zeros(ngc * cfg.tc, dtype=np.int64)
    bias[:c] = q.bias
    return padded.reshape(ngt, cfg.tk, ngc, cfg.tc).transpose(2, 0, 3, 1), bias.reshape(ngc, cfg.tc)
