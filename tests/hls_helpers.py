"""Shared helpers of the HLS codegen / C-sim tests: a hand-made engine mapping and project generation."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hwgen.codegen.hls import HlsProject, generate_hls
from hwgen.graph import Graph
from hwgen.hw import EngineConfig
from hwgen.quant import QuantGraph, quantize
from hwgen.steps import StepTiling


@dataclass
class HandMapping:
    """The fields of hwgen.mapping.Mapping the code generator reads."""

    cfg: EngineConfig
    band_rows: dict[str, int] = field(default_factory=dict)
    weights_in_dram: bool = False
    fmaps_in_dram: bool = False
    tiles: dict[str, StepTiling] = field(default_factory=dict)  # per step (first op's name): weight tiles


def fuse_all(qgraph: QuantGraph, cfg: EngineConfig, band_rows: int) -> HandMapping:
    """Fuse every DW op followed by a PW op, with ``band_rows`` rows per band."""
    ops = qgraph.ops
    return HandMapping(cfg, {a.op.name: band_rows for a, b in zip(ops, ops[1:])
                             if a.op.kind == "dw" and b.op.kind == "pw"})


def generate(qgraph: QuantGraph, mapping: HandMapping, outdir: Path, seed: int = 0, force: bool = False) -> HlsProject:
    return generate_hls(qgraph, mapping, outdir, part="xc7z020clg400-1", clock_mhz=100.0, board="pynq-z2",
                        seed=seed, force=force)


def quantized(graph: Graph, weight_bits: int = 8, act_bits: int = 8) -> QuantGraph:
    return quantize(graph, weight_bits=weight_bits, act_bits=act_bits)
