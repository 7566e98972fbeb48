"""WP486 DSP packing (hwgen.numerics.packing): one multiply gives both products, bit-exact over the full signed
ranges; a naive unpack without the sign correction is shown to fail; the resource model and the mapper's budget."""
from __future__ import annotations

import itertools
import json
import shutil

import numpy as np
import pytest
from hls_helpers import assert_rules, hand_mapping
from click.testing import CliRunner
from hypothesis import given, strategies as st

from hwgen.build import HwConfig, build
from hwgen.codegen.rtl.plan import plan_rtl
from hwgen.cli import cli
from hwgen.codegen.hls.project import generate_hls
from hwgen.errors import HwgenError

from hwgen.hw.boards import get_board
from hwgen.hw.contract import EngineConfig
from hwgen.hw.resources import max_macs
from hwgen.ir.graph import Graph
from hwgen.ir.layers import BatchNorm, Input, PointwiseConv2D
from hwgen.ir.ops import compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model
from hwgen.numerics.packing import (DSP48E2_A_BITS, DSP48E2_B_BITS, PACK_MAX_BITS, PACK_SHIFT, packed_operand,
                                    packed_products, packing_fits)
from hwgen.quant.quantize import quantize
from hwgen.verify.corners import corner_input, corner_qgraph
from hwgen.verify.csim import run_csim


def codes(bits: int) -> st.SearchStrategy[int]:
    return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


@st.composite
def operands(draw: st.DrawFn) -> tuple[int, int, int, int, int]:
    ab, wb = draw(st.integers(2, PACK_MAX_BITS)), draw(st.integers(2, PACK_MAX_BITS))
    return ab, wb, draw(codes(ab)), draw(codes(wb)), draw(codes(wb))


@given(operands())
def test_packed_products_equal_plain_products(case):
    _, _, a, w_lo, w_hi = case
    assert packed_products(a, w_lo, w_hi) == (a * w_lo, a * w_hi)


def test_exhaustive_8bit_corners_and_mixed_signs():
    """Every 8-bit activation against every weight pair built from the corner and sign-boundary codes
    (-128 x -128 = 16384 is the largest low product; -128 x 127 the most negative)."""
    a = np.arange(-128, 128)
    corner = [-128, -127, -1, 0, 1, 126, 127]
    for w_lo, w_hi in itertools.product(corner, corner):
        lo, hi = packed_products(a, w_lo, w_hi)
        assert (lo == a * w_lo).all() and (hi == a * w_hi).all(), (w_lo, w_hi)
    lo, hi = packed_products(-128, -128, -128)
    assert (int(lo), int(hi)) == (16384, 16384)


def test_exhaustive_8bit_all_pairs_one_activation():
    """All 65,536 weight pairs for the two extreme activations (each gives the most extreme low products)."""
    w = np.arange(-128, 128)
    w_lo, w_hi = (x.ravel() for x in np.meshgrid(w, w))
    for a in (-128, 127):
        lo, hi = packed_products(a, w_lo, w_hi)
        assert (lo == a * w_lo).all() and (hi == a * w_hi).all()


def test_without_sign_correction_the_upper_product_is_wrong():
    """The correction is needed: reading the upper field alone is off by one whenever a * w_lo < 0."""
    a, w_lo, w_hi = -3, 5, 7
    p = a * int(packed_operand(w_lo, w_hi))
    assert p >> PACK_SHIFT == a * w_hi - 1
    assert packed_products(a, w_lo, w_hi) == (-15, -21)


def test_operands_fit_the_dsp48e2_ports():
    lim = 1 << (PACK_MAX_BITS - 1)
    for w_lo, w_hi in itertools.product((-lim, lim - 1), repeat=2):
        v = int(packed_operand(w_lo, w_hi))
        assert -(1 << (DSP48E2_A_BITS - 1)) <= v < 1 << (DSP48E2_A_BITS - 1)
    assert PACK_MAX_BITS <= DSP48E2_B_BITS
    assert packing_fits(8, 8) and not packing_fits(9, 8) and not packing_fits(8, 9)


@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
@pytest.mark.parametrize("tout", [4, 5])
def test_packed_hls_pw_engine_csim_bit_exact_on_ties(tmp_path, tout):
    """C-sim of the packed HLS PW engine on hwgen.verify.corners' "ties" weights and input (every accumulator on
    a rounding tie: a product off by one changes an output), -128 x -128 included; bit-exact with the golden
    model, and the generated engine really multiplies once per pair."""
    g = Graph("hpack")
    g.add("input", Input(shape=(4, 5, 7)))
    g.add("pw", PointwiseConv2D(filters=9))
    g.add("bn", BatchNorm())
    g.validate()
    qg = corner_qgraph(quantize(g), "ties", seed=3)
    qg.ops[0].weights.flat[:4] = (-128, -128, 127, -128)
    x = corner_input(qg, "ties", seed=1)
    x.flat[:7] = x.min()
    mapping = hand_mapping(qg, EngineConfig(3, tout, 1, 1))
    out = tmp_path / "p"
    generate_hls(qg, mapping, out, part="xc7z020clg400-1", clock_mhz=100.0, board="pynq-z2", inputs=x[None])
    assert_rules(out, mapping)
    assert "packed_mul(x[i]" in (out / "pw_engine.cpp").read_text()
    result = run_csim(out, unity=True)
    assert result.warnings == [] and result.compile_error == ""
    assert result.passed, result.output[-2000:]
    assert result.checked == {"pw": 2 * 4 * 5 * 9}  # two inferences


def test_mapper_budget_is_two_macs_per_dsp_when_packed():
    """ultra96 (xczu3eg, 360 DSP48E2): the search budget is two MACs per DSP; a 536-MAC split needs 280 DSPs
    packed (within the board) and 536 unpacked (not); the mapper's own split stays within the DSPs either way
    (and within the LUTs, which bind first on this part)."""
    board = get_board("ultra96")
    assert (max_macs(board, 8, 8, True), max_macs(board, 8, 8, False)) == (720, 360)
    ops = compute_ops(get_model("tiny_dsc"))
    forced = map_network(ops, 5000, "ultra96", split="16x32,8x3")
    assert forced.dsp_packing and forced.dsp == 16 * 16 + 8 * 3 == 280 <= 360 < forced.cfg.pe == 536
    assert not any("DSP" in w for w in forced.warnings)
    unpacked = map_network(ops, 5000, "ultra96", split="16x32,8x3", dsp_packing=False)
    assert unpacked.dsp == 536 and "needs 536 DSP but ultra96 has 360" in unpacked.warnings
    m = map_network(ops, 5000, "ultra96")
    c = m.cfg
    assert m.dsp_packing and m.dsp == c.tin * -(-c.tout // 2) + c.tc * c.tk <= 360 and not m.warnings
    off = map_network(ops, 5000, "ultra96", dsp_packing=False)
    assert not off.dsp_packing and off.dsp == off.cfg.pe <= 360 and not off.warnings


@pytest.mark.parametrize("board,act_bits,weight_bits", [("pynq-z2", 8, 8), ("zcu104", 9, 8), ("zcu104", 8, 9)])
def test_packing_off_without_dsp48e2_or_above_8_bits(board, act_bits, weight_bits):
    m = map_network(compute_ops(get_model("tiny_dsc")), 64, board, act_bits, weight_bits)
    assert not m.dsp_packing and m.dsp == m.cfg.pe


def test_wide_format_override_unpacks_estimate_and_generators_alike():
    """A 10-bit activation format override: the RTL and HLS lanes are 10 bits wide, so nothing packs, and the
    estimate's DSP count says so too (one DSP per MAC); without the override all three pack."""
    cfg = HwConfig(pe=32, board="zcu104", split="4x6,8x1")
    plain = build("tiny_dsc", cfg)
    wide = build("tiny_dsc", cfg, formats={"input": (10, 2)})
    assert plain.mapping.dsp_packing and plan_rtl(plain.qgraph, plain.mapping).dsp_packing
    assert plain.estimate().dsp == 4 * 3 + 8 == plain.mapping.dsp
    assert plan_rtl(wide.qgraph, wide.mapping).act_width == 10
    assert not wide.mapping.dsp_packing and not plan_rtl(wide.qgraph, wide.mapping).dsp_packing
    assert wide.estimate().dsp == 4 * 6 + 8


def test_packing_flag_errors_and_cli(tmp_path):
    with pytest.raises(HwgenError, match=r"^dsp_packing \(--dsp-packing\) must be True or False, got 'yes'$"):
        HwConfig(dsp_packing="yes")
    runner = CliRunner()
    on = runner.invoke(cli, ["estimate", "tiny_dsc", "--pe", "32", "--format", "json"])
    off = runner.invoke(cli, ["estimate", "tiny_dsc", "--pe", "32", "--no-dsp-packing", "--format", "json"])
    assert on.exit_code == off.exit_code == 0
    a, b = json.loads(on.output), json.loads(off.output)
    assert a["mapping"]["dsp_packing"] and not b["mapping"]["dsp_packing"]
    assert b["total"]["dsp"] == b["total"]["pe"] and a["total"]["dsp"] < a["total"]["pe"]
    assert a["total"]["cycles"] == b["total"]["cycles"]  # below the DSP budget packing only saves DSPs
