"""Engine-level cocotb tests: one small network per engine mode over a matrix of PE splits,
band heights, bit widths, strides and odd sizes. Random full-range input codes; outputs must be
bit-exact with the golden model (and the loop reference (rtl_tests/engine_loops.py)), every tile must take exactly
hw.tile_cycles, and the whole run exactly the estimate's cycle count."""
from __future__ import annotations

import pytest

from hwgen.hw.contract import EngineConfig
from hwgen.quant.golden import run_fixed
from rtl_tests.harness import assert_exact, cosim, full_range_input, net
from rtl_tests.engine_loops import run_network

CASES = {
    # name: (graph, split, band_rows, act_bits, weight_bits). The input stream writes one pixel per cycle into
    # words of max(tin, tout, tc) codes, so every split's word holds an input pixel (a wide tc or tin where the
    # network has no DW op or a narrow PW array: the engine under test still reads groups straddling words).
    "pw_tin4_tout3": (net("pw", (5, 7, 6), [("pw", "pw", {"filters": 10})]), EngineConfig(4, 3, 6, 1), None, 8, 8),
    "conv_im2col_s2_a12": (net("conv", (9, 9, 3), [("conv", "conv", {"kernel": 3, "stride": 2, "filters": 8})]),
                           EngineConfig(4, 4, 1, 1), None, 12, 8),
    "conv_im2col_s1_odd_a6w4": (net("conv1", (7, 5, 3), [("conv", "conv", {"kernel": 3, "stride": 1, "filters": 5})]),
                                EngineConfig(5, 2, 1, 1), None, 6, 4),
    "dw_tk3_s1_odd": (net("dw", (7, 9, 5), [("dw", "dw", {"kernel": 3, "stride": 1})]), EngineConfig(5, 1, 2, 3), None,
                      8, 8),
    "dw_tk9_s2": (net("dw2", (9, 8, 6), [("dw", "dw", {"kernel": 3, "stride": 2})]), EngineConfig(6, 1, 4, 9), None,
                  8, 6),
    "fused_band3_tk1": (net("fused", (8, 6, 4), [("dw", "dw", {"kernel": 3, "stride": 1}),
                                                ("pw", "pw", {"filters": 6})]), EngineConfig(2, 4, 3, 1), 3, 8, 8),
    "fused_band1_s2_tk3": (net("fused2", (9, 7, 5), [("dw", "dw", {"kernel": 3, "stride": 2}),
                                                    ("pw", "pw", {"filters": 7})]), EngineConfig(3, 5, 2, 3), 1, 8, 8),
    "pool_fc_tin3_tout2": (net("poolfc", (5, 5, 7), [("pool", "pool", {}), ("fc", "fc", {"units": 4})]),
                           EngineConfig(3, 2, 7, 1), None, 8, 8),
    # ap_fixed<16,2> output: a negative requantization shift (left shift), mostly unsaturated
    "pw_left_shift": (net("pwneg", (3, 4, 5), [("pw", "pw", {"filters": 6})]), EngineConfig(2, 3, 5, 1), None, 8, 8),
}
FORMATS = {"pw_left_shift": {"pw": (16, 2)}}


@pytest.mark.parametrize("case", list(CASES))
def test_engine(case, tmp_path):
    graph, split, band_rows, act_bits, weight_bits = CASES[case]
    out = cosim(case, graph, tmp_path, split=split, band_rows=band_rows, act_bits=act_bits,
                weight_bits=weight_bits, formats=FORMATS.get(case))
    assert_exact(out)


def test_left_shift_case_has_a_negative_shift():
    from hwgen.quant.quantize import quantize
    graph, _, _, act_bits, weight_bits = CASES["pw_left_shift"]
    assert quantize(graph, formats=FORMATS["pw_left_shift"]).ops[0].shift < 0


def test_reference_agrees_with_golden(tmp_path):
    """The loop reference and the golden model agree on every case (so RTL == both)."""
    from hwgen.quant.quantize import quantize
    for case, (graph, _, _, act_bits, weight_bits) in CASES.items():
        qg = quantize(graph, weight_bits=weight_bits, act_bits=act_bits, formats=FORMATS.get(case))
        x = full_range_input(qg, 1)
        assert (run_network(qg, x) == run_fixed(qg, x).logits).all()
