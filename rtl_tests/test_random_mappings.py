"""A few of the random mappings of tests/test_rtl_codegen.py::test_property_every_mapping_has_rtl run in cocotb:
bit-exact (also under stream back-pressure), every tile = tile_cycles, total cycles = hwgen estimate."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from rtl_tests.harness import assert_exact, cosim_design
from rtl_tests.random_mappings import Case, cases


@settings(max_examples=5, derandomize=True, database=None, deadline=None)
@given(case=cases())
def test_random_mapping_cosim(tmp_path_factory, case):
    d = case.design()
    tmp = tmp_path_factory.mktemp("rand")
    m = d.mapping
    name = f"rand_{m.cfg.tin}x{m.cfg.tout},{m.cfg.tc}x{m.cfg.tk}{'_wdram' if m.weights_in_dram else ''}" \
           f"{'_tiles' if any(t.weight_tiles > 1 for t in m.tiles.values()) and m.weights_in_dram else ''}" \
           f"{f'_px{m.pixels_per_beat}' if m.pixels_per_beat > 1 else ''}"
    assert_exact(cosim_design(name, d, d.write_rtl(tmp / "rtl"), tmp))


#: Mappings of the strategy with feature maps in DRAM (maps larger than the input and the logits), drawn from
#: it and kept because between them every streamed-step kind occurs: a conv writing its map band by band,
#: fused pairs reading and/or writing theirs, a lone DW op reading and writing, the pool reading a whole map;
#: weights in DRAM in weight tiles, in DRAM, and on chip (the weight bundle idle); band writes starting mid-word
#: from lane-masked weight tiles (the last case fails when the DMA's write merge is removed).
FMAP_CASES = [
    Case((5, 8, 1), (("conv1", "conv", (("filters", 4), ("kernel", 3), ("stride", 2))), ("dw0", "dw", (("stride", 1),)),
                     ("pw0", "pw", (("filters", 7),)), ("dw1", "dw", (("stride", 1),)), ("gap", "pool", ()),
                     ("fc", "fc", (("units", 3),))), 14, "dram", 1.0, None, 2, 3, 1),
    Case((7, 5, 3), (("conv1", "conv", (("filters", 5), ("kernel", 3), ("stride", 1))), ("dw0", "dw", (("stride", 2),)),
                     ("pw0", "pw", (("filters", 12),)), ("dw1", "dw", (("stride", 2),)), ("pw1", "pw", (("filters", 2),))),
         31, "auto", 0.2, None, None, None, 3),
    Case((5, 9, 3), (("conv1", "conv", (("filters", 8), ("kernel", 3), ("stride", 2))), ("dw0", "dw", (("stride", 1),)),
                     ("pw0", "pw", (("filters", 11),)), ("gap", "pool", ()), ("fc", "fc", (("units", 3),))),
         42, "onchip", 1.0, None, None, None, 1),
    # weight-tiled PW steps writing a map whose bands start mid-word: lane-masked tile writes never fill the
    # lanes of a band's first word that belong to the band before, which the DMA's write merge supplies
    Case((8, 8, 2), (("conv1", "conv", (("filters", 5), ("kernel", 3), ("stride", 1))), ("dw0", "dw", (("stride", 1),)),
                     ("pw0", "pw", (("filters", 6),)), ("gap", "pool", ()), ("fc", "fc", (("units", 5),))),
         26, "dram", 1.0, None, 3, None, 2),
    # the network input in DRAM too (its 105 codes above the logits' 2), throttled: the stream goes through out_band
    Case((7, 5, 3), (("conv1", "conv", (("filters", 5), ("kernel", 3), ("stride", 1))), ("dw0", "dw", (("stride", 2),)),
                     ("pw0", "pw", (("filters", 12),)), ("dw1", "dw", (("stride", 2),)), ("pw1", "pw", (("filters", 2),))),
         31, "auto", 0.2, None, None, None, 3, input_in_dram=True),
    # and with weights on chip
    Case((5, 9, 3), (("conv1", "conv", (("filters", 8), ("kernel", 3), ("stride", 2))), ("dw0", "dw", (("stride", 1),)),
                     ("pw0", "pw", (("filters", 11),)), ("gap", "pool", ()), ("fc", "fc", (("units", 3),))),
         42, "onchip", 1.0, None, None, None, 1, input_in_dram=True),
]


@pytest.mark.parametrize("case", FMAP_CASES, ids=["tiles_all_kinds", "auto_throttled", "weights_onchip",
                                                  "tiles_mid_word_writes", "input_in_dram_throttled",
                                                  "input_in_dram_weights_onchip"])
def test_random_mapping_fmaps_in_dram_cosim(tmp_path, case):
    d = case.design()
    m = d.mapping
    assert m.fmaps_in_dram and any(t.in_dram for t in m.tiles.values()) and any(t.out_dram for t in m.tiles.values())
    assert m.tiles[m.steps[0].name].in_dram == case.input_in_dram
    name = f"rand_{m.cfg.tin}x{m.cfg.tout},{m.cfg.tc}x{m.cfg.tk}_fmaps{'_wdram' if m.weights_in_dram else ''}"
    assert_exact(cosim_design(name, d, d.write_rtl(tmp_path / "rtl"), tmp_path))
