"""The memories of a generated RTL design and the block RAM Yosys maps them to.

RTL memories (:func:`rtl_memories`): what the generated Verilog instantiates — one memory per
channel of each feature-map buffer (act bits wide, one registered read port per engine port), as
deep as the largest map stored there that has the channel: ``fbuf_<buffer>[c0:c1]`` lists the
channels c0..c1-1 of one depth, the PW/DW weight memories (one word per tin x tout / tc x tk block; ROMs, or two-slot
RAMs when weights are in DRAM) and the bias ROMs. :func:`yosys_blocks` predicts how Yosys 0.23
``synth_xilinx -family xc7`` maps each one. memory_libmap picks the cheapest option by the costs in
Yosys' xilinx library files: RAMB18 129 and RAMB36 257 per block (the read ports of one block RAM
serve one read port each next to the write port, so a memory with R read ports is R copies);
LUTRAM 8 per RAM64M holding 64 x 3 bits (RAM32M: 32 x 6) with one read port, or 7 per RAM64M
holding 64 x 1 bits (32 x 2) for up to three read ports; a ROM may also become logic at 1/64 per
bit. Measured on single memories (depth x width x read ports -> cells): 256x8x1 -> 12 RAM64M,
384x8x1 -> 1 RAMB18, 256x8x3 -> 32 RAM64M, 512x8x3 -> 3 RAMB18, 4096x8x1 -> 1 RAMB36, 105x192x1
-> 3 RAMB36, 1024x8 ROM -> logic, 512x64 ROM -> 1 RAMB36.
"""
from __future__ import annotations

from dataclasses import dataclass

from hwgen.codegen.rtl.plan import BUF_BAND0, RtlPlan
from hwgen.hw.contract import BRAM36_SHAPES, cdiv

#: RAMB18 aspect ratios (depth, width), the 36-bit one in simple dual-port mode.
BRAM18_SHAPES: tuple[tuple[int, int], ...] = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))

#: Yosys 0.23 xilinx memory-library costs (brams_xc4v.txt / lutrams_xc5v.txt) and memory_libmap's ROM logic cost.
COST_RAMB18, COST_RAMB36 = 129, 257

COST_LUTRAM_SDP, COST_LUTRAM_QP = 8, 7

ROM_LOGIC_BITS_PER_COST = 64


@dataclass(frozen=True)
class Memory:
    """``count`` identical memories of ``depth`` x ``width`` bits with ``read_ports`` registered read ports."""

    name: str
    depth: int
    width: int
    read_ports: int = 1
    count: int = 1
    rom: bool = False
    tdp: bool = False  # a true dual-port memory (two read/write ports: no 72-bit simple dual-port shapes)


def rtl_memories(plan: RtlPlan) -> list[Memory]:
    """The memories of a generated RTL design, named after the plan buffers they implement (the ping-pong
    buffer's two halves are two memories)."""
    cfg = plan.cfg
    mems = []
    for b in plan.buffers:
        if b.depth > 0:
            mems.append(Memory(b.plan if b.plan != "dw_pw_pingpong" else f"{b.plan}[{b.id - BUF_BAND0}]",
                               b.depth, plan.word * plan.act_width, 2, b.copies, tdp=True))
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


def _block_ram(depth: int, width: int) -> tuple[int, int, int]:
    """(cost, RAMB36, RAMB18) of the cheapest single-kind block-RAM tiling of one read port's copy."""
    best = min((cdiv(width, w) * cdiv(depth, d) * COST_RAMB36, cdiv(width, w) * cdiv(depth, d), 0)
               for d, w in BRAM36_SHAPES)
    b18 = min((cdiv(width, w) * cdiv(depth, d) * COST_RAMB18, 0, cdiv(width, w) * cdiv(depth, d))
              for d, w in BRAM18_SHAPES)
    return min(best, b18)


def _lutram_cost(depth: int, width: int, read_ports: int) -> int:
    if read_ports == 1:
        per = 6 if depth <= 32 else 3
        return COST_LUTRAM_SDP * cdiv(depth, 64) * cdiv(width, per)
    per = 2 if depth <= 32 else 1
    return COST_LUTRAM_QP * cdiv(read_ports, 3) * cdiv(depth, 64) * cdiv(width, per)


def yosys_blocks(mem: Memory) -> tuple[int, int]:
    """(RAMB36E1, RAMB18E1) cells Yosys 0.23 synth_xilinx maps ``mem`` to (0, 0: LUTRAM or logic)."""
    cost, b36, b18 = _block_ram(mem.depth, mem.width)
    cost *= mem.read_ports
    other = (mem.depth * mem.width / ROM_LOGIC_BITS_PER_COST if mem.rom
             else _lutram_cost(mem.depth, mem.width, mem.read_ports))
    if cost >= other:
        return 0, 0
    return b36 * mem.read_ports * mem.count, b18 * mem.read_ports * mem.count


def rtl_bram36(plan: RtlPlan) -> float:
    """Block RAM of a generated RTL design in RAMB36 equivalents (a RAMB18 is half)."""
    blocks = [yosys_blocks(m) for m in rtl_memories(plan)]
    return sum(b36 + b18 / 2 for b36, b18 in blocks)
