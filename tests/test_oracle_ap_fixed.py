"""Golden model vs a C++ reference written in ap_fixed arithmetic (tests/oracle/ap_fixed_ref.cpp).

The reference never sees hwgen's integer requantizer, ``pool_recip`` or ``relu6_max``: it multiplies and
adds ap_fixed values and assigns the sum to ``ap_fixed<W,I,AP_RND_CONV,AP_SAT>`` — the Xilinx semantics the
golden model claims to reproduce. Layers of the tiny nets (6, 8, 12 bits) run on random codes spanning the
whole format, on the extremes (-2^(W-1), 2^(W-1)-1) with extreme weights (every layer saturates), and on
biases built to land exactly on rounding ties of both parities and signs.

Average pooling. hwgen computes ``sum * pool_recip(n) >> shift`` with ``pool_recip(n) = round(2^16 / n)``
(POOL_RECIP_BITS = 16); the reference divides the exact sum by n (ap_fixed division at 40 extra fractional
bits, then AP_RND_CONV). Bound: in units of the input LSB, |sum| <= n * 2^(W-1) and
|recip / 2^16 - 1 / n| <= 2^-17, so the two pre-rounding values differ by
delta <= n * 2^(W-1) * 2^-17 = n * 2^(W-18) input LSBs, i.e. delta * 2^(fo - fi) output LSBs. Rounding (and the
monotone saturation and ReLU6 after it) can turn a difference below one output LSB into at most one code, and
only when the true average lies within delta of a rounding boundary (a half-integer output code). When n is a
power of two <= 2^16, recip = 2^16 / n exactly, delta = 0 and the codes are equal. For 8-bit maps: 4x4 pooling
(the tiny nets) is exact, MobileNet's 7x7 window has delta <= 49 * 2^-10 = 0.048 LSB.
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from hwgen.ir.ops import ComputeOp
from hwgen.models.zoo import get_model
from hwgen.numerics.fixed import POOL_RECIP_BITS, FixedFormat, accumulator_bits, pool_recip
from hwgen.quant.golden import run_op_fixed
from hwgen.quant.qgraph import QuantOp
from hwgen.quant.quantize import quantize

SRC = Path(__file__).parent / "oracle" / "ap_fixed_ref.cpp"
KIND = {"conv": 0, "dw": 1, "pw": 2, "fc": 3, "pool": 4}


def _ap_types() -> Path | None:
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(spec.submodule_search_locations[0]) / "templates" / "vivado" / "ap_types"
    return p if (p / "ap_fixed.h").exists() else None


pytestmark = pytest.mark.skipif(_ap_types() is None or shutil.which("g++") is None,
                                reason="needs g++ and the ap_types headers of the hls4ml wheel")


def _fmt_key(q: QuantOp) -> tuple[int, ...]:
    w = q.w_fmt or q.in_fmt
    return (KIND[q.op.kind], q.in_fmt.width, q.in_fmt.integer, w.width, w.integer, q.out_fmt.width, q.out_fmt.integer)


def _qop(op: ComputeOp, fa: FixedFormat, fw: FixedFormat, fo: FixedFormat, w, b) -> QuantOp:
    if op.kind == "pool":
        return QuantOp(op, fa, fo, None, None, None, fa.frac + POOL_RECIP_BITS - fo.frac,
                       accumulator_bits(fa.width, POOL_RECIP_BITS + 2, op.in_shape[0] * op.in_shape[1]))
    terms = op.kernel * op.kernel * (1 if op.kind == "dw" else op.in_shape[2])
    bias_bits = int(np.abs(b).max()).bit_length() + 1
    return QuantOp(op, fa, fo, fw, np.asarray(w, np.int64), np.asarray(b, np.int64), fa.frac + fw.frac - fo.frac,
                   accumulator_bits(fa.width, fw.width, terms, bias_bits), bias_bits)


def _pool_op(h: int, w: int, c: int) -> ComputeOp:
    return ComputeOp("pool", "pool", (h, w, c), (1, 1, c), h, 1, (0, 0), None, False, ("pool",))


NETS = [("tiny_odd", 6), ("tiny_odd", 8), ("tiny_odd", 12), ("tiny_dsc", 8)]


def _nets() -> list[QuantOp]:
    return [q for name, bits in NETS for q in quantize(get_model(name), bits, bits).ops]


# The extra pooling formats of the bound test (input format, output format, window).
POOLS = [(FixedFormat(8, 4), FixedFormat(8, 4), n) for n in (3, 5, 7)] + [(FixedFormat(8, 4), FixedFormat(8, 6), 7),
                                                                          (FixedFormat(12, 6), FixedFormat(8, 3), 5)]
# Tie-building formats: in, weight, out.
TIES = [(FixedFormat(8, 4), FixedFormat(8, 6), FixedFormat(8, 4)), (FixedFormat(6, 2), FixedFormat(6, 3),
                                                                     FixedFormat(6, 1))]


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    """The compiled reference and its format table; returns run(qop, x) -> output codes."""
    keys: dict[tuple[int, ...], int] = {}
    for q in _nets():
        keys.setdefault(_fmt_key(q), len(keys))
    for fa, fo, _ in POOLS:
        keys.setdefault((4, fa.width, fa.integer, fa.width, fa.integer, fo.width, fo.integer), len(keys))
    for fa, fw, fo in TIES:
        keys.setdefault((2, fa.width, fa.integer, fw.width, fw.integer, fo.width, fo.integer), len(keys))
    d = tmp_path_factory.mktemp("apref")
    (d / "formats.inc").write_text("".join(f"HWGEN_FORMAT({i}, {', '.join(map(str, k))})\n" for k, i in keys.items()))
    exe = d / "ap_fixed_ref"
    cc = subprocess.run(["g++", "-std=c++14", "-O2", "-Wall", "-isystem", str(_ap_types()), f"-I{d}", str(SRC),
                         "-o", str(exe)], capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr[-3000:]
    # -Wall clean in our source; at -O2 GCC's flow analysis also reports (un)initialized-use warnings located
    # inside the ap_types headers' own arbitrary-precision internals, which are not ours to fix.
    ours = [ln for ln in cc.stderr.splitlines() if ln.startswith(str(SRC)) and ("warning:" in ln or "error:" in ln)]
    assert not ours, "\n".join(ours)

    def run(q: QuantOp, x: np.ndarray) -> np.ndarray:
        op = q.op
        h, w, c = op.in_shape
        ho, wo, co = op.out_shape
        head = [keys[_fmt_key(q)], h, w, c, ho, wo, co, op.kernel, op.stride, *op.pad, int(op.relu6)]
        body = [x.reshape(-1)]
        if op.kind != "pool":
            body += [q.weights.reshape(-1), q.bias.reshape(-1)]
        text = " ".join(map(str, head)) + "\n" + "\n".join(" ".join(map(str, a.tolist())) for a in body) + "\n"
        p = subprocess.run([str(exe)], input=text, capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return np.array(p.stdout.split(), dtype=np.int64).reshape(ho, wo, co)

    return run


def _inputs(q: QuantOp, seed: int) -> list[np.ndarray]:
    f, shape = q.in_fmt, q.op.in_shape
    rng = np.random.default_rng(seed)
    alt = np.where(np.indices(shape).sum(axis=0) % 2 == 0, f.max_int, f.min_int)
    return [rng.integers(f.min_int, f.max_int + 1, shape), np.full(shape, f.max_int), np.full(shape, f.min_int), alt]


def _extreme_weights(q: QuantOp, sign: int) -> QuantOp:
    fw = q.w_fmt
    w = np.full(q.weights.shape, fw.max_int if sign > 0 else fw.min_int)
    return _qop(q.op, q.in_fmt, fw, q.out_fmt, w, q.bias)


def test_every_tiny_net_layer_matches_ap_fixed(ref):
    layers = saturated = 0
    for i, q in enumerate(_nets()):
        variants = [q] if q.op.kind == "pool" else [q, _extreme_weights(q, 1), _extreme_weights(q, -1)]
        for v in variants:
            for x in _inputs(v, i):
                got, sats = run_op_fixed(v, x)
                np.testing.assert_array_equal(got, ref(v, x), err_msg=f"{v.name} {_fmt_key(v)}")
                saturated += sats > 0
                layers += 1
    assert layers == 4 * (4 + 3 * (3 * 6 + 8))  # 4 inputs each: 4 pools, 3 weight sets of 26 weighted layers
    assert saturated > layers // 3  # the extremes overflow the output formats: AP_SAT is exercised


@pytest.mark.parametrize("fmts", TIES, ids=lambda f: f"{f[0].width}bit")
@pytest.mark.parametrize("relu6", [False, True])
def test_exact_rounding_ties(ref, fmts, relu6):
    """A 1x1 conv on zero inputs outputs its bias: biases at every (2m+1)/2 output LSB are exact ties."""
    fa, fw, fo = fmts
    shift = fa.frac + fw.frac - fo.frac
    codes = np.arange(-(fo.max_int + 3), fo.max_int + 3)  # every output code and beyond the saturation limits
    bias = (2 * codes + 1) << (shift - 1)
    n = len(bias)
    op = ComputeOp("pw", "pw", (1, 1, 2), (1, 1, n), 1, 1, (0, 0), None, relu6, ("pw",))
    q = _qop(op, fa, fw, fo, np.ones((2, n)), bias)
    x = np.zeros((1, 1, 2), dtype=np.int64)
    got = run_op_fixed(q, x)[0]
    np.testing.assert_array_equal(got, ref(q, x))
    # Ties go to the even neighbour (AP_RND_CONV), not up: (2m+1)/2 -> m or m+1, whichever is even.
    expected = np.clip(codes + (codes % 2), fo.min_int, fo.max_int)
    if relu6:
        expected = np.clip(expected, 0, min(6 << fo.frac, fo.max_int))
    np.testing.assert_array_equal(got[0, 0], expected)


def _true_average_code(xs: np.ndarray, fa: FixedFormat, fo: FixedFormat) -> int:
    """Round-half-even of the exact average, in output codes, saturated (Python Fractions)."""
    v = Fraction(int(xs.sum()), len(xs)) * Fraction(2) ** (fo.frac - fa.frac)
    return int(np.clip(round(v), fo.min_int, fo.max_int))  # Python's round() of a Fraction is half-to-even


@pytest.mark.parametrize("fa,fo,k", POOLS, ids=lambda v: str(v))
def test_pool_reciprocal_within_bound_of_true_average(ref, fa, fo, k):
    op = _pool_op(k, k, 64)
    n = k * k
    q = _qop(op, fa, fa, fo, None, None)
    rng = np.random.default_rng(k)
    xs = [rng.integers(fa.min_int, fa.max_int + 1, op.in_shape) for _ in range(6)] + _inputs(q, 0)
    delta = Fraction(n * abs(pool_recip(n) * Fraction(1, 2 ** POOL_RECIP_BITS) - Fraction(1, n))
                     * 2 ** (fa.width - 1)) * Fraction(2) ** (fo.frac - fa.frac)  # output LSBs
    assert delta <= Fraction(n * 2 ** (fa.width - 1), 2 ** 17) * Fraction(2) ** (fo.frac - fa.frac)
    mismatches = 0
    for x in xs:
        hw_codes = run_op_fixed(q, x)[0][0, 0]
        true_codes = ref(q, x)[0, 0]
        for ch in range(op.in_shape[2]):
            exact = _true_average_code(x[:, :, ch].reshape(-1), fa, fo)
            assert true_codes[ch] == exact  # the ap_fixed division rounds the true average
            if hw_codes[ch] != exact:
                mismatches += 1
                assert abs(int(hw_codes[ch]) - exact) == 1
                v = Fraction(int(x[:, :, ch].sum()), n) * Fraction(2) ** (fo.frac - fa.frac)
                assert abs(v - (v.numerator // v.denominator) - Fraction(1, 2)) <= delta  # near a rounding boundary
    assert mismatches <= len(xs) * op.in_shape[2] // 10


@pytest.mark.parametrize("k", [2, 4, 8])
def test_pool_power_of_two_window_is_exact(ref, k):
    fa = fo = FixedFormat(8, 4)
    q = _qop(_pool_op(k, k, 32), fa, fa, fo, None, None)
    assert pool_recip(k * k) * k * k == 1 << POOL_RECIP_BITS
    for x in _inputs(q, k) + [np.random.default_rng(k + 1).integers(-128, 128, q.op.in_shape)]:
        np.testing.assert_array_equal(run_op_fixed(q, x)[0], ref(q, x))
