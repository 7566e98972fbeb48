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
    # name: (graph, split, band_rows, act_bits, weight_bits)
    "pw_tin4_tout3": (net("pw", (5, 7, 6), [("pw", "pw", {"filters": 10})]), EngineConfig(4, 3, 1, 1), None, 8, 8),
    "conv_im2col_s2_a12": (net("conv", (9, 9, 3), [("conv", "conv", {"kernel": 3, "stride": 2, "filters": 8})]),
                           EngineConfig(4, 4, 1, 1), None, 12, 8),
    "conv_im2col_s1_odd_a6w4": (net("conv1", (7, 5, 3), [("conv", "conv", {"kernel": 3, "stride": 1, "filters": 5})]),
                                EngineConfig(5, 2, 1, 1), None, 6, 4),
    "dw_tk3_s1_odd": (net("dw", (7, 9, 5), [("dw", "dw", {"kernel": 3, "stride": 1})]), EngineConfig(1, 1, 2, 3), None,
                      8, 8),
    "dw_tk9_s2": (net("dw2", (9, 8, 6), [("dw", "dw", {"kernel": 3, "stride": 2})]), EngineConfig(1, 1, 4, 9), None,
                  8, 6),
    "fused_band3_tk1": (net("fused", (8, 6, 4), [("dw", "dw", {"kernel": 3, "stride": 1}),
                                                ("pw", "pw", {"filters": 6})]), EngineConfig(2, 4, 3, 1), 3, 8, 8),
    "fused_band1_s2_tk3": (net("fused2", (9, 7, 5), [("dw", "dw", {"kernel": 3, "stride": 2}),
                                                    ("pw", "pw", {"filters": 7})]), EngineConfig(3, 2, 2, 3), 1, 8, 8),
    "pool_fc_tin3_tout2": (net("poolfc", (5, 5, 7), [("pool", "pool", {}), ("fc", "fc", {"units": 4})]),
                           EngineConfig(3, 2, 1, 1), None, 8, 8),
    # ap_fixed<16,2> output: a negative requantization shift (left shift), mostly unsaturated
    "pw_left_shift": (net("pwneg", (3, 4, 5), [("pw", "pw", {"filters": 6})]), EngineConfig(2, 3, 1, 1), None, 8, 8),
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


@pytest.mark.parametrize("fmap_limit", [None, 100], ids=["onchip", "maps_in_dram"])
def test_conv_window_in_groups_across_kernel_rows(tmp_path, fmap_limit):
    """TK = 9 banks the maps 3 x 3 (the DW kernel's grid), so the conv's 27-code window is one run in 7 groups of
    tin = 4 that cross kernel rows (hw.contract.conv_rows; 9 groups with its kernel rows padded): bit-exact and
    cycle-exact with its maps on chip, and with the input and the conv's output in DRAM (the maps above 100
    codes: the conv reads its bands from the banked in_band halves)."""
    from hwgen.hw.steps import pw_groups
    from hwgen.ir.ops import compute_ops

    graph = net("convw", (7, 6, 3), [("conv", "conv", {"kernel": 3, "stride": 1, "filters": 5}),
                                     ("dw", "dw", {"kernel": 3, "stride": 2})])
    out = cosim("conv_window_tk9", graph, tmp_path, split=EngineConfig(4, 3, 2, 9), fmap_limit=fmap_limit,
                fmap_band_rows=2, weights_in_dram=fmap_limit is not None)
    assert_exact(out)
    conv = next(op for op in compute_ops(graph) if op.kind == "conv")
    assert pw_groups(conv, EngineConfig(4, 3, 2, 9), 3) == 7 and pw_groups(conv, EngineConfig(4, 3, 2, 3), 3) == 9
    assert bool(out.summary["dram_maps"]) == (fmap_limit is not None)
