"""Feature-memory banks in the RTL (hw.contract "Feature-memory banks"), bit-exact and cycle-exact: DW kernels
3 and 5 with 1 x K and K x K grids (TK = K, K^2), widths that BC does not divide (banks with a row end's gap),
strides 1 and 2, convs of kernel 1, 3 and 5 reading banked maps (im2col runs per bank), a DW op as the last op
(the output stream reads banks), pool + fc, weight tiles (lane-masked writes into banks), row bands; and banked
fmaps next to in_band halves read with per-tap copies (a DW step reading its input from DRAM)."""
from __future__ import annotations

import pytest

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
def test_banked_fmaps_and_in_band_copies(tmp_path, name, shape, layers, split, kw):
    out = cosim(name, net(name, shape, layers), tmp_path, split=split, pe=64, **kw)
    assert_exact(out)
