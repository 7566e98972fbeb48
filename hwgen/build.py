"""The library entry point: a frozen hardware configuration and one ``build`` call.

``design = hwgen.build(model, HwConfig(pe=64))`` validates the configuration, maps the
network and returns a :class:`Design` whose views all read that one mapping:
``.estimate()`` (the schedule simulator), ``.predict(x)`` (the bit-exact golden model),
``.write_hls(dir)`` and ``.write_rtl(dir)``. The CLI, the RTL tests, the benchmarks and
the examples go through it (like FINN's build config + steps, hls4ml's convert/compile/build).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from hwgen.codegen.hls.project import HlsProject, generate_hls
from hwgen.codegen.rtl.render import write_rtl
from hwgen.errors import HwgenError
from hwgen.estimate import Estimate, simulate
from hwgen.hw.boards import DEFAULT_BOARD
from hwgen.hw.contract import EngineConfig
from hwgen.ir.graph import Graph
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.limits import check_limit
from hwgen.mapping.plan import Mapping
from hwgen.mapping.search import map_network
from hwgen.models import load_model
from hwgen.numerics.fixed import check_bits
from hwgen.numerics.float_model import FloatWeights
from hwgen.quant.formats import WEIGHT_SCALES
from hwgen.quant.golden import GoldenResult, quantize_input, run_fixed
from hwgen.quant.qgraph import QuantGraph
from hwgen.quant.quantize import quantize

#: ``HwConfig.weights`` -> ``map_network(weights_in_dram=...)``.
WEIGHT_PLACEMENT = {"auto": None, "dram": True, "onchip": False}


@dataclass(frozen=True)
class HwConfig:
    """The accelerator: PE budget, board, clock, bit widths, DRAM channel and forced mapping choices.

    ``split``: force the PE split, ``"TINxTOUT,TCxTK"`` or an EngineConfig; ``weights``: auto | dram | onchip;
    ``band_rows``: force the row-band height of every fused DW->PW pair; ``None`` = the mapper's choice.
    """

    pe: int = 64
    board: str = DEFAULT_BOARD
    clock_mhz: float | None = None
    act_bits: int = 8
    weight_bits: int = 8
    dram_gbps: float | None = None
    split: str | EngineConfig | None = None
    weights: str = "auto"
    band_rows: int | None = None
    weight_scale: str = "per-layer"  # or "per-channel": a fractional-bit shift per output channel
    dsp_packing: bool = True  # two PW MACs per DSP48E2 where hwgen.hw.resources.dsp_packing_applies
    pixels_per_beat: int = 1  # input pixels per AXI4-Stream beat (hwgen.hw.contract.input_cycles)

    def __post_init__(self) -> None:
        check_bits("act_bits", self.act_bits)
        check_bits("weight_bits", self.weight_bits)
        # The CLI's ranges (hwgen.limits), so Python callers get the same one-line error for nan/inf/absurd values.
        if not isinstance(self.split, EngineConfig):
            check_limit("--pe", self.pe)
        for flag, value in (("--clock-mhz", self.clock_mhz), ("--dram-gbps", self.dram_gbps),
                            ("--band-rows", self.band_rows), ("--pixels-per-beat", self.pixels_per_beat)):
            if value is not None:
                check_limit(flag, value)
        if self.weights not in WEIGHT_PLACEMENT:
            raise HwgenError(f"weights must be one of {', '.join(WEIGHT_PLACEMENT)}, got {self.weights!r}")
        if not isinstance(self.dsp_packing, bool):
            raise HwgenError(f"dsp_packing (--dsp-packing) must be True or False, got {self.dsp_packing!r}")
        if self.weight_scale not in WEIGHT_SCALES:
            raise HwgenError(f"weight_scale must be one of {', '.join(WEIGHT_SCALES)}, got {self.weight_scale!r}")

    def map(self, ops: list[ComputeOp], act_width: int | None = None) -> Mapping:
        """``act_width``: the widest activation format when overrides widen it (default ``act_bits``), so the
        mapping's memory widths and DSP packing are those of the generated lanes."""
        pe = self.split.pe if isinstance(self.split, EngineConfig) else self.pe
        return map_network(ops, pe, self.board, act_width or self.act_bits, self.weight_bits, clock_mhz=self.clock_mhz,
                           dram_gbps=self.dram_gbps, split=self.split, weights_in_dram=WEIGHT_PLACEMENT[self.weights],
                           band_rows=self.band_rows, dsp_packing=self.dsp_packing,
                           pixels_per_beat=self.pixels_per_beat)


@dataclass
class Design:
    """A network mapped onto one accelerator; every view reads :attr:`mapping`.

    Quantization (``qgraph``) runs on first use: the estimate does not need it.
    """

    graph: Graph
    config: HwConfig
    mapping: Mapping
    seed: int = 0
    weights: FloatWeights | None = None
    calib_inputs: np.ndarray | None = None
    formats: dict[str, tuple[int, int]] | None = None
    ops: list[ComputeOp] = field(init=False)

    def __post_init__(self) -> None:
        self.ops = compute_ops(self.graph)

    @cached_property
    def qgraph(self) -> QuantGraph:
        return quantize(self.graph, self.config.weight_bits, self.config.act_bits, calib_inputs=self.calib_inputs,
                        seed=self.seed, weights=self.weights, formats=self.formats,
                        weight_scale=self.config.weight_scale)

    def estimate(self) -> Estimate:
        return simulate(self.ops, self.mapping, self.graph.name)

    def predict(self, x: np.ndarray) -> GoldenResult:
        """Bit-exact outputs for ``x``: a float image (H, W, C) (quantized to the input format) or int64 codes."""
        x = np.asarray(x)
        codes = x if np.issubdtype(x.dtype, np.integer) else quantize_input(self.qgraph, x)[0]
        return run_fixed(self.qgraph, codes)

    def write_hls(self, outdir: str | Path, force: bool = False, inputs: np.ndarray | None = None) -> HlsProject:
        """``inputs``: input codes (N, H, W, C) of the test vectors (default: one seeded random image)."""
        m = self.mapping
        return generate_hls(self.qgraph, m, outdir, part=m.board.part, clock_mhz=m.clock_mhz, board=m.board.name,
                            seed=self.seed, force=force, inputs=inputs)

    def write_rtl(self, outdir: str | Path, force: bool = False, extra: dict[str, str] | None = None) -> Path:
        return write_rtl(self.qgraph, self.mapping, outdir, force=force, extra=extra)


def build(model: Graph | str, config: HwConfig | None = None, *, seed: int = 0, weights: FloatWeights | None = None,
          calib_inputs: np.ndarray | None = None, formats: dict[str, tuple[int, int]] | None = None,
          **model_args: object) -> Design:
    """Map ``model`` (a Graph, a path to an ``.onnx`` file, or a zoo name with ``alpha``/``resolution``/``variant``)
    onto ``config``. An imported model's trained weights are used unless ``weights`` is given."""
    check_limit("--seed", seed)
    config = config or HwConfig()
    graph = model if isinstance(model, Graph) else load_model(model, **model_args)
    # The generators' lanes are as wide as the widest activation format (codegen: max over formats).
    act_width = max([config.act_bits] + [w for w, _ in (formats or {}).values()])
    return Design(graph, config, config.map(compute_ops(graph), act_width), seed, weights, calib_inputs, formats)
