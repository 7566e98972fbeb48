"""Verilog RTL generator: (QuantGraph, Mapping) -> a directory of Verilog-2005 and ROM images.

Files: ``hwgen_top.v`` (stream ports, buffers, sequencer), ``hwgen_fmem.v`` (a feature memory), ``hwgen_wpack.v`` (the output-word packer),
``hwgen_wgear.v`` (the weight loader's gearbox, for weight words wider than the bus),
``hwgen_requant.v`` (the requantizer), ``hwgen_add.v`` (the engines' adder-tree node), ``hwgen_pw_engine.v``, ``hwgen_dw_engine.v``,
``hwgen_pool_engine.v`` (as the network needs them), ``hwgen_weights.hex`` (the DRAM image when weights
live in DRAM), ``*.mem`` ROM images ($readmemh, read relative to the simulator's / synthesizer's working
directory: the weights and biases, and the tables that grow with the mapping, hwgen.codegen.rtl.roms) and
``plan.json`` (the schedule, tiles and predicted cycles the testbench checks).
The directory is written atomically (temp dir, then rename) and byte-for-byte deterministic.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from hwgen.codegen.rtl.memories import rtl_bram36, rtl_memories, yosys_blocks
from hwgen.codegen.rtl.plan import (
    STEP_DW,
    STEP_FUSED,
    STEP_POOL,
    STEP_PW,
    BUF_A,
    BUF_IN0,
    BUF_OUT0,
    DMA_R,
    DMA_S,
    DMA_W,
    FeatureBuffer,
    RtlPlan,
    bank_row_stride,
    plan_rtl,
    sel_bits,
)
from hwgen.codegen.rtl.roms import rtl_roms
from hwgen.codegen.templating import render
from hwgen.codegen.writer import check_outdir, write_tree
from hwgen.mapping.plan import Mapping
from hwgen.numerics.fixed import sum_tree
from hwgen.numerics.packing import PACK_SHIFT
from hwgen.quant.qgraph import QuantGraph

TOP = "hwgen_top"


def lit(value: int, bits: int = 32) -> str:
    """A sized signed Verilog literal."""
    return f"-{bits}'sd{-value}" if value < 0 else f"{bits}'sd{value}"


def recip_bits(value: int) -> list[int]:
    """Set bit positions of a positive constant (its shift-add decomposition)."""
    return [b for b in range(value.bit_length()) if value >> b & 1]


def lane_bits(word: int) -> int:
    """Bits of a lane index inside a feature word (at least 1)."""
    return sel_bits(word)


def qr_literal(value: int, word: int) -> str:
    """Element address ``value`` as the templates' {word, lane} pair (floor division: negative offsets too)."""
    q, r = divmod(value, word)
    return f"{{32'h{q & 0xFFFFFFFF:08x}, {lane_bits(word)}'d{r}}}"


def adder_tree(n: int, bits: int, cap: int) -> list[dict[str, int]]:
    """:func:`sum_tree`'s nodes as the templates' ``hwgen_add`` instances: ids, children and their widths."""
    width = [min(bits, cap)] * n
    out = []
    for i, (a, b, w) in enumerate(sum_tree(n, bits, cap)):
        width.append(w)
        out.append({"id": n + i, "a": a, "aw": width[a], "b": b, "bw": width[b], "w": w})
    return out


def _mem(words: list[int], bits: int) -> str:
    digits = max(1, -(-bits // 4))
    return "".join(f"{w:0{digits}x}\n" for w in words) if words else f"{0:0{digits}x}\n"


def render_rtl(plan: RtlPlan) -> dict[str, str]:
    """File name -> contents for a plan."""
    engines = []
    # read ports of each engine (one per bank of the memories it reads) and banks it writes
    ports = {"pw": plan.pw_banks, "dw": plan.dw_banks, "pool": plan.pool_banks}
    wbanks = {"pw": plan.pw_wbanks, "dw": plan.dw_wbanks, "pool": plan.pool_wbanks}
    wbits = {"pw": plan.pw_word_bits, "dw": plan.dw_word_bits, "pool": 0}
    for name, present in (("pw", plan.has_pw), ("dw", plan.has_dw), ("pool", plan.has_pool)):
        if present:
            engines.append({"name": name, "ports": ports[name], "wbanks": wbanks[name], "wbits": wbits[name]})
    absent = [n for n in ("pw", "dw", "pool") if n not in {e["name"] for e in engines}]
    buffers = [b for b in plan.buffers if b.depth > 0]
    for b in buffers:
        b.readers = set(sorted(b.readers))
    roms = rtl_roms(plan)
    ctx: dict[str, Any] = dict(p=plan, roms=roms, lit=lit, sel_bits=sel_bits, recip_bits=recip_bits, engines=engines,
                               qr=lambda v: qr_literal(v, plan.word), rb=lane_bits,
                               absent=absent, buffers=[_buf(b) for b in buffers], ports=ports,
                               buffers_by_id={b.id: _buf(b) for b in buffers}, STEP_PW=STEP_PW,
                               STEP_DW=STEP_DW, STEP_POOL=STEP_POOL, STEP_FUSED=STEP_FUSED,
                               pack_shift=PACK_SHIFT, adder_tree=adder_tree, DMA_W=DMA_W, DMA_R=DMA_R, DMA_S=DMA_S, BUF_OUT0=BUF_OUT0,
                               dscat=_dma_scatter(plan), **_stream_banks(plan))
    files = {name: render(f"rtl/{name}.j2", **ctx) for name in ("hwgen_fmem.v", "hwgen_wpack.v", "hwgen_requant.v",
                                                                "hwgen_add.v", "hwgen_top.v")}
    tin, tout, tc, tk = plan.cfg.tin, plan.cfg.tout, plan.cfg.tc, plan.cfg.tk
    if plan.gear("pw") or plan.gear("dw"):
        files["hwgen_wgear.v"] = render("rtl/hwgen_wgear.v.j2", **ctx)
    if plan.axi:
        files["hwgen_weights.hex"] = _mem(list(plan.dram_image()), 8)  # DRAM image, one byte per line
    if plan.has_pw:
        files["hwgen_pw_engine.v"] = render("rtl/hwgen_pw_engine.v.j2", **ctx)
        if not plan.dram:
            files["hwgen_pw_w.mem"] = _mem(plan.pw_wrom, tin * tout * plan.weight_width)
        files["hwgen_pw_b.mem"] = _mem(plan.pw_brom, tout * plan.bias_bits)
    if plan.has_dw:
        files["hwgen_dw_engine.v"] = render("rtl/hwgen_dw_engine.v.j2", **ctx)
        if not plan.dram:
            files["hwgen_dw_w.mem"] = _mem(plan.dw_wrom, tc * tk * plan.weight_width)
        files["hwgen_dw_b.mem"] = _mem(plan.dw_brom, tc * plan.bias_bits)
    if plan.has_pool:
        files["hwgen_pool_engine.v"] = render("rtl/hwgen_pool_engine.v.j2", **ctx)
    files.update({r.file: r.image() for r in roms.values()})
    files["plan.json"] = json.dumps(plan_summary(plan), indent=1, sort_keys=True) + "\n"
    return files


def _buf(b: FeatureBuffer) -> dict[str, Any]:
    return {"id": b.id, "name": b.name, "plan": b.plan, "depth": b.depth, "grid": b.grid,
            "banks": b.banks, "mems": b.mem_depths,
            "lane_we": b.lane_we, "readers": sorted(b.readers), "writers": sorted(b.writers)}


def _dma_scatter(plan: RtlPlan) -> dict[str, Any] | None:
    """The DMA's scatter of band reads into banked in_band halves (None: dense halves): the grid, and per map read
    (RtlPlan.in_shapes) its width, channels, pixels per beat, bank row stride and first flushing column."""
    if not plan.dma_scatters:
        return None
    grid = plan.buffers[BUF_IN0].grid
    shapes = [{"w": w, "c": c, "p": n, "wbc": bank_row_stride(w, c, grid), "flx": max(0, w - grid[1])}
              for w, c, n in plan.in_shapes]
    return {"grid": grid, "shapes": shapes}


def _stream_banks(plan: RtlPlan) -> dict[str, Any]:
    """The bank layout of the input map (in fmap_a) and of the output map, for
    the top's stream writer and reader: grids, widths, bank row strides, the input's first flushing column."""
    ig = plan.buffers[BUF_A].grid if not plan.in_dram else (1, 1)
    og = plan.buffers[plan.out_buf].grid
    return {"in_grid": ig, "in_w": plan.in_shape[1], "in_wbc": bank_row_stride(plan.in_shape[1], plan.in_channels, ig),
            "in_flx": max(0, plan.in_shape[1] - ig[1]), "out_grid": og, "out_w": plan.out_shape[1],
            "out_wbc": bank_row_stride(plan.out_shape[1], plan.out_channels, og)}


def plan_summary(plan: RtlPlan) -> dict[str, Any]:
    """What the testbench and the CLI need to know about a generated design."""
    return {
        "name": plan.name, "top": TOP, "cfg": asdict(plan.cfg),
        "in_pixels": plan.in_pixels, "in_channels": plan.in_channels, "in_width": plan.in_width,
        "in_beat_bits": plan.in_beat_bits, "pixels_per_beat": plan.pixels_per_beat, "in_beats": plan.in_beats,
        "out_pixels": plan.out_pixels, "out_channels": plan.out_channels,
        "out_width": plan.out_width, "out_beat_bits": plan.out_beat_bits,
        "predicted_cycles": plan.predicted_cycles, "layer_cycles": plan.layer_cycles,
        "tiles": {"pw": [t.cycles for t in plan.pw_tiles], "dw": [t.cycles for t in plan.dw_tiles],
                  "pool": [t.cycles for t in plan.pool_tiles]},
        "sources": sorted(f for f in verilog_files(plan)),
        "pe": plan.cfg.pe,
        "weights_in_dram": plan.dram,
        "fmaps_in_dram": plan.fdram,
        "dram_image": "hwgen_weights.hex" if plan.axi else None,
        "axi_bits": plan.axi_bits if plan.axi else None,
        "faxi_bits": plan.faxi_bits if plan.axi else None,
        "fmap_bytes": plan.fbytes if plan.axi else None,
        # The maps left in the map DRAM (plan.dram_maps): words of ``word`` codes of ``act_width`` bits, one per
        # beat of faxi_bits, lane 0 in the LSBs, from byte ``addr``.
        "dram_maps": [{"op": op, "addr": addr} for op, addr in plan.dram_maps],
        "word": plan.word, "act_width": plan.act_width,
        "dram_bytes_per_cycle": plan.dram_bytes_per_cycle if plan.axi else None,
        "dram_latency": plan.dram_latency if plan.axi else None,
        # The memories this RTL instantiates and the block RAM Yosys maps them to (hwgen.codegen.rtl.memories).
        "memories": [dict(asdict(m), ramb36=b36, ramb18=b18) for m in rtl_memories(plan)
                     for b36, b18 in [yosys_blocks(m)]],
        "bram36_predicted": rtl_bram36(plan),
        # The plan's figure (hwgen estimate: BRAM36 + URAM), and on xc7 with URAM buffers at their BRAM36 placement.
        "plan_bram36": plan.plan_blocks[0], "plan_uram": plan.plan_blocks[1],
        "bram36_plan": plan.bram36_plan,
        "plan_lut": plan.plan_lut,  # hwgen estimate's LUTs (hwgen.hw.resources.lut_parts), for `hwgen synth`
        "counter_widths": asdict(plan.widths),  # bits of each counter group (plan.counter_widths)
    }


def verilog_files(plan: RtlPlan) -> list[str]:
    files = ["hwgen_fmem.v", "hwgen_wpack.v", "hwgen_requant.v", "hwgen_add.v", "hwgen_top.v"]
    files += ["hwgen_wgear.v"] if plan.gear("pw") or plan.gear("dw") else []
    files += [f"hwgen_{n}_engine.v" for n, on in (("pw", plan.has_pw), ("dw", plan.has_dw),
                                                  ("pool", plan.has_pool)) if on]
    return files


def write_rtl(qgraph: QuantGraph, mapping: Mapping, outdir: str | os.PathLike, force: bool = False,
              extra: dict[str, str] | None = None) -> Path:
    """Generate the RTL for ``qgraph`` under ``mapping`` into ``outdir`` (atomically); ``extra``: more files."""
    out = Path(outdir)
    check_outdir(out, force)
    files = render_rtl(plan_rtl(qgraph, mapping))
    files.update(extra or {})
    write_tree(files, out, force)
    return out
