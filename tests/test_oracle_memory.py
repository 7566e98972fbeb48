"""Memory-plan oracle: the buffers of hwgen.mapping.plan and their blocks, derived by hand and by brute force.

Block counts come from the device rules written out here (Xilinx UG573): a RAMB36E2 is one of the
aspect ratios 32K x 1, 16K x 2, 8K x 4, 4K x 9, 2K x 18, 1K x 36, 512 x 72; a URAM288 is 4K x 72. A
memory of depth x width takes, in one aspect ratio, as many blocks side by side as it needs to cover
the width times as many stacked as it needs to cover the depth (counted by stepping, not by a
division); Vivado picks the ratio with the fewest blocks. Placement follows the plan's stated rule:
largest memories first, a memory goes to URAM when the URAM left holds it and it needs at most a
quarter as many URAM blocks as BRAM36 blocks.

The buffer list of a small non-square network (8x10x3 -> conv -> dw/pw -> dw/pw -> pool -> fc) is
derived by hand from docs/estimate.md / the plan's docstring: feature words of max(tin, tout, tc)
codes, two feature-map buffers for the largest on-chip map, double-buffered bands, the DW->PW
ping-pong, engine weight blocks, one bias word per output group.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.hw.boards import get_board
from hwgen.hw.contract import EngineArrays, EngineConfig, bram36_blocks, uram_blocks
from hwgen.hw.schedule import run_schedule
from hwgen.hw.steps import StepTiling, pw_groups, schedule_steps
from hwgen.ir.graph import Graph
from hwgen.ir.layers import Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, PointwiseConv2D
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.mapping.plan import (Buffer, Mapping, band_buffer_elems, bram36_equivalent, dw_kernel, feature_word,
                                fmap_flags, format_split, input_in_dram, onchip_data_bits, parse_split, place_blocks,
                                place_buffers, plan_buffers, tensor_elems, tk_choices, with_weight_tiles)
from hwgen.mapping.search import map_network
from hwgen.models.zoo import tiny_dsc, tiny_odd

RAMB36_RATIOS = [(32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36), (512, 72)]
# True dual-port (two read/write ports, as every feature memory has): at most 36 bits a port, no 512 x 72
RAMB36_TDP_RATIOS = [(32768, 1), (16384, 2), (8192, 4), (4096, 9), (2048, 18), (1024, 36)]
# Feature buffers -> the memories each bank is built from: the band buffers are two halves
FEATURE_MEMORIES = {"fmap_a": 1, "fmap_b": 1, "in_band": 2, "out_band": 2, "dw_pw_pingpong": 2}
# Buffer names for the random placements: feature buffers (dual-port, halves) and others
NAMES = ["fmap_a", "in_band", "b2", "dw_pw_pingpong", "pw_weights", "out_band", "b6"]
URAM288 = (4096, 72)


def _pieces(size: int, piece: int) -> int:
    """How many pieces of ``piece`` cover ``size``, by stepping."""
    n = covered = 0
    while covered < size:
        covered += piece
        n += 1
    return n


def _blocks(depth: int, width: int, ratios: list[tuple[int, int]]) -> int:
    if depth <= 0 or width <= 0:
        return 0
    return min(_pieces(width, w) * _pieces(depth, d) for d, w in ratios)


def _memory_blocks(name: str, depth: int, width: int, banks: int = 1) -> tuple[int, int]:
    """(BRAM36, URAM) of a buffer: each of its banks' memories (a band buffer's two halves) tiled on its own, a
    feature buffer's in the true dual-port ratios."""
    halves = FEATURE_MEMORIES.get(name, 1)
    ratios = RAMB36_TDP_RATIOS if name in FEATURE_MEMORIES else RAMB36_RATIOS
    n = banks * halves
    return n * _blocks(math.ceil(depth / halves), width, ratios), n * _blocks(math.ceil(depth / halves), width, [URAM288])


def _place(bufs: list[tuple], uram: int) -> dict[str, tuple[str, int]]:
    """The placement rule, written from the docstring: (name, depth, width[, banks]) -> name -> (memory, blocks)."""
    out = {}
    for name, d, w, *nbank in sorted(bufs, key=lambda b: -_memory_blocks(*b)[0]):
        nb, nu = _memory_blocks(name, d, w, *nbank)
        if 0 < nu <= uram and 4 * nu <= nb:
            uram -= nu
            out[name] = ("uram", nu)
        else:
            out[name] = ("bram", nb)
    return out


DEPTHS = [0, 1, 100, 511, 512, 513, 1024, 2047, 2048, 2049, 4095, 4096, 4097, 8192, 16384, 32768, 32769, 40000]
WIDTHS = [0, 1, 2, 3, 4, 5, 8, 9, 10, 17, 18, 19, 27, 36, 37, 45, 71, 72, 73, 144, 200]


def test_block_counts_equal_the_brute_force_count():
    for d in DEPTHS:
        for w in WIDTHS:
            assert bram36_blocks(d, w) == _blocks(d, w, RAMB36_RATIOS), (d, w)
            assert uram_blocks(d, w) == _blocks(d, w, [URAM288]), (d, w)
            assert bram36_blocks(d, w, dual_port=True) == _blocks(d, w, RAMB36_TDP_RATIOS), (d, w)
    dd, ww = np.meshgrid(DEPTHS, WIDTHS)
    assert bram36_blocks(dd, ww).tolist() == [[_blocks(d, w, RAMB36_RATIOS) for d in DEPTHS] for w in WIDTHS]
    assert uram_blocks(dd, ww).tolist() == [[_blocks(d, w, [URAM288]) for d in DEPTHS] for w in WIDTHS]


def _board(uram: int):
    return dataclasses.replace(get_board("zcu104"), uram=uram)


def test_placement_by_hand():
    # 8192x72: 16 BRAM36 (every ratio packs it exactly: 8192*72 = 16 * 36864 bits) or 2 URAM; 4096x72: 8 or 1
    big, small = Buffer("big", 8192, 72), Buffer("small", 4096, 72)
    # largest first: big takes both URAMs, small goes to BRAM (smallest first would put small in URAM
    # and leave big, which needs two, in 16 BRAM36)
    assert place_buffers([small, big], _board(2)) == [Buffer("small", 4096, 72, "bram", 8),
                                                      Buffer("big", 8192, 72, "uram", 2)]
    # equal sizes keep the list order: the first listed gets the URAM
    assert [b.memory for b in place_buffers([Buffer("a", 4096, 72), Buffer("b", 4096, 72)], _board(1))] == [
        "uram", "bram"]
    # the quarter rule: 4096x36 is 4 BRAM36 (1K x 36 stacked) or 1 URAM -> URAM (4 * 1 <= 4);
    # 4096x27 is 3 BRAM36 (4K x 9 side by side) -> BRAM; 4096x18 is 2 -> BRAM; 100x1 is 1 -> BRAM
    bufs = [Buffer("q4", 4096, 36), Buffer("q3", 4096, 27), Buffer("q2", 4096, 18), Buffer("one", 100, 1)]
    assert [(b.memory, b.blocks) for b in place_buffers(bufs, _board(96))] == [
        ("uram", 1), ("bram", 3), ("bram", 2), ("bram", 1)]
    # no URAM on the board: everything in BRAM36; an empty memory takes no block of either kind
    assert [(b.memory, b.blocks) for b in place_buffers([big, Buffer("empty", 0, 72)], _board(0))] == [
        ("bram", 16), ("bram", 0)]
    assert [(b.memory, b.blocks) for b in place_buffers([Buffer("empty", 0, 72)], _board(5))] == [("bram", 0)]


buffer_sets = st.lists(st.tuples(st.integers(0, 40000), st.integers(0, 300)), min_size=1, max_size=7)


@given(buffer_sets, st.integers(0, 12))
def test_placement_follows_the_rule(shapes, uram):
    bufs = [Buffer(NAMES[i], d, w) for i, (d, w) in enumerate(shapes)]
    expected = _place([(b.name, b.depth, b.width) for b in bufs], uram)
    assert [(b.name, b.memory, b.blocks) for b in place_buffers(bufs, _board(uram))] == [
        (b.name, *expected[b.name]) for b in bufs]


def _np_place(plans: list[list[tuple[int, int]]], uram: int, names: list[str] | None = None) -> list[list[tuple[str, int]]]:
    """place_blocks over several plans at once, as (memory, blocks) per plan and buffer (named ``names``; by
    default none a feature buffer)."""
    k = len(plans[0])
    names = names or [f"b{i}" for i in range(k)]
    depths = [np.array([p[i][0] for p in plans]) for i in range(k)]
    widths = [np.array([p[i][1] for p in plans]) for i in range(k)]
    blocks, in_uram = place_blocks(names, depths, widths, _board(uram))
    assert blocks.shape == in_uram.shape == (k, len(plans)) and in_uram.dtype == bool
    return [[("uram" if in_uram[i, j] else "bram", int(blocks[i, j])) for i in range(k)] for j in range(len(plans))]


def test_vectorised_placement_by_hand():
    # the hand cases above, three plans at a time, each with its own URAM budget: (small, big) with 2 URAMs
    # (big takes both) and with 3 (both fit, 2 + 1); the quarter rule's equality (4096x36) next to 4096x27
    plans = [[(4096, 72), (8192, 72)], [(4096, 72), (8192, 72)], [(4096, 36), (4096, 27)]]
    assert _np_place(plans, 2) == [[("bram", 8), ("uram", 2)], [("bram", 8), ("uram", 2)],
                                   [("uram", 1), ("bram", 3)]]
    assert _np_place(plans, 3) == [[("uram", 1), ("uram", 2)], [("uram", 1), ("uram", 2)],
                                   [("uram", 1), ("bram", 3)]]
    # equal memories: the first listed gets the one URAM; an empty memory takes nothing; 40000x9 (10 BRAM36
    # as 4K x 9, or 10 URAM: fails the quarter rule) goes first to BRAM and leaves the URAM to 4096x72
    assert _np_place([[(4096, 72), (4096, 72)], [(0, 72), (100, 1)], [(40000, 9), (4096, 72)]], 1) == [
        [("uram", 1), ("bram", 8)], [("bram", 0), ("bram", 1)], [("bram", 10), ("uram", 1)]]
    # ties among many memories keep the plan order: two 8192x72 take 4 of 5 URAMs, the first-listed of the seven
    # 4096x72 the last one (numpy's default argsort, not stable for 9 rows, would pick the third)
    mixed = [(4096, 72), (8192, 72), (4096, 72), (4096, 72), (8192, 72)] + [(4096, 72)] * 4
    expected = [("uram", 1), ("uram", 2)] + [("bram", 8)] * 2 + [("uram", 2)] + [("bram", 8)] * 4
    assert _np_place([mixed], 5) == [expected]
    assert [(b.memory, b.blocks) for b in place_buffers([Buffer(f"m{i}", d, w) for i, (d, w) in enumerate(mixed)],
                                                        _board(5))] == expected


@given(st.integers(1, 7).flatmap(lambda k: st.lists(st.lists(st.tuples(st.integers(0, 40000), st.integers(0, 300)),
                                                             min_size=k, max_size=k), min_size=1, max_size=4)),
       st.integers(0, 12))
def test_vectorised_placement_follows_the_rule(plans, uram):
    """place_blocks over several plans at once: each plan placed by the rule on its own."""
    k = len(plans[0])
    got = _np_place(plans, uram, NAMES[:k])
    for j, plan in enumerate(plans):
        expected = _place([(NAMES[i], d, w) for i, (d, w) in enumerate(plan)], uram)
        assert got[j] == [expected[NAMES[i]] for i in range(k)]


# --- the buffers of a small network ---------------------------------------------------------------------------

CFG = EngineConfig(tin=3, tout=5, tc=2, tk=3)  # feature word max(3, 5, 2) = 5 codes
AB, WB = 8, 6                                   # act_bits, weight_bits (different, so a swap shows)
c = math.ceil


def _net() -> list[ComputeOp]:
    g = Graph("t")
    g.add("in", Input(shape=(8, 10, 3)))
    g.add("c0", Conv2D(kernel=3, stride=2, filters=12))    # (4, 5, 12): 240 codes
    g.add("d1", DepthwiseConv2D(kernel=3, stride=1))       # (4, 5, 12)
    g.add("p1", PointwiseConv2D(filters=15))               # (4, 5, 15): 300
    g.add("d2", DepthwiseConv2D(kernel=3, stride=2))       # (2, 3, 15); H pad 0, W pad 1
    g.add("p2", PointwiseConv2D(filters=8))                # (2, 3, 8): 48
    g.add("pool", GlobalAvgPool())                         # (1, 1, 8): 8
    g.add("fc", Dense(units=10))                           # (1, 1, 10): 10
    return compute_ops(g.validate())


STEPS = schedule_steps(_net())
# pw weight words (tin x tout blocks): c0 ceil(27/3) * ceil(12/5) = 27, p1 ceil(12/3) * ceil(15/5) = 12,
# p2 ceil(15/3) * ceil(8/5) = 10, fc ceil(8/3) * ceil(10/5) = 6; dw (tc x tk blocks): d1 ceil(12/2) * ceil(9/3) = 18,
# d2 ceil(15/2) * 3 = 24.
PW_BIAS = Buffer("pw_bias", c(12 / 5) + c(15 / 5) + c(8 / 5) + c(10 / 5), 5 * (AB + WB))  # 3+3+2+2 groups of tout
DW_BIAS = Buffer("dw_bias", c(12 / 2) + c(15 / 2), 2 * (AB + WB))                        # 6+8 groups of tc


def test_steps_and_tensors():
    assert [s.name for s in STEPS] == ["c0", "d1", "d2", "pool", "fc"]
    assert tensor_elems(STEPS) == [8 * 10 * 3, 4 * 5 * 12, 4 * 5 * 15, 2 * 3 * 8, 8, 10]
    assert input_in_dram(STEPS, 239) and not input_in_dram(STEPS, 240)
    # from d1 on: its input is c0's 240-code output, then p1's 300 (the network input and c0's output are both 240)
    assert tensor_elems(STEPS[1:]) == [240, 300, 48, 8, 10]
    assert not input_in_dram(STEPS[1:], 250)
    # (input in DRAM, output in DRAM) per step at limit 239; the logits (last output) always stream out
    assert fmap_flags(STEPS, 239) == [(True, True), (True, True), (True, False), (False, False), (False, False)]
    assert fmap_flags(STEPS, 240) == [(False, False), (False, True), (True, False), (False, False), (False, False)]
    assert fmap_flags(STEPS, 9) == [(True, True), (True, True), (True, True), (True, False), (False, False)]


def _tiles(fmap_limit: int, weight_tiles: tuple[int, ...] = (1, 1, 1, 1, 1)) -> dict[str, StepTiling]:
    bands = {"c0": 2, "d1": 3, "d2": 1, "pool": 1, "fc": 1}
    return {s.name: StepTiling(bands[s.name], wt, ind, outd)
            for s, wt, (ind, outd) in zip(STEPS, weight_tiles, fmap_flags(STEPS, fmap_limit))}


def test_all_on_chip():
    bufs = plan_buffers(STEPS, _tiles(10**9), CFG, False, 10**9, AB, WB)
    # TK = 3 on 3x3 kernels: fmap_a/fmap_b (d1 and d2 read on-chip maps) are 1 x 3 banks, columns x mod 3, each
    # sized for its largest map's fullest bank (2 of p1's 5 columns: 4 x 2 x 15 = 120 codes; the input's 4 of 10:
    # 8 x 4 x 3 = 96; c0's 4 x 2 x 12 = 96)
    assert bufs == [
        Buffer("fmap_a", c(120 / 5), 5 * AB, banks=3), Buffer("fmap_b", c(120 / 5), 5 * AB, banks=3),
        # ping-pong: d1's bands [3, 1] -> 3 rows x 5 x 12 = 180 codes per half (d2's: 1 x 3 x 15 = 45)
        Buffer("dw_pw_pingpong", 2 * c(180 / 5), 5 * AB),
        Buffer("pw_weights", 27 + 12 + 10 + 6, 3 * 5 * WB), Buffer("dw_weights", 18 + 24, 2 * 3 * WB),
        PW_BIAS, DW_BIAS,
    ]


def test_weights_and_maps_in_dram():
    # weight tiles: c0 in 2 (3 groups of tout -> 2 + 1: the first 10 channels, ceil(27/3) * 2 = 18 words),
    # p1 in 1 (12 words), p2 in 2 (2 groups -> 5 channels: 5 words), fc in 1 (6 words)
    tiles = _tiles(239, (2, 1, 2, 1, 1))
    assert band_buffer_elems(STEPS[0], tiles["c0"], CFG) == (
        5 * 10 * 3,   # rows [0, 2) of a 3x3 s2 conv, top pad 0, read input rows 0..4; rows [2, 4) read 4..7 (4)
        2 * 5 * 12,   # two output rows
        5 * 10 * 3)   # a lone conv with a map in DRAM receives its input bands through the ping-pong
    assert band_buffer_elems(STEPS[1], tiles["d1"], CFG) == (
        4 * 5 * 12,   # rows [0, 3) of a 3x3 s1 dw, pad 1, read rows 0..3 (clipped); row 3 reads rows 2..3
        3 * 5 * 15,   # three p1 rows
        3 * 5 * 12)   # three d1 rows
    assert band_buffer_elems(STEPS[2], tiles["d2"], CFG) == (
        3 * 5 * 15,   # row 0 of a 3x3 s2 dw, top pad 0, reads rows 0..2; row 1 reads rows 2..3
        0,            # p2's output (48 codes) stays on-chip
        1 * 3 * 15)
    assert band_buffer_elems(STEPS[3], tiles["pool"], CFG) == (0, 0, 0)
    bufs = plan_buffers(STEPS, tiles, CFG, True, 239, AB, WB)
    assert bufs == [
        Buffer("fmap_a", c(48 / 5), 5 * AB), Buffer("fmap_b", c(48 / 5), 5 * AB),      # maps <= 239: 48, 8, 10
        # the band halves hold one word more than their codes: a band from/to DRAM may start mid-word
        # out_band: the 240-code input in DRAM is written through one half (one write: 48 of a burst's 256 words),
        # more than the largest band written (225 codes)
        # in_band: d1 and d2 read their inputs from DRAM, so its halves are 1 x 3 banks (fmap_a/fmap_b, which no DW
        # step reads, are not), each the fullest bank of the tallest band, written by pixel from element 0 (no
        # extra word): d1's 4 rows x 2 of 5 columns x 12 = 96 codes (d2's 3 x 2 x 15 = 90, c0's 5 x 4 of 10 x 3 = 60)
        Buffer("in_band", 2 * c(96 / 5), 5 * AB, banks=3), Buffer("out_band", 2 * (c(240 / 5) + 1), 5 * AB),
        Buffer("dw_pw_pingpong", 2 * c(180 / 5), 5 * AB),
        Buffer("pw_weights_2x", 2 * 18, 3 * 5 * WB), Buffer("dw_weights_2x", 2 * 24, 2 * 3 * WB),
        PW_BIAS, DW_BIAS,
    ]


def test_a_window_conv_receives_its_gathered_groups():
    """With tk = 9 > 3 the maps are banked 3 x 3, so c0's 3x3 window is one run cut into groups
    (hw.contract.conv_rows): ceil(27/4) = 7 groups of tin = 4 instead of 3 kernel rows of ceil(9/4) = 3. A lone c0
    with a map in DRAM receives, per output pixel, its 7 gathered groups of 4 codes through the ping-pong."""
    cfg = EngineConfig(tin=4, tout=5, tc=2, tk=9)
    assert pw_groups(STEPS[0].first, cfg, 3) == 7 and pw_groups(STEPS[0].first, CFG, 3) == 9
    assert band_buffer_elems(STEPS[0], StepTiling(2, 1, True, True), cfg) == (5 * 10 * 3, 2 * 5 * 12, 2 * 5 * 7 * 4)


def test_the_worst_band_decides_the_input_band():
    """d1 (4 output rows, 3x3 s1, pad 1 on a 4-row input): input rows per band, counted by hand."""
    d1 = STEPS[1]
    # one-row bands read rows {0,1}, {0,1,2}, {1,2,3}, {2,3}: the worst is 3, not the first band's 2
    assert band_buffer_elems(d1, StepTiling(1, 1, True, False), CFG)[0] == 3 * 5 * 12
    # two-row bands [0, 2) and [2, 4) read rows 0..2 and 1..3: 3 rows each (the band [1, 3), not one of them,
    # would read all 4)
    assert band_buffer_elems(d1, StepTiling(2, 1, True, False), CFG)[0] == 3 * 5 * 12


def test_global_steps_buffer_their_whole_maps():
    """Pool and FC run as one tile: an input in DRAM is buffered whole (all H rows), as is the output."""
    pool = ComputeOp("p", "pool", (3, 5, 8), (1, 1, 8), 3, 1, (0, 0), None, False, ("p",))
    (step,) = schedule_steps([pool])
    # a lone step with a map in DRAM passes the ping-pong: the pool's output to the store, the FC's input
    assert band_buffer_elems(step, StepTiling(1, 1, True, True), CFG) == (3 * 5 * 8, 1 * 1 * 8, 1 * 1 * 8)
    fc = ComputeOp("f", "fc", (1, 1, 8), (1, 1, 6), 1, 1, (0, 0), None, False, ("f",))
    (step,) = schedule_steps([fc])
    assert band_buffer_elems(step, StepTiling(2, 1, True, True), CFG) == (8, 6, 8)


def test_feature_word_is_the_widest_engine_group():
    assert [feature_word(EngineConfig(*t), 3) for t in ((7, 2, 3, 1), (2, 7, 3, 9), (2, 3, 7, 1))] == [7, 7, 7]
    assert feature_word(EngineConfig(2, 3, 4, 1), 9) == 9  # one input beat: a pixel of 9 channels
    assert type(feature_word(EngineConfig(2, 3, 4, 1), 3)) is int  # an int for one split, not a numpy scalar
    lanes = EngineArrays(*(np.array(v, dtype=np.int64) for v in ([7, 2, 2, 2], [2, 7, 3, 3], [3, 3, 7, 4], [1] * 4)))
    assert feature_word(lanes, 5).tolist() == [7, 7, 7, 5]
    bufs = plan_buffers(STEPS, _tiles(10**9), EngineConfig(2, 3, 7, 1), False, 10**9, AB, WB)
    assert bufs[0] == Buffer("fmap_a", c(300 / 7), 7 * AB)


def _mapping(fmap_limit: int, weights_in_dram: bool, weight_tiles: tuple[int, ...]) -> Mapping:
    tiles = _tiles(fmap_limit, weight_tiles)
    board = get_board("zcu104")
    bufs = place_buffers(plan_buffers(STEPS, tiles, CFG, weights_in_dram, fmap_limit, AB, WB), board)
    return Mapping(CFG, {"d1": 3, "d2": 1}, weights_in_dram, fmap_limit < 300, tiles, STEPS, board, 200.0, AB, WB,
                   12.5, 30, fmap_limit, bufs, pe_budget=25)


def test_onchip_bits_per_op_on_chip():
    m = _mapping(10**9, False, (1, 1, 1, 1, 1))
    bits = {op.name: onchip_data_bits(op, s, m) for s in STEPS for op in s.ops}
    assert bits == {
        "c0": (240 + 240) * AB + 3 * 3 * 3 * 12 * WB,   # its input and output maps, its weights
        "d1": 240 * AB + 180 * AB + 9 * 12 * WB,        # input map, half the two-half ping-pong, 3x3 per channel
        "p1": 300 * AB + 180 * AB + 12 * 15 * WB,
        "d2": 300 * AB + 45 * AB + 9 * 15 * WB,
        "p2": 48 * AB + 45 * AB + 15 * 8 * WB,
        "pool": (48 + 8) * AB,                          # no weights
        "fc": (8 + 10) * AB + 8 * 10 * WB,
    }


def test_onchip_bits_per_op_with_dram():
    m = _mapping(239, True, (2, 1, 2, 1, 1))
    bits = {op.name: onchip_data_bits(op, s, m) for s in STEPS for op in s.ops}
    assert bits == {
        # two halves of each band buffer; the PW op's double-buffered first weight tile (dot x channels)
        # and c0's input band passing the ping-pong (a lone step with a map in DRAM): two halves of 150
        "c0": 2 * 150 * AB + 2 * 120 * AB + 2 * 150 * AB + 2 * 27 * 10 * WB,
        "d1": 2 * 240 * AB + 180 * AB + 2 * 9 * 12 * WB,   # DW weights double-buffered whole
        "p1": 2 * 225 * AB + 180 * AB + 2 * 12 * 15 * WB,
        "d2": 2 * 225 * AB + 45 * AB + 2 * 9 * 15 * WB,
        "p2": 48 * AB + 45 * AB + 2 * 15 * 5 * WB,
        "pool": (48 + 8) * AB,
        "fc": (8 + 10) * AB + 2 * 8 * 10 * WB,
    }


def test_mapping_report_and_trace():
    m = _mapping(239, True, (2, 1, 2, 1, 1))
    d = m.to_dict()
    assert (d["split"], d["pe"], d["pe_budget"], d["tin"], d["tout"], d["tc"], d["tk"]) == ("3x5,2x3", 21, 25, 3, 5, 2, 3)
    assert (d["pw_pe"], d["dw_pe"], d["board"], d["part"], d["clock_mhz"]) == (15, 6, "zcu104", "xczu7ev-ffvc1156-2",
                                                                               200.0)
    assert (d["act_bits"], d["weight_bits"], d["weights_in_dram"], d["fmaps_in_dram"], d["fmap_limit"]) == (
        AB, WB, True, True, 239)
    assert (d["dram_bytes_per_cycle"], d["dram_latency"], d["band_rows"]) == (12.5, 30, {"d1": 3, "d2": 1})
    assert d["tiles"]["c0"] == {"band_rows": 2, "weight_tiles": 2, "in_dram": True, "out_dram": True}
    assert d["buffers"][0] == {"name": "fmap_a", "banks": 1, "depth": 10, "width": 40, "bits": 400, "memory": "bram",
                               "blocks": _memory_blocks("fmap_a", 10, 40)[0]}
    assert d["dsp_packing"] is False
    assert d["bram36"] == sum(b["blocks"] for b in d["buffers"] if b["memory"] == "bram")
    assert d["uram"] == sum(b["blocks"] for b in d["buffers"] if b["memory"] == "uram")
    assert d["onchip_bits"] == sum(b["banks"] * b["depth"] * b["width"] for b in d["buffers"])
    # the mapping's trace is the schedule of its own tiling, DRAM channel and formats (input in DRAM: 240 > 239)
    ref = run_schedule(STEPS, m.tiles, CFG, weights_in_dram=True, input_in_dram=True, act_bits=AB, weight_bits=WB,
                       bytes_per_cycle=12.5, latency=30)
    assert m.trace().total_cycles == ref.total_cycles and m.trace(_net()).total_cycles == ref.total_cycles
    # given ops, the trace schedules those: without the FC, its weight load and tile are gone
    short = run_schedule(STEPS[:-1], m.tiles, CFG, weights_in_dram=True, input_in_dram=True, act_bits=AB,
                         weight_bits=WB, bytes_per_cycle=12.5, latency=30)
    assert m.trace(_net()[:-1]).total_cycles == short.total_cycles < ref.total_cycles
    other = run_schedule(STEPS, m.tiles, CFG, weights_in_dram=True, input_in_dram=False, act_bits=AB, weight_bits=WB,
                         bytes_per_cycle=12.5, latency=30)
    assert other.total_cycles != ref.total_cycles  # the input's placement shows in the cycles


@pytest.mark.parametrize("model,board,pe", [(tiny_dsc, "zcu104", 32), (tiny_odd, "pynq-z2", 16),
                                            (tiny_dsc, "pynq-z2", 64)])
def test_searched_plans_count_blocks_by_the_device_rules(model, board, pe):
    m = map_network(compute_ops(model()), pe, board)
    expected = _place([(b.name, b.depth, b.width, b.banks) for b in m.buffers], m.board.uram)
    assert [(b.memory, b.blocks) for b in m.buffers] == [expected[b.name] for b in m.buffers]
    assert m.bram36 == sum(n for mem, n in expected.values() if mem == "bram")


@pytest.mark.parametrize("text", ["0x7,8x1", "8x0,8x1", "8x7,0x1", "8x7,8x0"])
def test_every_split_factor_must_be_positive(text):
    with pytest.raises(HwgenError) as e:
        parse_split(text)
    assert str(e.value) == f"--split {text!r}: every factor must be >= 1"


def test_split_helpers():
    assert format_split(EngineConfig(8, 7, 8, 1)) == "8x7,8x1"
    assert tk_choices(STEPS) == [1, 3, 9]
    assert tk_choices(schedule_steps([op for op in _net() if op.kind != "dw"])) == [1]
    assert dw_kernel(schedule_steps([op for op in _net() if op.kind != "dw"])) == 1
    five = ComputeOp("d5", "dw", (4, 4, 2), (4, 4, 2), 5, 1, (2, 2), None, False, ("d5",))
    with pytest.raises(HwgenError) as e:
        dw_kernel(schedule_steps([*_net()[:2], five]))
    assert str(e.value) == "depthwise layers with different kernels [3, 5] cannot share one DW engine"


def test_forced_weight_tiles_re_make_bands_and_buffers():
    m = _mapping(239, True, (1, 1, 1, 1, 1))
    t = with_weight_tiles(m, 2, band_rows=1)
    # every PW-engine op in 2 tiles (the pool has none), the fused pairs in one-row bands, c0 keeps its 2 rows
    assert {k: (v.band_rows, v.weight_tiles) for k, v in t.tiles.items()} == {
        "c0": (2, 2), "d1": (1, 2), "d2": (1, 2), "pool": (1, 1), "fc": (1, 2)}
    assert t.band_rows == {"d1": 1, "d2": 1} and m.band_rows == {"d1": 3, "d2": 1}  # m itself unchanged
    assert (t.cfg, t.fmap_limit, t.weights_in_dram) == (m.cfg, m.fmap_limit, m.weights_in_dram)
    expected = [
        Buffer("fmap_a", c(48 / 5), 5 * AB), Buffer("fmap_b", c(48 / 5), 5 * AB),
        # inputs, 1 x 3 banks (fullest bank: 4 of c0's 10 columns, 2 of d1's and d2's 5): c0's two-row band 5 rows
        # x 4 x 3 = 60, d1's one-row band 3 rows x 2 x 12 = 72, d2's 3 x 2 x 15 = 90
        Buffer("in_band", 2 * c(90 / 5), 5 * AB, banks=3),
        # the 240-code input in DRAM streams through one out_band half (its one write: 48 of a burst's 256
        # words of 5 codes on the 64-bit map bus), more than c0's 2 x 5 x 12 (p1's one row: 75)
        Buffer("out_band", 2 * (c(240 / 5) + 1), 5 * AB),
        Buffer("dw_pw_pingpong", 2 * c(150 / 5), 5 * AB),    # c0's input band 150 (d1's one row 5 x 12: 60)
        # first tiles: c0 10 channels 9 * 2 = 18 words, p1 10 of 15: 4 * 2 = 8, p2 5 of 8: 5, fc 5 of 10: 3
        Buffer("pw_weights_2x", 2 * 18, 3 * 5 * WB), Buffer("dw_weights_2x", 2 * 24, 2 * 3 * WB),
        PW_BIAS, DW_BIAS,
    ]
    assert [(b.name, b.depth, b.width, b.banks) for b in t.buffers] == \
        [(b.name, b.depth, b.width, b.banks) for b in expected]
    assert [b.blocks for b in t.buffers] == \
        [_place([(b.name, b.depth, b.width, b.banks) for b in expected], 96)[b.name][1] for b in expected]
    wide = with_weight_tiles(m, 3, band_rows=10)  # bands no taller than the step's rows
    assert wide.band_rows == {"d1": 4, "d2": 2} and wide.tiles["c0"].band_rows == 2
    assert with_weight_tiles(m, 2).band_rows == m.band_rows  # no band height given: the bands stay


def test_bram36_equivalent_counts_uram_buffers_at_their_bram36_placement():
    placed = place_buffers([Buffer("small", 4096, 72), Buffer("big", 8192, 72), Buffer("q3", 4096, 27)], _board(2))
    assert [(b.memory, b.blocks) for b in placed] == [("bram", 8), ("uram", 2), ("bram", 3)]
    assert bram36_equivalent(placed) == 8 + 16 + 3  # big: 16 BRAM36 where there is no URAM
