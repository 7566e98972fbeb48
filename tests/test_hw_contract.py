"""The shared hardware contract (hwgen/hw/contract.py): formulas checked by hand."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwgen.hw import contract as hw
from hwgen.hw.contract import EngineConfig
from hwgen.hw.steps import weight_tile_channels
from hwgen.ir.ops import ComputeOp


def test_iteration_formulas():
    cfg = EngineConfig(tin=8, tout=4, tc=4, tk=9)
    assert cfg.pe == 8 * 4 + 4 * 9
    # 7x7 pixels, 1024 -> 1000: 49 * ceil(1000/4)=250 * ceil(1024/8)=128
    assert hw.pw_iterations(49, 1024, 1000, cfg) == 49 * 250 * 128
    # 112x112 output pixels, 32 channels, 3x3 with full windows: 12544 * 8 * 1
    assert hw.dw_iterations(112 * 112, 32, 3, cfg) == 100352
    assert hw.dw_iterations(10, 5, 3, EngineConfig(1, 1, 2, 1)) == 10 * 3 * 9
    assert hw.pool_iterations(49, 20, cfg) == 49 * 3
    assert hw.tile_cycles(100, hw.PW_DEPTH) == 100 + hw.PW_DEPTH
    assert hw.tile_cycles(0, hw.PW_DEPTH) == 0


def test_fused_schedule_pw_bound():
    # DW 10/band, PW 20/band, HANDOFF 1: dw0 0-10, pw0 11-31, dw1 11-21, pw1 32-52,
    # dw2 waits for pw0 (buffer 0) to drain: starts 32 (stall 10), ends 42; pw2 53-73.
    assert hw.HANDOFF == 1
    assert hw.fused_schedule(0, [10, 10, 10], [20, 20, 20]) == (73, 10, 0)


def test_fused_schedule_dw_bound():
    # DW 20/band, PW 5/band: dw bands back to back 0-20, 21-41, 42-62; pw waits for each: 21-26, 42-47, 63-68.
    # PW stalls: band1 free at 27, starts 42 (15); band2 free at 48, starts 63 (15).
    assert hw.fused_schedule(0, [20, 20, 20], [5, 5, 5]) == (68, 0, 30)


def test_row_bands_and_memory_blocks():
    assert hw.row_bands(7, 3) == [3, 3, 1]
    assert hw.row_bands(4, 8) == [4]
    with pytest.raises(ValueError):
        hw.row_bands(4, 0)
    assert hw.bram36_blocks(1024, 36) == 1
    assert hw.bram36_blocks(4096, 8) == 1  # 4K x 9 aspect
    assert hw.bram36_blocks(512, 64) == 1  # 512 x 72
    assert hw.bram36_blocks(802816, 8) == 196  # 112x112x64 bytes: 8 bits wide as 4K x 9 -> 196 blocks
    assert hw.uram_blocks(4096, 72) == 1 and hw.uram_blocks(4097, 73) == 4
    assert hw.dram_cycles(0, 8, 30) == 0
    assert hw.dram_cycles(100, 8, 30) == 30 + 13


def test_weight_words_and_loads():
    cfg = hw.EngineConfig(tin=5, tout=12, tc=4, tk=1)
    assert hw.pw_weight_words(64, 128, cfg) == 13 * 11  # zero-padded 5x12 blocks
    assert hw.dw_weight_words(32, 3, cfg) == 8 * 9
    assert hw.weight_bus_bits(cfg, 8) == 512  # 480-bit words on a 512-bit bus
    assert hw.weight_bus_bits(hw.EngineConfig(1, 1, 1, 1), 8) == 32  # AXI minimum
    assert hw.max_burst_beats(512) == 64 and hw.max_burst_beats(32) == 256  # no burst crosses 4 KB
    # 100 beats of 64 bytes: at 16 B/cycle 400 cycles; at 96 B/cycle the bus takes one beat per cycle.
    assert hw.dma_cycles(100, 512, 16.0, 30) == 30 + 400
    assert hw.dma_cycles(100, 512, 96.0, 30) == 30 + 100
    assert hw.dma_cycles(0, 512, 96.0, 30) == 0


def test_memory_blocks_edges_and_integer_burst():
    assert hw.bram36_blocks(0, 8) == 0 and hw.bram36_blocks(8, 0) == 0 and hw.bram36_blocks(1, 1) == 1
    assert hw.uram_blocks(1, 72) == 1 and hw.uram_blocks(0, 72) == 0 and hw.uram_blocks(5, 0) == 0
    assert hw.uram_blocks(10, 1) == 1
    assert type(hw.bram36_blocks(1024, 36)) is int and type(hw.uram_blocks(4096, 72)) is int  # not numpy scalars
    assert hw.bram36_blocks(-5000, 8) == 0 and hw.uram_blocks(-5000, 72) == 0  # no negative block counts
    # vectorised over arrays (the mapper's bound): each memory its own best aspect ratio
    assert hw.bram36_blocks(np.array([1024, 802816, 4096]), np.array([36, 8, 8])).tolist() == [1, 196, 1]
    beats = hw.max_burst_beats(512)
    assert beats == 64 and isinstance(beats, int)  # rendered into the RTL as a Verilog parameter


def test_fused_cycles_bound_by_hand():
    # the PW side dominates: DW one row 10, then all PW work 40 -> 10 + 1 + 40 = 51 (DW all 30 + 1 + PW row 5 = 36)
    assert hw.fused_cycles_bound(10, 30, 5, 40) == 51
    # the DW side dominates: all DW 30 + 1 + last PW row 5 = 36 > 2 + 1 + 4
    assert hw.fused_cycles_bound(2, 30, 5, 4) == 36
    # a lower bound of the real schedule: 3 bands of DW 10 / PW 20 take 73 (test_fused_schedule_pw_bound)
    assert hw.fused_cycles_bound(10, 26, 20, 56) <= hw.fused_schedule(0, [10] * 3, [20] * 3)[0]
    assert hw.fused_cycles_bound(np.array([10, 2]), np.array([30, 30]), np.array([5, 5]),
                                 np.array([40, 4])).tolist() == [51, 36]


def test_contract_errors_and_edges():
    with pytest.raises(ValueError, match="^tin must be >= 1$"):
        EngineConfig(0, 1, 1, 1)
    with pytest.raises(ValueError, match="^band_rows must be >= 1$"):
        hw.row_bands(4, 0)
    assert hw.tile_cycles(1, hw.PW_DEPTH) == 1 + 4  # a single iteration still fills and drains the pipeline
    # 3 lanes x 11-bit weights = 33 bits: the next power of two is 64 (not 32)
    assert hw.weight_bus_bits(EngineConfig(3, 1, 1, 1), 11) == 64
    assert hw.weight_bus_bits(EngineConfig(12, 12, 1, 1), 8) == 1024  # 1,152 bits: AXI4's widest, not 2,048


# --- the vectorised formulas (the mapper's bound, `hwgen explore`) against brute force ------------------------

def _band_dag_span(n: int, d_full: int, d_last: int, p_full: int, p_last: int) -> int:
    """End of the fused pair's band DAG (the module docstring): DW_i after DW_{i-1} and after PW_{i-2} (its
    ping-pong half drained), PW_i after DW_i and PW_{i-1}, every start HANDOFF = 1 after its events; start 0."""
    dw_end, pw_end = [], []
    for i in range(n):
        d, p = (d_last, p_last) if i == n - 1 else (d_full, p_full)
        start = dw_end[-1] + 1 if i else 0
        if i >= 2:
            start = max(start, pw_end[i - 2] + 1)
        dw_end.append(start + d)
        pw_end.append(max(dw_end[-1] + 1, pw_end[-1] + 1 if pw_end else 0) + p)
    return pw_end[-1]


def test_fused_span_uniform_by_hand():
    # two bands, DW 10 then 4, PW 5 then 3: DW0 0..10, PW0 11..16, DW1 11..15, PW1 17..20
    assert int(hw.fused_span_uniform(np.array(2), np.array(10), np.array(4), np.array(5), np.array(3))) == 20
    # one band: DW, handoff, PW
    assert int(hw.fused_span_uniform(np.array(1), np.array(9), np.array(7), np.array(8), np.array(2))) == 7 + 1 + 2


bands = st.tuples(st.integers(1, 12), st.integers(1, 60), st.integers(0, 60), st.integers(1, 60), st.integers(0, 60))


@given(st.lists(bands, min_size=1, max_size=6))
def test_fused_span_uniform_is_the_band_dag_longest_path(cases):
    rows = [(n, d, min(dl, d), p, min(pl, p)) for n, d, dl, p, pl in cases]
    cols = [np.array(c) for c in zip(*rows)]
    span = hw.fused_span_uniform(*cols)
    assert span.dtype == np.int64 and span.tolist() == [_band_dag_span(*r) for r in rows]


def _bus_by_doubling(widest_bits: int) -> int:
    bus = 32
    while bus < widest_bits and bus < 1024:  # AXI4's widest data bus
        bus *= 2
    return bus


lanes = st.tuples(st.integers(1, 64), st.integers(1, 64), st.integers(1, 64), st.integers(1, 9))


@given(st.lists(lanes, min_size=1, max_size=6), st.integers(2, 16))
def test_weight_bus_bits_by_doubling(splits, wbits):
    arrays = hw.EngineArrays(*(np.array(c, dtype=np.int64) for c in zip(*splits)))
    expected = [_bus_by_doubling(max(a * b, c * d) * wbits) for a, b, c, d in splits]
    assert hw.weight_bus_bits(arrays, wbits).tolist() == expected
    assert [hw.weight_bus_bits(EngineConfig(*s), wbits) for s in splits] == expected
    assert arrays.pe.tolist() == [a * b + c * d for a, b, c, d in splits]
    assert arrays.pw_pe.tolist() == [a * b for a, b, _, _ in splits]
    assert arrays.dw_pe.tolist() == [c * d for _, _, c, d in splits]


def test_weight_bus_bits_one_bit_past_a_power_of_two():
    # widest words of 33, 65 and 129 bits (3 x 11, 5 x 13, 43 x 3 lanes x bits) need the next power of two
    arrays = hw.EngineArrays(*(np.array(v, dtype=np.int64) for v in ([3, 5, 43], [1, 1, 1], [1, 1, 1], [1, 1, 1])))
    assert [hw.weight_bus_bits(arrays, b)[i] for i, b in enumerate((11, 13, 3))] == [64, 128, 256]
    assert [hw.weight_bus_bits(EngineConfig(t, 1, 1, 1), b) for t, b in ((3, 11), (5, 13), (43, 3))] == [64, 128, 256]


def _section_beats_by_layout(words: int, word_bits: int, bus: int) -> int:
    """Lay the words out one by one: a word no wider than the bus takes a fresh beat; a wider word starts at the
    next 32-bit boundary after the previous one; the section ends with the beat holding its last bit."""
    if word_bits <= bus:
        return words
    end = 0
    for _ in range(words):
        end = -(-end // 32) * 32 + word_bits
    return -(-end // bus)


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(8, 40_000), st.sampled_from([32, 64, 256, 1024])),
                min_size=1, max_size=6))
def test_weight_section_beats_by_layout(sections):
    words, bits, bus = (np.array(c, dtype=np.int64) for c in zip(*sections))
    expected = [_section_beats_by_layout(*t) for t in sections]
    assert hw.weight_section_beats(words, bits, bus).tolist() == expected
    assert [hw.weight_section_beats(*t) for t in sections] == expected
    assert all(type(hw.weight_section_beats(*t)) is int for t in sections)


def test_wide_weight_words_span_beats_of_a_real_bus():
    # The 47x52 PW array of `hwgen estimate mobilenet_v1 --pe 3456 --clock-mhz 300`: 19,552-bit words (611 units of
    # 32 bits) on the 1,024-bit bus: 10 words in ceil(195,520 / 1,024) = 191 beats = 24,448 bytes (a word per
    # 32,768-bit beat moved 40,960); its 18x9 DW lanes: 1,296-bit words stored in 1,312 bits, 3 in 4 beats.
    cfg = EngineConfig(47, 52, 18, 9)
    assert hw.weight_bus_bits(cfg, 8) == 1024 and hw.stored_word_bits(1296) == 1312
    assert hw.load_beats(10, 3, cfg, 8) == 191 + 4
    assert hw.load_beats(0, 0, cfg, 8) == 0
    # words no wider than the bus: one beat each, as before (5x12 blocks of 8 bits on 512 bits)
    assert hw.load_beats(7, 2, EngineConfig(5, 12, 4, 1), 8) == 9


def _load_by_counting(words: int, bus_bits: int, bytes_per_cycle: float, latency: int) -> int:
    """One latency, then whole cycles moving min(bandwidth, one beat) bytes each until every beat is through."""
    moved, cycles, total = 0.0, 0, words * (bus_bits // 8)
    while moved < total:
        moved += min(bytes_per_cycle, bus_bits // 8)
        cycles += 1
    return latency + cycles if total else 0


@given(st.lists(st.tuples(st.integers(0, 300), st.sampled_from([32, 64, 128, 256, 512])), min_size=1, max_size=6),
       st.sampled_from([0.5, 3.0, 4.0, 12.5, 21.0, 96.0]), st.integers(0, 40))
def test_dma_cycles_by_counting(loads, bpc, latency):
    words, bus = (np.array(c, dtype=np.int64) for c in zip(*loads))
    expected = [_load_by_counting(w, b, bpc, latency) for w, b in loads]
    cycles = hw.dma_cycles(words, bus, bpc, latency)
    assert cycles.dtype == np.int64 and cycles.tolist() == expected
    assert [hw.dma_cycles(w, b, bpc, latency) for w, b in loads] == expected


def test_dram_cycles_on_arrays_count_every_byte():
    # one latency, then whole cycles of the bandwidth: a 1-byte transfer still costs latency + 1; nothing costs 0
    nbytes = np.array([0, 1, 5, 100, 101])
    expected = [0, 30 + 1, 30 + 2, 30 + 25, 30 + 26]  # 4 bytes per cycle
    assert hw.dram_cycles(nbytes, 4.0, 30).tolist() == expected
    assert [hw.dram_cycles(int(b), 4.0, 30) for b in nbytes] == expected


def test_weight_tile_channels_over_lane_arrays():
    """15 output channels in 2 weight tiles of whole tout groups: tout 5 -> 10 + 5, tout 4 -> 8 + 7, tout 7 ->
    14 + 1 (each split as in the scalar path); splits that would make different tile counts are refused."""
    op = ComputeOp("p", "pw", (4, 4, 8), (4, 4, 15), 1, 1, (0, 0), None, False, ("p",))
    lanes = hw.EngineArrays(*(np.array(v, dtype=np.int64) for v in ([2, 2, 2], [5, 4, 7], [1, 1, 1], [1, 1, 1])))
    assert [t.tolist() for t in weight_tile_channels(op, 2, lanes)] == [[10, 8, 14], [5, 7, 1]]
    scalar = [weight_tile_channels(op, 2, EngineConfig(2, t, 1, 1)) for t in (5, 4, 7)]
    assert scalar == [[10, 5], [8, 7], [14, 1]] and all(type(c) is int for t in scalar for c in t)  # ints, not numpy
    one = hw.EngineArrays(*(np.array([v], dtype=np.int64) for v in (2, 4, 1, 1)))  # an array of one split
    assert [t.tolist() for t in weight_tile_channels(op, 2, one)] == [[8], [7]]
    mixed = hw.EngineArrays(*(np.array(v, dtype=np.int64) for v in ([2, 2], [5, 15], [1, 1], [1, 1])))
    with pytest.raises(ValueError, match="^splits with different tile counts cannot run as one array$"):
        weight_tile_channels(op, 2, mixed)
