"""Several input pixels per AXI4-Stream beat (--pixels-per-beat): the RTL's input stage takes P pixels a cycle,
bit-exact with the golden model and cycle-exact with the estimate (input = ceil(H*W/P) beats, the last beat
partial), with weights on-chip and in DRAM (load 0 is issued at the first beat), and with feature maps in DRAM."""
from __future__ import annotations

import pytest

from hwgen.hw.contract import EngineConfig
from hwgen.models.zoo import get_model
from rtl_tests.harness import assert_exact, cosim, net


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


#: the DW engine reads the streamed input itself: 4-pixel rows, so a beat of 5 pixels spans 2 or 3 rows
NARROW = net("narrow_p5", (6, 4, 3), [("dw1", "dw", dict(kernel=3, stride=1)), ("pw1", "pw", dict(filters=8)),
                                      ("pool", "pool", {}), ("fc", "fc", dict(units=4))])


@pytest.mark.parametrize("name,graph,split", [
    ("tiny_dsc_p5_tk3", "tiny_dsc", "4x4,4x3"),  # 1 x 3 banks; 16 = 5 x 3 + 1: banks 1, 2 leave a slot per row
    ("tiny_dsc_p5_tk9", "tiny_dsc", "4x4,4x9"),  # 3 x 3 banks
    ("narrow_p5_tk3", NARROW, "4x4,4x3"),
    ("narrow_p5_tk9", NARROW, "4x4,4x9"),
])
def test_more_pixels_per_beat_than_bank_columns_cycle_exact(tmp_path, name, graph, split):
    """P = 5 pixels per beat into a banked fmap_a (BC = 3 < 5): each bank takes one run of <= 5 slots per beat
    through its packer (hw.contract "Feature-memory banks"), the DW taps read one run per bank, no copies; the
    input stream stays one beat per cycle."""
    g = get_model(graph) if isinstance(graph, str) else graph
    out = cosim(name, g, tmp_path, pe=64, split=split, pixels_per_beat=5)
    h, w, _ = out.estimate.mapping.steps[0].first.in_shape
    assert out.estimate.input_cycles == -(-h * w // 5)
    fa = next(b for b in out.estimate.mapping.buffers if b.name == "fmap_a")
    assert fa.banks == (3 if split.endswith("x3") else 9)
    assert_exact(out)
