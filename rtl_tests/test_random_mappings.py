"""A few of the random mappings of tests/test_rtl_codegen.py::test_property_every_mapping_has_rtl run in cocotb:
bit-exact (also under stream back-pressure), every tile = tile_cycles, total cycles = hwgen estimate."""
from __future__ import annotations

from hypothesis import given, settings

from rtl_tests.harness import assert_exact, cosim_design
from rtl_tests.random_mappings import cases


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
