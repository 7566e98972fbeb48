"""A wide, packed instance: 520 MACs/cycle (a 16x32 PW array — 256 DSP48E2 packed — and 8 DW lanes) on a small
DSC net, bit-exact with the golden model and cycle-exact with hwgen estimate (the cycle model at >= 512 MACs)."""
from __future__ import annotations

from rtl_tests.harness import assert_exact, cosim, net


def test_520_macs_per_cycle_packed_cycle_exact(tmp_path):
    g = net("wide", (6, 6, 32), [("conv", "conv", {"kernel": 3, "stride": 1, "filters": 32}),
                                 ("dw", "dw", {"kernel": 3, "stride": 1}), ("pw", "pw", {"filters": 64}),
                                 ("pool", "pool", {}), ("fc", "fc", {"units": 40})])
    out = cosim("wide_520", g, tmp_path, split="16x32,8x1", pe=520, band_rows=2)
    assert out.estimate.mapping.cfg.pe == 520 and out.estimate.mapping.dsp_packing
    assert out.estimate.dsp == 16 * 16 + 8
    assert "s2_pk" in (out.rtl_dir / "hwgen_pw_engine.v").read_text()
    assert_exact(out)
