"""Independent oracle for band halos and DRAM traffic: brute-force counts of the pixels each band touches.

For a band of output rows [r0, r1) the input rows it reads are found by enumeration: every output row r,
every kernel row ky, input row r*stride - pad_top + ky, kept when inside the map (the zero padding is not
read). A band is loaded as one contiguous run of rows, from the lowest to the highest touched row. The
DRAM bytes of a mapping are then summed band by band from those counts and from the weight blocks the
engines consume, counted by enumerating the blocks — none of it through hwgen.hw.steps.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwgen.estimate import simulate
from hwgen.hw.contract import EngineConfig
from hwgen.hw.schedule import run_schedule
from hwgen.hw.steps import StepTiling, input_rows, schedule_steps
from hwgen.ir.layers import same_padding
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model, mobilenet_v1


def touched_rows(op: ComputeOp, r0: int, r1: int) -> set[int]:
    """Input rows read by output rows [r0, r1), by enumeration."""
    if op.kind in ("pool", "fc"):
        return set(range(op.in_shape[0]))  # a global window reads every row
    rows = set()
    for r in range(r0, r1):
        for ky in range(op.kernel):
            y = r * op.stride - op.pad[0] + ky
            if 0 <= y < op.in_shape[0]:
                rows.add(y)
    return rows


def band_span(op: ComputeOp, r0: int, r1: int) -> int:
    rows = touched_rows(op, r0, r1)
    return max(rows) - min(rows) + 1


def _op(kind: str, h: int, kernel: int, stride: int) -> ComputeOp:
    ho = -(-h // stride)
    return ComputeOp("x", kind, (h, 5, 4), (ho, 5, 4), kernel, stride, (same_padding(h, kernel, stride)[1], 0),
                     None, False, ("x",))


@given(h=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 3), data=st.data())
def test_input_rows_is_the_touched_span(h, kernel, stride, data):
    op = _op(data.draw(st.sampled_from(["conv", "dw"])), h, kernel, stride)
    ho = op.out_shape[0]
    r0 = data.draw(st.integers(0, ho - 1))
    r1 = data.draw(st.integers(r0 + 1, ho))
    assert input_rows(op, r0, r1) == band_span(op, r0, r1)
    if kernel >= stride:  # windows overlap or abut: the span has no gaps
        assert input_rows(op, r0, r1) == len(touched_rows(op, r0, r1))


def test_halos_by_hand():
    # 3x3 stride 1 on 8 rows (pad 1): band [0, 2) reads rows 0..2 (row -1 is padding), [2, 4) reads 1..4.
    op = _op("dw", 8, 3, 1)
    assert (input_rows(op, 0, 2), input_rows(op, 2, 4), input_rows(op, 6, 8)) == (3, 4, 3)
    # 3x3 stride 2 on 8 rows (TF same: pad top 0, bottom 1): output row r reads 2r..2r+2, row 8 is padding.
    op = _op("dw", 8, 3, 2)
    assert op.pad[0] == 0
    assert (input_rows(op, 0, 1), input_rows(op, 1, 3), input_rows(op, 3, 4)) == (3, 5, 2)


def _pow2_bytes(bits: int) -> int:
    """Bytes of one bus beat for words of ``bits``: rounded up to a power of two, at least 32 bits."""
    bus = 32
    while bus < bits:
        bus *= 2
    return bus // 8


def _bus_bytes(cfg, weight_bits: int) -> int:
    """Bytes of one weight-bus beat: the widest engine word, on at most 1,024 bits (AXI4's widest bus)."""
    return min(_pow2_bytes(max(cfg.tin * cfg.tout, cfg.tc * cfg.tk) * weight_bits), 128)


def _section_bytes(words: int, word_bits: int, beat: int) -> int:
    """DRAM bytes of one load section: a word per beat when it fits one, else the words back to back, each
    rounded up to 32-bit units, the section rounded up to whole beats."""
    if word_bits <= 8 * beat:
        return words * beat
    return -(-words * (-(-word_bits // 32) * 4) // beat) * beat


def _words_touched(first: int, end: int, word: int) -> int:
    """Words of ``word`` codes holding codes [first, end) of a densely stored map: first to last word."""
    return (end - 1) // word - first // word + 1


def _blocks(total: int, block: int) -> int:
    return len(range(0, total, block))


def _pw_blocks(op: ComputeOp, channels: int, cfg) -> int:
    # a conv's K kernel rows of K*Cin inputs, each padded to whole tin groups, or its whole window when tk > 3
    # taps bank the maps so that each window pixel has its own bank (the nets here have 3x3 depthwise layers);
    # pw/fc: one row of Cin
    rows = (1 if cfg.tk > 3 >= op.kernel else op.kernel) if op.kind == "conv" else 1
    run = op.kernel * op.kernel * op.in_shape[2] // rows if op.kind == "conv" else op.in_shape[2]
    return rows * _blocks(run, cfg.tin) * _blocks(channels, cfg.tout)


def _expected_traffic(ops: list[ComputeOp], m) -> dict[str, tuple[int, int]]:
    """(DRAM bytes read, written) per op, band by band, from the brute-force row counts."""
    cfg, ab = m.cfg, m.act_bits
    beat = _bus_bytes(cfg, m.weight_bits)
    # a map moves as words of max(tin, tout, tc, input channels) codes, one beat each
    word = max(cfg.tin, cfg.tout, cfg.tc, ops[0].in_shape[2])
    map_beat = _pow2_bytes(word * ab)
    out: dict[str, tuple[int, int]] = {}
    for step in schedule_steps(ops):
        t = m.tiles[step.name]
        last = step.ops[-1]
        rows = last.out_shape[0]
        bands = [(r, min(r + t.band_rows, rows)) for r in range(0, rows, t.band_rows)] \
            if last.kind not in ("pool", "fc") else [(0, rows)]
        for op in step.ops:
            read = write = 0
            if op is step.ops[0] and t.in_dram:
                row = op.in_shape[1] * op.in_shape[2]
                for r0, r1 in bands:
                    rows = touched_rows(op, r0, r1)
                    read += map_beat * _words_touched(min(rows) * row, (max(rows) + 1) * row, word)
            if op is last and t.out_dram:
                row = op.out_shape[1] * op.out_shape[2]
                write += sum(map_beat * _words_touched(r0 * row, r1 * row, word) for r0, r1 in bands)
            pw_bits, dw_bits = cfg.tin * cfg.tout * m.weight_bits, cfg.tc * cfg.tk * m.weight_bits
            if m.weights_in_dram and op.kind == "dw":
                words = _blocks(op.out_shape[2], cfg.tc) * _blocks(op.kernel * op.kernel, cfg.tk)
                read += _section_bytes(words, dw_bits, beat)
            elif m.weights_in_dram and op.kind != "pool":
                n = op.out_shape[2]
                if t.weight_tiles == 1:
                    read += _section_bytes(_pw_blocks(op, n, cfg), pw_bits, beat)
                else:  # output-channel tiles of whole tout groups (a section each), re-loaded for every band
                    groups = -(-_blocks(n, cfg.tout) // t.weight_tiles) * cfg.tout
                    tiles = [min(groups, n - c0) for c0 in range(0, n, groups)]
                    read += len(bands) * sum(_section_bytes(_pw_blocks(op, ch, cfg), pw_bits, beat) for ch in tiles)
            out[op.name] = (read, write)
    return out


@pytest.mark.parametrize("alpha,resolution,pe", [(1.0, 224, 64), (1.0, 224, 256), (0.75, 224, 64), (1.0, 192, 64)])
def test_pynq_z2_dram_bytes_brute_force(alpha, resolution, pe):
    ops = compute_ops(mobilenet_v1(alpha=alpha, resolution=resolution))
    m = map_network(ops, pe, "pynq-z2")
    assert m.fmaps_in_dram and m.weights_in_dram
    streamed = [s for s in m.steps if m.tiles[s.name].in_dram]
    assert streamed and any(m.tiles[s.name].band_rows < s.out_rows for s in streamed)  # real halos, several bands
    est = simulate(ops, m)
    expected = _expected_traffic(ops, m)
    assert {x.name: (x.dram_read, x.dram_write) for x in est.layers} == expected
    h, w, c = ops[0].in_shape
    word = max(m.cfg.tin, m.cfg.tout, m.cfg.tc, c)
    input_write = _pow2_bytes(word * m.act_bits) * _words_touched(0, h * w * c, word) if h * w * c > m.fmap_limit else 0
    assert est.dram_read == sum(r for r, _ in expected.values())
    assert est.dram_write == sum(wr for _, wr in expected.values()) + input_write


def test_pynq_z2_mobilenet_64_total_by_hand():
    """MobileNet v1 1.0-224 at pe 64 on pynq-z2 (3x19, 7x1) moves 52.62 MB: maps as 19-code words, one 256-bit
    beat each (dense bytes with the same halos: 47.49 MB)."""
    ops = compute_ops(mobilenet_v1())
    m = map_network(ops, 64, "pynq-z2")
    e = _expected_traffic(ops, m)
    total = sum(r + w for r, w in e.values())
    assert round(total / 1e4) == 5262
    assert simulate(ops, m).dram_bytes == total


@pytest.mark.parametrize("band,tiles", [(1, 1), (2, 2), (3, 3)])
def test_tiny_net_every_map_in_dram(band, tiles):
    """tiny_odd (15x15 input, stride-2 halos with asymmetric padding) with every map and weight in DRAM."""
    ops = compute_ops(get_model("tiny_odd"))
    steps = schedule_steps(ops)
    cfg = EngineConfig(2, 2, 2, 1)
    tiling = {s.name: StepTiling(band, tiles if s.pw_op is not None else 1, True, s is not steps[-1]) for s in steps}
    m = SimpleNamespace(cfg=cfg, act_bits=8, weight_bits=8, tiles=tiling, weights_in_dram=True)
    trace = run_schedule(steps, tiling, cfg, weights_in_dram=True, input_in_dram=True, act_bits=8, weight_bits=8,
                         bytes_per_cycle=4.0, latency=20)
    got = {op.name: (es.dram_read, es.dram_write) for st_ in trace.steps for op, es in zip(st_.step.ops, st_.ops)}
    assert got == _expected_traffic(ops, m)
    # 675 input codes in words of max(2, 2, 2, 3) = 3 codes (24 bits, a 32-bit beat): 225 beats of 4 bytes
    assert trace.input_dram_write == 225 * 4


def test_global_ops_read_every_row_of_a_non_square_map():
    pool = ComputeOp("p", "pool", (5, 3, 4), (1, 1, 4), 5, 1, (0, 0), None, False, ("p",))
    fc = ComputeOp("f", "fc", (1, 1, 4), (1, 1, 2), 1, 1, (0, 0), None, False, ("f",))
    assert input_rows(pool, 0, 1) == 5 == len(touched_rows(pool, 0, 1)) and input_rows(fc, 0, 1) == 1
