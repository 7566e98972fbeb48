"""RTL memory listing and the Yosys block-RAM mapping rule (hwgen.codegen.rtl.memories)."""
from __future__ import annotations

import pytest

from hwgen.codegen.rtl.memories import Memory, rtl_bram36, rtl_memories, yosys_blocks
from hwgen.codegen.rtl.plan import plan_rtl
from hwgen.ir.ops import compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from hwgen.quant.quantize import quantize

# (depth, width, read ports, ROM) -> (RAMB36E1, RAMB18E1) measured with Yosys 0.23
# `synth_xilinx -family xc7 -noiopad` on a single memory with registered read ports.
MEASURED = [
    ((256, 8, 1, False), (0, 0)),     # 12 RAM64M
    ((320, 8, 1, False), (0, 0)),     # 15 RAM64M
    ((384, 8, 1, False), (0, 1)),
    ((2048, 8, 1, False), (0, 1)),
    ((4096, 8, 1, False), (1, 0)),
    ((256, 8, 3, False), (0, 0)),     # 32 RAM64M (three read ports each)
    ((512, 8, 3, False), (0, 3)),     # one block RAM per read port
    ((4096, 8, 3, False), (3, 0)),
    ((256, 8, 9, False), (0, 0)),     # 96 RAM64M
    ((63, 64, 1, False), (0, 0)),     # 22 RAM64M
    ((105, 192, 1, False), (3, 0)),   # 512 x 72 RAMB36 beats 6 RAMB18 by cost
    ((68, 360, 1, False), (5, 0)),
    ((1024, 72, 1, False), (2, 0)),
    ((512, 16, 1, False), (0, 1)),
    ((1024, 8, 1, True), (0, 0)),     # a small ROM becomes logic
    ((105, 192, 1, True), (0, 0)),
    ((512, 64, 1, True), (1, 0)),
]


@pytest.mark.parametrize("geometry,cells", MEASURED)
def test_yosys_block_rule_matches_measurements(geometry, cells):
    depth, width, ports, rom = geometry
    assert yosys_blocks(Memory("m", depth, width, ports, 1, rom)) == cells


def test_count_multiplies_blocks():
    assert yosys_blocks(Memory("m", 4096, 8, 1, count=5)) == (5, 0)


def test_rtl_memories_of_tiny_dsc():
    g = get_model("tiny_dsc")
    ops = compute_ops(g)
    plan = plan_rtl(quantize(g), map_network(ops, 32, weights_in_dram=False))
    mems = {m.name: m for m in rtl_memories(plan)}
    # in: 16x16 pixels x 3 channels; a: 8x8 x 8 then 4x4 x 32, so channels 8-31 need only 16 words;
    # band: 2 halves of 1 row x 8 px (one depth for all its channels).
    assert (mems["fbuf_in[0:3]"].depth, mems["fbuf_in[0:3]"].count) == (256, 3)
    assert (mems["fbuf_a[0:8]"].depth, mems["fbuf_a[0:8]"].count, mems["fbuf_a[0:8]"].width) == (64, 8, 8)
    assert (mems["fbuf_a[8:32]"].depth, mems["fbuf_a[8:32]"].count) == (16, 24)
    assert (mems["fbuf_band[0:32]"].depth, mems["fbuf_band[0:32]"].count) == (16, 32)
    assert mems["pw_weights"].width == 3 * 8 * 8 and mems["pw_weights"].depth == len(plan.pw_wrom)
    assert mems["pw_weights"].rom and mems["dw_weights"].rom
    assert rtl_bram36(plan) == 0  # all LUTRAM / logic, as Yosys maps it (docs/rtl.md)


def test_rtl_memories_weights_in_dram_are_two_slot_rams():
    g = get_model("tiny_dsc")
    ops = compute_ops(g)
    plan = plan_rtl(quantize(g), map_network(ops, 32, weights_in_dram=True))
    mems = {m.name: m for m in rtl_memories(plan)}
    assert not mems["pw_weights"].rom and mems["pw_weights"].depth == plan.pw_wdepth
    assert mems["pw_bias"].rom


def test_feature_memories_scale_with_the_maps_stored():
    """MobileNet v1 0.25-128 at pe 128: buffer b holds 64x64 x 16 maps and the 1x1 x 1000 FC output;
    each channel is only as deep as the largest map that has it (was 4096 words x 1000 channels)."""
    g = get_model("mobilenet_v1", alpha=0.25, resolution=128)
    plan = plan_rtl(quantize(g), map_network(compute_ops(g), 128, weights_in_dram=False))
    b = {m.name: m for m in rtl_memories(plan) if m.name.startswith("fbuf_b[")}
    assert [(name, m.depth, m.count) for name, m in b.items()] == [
        ("fbuf_b[0:16]", 4096, 16), ("fbuf_b[16:32]", 1024, 16), ("fbuf_b[32:64]", 256, 32),
        ("fbuf_b[64:128]", 64, 64), ("fbuf_b[128:256]", 16, 128), ("fbuf_b[256:1000]", 1, 744)]
    assert all(m.read_ports == 3 for m in b.values())  # the DW engine's tk read ports
    assert rtl_bram36(plan) == 306  # 3,942 with every channel max(pixels) deep
