"""Several input pixels per AXI4-Stream beat (--pixels-per-beat): the RTL's input stage takes P pixels a cycle,
bit-exact with the golden model and cycle-exact with the estimate (input = ceil(H*W/P) beats, the last beat
partial), with weights on-chip and in DRAM (load 0 is issued at the first beat), and with feature maps in DRAM."""
from __future__ import annotations

import pytest

from hwgen.hw.contract import EngineConfig
from hwgen.models.zoo import get_model
from rtl_tests.harness import assert_exact, cosim


@pytest.mark.parametrize("dram", [False, True], ids=["onchip", "dram"])
def test_four_pixels_per_beat_cycle_exact(tmp_path, dram):
    out = cosim(f"tiny_odd_p4_{'dram' if dram else 'onchip'}", get_model("tiny_odd"), tmp_path, pe=20,
                split=EngineConfig(4, 3, 4, 1), band_rows=2, weights_in_dram=dram, pixels_per_beat=4)
    assert out.summary["pixels_per_beat"] == 4 and out.summary["in_beats"] == 57  # 15 x 15 = 56 x 4 + 1
    assert out.summary["in_beat_bits"] == 128  # 4 pixels x 3 channels x 8 bits = 96 -> 128-bit TDATA
    assert out.estimate.input_cycles == 57
    assert "IN_BC = 12" in (out.rtl_dir / "hwgen_top.v").read_text()
    assert_exact(out)


def test_three_pixels_per_beat_with_feature_maps_in_dram(tmp_path):
    """tiny_dsc's maps larger than its input stream through DRAM in bands of 2 rows (rtl_tests/test_dram.py's
    case) while the input arrives 3 pixels a beat: 256 pixels in 86 beats, the feature word (and so each map
    beat of the DMA) 9 codes."""
    out = cosim("tiny_dsc_p3_fmaps_dram", get_model("tiny_dsc"), tmp_path, pe=32, weights_in_dram=True,
                split="3x8,8x1", fmap_limit=16 * 16 * 3, fmap_band_rows=2, pixels_per_beat=3)
    assert out.summary["fmaps_in_dram"] and out.estimate.input_cycles == 86
    assert out.estimate.mapping.to_dict()["pixels_per_beat"] == 3
    assert_exact(out)
