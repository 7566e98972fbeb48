"""The estimate: per-layer and total cycles, fps, memory, DRAM traffic and resources of a mapping.

:func:`simulate` runs the schedule simulator (:mod:`hwgen.hw.schedule`) through the mapping and
attributes its trace to layers; it adds no cycle model of its own."""
from __future__ import annotations

from dataclasses import dataclass

from hwgen.hw.contract import EngineConfig
from hwgen.ir.ops import ComputeOp
from hwgen.mapping.plan import Mapping, onchip_data_bits

ENGINE = {"conv": "pw", "pw": "pw", "fc": "pw", "dw": "dw", "pool": "pool"}


@dataclass
class LayerEstimate:
    name: str
    kind: str
    engine: str
    step: str
    cycles: int          # wall-clock cycles attributed to this layer (they add up to the total)
    busy: int            # cycles its engine was issuing tiles
    stall_dram: int
    stall_buffer: int
    macs: int
    pe: int              # PEs of its engine
    utilization: float   # macs / (pe * (last end - first start)) of its engine
    onchip_bits: int     # on-chip data it touches: input/output maps held on-chip, band buffers, weights
    dram_read: int       # bytes
    dram_write: int      # bytes
    band_rows: int
    weight_tiles: int


@dataclass
class Estimate:
    model: str
    mapping: "Mapping"
    layers: list[LayerEstimate]
    input_cycles: int
    output_cycles: int
    total_cycles: int
    macs: int
    pe: int
    clock_mhz: float
    dram_read: int
    dram_write: int
    onchip_bits: int
    bram36: int
    uram: int
    dsp: int
    lut: int
    warnings: list[str]

    @property
    def latency_ms(self) -> float:
        return self.total_cycles / (self.clock_mhz * 1e3)

    @property
    def fps(self) -> float:
        return 1e3 / self.latency_ms

    @property
    def ideal_cycles(self) -> float:
        """The MACs / PE bound: every PE busy every cycle."""
        return self.macs / self.pe

    @property
    def ratio(self) -> float:
        return self.total_cycles / self.ideal_cycles

    @property
    def utilization(self) -> float:
        return self.macs / (self.pe * self.total_cycles)

    @property
    def dram_bytes(self) -> int:
        return self.dram_read + self.dram_write

    @property
    def dram_gbps_needed(self) -> float:
        """Average DRAM bandwidth at the achieved frame rate."""
        return self.dram_bytes * self.fps / 1e9

    @property
    def fits(self) -> bool:
        return not self.warnings

    def to_dict(self) -> dict:
        m = self.mapping
        return {
            "model": self.model,
            "mapping": m.to_dict(),
            "layers": [vars(layer).copy() for layer in self.layers],
            "total": {
                "cycles": self.total_cycles, "input_cycles": self.input_cycles, "output_cycles": self.output_cycles,
                "latency_ms": self.latency_ms, "fps": self.fps, "clock_mhz": self.clock_mhz,
                "macs": self.macs, "pe": self.pe, "ideal_cycles": self.ideal_cycles, "ratio_to_ideal": self.ratio,
                "utilization": self.utilization, "onchip_bits": self.onchip_bits, "bram36": self.bram36,
                "uram": self.uram, "dram_bytes": self.dram_bytes, "dram_read": self.dram_read,
                "dram_write": self.dram_write, "dram_gbps_needed": self.dram_gbps_needed, "dsp": self.dsp,
                "lut": self.lut, "fits": self.fits, "warnings": list(self.warnings),
            },
        }


def _engine_pe(kind: str, cfg: EngineConfig) -> int:
    return {"pw": cfg.pw_pe, "dw": cfg.dw_pe, "pool": cfg.tin}[ENGINE[kind]]


def simulate(ops: list[ComputeOp], mapping: "Mapping", model: str = "") -> Estimate:
    """Simulate ``ops`` (from ``graph.compute_ops``) as mapped by ``mapping``."""

    trace = mapping.trace(ops)
    cfg = mapping.cfg
    layers: list[LayerEstimate] = []
    for st in trace.steps:
        split = st.ops[-1].first_start if st.step.fused else st.done
        spans = [(st.ready, split), (split, st.done)] if st.step.fused else [(st.ready, st.done)]
        for op, es, (a, b) in zip(st.step.ops, st.ops, spans):
            pe = _engine_pe(op.kind, cfg)
            window = max(1, es.last_end - es.first_start)
            layers.append(LayerEstimate(
                name=op.name, kind=op.kind, engine=ENGINE[op.kind], step=st.step.name, cycles=b - a, busy=es.busy,
                stall_dram=es.stall_dram, stall_buffer=es.stall_buffer, macs=op.macs, pe=pe,
                utilization=op.macs / (pe * window), onchip_bits=onchip_data_bits(op, st.step, mapping),
                dram_read=es.dram_read, dram_write=es.dram_write, band_rows=st.tiling.band_rows,
                weight_tiles=st.tiling.weight_tiles))
    warnings = list(mapping.warnings)
    return Estimate(
        model=model, mapping=mapping, layers=layers, input_cycles=trace.input_done,
        output_cycles=trace.total_cycles - trace.output_start, total_cycles=trace.total_cycles,
        macs=sum(op.macs for op in ops), pe=cfg.pe, clock_mhz=mapping.clock_mhz,
        dram_read=sum(x.dram_read for x in layers), dram_write=sum(x.dram_write for x in layers) + trace.input_dram_write,
        onchip_bits=mapping.onchip_bits, bram36=mapping.bram36, uram=mapping.uram,
        dsp=mapping.dsp, lut=mapping.lut, warnings=warnings)
