"""The generated requantizer (hwgen_requant.v) alone, bit-exact with round half to even and saturation
(hwgen.numerics.fixed) over random and corner vectors: every shift from the largest left shift to past the
accumulator's width (where only sign bits remain), exact ties, both clamps. A rounding bug planted in the
Verilog is caught."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from hwgen.codegen.templating import render
from hwgen.numerics.fixed import round_shift
from hwgen.verify.cosim import default_simulator

HERE = Path(__file__).parent
OW = 8


def reference(acc: int, sh: int, lo: int, hi: int) -> int:
    """Round half to even of acc / 2**sh in Python integers (any shift), clamped to [lo, hi]."""
    if sh > 0:
        q, rem, half = acc >> sh, acc & ((1 << sh) - 1), 1 << (sh - 1)
        v = q + (rem > half or (rem == half and q & 1))
    else:
        v = acc << -sh
    return min(max(v, lo), hi)


def vectors(iw: int, lsh: int, seed: int) -> list[tuple[int, int, int, int]]:
    rng = random.Random(seed)
    lo_acc, hi_acc = -(1 << (iw - 1)), (1 << (iw - 1)) - 1
    clamps = [(-128, 127), (0, 127), (0, 96), (-128, -100)]
    out = []
    for sh in list(range(-lsh, iw + 6)) + [62, 126, 127]:
        accs = [lo_acc, hi_acc, 0, 1, -1, rng.randint(lo_acc, hi_acc), rng.randint(-300, 300)]
        if 0 < sh < iw:  # exact ties and their neighbours
            t = rng.randint(lo_acc >> sh, hi_acc >> sh) << sh
            accs += [a for a in (t + (1 << (sh - 1)) + d for d in (-1, 0, 1)) if lo_acc <= a <= hi_acc]
        out += [(a, sh, *clamps[i % len(clamps)]) for i, a in enumerate(accs)]
    return out


def run_requant(tmp: Path, iw: int, lsh: int, vecs: list, text_patch: tuple[str, str] | None = None) -> list[int]:
    from cocotb_tools.runner import get_runner

    text = render("rtl/hwgen_requant.v.j2")
    if text_patch is not None:
        assert text_patch[0] in text
        text = text.replace(*text_patch)
    src = tmp / "hwgen_requant.v"
    src.write_text(text)
    vec, res = tmp / "vectors.json", tmp / "results.json"
    vec.write_text(json.dumps(vecs))
    runner = get_runner(default_simulator())
    runner.build(sources=[str(src)], hdl_toplevel="hwgen_requant", build_dir=str(tmp), always=True,
                 parameters={"IW": iw, "OW": OW, "SW": 8, "LSH": lsh}, timescale=("1ns", "1ps"),
                 log_file=str(tmp / "build.log"))
    # test_dir holds the testbench module; its results.xml goes to tmp, not into the source tree
    runner.test(test_module="requant_tb", test_dir=str(HERE), hdl_toplevel="hwgen_requant", build_dir=str(tmp),
                extra_env={"HWGEN_VECTORS": str(vec), "HWGEN_RESULTS": str(res)}, log_file=str(tmp / "sim.log"),
                results_xml=str(tmp / "results.xml"))
    return json.loads(res.read_text())


@pytest.mark.parametrize("iw,lsh", [(19, 0), (27, 0), (20, 3)])
def test_requantizer_is_bit_exact_at_every_shift(tmp_path, iw, lsh):
    vecs = vectors(iw, lsh, seed=iw + lsh)
    # the integer reference is the library's round_shift wherever int64 holds the shift
    small = [(a, s) for a, s, _, _ in vecs if s < 62]
    wide = 1 << 80
    assert [int(round_shift(np.array([a], dtype=np.int64), s)[0]) for a, s in small] == \
        [reference(a, s, -wide, wide) for a, s in small]
    assert run_requant(tmp_path, iw, lsh, vecs) == [reference(*v) for v in vecs]


def test_a_rounding_bug_planted_in_the_requantizer_is_caught(tmp_path):
    """Round half up instead of half to even: the tie vectors differ."""
    vecs = vectors(19, 0, seed=5)
    got = run_requant(tmp_path, 19, 0, vecs, ("up = t[0] && ((|low) || q[0]);", "up = t[0];"))
    assert sum(g != reference(*v) for g, v in zip(got, vecs)) > 0
