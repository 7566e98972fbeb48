"""hwgen.numerics.fixed by hand: the cases the mutation run (docs/mutation.md) showed no other test pins —
ctype spelling, ReLU6 bounds of every frac sign, accumulator widths at their edges, dtype contracts,
and quantization of values far outside int64."""
from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.ir.ops import ComputeOp
from hwgen.numerics.fixed import (
    POOL_RECIP_BITS,
    FixedFormat,
    accumulator_bits,
    check_bits,
    output_range,
    pool_recip,
    quantize_array,
    relu6_max,
    requantize,
    round_shift,
    saturate,
    sum_tree,
)
from hwgen.quant.golden import run_op_fixed
from hwgen.quant.qgraph import QuantOp


def test_ctype_spelling():
    assert FixedFormat(8, 4).ctype() == "ap_fixed<8,4,AP_RND_CONV,AP_SAT>"
    assert FixedFormat(8, 4).ctype(False) == "ap_fixed<8,4>"
    assert FixedFormat(6, 7).ctype(rounding=False) == "ap_fixed<6,-1>"  # frac > width: negative integer bits


@pytest.mark.parametrize("width,frac,code", [
    (8, 4, 96),     # 6 * 2^4
    (8, 0, 6),      # 6 itself
    (8, 5, 127),    # 6 * 32 = 192 > 127: the format's maximum
    (4, 1, 7),      # 12 > 7
    (8, -1, 3),     # LSB 2: the largest code <= 6 is 3 (6.0 exactly)
    (8, -2, 1),     # LSB 4: 1 (4.0), since 2 would be 8 > 6
    (2, -3, 0),     # LSB 8: no positive value <= 6
    (2, -1, 1),     # LSB 2: 3 would be 6.0 but the 2-bit maximum is 1
])
def test_relu6_max_every_frac_sign(width, frac, code):
    assert relu6_max(FixedFormat(width, frac)) == code


def test_accumulator_bits_edges():
    # one product of two 8-bit codes: |a*w| <= 2^7 * 2^7 = 2^14 -> 15 magnitude bits + sign = 16
    assert accumulator_bits(8, 8, 1) == 16
    assert accumulator_bits(8, 8, 0) == 16  # no terms still holds one (zero) product
    assert accumulator_bits(8, 8, 2) == 17
    # a 20-bit bias dominates: 2^14 + 2^19 < 2^20 -> 20 magnitude bits + sign
    assert accumulator_bits(8, 8, 1, 20) == 21
    assert accumulator_bits(8, 8, 9, 2) == accumulator_bits(8, 8, 9) == 19  # 9 * 2^14 + 2 < 2^18


def test_dtype_contracts():
    small = np.array([100, -100], dtype=np.int8)
    out = round_shift(small, -4)  # a left shift must not overflow the caller's narrow dtype
    assert out.tolist() == [1600, -1600] and out.dtype == np.int64
    assert round_shift(np.array([5, 6, 7], dtype=np.int32), 1).dtype == np.int64
    q, n = saturate(np.array([300, -300, 5], dtype=np.int32), FixedFormat(8, 0))
    assert q.tolist() == [127, -128, 5] and q.dtype == np.int64 and n == 2


def test_quantize_far_outside_int64_saturates_the_right_way():
    f = FixedFormat(8, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the float -> int64 cast stays defined (no "invalid value in cast")
        q, n = quantize_array(np.array([1e300, -1e300, 1e19, -1e19, 2.0 ** 63]), f)
    assert q.tolist() == [127, -128, 127, -128, 127] and n == 5


def test_output_range():
    assert output_range(FixedFormat(8, 4), False) == (-128, 127)  # the RTL clamps non-ReLU layers here
    assert output_range(FixedFormat(8, 4), True) == (0, 96)
    assert output_range(FixedFormat(6, 5), True) == (0, 31)
    assert output_range(FixedFormat(8, 4), False, relu=True) == (0, 127)  # plain ReLU: clamp at 0 only
    assert output_range(FixedFormat(8, 4), True, relu=True) == (0, 96)   # ReLU6 wins (never both set)


def _exact_code(a: int, s: int) -> int:
    """a / 2^s rounded half to even by exact rational arithmetic (Python's round of a Fraction)."""
    return round(Fraction(a, 1 << s)) if s > 0 else a * (1 << -s)


@given(st.lists(st.tuples(st.integers(-(1 << 40), 1 << 40), st.integers(-1 << 8, 1 << 8)), min_size=1, max_size=8),
       st.lists(st.integers(-6, 24), min_size=1, max_size=5))
def test_round_shift_per_channel_shifts_by_exact_arithmetic(rows, shifts):
    """An array of shifts (one per output channel, the last axis) rounds every channel by its own shift; ties
    of every shift come from the second component (a small multiple of the half added to a big one)."""
    acc = np.array([[a + t * (1 << max(s - 1, 0)) for s in shifts] for a, t in rows], dtype=np.int64)
    got = round_shift(acc, np.array(shifts))
    assert got.dtype == np.int64 and got.shape == acc.shape
    assert got.tolist() == [[_exact_code(int(v), s) for v, s in zip(row, shifts)] for row in acc]
    for j, s in enumerate(shifts):  # and the same as the scalar path, channel by channel
        assert round_shift(acc[:, j], s).tolist() == got[:, j].tolist()


def test_round_shift_per_channel_by_hand():
    acc = np.array([[5, 5, 5, 6, -6, 7, 3]])
    # shifts 1, 2, 0, 2, 2, -1, 1: 2.5 -> 2, 1.25 -> 1, 5, 1.5 -> 2, -1.5 -> -2, 14, 1.5 -> 2
    assert round_shift(acc, np.array([1, 2, 0, 2, 2, -1, 1])).tolist() == [[2, 1, 5, 2, -2, 14, 2]]


def test_requantize_relu_clamps_at_zero_only():
    fmt = FixedFormat(8, 4)
    acc = np.array([-1000, -3, 40, 1000, 2000])
    # shift 1: -500 -> sat -128 (1 overflow), -1.5 -> -2, 20, 500 -> 127, 1000 -> 127 (overflows: 3)
    assert [v.tolist() if isinstance(v, np.ndarray) else v for v in requantize(acc, 1, fmt, False)] == [
        [-128, -2, 20, 127, 127], 3]
    codes, over = requantize(acc, 1, fmt, False, relu=True)
    assert codes.tolist() == [0, 0, 20, 127, 127] and over == 3  # the activation clamp is not an overflow
    codes, over = requantize(acc, 1, fmt, True)
    assert codes.tolist() == [0, 0, 20, 96, 96] and over == 3


def test_quantize_rejects_non_finite_with_one_message():
    with pytest.raises(HwgenError) as e:
        quantize_array(np.array([0.0, np.nan]), FixedFormat(8, 4))
    assert str(e.value) == "cannot quantize non-finite values (NaN or infinity in the input)"


@pytest.mark.parametrize("count,recip", [
    (1, 65536), (2, 32768), (16, 4096), (49, 1337),  # 65536/49 = 1337.47
    (3, 21845), (6, 10923),                          # 21845.33, 10922.67
    (5, 13107), (7, 9362), (131072, 1),              # 13107.2, 9362.29; 0.5 rounds half up
])
def test_pool_recip_by_hand(count, recip):
    assert pool_recip(count) == recip


@pytest.mark.parametrize("k", [2, 3, 4, 7])
def test_pool_within_one_code_of_the_true_average(k):
    """The bound of docs/testing.md in pure Python: codes within 1 of the rounded true average, equal for
    power-of-two windows (the C++ ap_fixed version is tests/test_oracle_ap_fixed.py)."""
    fa = fo = FixedFormat(8, 4)
    n = k * k
    op = ComputeOp("pool", "pool", (k, k, 64), (1, 1, 64), k, 1, (0, 0), None, False, ("pool",))
    q = QuantOp(op, fa, fo, None, None, None, fa.frac + POOL_RECIP_BITS - fo.frac, 32)
    x = np.random.default_rng(k).integers(fa.min_int, fa.max_int + 1, op.in_shape)
    got = run_op_fixed(q, x)[0].reshape(-1)
    true = np.array([round(Fraction(int(s), n)) for s in x.sum(axis=(0, 1))])  # half to even
    assert np.abs(got - true).max() <= (0 if n & (n - 1) == 0 else 1)
    assert (got == true).mean() > 0.9


@pytest.mark.parametrize("value", [2, 8, 32, np.int64(12)])
def test_check_bits_accepts_2_to_32(value):
    got = check_bits("act_bits", value)
    assert got == int(value) and type(got) is int


@pytest.mark.parametrize("value", [1, 33, 0, -8, True, 8.0, "8", None])
def test_check_bits_rejects_with_one_line_naming_the_flag(value):
    with pytest.raises(HwgenError) as e:
        check_bits("weight_bits", value)
    assert str(e.value) == f"weight_bits (--weight-bits) must be an integer in 2..32, got {value!r}"


def _wrap(v: int, bits: int) -> int:
    return ((v + (1 << (bits - 1))) % (1 << bits)) - (1 << (bits - 1))


@given(st.integers(1, 70), st.integers(2, 20), st.data())
def test_sum_tree_adds_every_term_once_within_its_widths(n, bits, data):
    """The RTL's adder tree (node n+i = node 2i + node 2i+1): every term reaches the root exactly once, and adding
    in each node's width (wrapping) gives the exact total whenever the accumulator holds it, at the extremes too."""
    cap = data.draw(st.integers(bits, bits + 10))
    nodes = sum_tree(n, bits, cap)
    assert len(nodes) == n - 1
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    terms = data.draw(st.lists(st.sampled_from([lo, hi, 0, -1, 1]) | st.integers(lo, hi), min_size=n, max_size=n))
    value, width, uses = list(terms), [bits] * n, [0] * (2 * n - 1)
    for a, b, w in nodes:
        assert w >= max(width[a], width[b]) or w == cap
        uses[a] += 1
        uses[b] += 1
        value.append(_wrap(value[a] + value[b], w))
        width.append(w)
    assert uses[:-1] == [1] * (2 * n - 2) and uses[-1] == 0  # a tree: each node feeds one parent, the root none
    total = sum(terms)
    if -(1 << (cap - 1)) <= total < (1 << (cap - 1)):
        assert value[-1] == total
