"""Schedule steps: the units the engines run one after another, and their tiles.

A step is one compute op, or a depthwise op fused with the pointwise op that
consumes it (hw.py: DW->PW fusion). A step's output rows are split into row
bands; the weights of its PW-engine op (conv, pw, fc) into output-channel
tiles (multiples of ``tout``). The cycle count of each tile follows hw.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hwgen.hw.contract import (DW_DEPTH, POOL_DEPTH, PW_DEPTH, Lanes, cdiv, conv_rows, dw_iterations,
                               dw_weight_words, pool_iterations, pw_in_groups, pw_iterations, pw_weight_words,
                               row_bands, tile_cycles, unbox)
from hwgen.ir.ops import ComputeOp


@dataclass(frozen=True)
class Step:
    ops: tuple[ComputeOp, ...]
    dw_kernel: int = 1  # the network's DW kernel: the feature buffers' bank grid, which a conv's im2col follows

    @property
    def name(self) -> str:
        """The first op's name: for a fused pair, the DW op (the key of Mapping.band_rows)."""
        return self.ops[0].name

    @property
    def fused(self) -> bool:
        return len(self.ops) == 2

    @property
    def first(self) -> ComputeOp:
        return self.ops[0]

    @property
    def last(self) -> ComputeOp:
        return self.ops[-1]

    @property
    def pw_op(self) -> ComputeOp | None:
        """The op running on the PW engine whose weights are tiled by output channel."""
        return self.last if self.last.kind in ("conv", "pw", "fc") else None

    @property
    def dw_op(self) -> ComputeOp | None:
        return self.first if self.first.kind == "dw" else None

    @property
    def out_rows(self) -> int:
        return self.last.out_shape[0]

    @property
    def bandable(self) -> bool:
        """Pool and FC run as one tile; the others may be split into row bands."""
        return self.last.kind not in ("pool", "fc")


def schedule_steps(ops: list[ComputeOp]) -> list[Step]:
    """Group ops into steps: each DW op directly followed by a PW op reading its output is fused."""
    steps: list[Step] = []
    k = max((op.kernel for op in ops if op.kind == "dw"), default=1)  # one DW engine: mapping.plan.dw_kernel
    i = 0
    while i < len(ops):
        op = ops[i]
        nxt = ops[i + 1] if i + 1 < len(ops) else None
        if op.kind == "dw" and nxt is not None and nxt.kind == "pw" and nxt.in_shape == op.out_shape:
            steps.append(Step((op, nxt), k))
            i += 2
        else:
            steps.append(Step((op,), k))
            i += 1
    return steps


@dataclass(frozen=True)
class StepTiling:
    """How one step is tiled: row bands, weight tiles, and where its feature maps live."""

    band_rows: int
    weight_tiles: int = 1
    in_dram: bool = False
    out_dram: bool = False


def pw_dot(op: ComputeOp) -> int:
    """Length of the PW engine's dot product for ``op`` (im2col for a standard conv)."""
    return op.kernel * op.kernel * op.in_shape[2] if op.kind == "conv" else op.in_shape[2]


def pw_rows(op: ComputeOp, cfg: Lanes, dw_kernel: int) -> Any:
    """Runs of the PW engine's dot product for ``op`` (each padded to whole input groups): a conv's
    hw.contract.conv_rows for the network's DW kernel ``dw_kernel`` (:attr:`Step.dw_kernel`); one otherwise."""
    return conv_rows(op.kernel, dw_kernel, cfg.tk) if op.kind == "conv" else 1


def pw_groups(op: ComputeOp, cfg: Lanes, dw_kernel: int) -> Any:
    """Input groups (of tin lanes) of ``op``'s dot product on the PW engine; ints or arrays of splits."""
    return pw_in_groups(pw_dot(op), cfg, pw_rows(op, cfg, dw_kernel))


def weight_tile_group(op: ComputeOp, tiles: Any, cfg: Lanes) -> Any:
    """Output channels of a full weight tile when ``op``'s weights are split into ``tiles`` tiles (whole
    tout groups; the last tile may be smaller, and fewer tiles may result); ints or arrays."""
    return cdiv(cdiv(op.out_shape[2], cfg.tout), tiles) * cfg.tout


def first_tile_channels(op: ComputeOp, tiles: Any, cfg: Lanes) -> Any:
    """Output channels of the first (the largest) weight tile; ints, or arrays of splits that may differ in
    their tile counts."""
    return unbox(np.minimum(weight_tile_group(op, tiles, cfg), op.out_shape[2]))


def weight_tile_channels(op: ComputeOp, tiles: Any, cfg: Lanes) -> list[Any]:
    """Output channels of each of ``tiles`` weight tiles (each a multiple of tout but the last). For lane
    arrays (splits that all make the same number of tiles) one array per tile."""
    n = op.out_shape[2]
    groups = weight_tile_group(op, tiles, cfg)
    count = cdiv(n, groups)
    if np.ndim(count):
        if np.any(count != count.flat[0]):
            raise ValueError("splits with different tile counts cannot run as one array")
        count = int(count.flat[0])
    return [np.minimum(groups, n - j * groups) if np.ndim(groups) else min(groups, n - j * groups)
            for j in range(count)]


def bands_of(step: Step, tiling: StepTiling) -> list[int]:
    return row_bands(step.out_rows, tiling.band_rows) if step.bandable else [step.out_rows]


def dw_band_cycles(step: Step, rows: int, cfg: Lanes) -> int:
    op = step.dw_op
    assert op is not None
    return tile_cycles(dw_iterations(rows * op.out_shape[1], op.out_shape[2], op.kernel, cfg), DW_DEPTH)


def pw_band_cycles(step: Step, rows: int, channels: int, cfg: Lanes) -> int:
    """Cycles of one PW-engine (or pool-engine) tile of ``rows`` output rows and ``channels`` outputs."""
    op = step.last
    if op.kind == "pool":
        return tile_cycles(pool_iterations(op.in_shape[0] * op.in_shape[1], op.in_shape[2], cfg), POOL_DEPTH)
    if op.kind == "dw":
        return tile_cycles(dw_iterations(rows * op.out_shape[1], op.out_shape[2], op.kernel, cfg), DW_DEPTH)
    pixels = 1 if op.kind == "fc" else rows * op.out_shape[1]
    return tile_cycles(pw_iterations(pixels, pw_dot(op), channels, cfg, pw_rows(op, cfg, step.dw_kernel)), PW_DEPTH)


def input_row_range(op: ComputeOp, r0: int, r1: int) -> tuple[int, int]:
    """The input rows [lo, hi) an op reads to produce output rows [r0, r1) (the halo of a KxK window included)."""
    if op.kind in ("pool", "fc"):
        return 0, op.in_shape[0]
    lo = max(0, r0 * op.stride - op.pad[0])
    hi = min(op.in_shape[0], (r1 - 1) * op.stride - op.pad[0] + op.kernel)
    return lo, hi


def input_rows(op: ComputeOp, r0: int, r1: int) -> int:
    """How many input rows an op reads to produce output rows [r0, r1) (:func:`input_row_range`)."""
    lo, hi = input_row_range(op, r0, r1)
    return hi - lo


def nbytes(elements: int, bits: int) -> int:
    return cdiv(elements * bits, 8)


def weight_words(op: ComputeOp, cfg: Lanes, dw_kernel: int, channels: int | None = None) -> int:
    """Weight words (zero-padded engine blocks, one DRAM beat each, hw.py) of ``op``
    (restricted to ``channels`` outputs for a PW-engine tile); ``dw_kernel``: :attr:`Step.dw_kernel`."""
    if op.kind == "pool":
        return 0
    if op.kind == "dw":
        return dw_weight_words(op.out_shape[2], op.kernel, cfg)
    return pw_weight_words(pw_dot(op), op.out_shape[2] if channels is None else channels, cfg,
                           pw_rows(op, cfg, dw_kernel))


def weight_tiled(step: Step, tiling: StepTiling, weights_in_dram: bool) -> bool:
    """Whether the step's weights are loaded per PW tile (band x output-channel tile) instead of per step."""
    # np.all: in the simulator's array form ``weight_tiles`` may be an array (> 1 for all its splits or none)
    return weights_in_dram and step.pw_op is not None and bool(np.all(np.asarray(tiling.weight_tiles) > 1))


def step_loads(step: Step, tiling: StepTiling, cfg: Lanes, weights_in_dram: bool = True) -> list[tuple[Any, Any]]:
    """The weight loads of a step with weights in DRAM, as (PW words, DW words), in issue order: one for the
    whole step, or with weight tiles one per (band, tile), the DW weights of a fused pair with the first.
    Their bus beats: ``hw.contract.load_beats``."""
    k = step.dw_kernel
    dw = weight_words(step.dw_op, cfg, k) if step.dw_op is not None else 0
    pw = step.pw_op
    if not weight_tiled(step, tiling, weights_in_dram):
        return [(weight_words(pw, cfg, k) if pw is not None else 0, dw)]
    assert pw is not None
    per_tile = [weight_words(pw, cfg, k, c) for c in weight_tile_channels(pw, tiling.weight_tiles, cfg)]
    loads = [(w, 0) for w in per_tile] * len(bands_of(step, tiling))
    loads[0] = (loads[0][0], dw)
    return loads
