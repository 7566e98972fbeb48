"""The memories of a generated RTL design and the block RAM Yosys maps them to.

RTL memories (:func:`rtl_memories`): what the generated Verilog instantiates - the plan's buffers
(``Mapping.buffers``) in words of ``feature_word`` codes: ``fmap_a``/``fmap_b`` banked (a DW step reads an
on-chip map: BR x BC memories of the plan's per-bank depth, hwgen.mapping.plan.buffer_banks) or one
memory, the ping-pong buffer as its two halves, the in_band halves banked the same way when a DW step reads its input from DRAM (BR x BC memories
each, ``in_band[h]`` with ``count`` banks), the PW/DW weight memories (one word per tin x tout / tc x tk block; ROMs,
or two-slot RAMs when weights are in DRAM) and the bias ROMs.
Every one carries ``ram_style``/``rom_style = "block"``, so Yosys maps each to block RAM.

:func:`yosys_blocks` predicts how Yosys 0.23 ``synth_xilinx -family xc7`` tiles one: memory_libmap picks
the cheapest tiling by the costs in Yosys' xilinx library (RAMB18 129, RAMB36 257 per block) over the
aspect ratios of one port - a feature memory is true dual-port (two read/write ports), so at most 36 bits
wide per RAMB36 (18 per RAMB18); a ROM or a weight RAM has one read port and may use the 72/36-bit simple
dual-port shapes. xc7 has no URAM: a buffer the plan places in URAM is built from RAMB36/RAMB18, and the
plan's figure for xc7 is ``hwgen.mapping.plan.bram36_equivalent`` (its BRAM36 placement).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from hwgen.codegen.rtl.plan import BUF_BAND0, RtlPlan
from hwgen.hw.contract import BRAM36_SHAPES, cdiv

#: RAMB18 aspect ratios (depth, width), the 36-bit one in simple dual-port mode.
BRAM18_SHAPES: tuple[tuple[int, int], ...] = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))

#: Yosys 0.23 xilinx memory-library costs (brams_xc4v.txt).
COST_RAMB18, COST_RAMB36 = 129, 257


@dataclass(frozen=True)
class Memory:
    """``count`` identical memories of ``depth`` x ``width`` bits (registered reads)."""

    name: str
    depth: int
    width: int
    count: int = 1
    rom: bool = False
    tdp: bool = False  # a true dual-port memory (two read/write ports: no 72-bit simple dual-port shapes)


def rtl_memories(plan: RtlPlan) -> list[Memory]:
    """The memories of a generated RTL design, named after the plan buffers they implement (the two halves of
    the ping-pong, in_band and out_band buffers are two memories each; a banked buffer's banks are ``count``
    memories of its per-bank depth)."""
    cfg = plan.cfg
    mems = []
    for b in plan.buffers:
        if b.depth > 0:
            # a buffer the RTL builds as two halves (ping-pong, in_band, out_band) is two memories
            name = b.plan if b.id < BUF_BAND0 else f"{b.plan}[{(b.id - BUF_BAND0) % 2}]"
            mems.append(Memory(name, b.depth, plan.word * plan.act_width, b.banks, tdp=True))
    if plan.has_pw:
        mems.append(Memory("pw_weights_2x" if plan.dram else "pw_weights", plan.pw_wdepth,
                           cfg.tin * cfg.tout * plan.weight_width, rom=not plan.dram))
    if plan.has_dw:
        mems.append(Memory("dw_weights_2x" if plan.dram else "dw_weights", plan.dw_wdepth,
                           cfg.tc * cfg.tk * plan.weight_width, rom=not plan.dram))
    if plan.has_pw:
        mems.append(Memory("pw_bias", len(plan.pw_brom), cfg.tout * plan.bias_bits, rom=True))
    if plan.has_dw:
        mems.append(Memory("dw_bias", len(plan.dw_brom), cfg.tc * plan.bias_bits, rom=True))
    return mems


def _tiling(depth: int, width: int, shapes: tuple[tuple[int, int], ...]) -> int:
    return min(cdiv(width, w) * cdiv(depth, d) for d, w in shapes)


def yosys_blocks(mem: Memory) -> tuple[int, int]:
    """(RAMB36E1, RAMB18E1) cells Yosys 0.23 synth_xilinx maps ``mem`` (all ``count`` banks) to."""
    s36 = tuple(s for s in BRAM36_SHAPES if not mem.tdp or s[1] <= 36)
    s18 = tuple(s for s in BRAM18_SHAPES if not mem.tdp or s[1] <= 18)
    n36, n18 = _tiling(mem.depth, mem.width, s36), _tiling(mem.depth, mem.width, s18)
    if n18 * COST_RAMB18 < n36 * COST_RAMB36:
        return 0, n18 * mem.count
    return n36 * mem.count, 0


def plan_buffer(mem: Memory) -> str:
    """The plan buffer (``Mapping.buffers`` name) a memory implements."""
    return re.split(r"[\[+]", mem.name)[0]


def synth_key(mem: Memory) -> str:
    """Where the memory is in a synthesized design (the keys of ``hwgen.verify.synth.memory_cells``): a feature
    memory is the ``mem`` array of an ``hwgen_fmem`` instance of its depth, the weight and bias memories are
    the ``wrom`` / ``brom`` arrays of their engine."""
    if mem.tdp:
        return f"hwgen_fmem#{mem.depth}/mem"
    engine = "hwgen_pw_engine" if mem.name.startswith("pw_") else "hwgen_dw_engine"
    return f"{engine}/{'brom' if mem.name.endswith('_bias') else 'wrom'}"


def measured_blocks(mem: Memory, cells: dict[str, dict[str, int]]) -> tuple[int, int]:
    """(RAMB36, RAMB18) cells Yosys built for ``mem`` (all ``count`` banks), from ``memory_cells``; (0, 0)
    when Yosys put it elsewhere (LUT RAM, flip-flops) or optimised it away."""
    c = cells.get(synth_key(mem))
    return (c["bram36"] * mem.count, c["bram18"] * mem.count) if c else (0, 0)


def rtl_bram36(plan: RtlPlan) -> float:
    """Block RAM of a generated RTL design in RAMB36 equivalents (a RAMB18 is half)."""
    blocks = [yosys_blocks(m) for m in rtl_memories(plan)]
    return sum(b36 + b18 / 2 for b36, b18 in blocks)
