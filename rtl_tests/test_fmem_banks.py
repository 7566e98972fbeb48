"""Feature-memory banks in the RTL (hw.contract "Feature-memory banks"), bit-exact and cycle-exact: DW kernels
3 and 5 with 1 x K and K x K grids (TK = K, K^2), widths that BC does not divide (banks with a row end's gap),
strides 1 and 2, convs of kernel 1, 3 and 5 reading banked maps (im2col runs per bank), a DW op as the last op
(the output stream reads banks), pool + fc, weight tiles (lane-masked writes into banks), row bands; and banked
in_band halves (a DW step reading its input from DRAM): the DMA scatters each beat into the banks by pixel."""
from __future__ import annotations

import pytest

from hwgen.mapping.plan import buffer_banks
from hwgen.models.zoo import get_model
from rtl_tests.harness import assert_exact, cosim, net

CASES = [
    ("k5_tk5", (7, 11, 3), [("c", "conv", {"filters": 4, "kernel": 5, "stride": 1}), ("d", "dw", {"kernel": 5, "stride": 2}), ("p", "pw", {"filters": 6})], "3x4,2x5", {}),
    ("k5_tk25", (8, 7, 2), [("c", "conv", {"filters": 3, "kernel": 3, "stride": 1}), ("d", "dw", {"kernel": 5, "stride": 1}), ("p", "pw", {"filters": 5}), ("d2", "dw", {"kernel": 5, "stride": 2})], "3x3,1x25", {}),
    ("k5_tk5b", (6, 9, 3), [("c", "conv", {"filters": 5, "kernel": 5, "stride": 2}), ("d", "dw", {"kernel": 5, "stride": 1}), ("g", "pool", {}), ("f", "fc", {"units": 4})], "3x4,3x5", {}),
    ("k3_tk9_conv1", (9, 10, 4), [("c", "conv", {"filters": 6, "kernel": 1, "stride": 1}), ("d", "dw", {"kernel": 3, "stride": 2}), ("p", "pw", {"filters": 7}), ("d2", "dw", {"kernel": 3, "stride": 1})], "4x3,2x9", {}),
    ("k3_tk3_tiles", (7, 8, 3), [("c", "conv", {"filters": 5, "kernel": 3, "stride": 1}), ("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 9}), ("d2", "dw", {"kernel": 3, "stride": 2})], "3x3,2x3", {"weights_in_dram": True, "weight_tiles": 3}),
    ("k3_tk3_bands", (10, 7, 3), [("c", "conv", {"filters": 4, "kernel": 3, "stride": 2}), ("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 5}), ("d2", "dw", {"kernel": 3, "stride": 1}), ("p2", "pw", {"filters": 3})], "3x3,4x3", {"band_rows": 2}),
]


@pytest.mark.parametrize("name,shape,layers,split,kw", CASES, ids=[c[0] for c in CASES])
def test_banked_fmaps(tmp_path, name, shape, layers, split, kw):
    out = cosim(name, net(name, shape, layers), tmp_path, split=split, pe=64, **kw)
    assert_exact(out)


DCASES = [
    ("dram_tk9", (7, 8, 3), [("c", "conv", {"filters": 6, "kernel": 3, "stride": 1}), ("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 4}), ("d2", "dw", {"kernel": 3, "stride": 2}), ("p2", "pw", {"filters": 3})], "3x3,2x9", {"fmap_limit": 300, "fmap_band_rows": 2}),
    ("dram_tk3", (9, 7, 2), [("c", "conv", {"filters": 8, "kernel": 3, "stride": 1}), ("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 3}), ("d2", "dw", {"kernel": 3, "stride": 1}), ("g", "pool", {}), ("f", "fc", {"units": 3})], "3x3,4x3", {"fmap_limit": 100, "fmap_band_rows": 3, "weights_in_dram": True}),
]


@pytest.mark.parametrize("name,shape,layers,split,kw", DCASES, ids=[c[0] for c in DCASES])
def test_banked_fmaps_and_in_band(tmp_path, name, shape, layers, split, kw):
    out = cosim(name, net(name, shape, layers), tmp_path, split=split, pe=64, **kw)
    assert_exact(out)


#: DW steps with TK > 1 reading their input from DRAM into banked in_band halves (1 x 3 and 3 x 3 grids, widths
#: that BC does not divide), the DMA scattering each beat by pixel: beats starting mid-pixel (C > word), beats of
#: several pixels crossing a row end's gap (C < word; 4 x 1 pixels of 5 codes: a bank's run spans its gap slot), a conv reading the network input (in DRAM) from the banks,
#: pool + fc reading theirs; DRAM throttled.
BCASES = [
    ("inband_1x3", (6, 7, 2), [("c", "conv", {"filters": 5, "kernel": 3, "stride": 1}), ("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 2}), ("d2", "dw", {"kernel": 3, "stride": 1}), ("g", "pool", {}), ("f", "fc", {"units": 3})], "3x3,2x3", {"fmap_limit": 60, "fmap_band_rows": 2, "weights_in_dram": True, "dram_gbps": 1.0}),
    ("inband_gap", (5, 4, 1), [("c", "conv", {"filters": 4, "kernel": 3, "stride": 1}), ("d", "dw", {"kernel": 3, "stride": 1}), ("p", "pw", {"filters": 2}), ("d2", "dw", {"kernel": 3, "stride": 1}), ("g", "pool", {}), ("f", "fc", {"units": 3})], "3x5,2x3", {"fmap_limit": 12, "fmap_band_rows": 2}),
    ("inband_3x3", (7, 5, 1), [("c", "conv", {"filters": 7, "kernel": 3, "stride": 1}), ("d", "dw", {"kernel": 3, "stride": 2}), ("p", "pw", {"filters": 2}), ("d2", "dw", {"kernel": 3, "stride": 1}), ("g", "pool", {}), ("f", "fc", {"units": 3})], "3x4,2x9", {"fmap_limit": 20, "fmap_band_rows": 3}),
]


@pytest.mark.parametrize("name,shape,layers,split,kw", BCASES, ids=[c[0] for c in BCASES])
def test_dw_reads_banked_in_band(tmp_path, name, shape, layers, split, kw):
    out = cosim(name, net(name, shape, layers), tmp_path, split=split, pe=64, **kw)
    m = out.estimate.mapping
    grid = buffer_banks(m.steps, m.tiles, m.cfg).in_band
    assert grid != (1, 1)
    assert any(m.tiles[s.name].in_dram and s.first.kind == "dw" for s in m.steps)
    assert m.tiles[m.steps[0].name].in_dram  # the network input too
    mems = {x["name"]: x for x in out.summary["memories"]}
    assert mems["in_band[0]"]["count"] == mems["in_band[1]"]["count"] == grid[0] * grid[1]  # the plan's banks
    assert_exact(out)


def test_tiny_dsc4_maps_in_dram_banked_in_band(tmp_path):
    """tiny_dsc4 (TK = 9: 3 x 3 banks) with every map above 768 codes in DRAM, its input too, in bands of 2 rows:
    five maps read into banked in_band halves (3 to 32 channels, 9-code beats), bit- and cycle-exact."""
    out = cosim("tiny_dsc4_fmaps_dram", get_model("tiny_dsc4"), tmp_path, pe=64, fmap_limit=768, fmap_band_rows=2)
    mems = {x["name"]: x for x in out.summary["memories"]}
    assert out.summary["fmaps_in_dram"] and mems["in_band[0]"]["count"] == mems["in_band[1]"]["count"] == 9
    assert_exact(out)
