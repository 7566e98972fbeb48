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


def test_584_macs_window_conv_cycle_exact(tmp_path):
    """The same array with 8 x 9 DW lanes (584 MACs/cycle): TK = 9 banks the maps 3 x 3, so the stem conv's
    27-code window is ceil(27/16) = 2 im2col groups per pixel, not 3 padded kernel rows (hw.contract.conv_rows)."""
    from hwgen.hw.steps import pw_groups

    g = net("widew", (6, 6, 3), [("conv", "conv", {"kernel": 3, "stride": 1, "filters": 32}),
                                 ("dw", "dw", {"kernel": 3, "stride": 1}), ("pw", "pw", {"filters": 64}),
                                 ("pool", "pool", {}), ("fc", "fc", {"units": 40})])
    out = cosim("wide_584_window", g, tmp_path, split="16x32,8x9", pe=584, band_rows=2)
    m = out.estimate.mapping
    assert m.cfg.pe == 584 and m.dsp_packing
    conv = m.steps[0].first
    assert conv.kind == "conv" and pw_groups(conv, m.cfg, m.steps[0].dw_kernel) == 2
    assert_exact(out)
