"""Counter widths (plan.counter_widths) forced wider than the plan's: the RTL stays bit-exact and cycle-exact.

Every other cosim runs the plan's own widths, the narrowest its counts allow; here every counter group is widened
to ``bits`` (17: just past the former 16-bit counters; 31: plan.MAX_COUNTER_BITS) and the design re-rendered."""
from __future__ import annotations

from dataclasses import fields, replace

import pytest

from hwgen.codegen.rtl.plan import MAX_COUNTER_BITS, plan_rtl
from hwgen.codegen.rtl.render import render_rtl
from hwgen.models.zoo import get_model
from rtl_tests.harness import assert_exact, cosim_design, generate, net
from rtl_tests.test_fmem_banks import BCASES


def _widened(graph, tmp_path, bits: int, **gen_kw):
    """The design generated as usual, then its RTL re-rendered with every counter group ``bits`` wide."""
    design, rtl = generate(graph, tmp_path, **gen_kw)
    plan = plan_rtl(design.qgraph, design.mapping)
    assert all(getattr(plan.widths, f.name) <= bits for f in fields(plan.widths))
    plan.widths = replace(plan.widths, **{f.name: bits for f in fields(plan.widths)})
    for name, text in render_rtl(plan).items():
        (rtl / name).write_text(text)
    top = (rtl / "hwgen_top.v").read_text()
    assert f"localparam integer SQ = {bits};" in top and f"reg [{bits - 1}:0] out_ch;" in top
    return design, rtl


@pytest.mark.parametrize("bits", [17, MAX_COUNTER_BITS])
def test_tiny_dsc_with_wide_counters(tmp_path, bits):
    """tiny_dsc at pe 32 (weights and maps on chip)."""
    design, rtl = _widened(get_model("tiny_dsc"), tmp_path, bits, pe=32)
    assert f"localparam integer CW = {bits};" in (rtl / "hwgen_pw_engine.v").read_text()
    assert_exact(cosim_design(f"tiny_dsc_counters{bits}", design, rtl, tmp_path))


def test_tiny_dsc_streamed_with_wide_counters(tmp_path):
    """tiny_dsc with weights in DRAM in two weight tiles per PW op and every map (the input too) in DRAM in one-row
    bands: the sequencer's tile / band handshakes and the DMA queue's triggers and sequence numbers, 31 bits."""
    design, rtl = _widened(get_model("tiny_dsc"), tmp_path, MAX_COUNTER_BITS, pe=32, weights_in_dram=True,
                           split="3x8,8x1", weight_tiles=2, fmap_limit=16 * 16 * 3 - 1, fmap_band_rows=1)
    assert design.mapping.fmaps_in_dram and design.mapping.weights_in_dram
    assert_exact(cosim_design("tiny_dsc_streamed_counters31", design, rtl, tmp_path))


def test_banked_in_band_with_wide_counters(tmp_path):
    """A DW step reading its input from DRAM into 1 x 3 banked in_band halves (the DMA's scatter: a beat's
    channel offset and columns), 31 bits."""
    name, shape, layers, split, kw = BCASES[0]
    design, rtl = _widened(net(name, shape, layers), tmp_path, MAX_COUNTER_BITS, split=split, pe=64, **kw)
    assert f"localparam integer SW = {MAX_COUNTER_BITS};" in (rtl / "hwgen_top.v").read_text()
    assert_exact(cosim_design(f"{name}_counters31", design, rtl, tmp_path))
