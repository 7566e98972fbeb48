"""Simulator: hand-computed cycle counts of small cases (the network schedule against an independent
cycle-stepped reference is in test_oracle_schedule.py)."""
from __future__ import annotations

import numpy as np
import pytest

from hwgen.estimate import simulate
from hwgen.hw import contract as hw
from hwgen.hw.schedule import DramChannel
from hwgen.hw.steps import schedule_steps
from hwgen.ir.layers import BatchNorm, DepthwiseConv2D, PointwiseConv2D, ReLU6
from hwgen.ir.ops import compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from nets import chain_ops


def test_single_depthwise_layer_by_hand():
    ops = chain_ops((8, 8, 4), DepthwiseConv2D(kernel=3, stride=1))
    m = map_network(ops, 16, "zcu104", split="2x2,2x3")
    est = simulate(ops, m)
    # input: 8*8 = 64 beats, done at 64; the layer starts at 64 + HANDOFF = 65.
    # iterations = 64 pixels * ceil(4/2) channel groups * ceil(9/3) tap groups = 384; tile = 384 + DW_DEPTH 4 = 388.
    # done at 65 + 388 = 453; output starts at 454 and takes 8*8*4 = 256 beats -> 710.
    assert est.total_cycles == 710
    (layer,) = est.layers
    assert (layer.engine, layer.busy, layer.cycles, layer.stall_dram, layer.stall_buffer) == ("dw", 388, 389, 0, 0)
    assert est.input_cycles == 64 and est.output_cycles == 256


def test_single_pointwise_layer_by_hand():
    ops = chain_ops((4, 4, 8), PointwiseConv2D(filters=16))
    m = map_network(ops, 17, "zcu104", split="4x4,1x1")
    est = simulate(ops, m)
    # 16 input beats; start 17; 16 px * ceil(16/4) * ceil(8/4) = 128 iterations + PW_DEPTH 4 = 132 -> done 149;
    # output from 150, 4*4*16 = 256 beats -> 406.
    assert est.total_cycles == 406
    assert est.layers[0].busy == 132 and est.layers[0].utilization == pytest.approx(2048 / (16 * 132))


def _fused_ops():
    return chain_ops((4, 4, 8), DepthwiseConv2D(kernel=3, stride=1), BatchNorm(), ReLU6(), PointwiseConv2D(filters=16))


def test_fused_block_by_hand_pw_waits_for_dw():
    ops = _fused_ops()
    assert [s.fused for s in schedule_steps(ops)] == [True]
    m = map_network(ops, 32, "zcu104", split="4x4,2x1", band_rows=2)
    assert m.band_rows == {"l0": 2} and not m.weights_in_dram and not m.fmaps_in_dram
    est = simulate(ops, m)
    # bands of 2 rows = 8 px. DW band: 8 * ceil(8/2) * ceil(9/1) = 288 + 4 = 292; PW band: 8 * 4 * 2 = 64 + 4 = 68.
    # start 17: DW0 [17, 309); PW0 starts max(17, 309+1) = 310 -> 378; DW1 starts 309+1 = 310 -> 602;
    # PW1 free at 379, waits for DW1: starts 603 (stall 224, buffer) -> 671. Output 672 + 256 -> 928.
    assert est.total_cycles == 928
    dw, pw = est.layers
    assert dw.busy == 584 and pw.busy == 136
    assert pw.stall_buffer == 224 and dw.stall_buffer == 0
    assert dw.cycles == 310 - 16 and pw.cycles == 671 - 310  # the pair's span split at the PW engine's first start
    assert hw.fused_schedule(17, [292, 292], [68, 68]) == (671, 0, 224)


def test_fused_block_by_hand_dw_waits_for_free_buffer():
    ops = _fused_ops()
    m = map_network(ops, 128, "zcu104", split="2x2,8x9", band_rows=1)
    est = simulate(ops, m)
    # 1-row bands (4 px): DW 4*1*1 + 4 = 8; PW 4 * ceil(16/2) * ceil(8/2) = 128 + 4 = 132.
    # DW0 17-25, PW0 26-158, DW1 26-34, PW1 159-291, DW2 waits for PW0 (half 0): 159-167 (stall 124),
    # PW2 292-424, DW3 waits for PW1: 292-300 (stall 124), PW3 425-557. Output 558 + 256 -> 814.
    assert est.total_cycles == 814
    dw, pw = est.layers
    assert dw.stall_buffer == 248 and pw.stall_buffer == 0


def test_dram_bound_weights_stall():
    ops = chain_ops((4, 4, 64), PointwiseConv2D(filters=64))
    # 0.2 GB/s at 200 MHz = 1 byte/cycle; burst latency ceil(150 ns * 200 MHz) = 30 cycles.
    m = map_network(ops, 17, "zcu104", split="4x4,1x1", dram_gbps=0.2, weights_in_dram=True)
    assert m.dram_bytes_per_cycle == 1.0 and m.dram_latency == 30
    est = simulate(ops, m)
    # weights: 16 x 16 words of 4x4 8-bit weights, one 128-bit beat each = 4096 bytes, issued at cycle
    # HANDOFF = 1: 1 + 30 + 4096 = 4127 > input done (16): start 4128.
    # compute 16 * 16 * 16 = 4096 + 4 = 4100 -> 8228; output 8229 + 4*4*64 = 1024 -> 9253.
    assert est.total_cycles == 9253
    assert est.layers[0].stall_dram == 4127 - 16
    assert est.dram_read == 4096 and est.dram_write == 0


def test_mapper_picks_fastest_onchip_band():
    ops = compute_ops(get_model("tiny_dsc4"))
    m = map_network(ops, 64, "zcu104", split="8x4,4x1")
    best = simulate(ops, m).total_cycles
    for band in (1, 2, 4, 8, 16):
        forced = map_network(ops, 64, "zcu104", split="8x4,4x1", band_rows=band)
        assert simulate(ops, forced).total_cycles >= best


def test_dram_channel_is_one_in_order_queue():
    """Each transfer starts at max(ready, end of the previous one): an idle gap before an earlier-issued
    transfer is never used by a later one (a DMA sequencer's program order), and at most one beat per cycle."""
    ch = DramChannel(bytes_per_cycle=2.0, latency=10)
    assert ch.transfer(0, 25, 32) == 60           # 10 + 25 beats * 4 bytes / 2
    assert ch.transfer(20, 5, 32) == 80           # queued behind it: 60 + 10 + 10
    assert ch.transfer(200, 1, 32) == 212         # idle from 80: 200 + 10 + 2
    assert ch.transfer(100, 10, 32) == 242        # ready at 100, but after the transfer ending at 212
    assert ch.transfer(0, 0, 32) == 0             # nothing to move, no turn in the queue
    assert ch.transfer(230, 1, 32) == 254         # 242 + 10 + 2
    fast = DramChannel(bytes_per_cycle=16.0, latency=10)
    assert fast.transfer(0, 10, 32) == 20         # 4-byte beats: one per cycle, not 40 / 16
    arr = DramChannel(2.0, 10, points=3)
    got = [arr.transfer(np.array([0, 5, 300]), np.array([25, 0, 1]), 32).tolist(),
           arr.transfer(np.array([20, 20, 0]), np.array([5, 5, 0]), 32).tolist()]
    assert got == [[60, 5, 312], [80, 40, 0]]     # per split its own queue; empty transfers keep it


def test_fmaps_in_dram_on_small_board():
    ops = compute_ops(get_model("mobilenet_v1"))
    m = map_network(ops, 64, "pynq-z2")
    est = simulate(ops, m)
    assert m.fmaps_in_dram and m.weights_in_dram and m.memory_fits and est.fits
    streamed = [x for x in est.layers if m.tiles[x.step].in_dram]
    assert streamed and all(x.dram_read > 0 for x in streamed if x.name == x.step)
    assert est.dram_write > 0 and est.dram_read > sum(op.weights for op in ops)
    assert est.total_cycles >= est.ideal_cycles
