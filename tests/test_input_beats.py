"""--pixels-per-beat: the cycle model's input stream (contract.input_cycles) and its one-line errors."""
from __future__ import annotations

import subprocess
import sys

import pytest

from hwgen.build import HwConfig, build
from hwgen.errors import HwgenError
from hwgen.hw.contract import EngineConfig, feature_word, input_cycles


def test_input_cycles_ceil_and_partial_last_beat():
    assert [input_cycles(225, p) for p in (1, 4, 5, 15, 64)] == [225, 57, 45, 15, 4]


def test_estimate_input_stream_shrinks_by_exactly_the_saved_beats():
    """MobileNet v1 on a forced split: 224 x 224 = 50,176 beats at 1 pixel, 10,036 at 5 (the last beat holds 1);
    nothing else in the schedule moves (the input is on-chip, the weights' first load is issued at beat 1)."""
    cfg = dict(pe=1024, board="zcu104", clock_mhz=300.0, split="32x29,32x3")
    one = build("mobilenet_v1", HwConfig(**cfg)).estimate()
    five = build("mobilenet_v1", HwConfig(**cfg, pixels_per_beat=5)).estimate()
    assert (one.input_cycles, five.input_cycles) == (50_176, 10_036)
    assert one.total_cycles - five.total_cycles == 50_176 - 10_036
    assert five.mapping.to_dict()["pixels_per_beat"] == 5


def test_feature_word_holds_one_beat():
    assert feature_word(EngineConfig(4, 3, 4, 1), 3, 4) == 12 and feature_word(EngineConfig(16, 3, 4, 1), 3, 4) == 16


def test_bad_pixels_per_beat_is_one_line_exit_2():
    with pytest.raises(HwgenError, match=r"^--pixels-per-beat must be in 1\.\.64, got 0$"):
        HwConfig(pixels_per_beat=0)
    with pytest.raises(HwgenError, match=r"^--pixels-per-beat 43: 43 pixels x 3 channels x 8 bits = 1032-bit beats, "
                                         r"wider than the 1024-bit input stream$"):
        build("tiny_dsc", HwConfig(pe=32, pixels_per_beat=43))
    res = subprocess.run([sys.executable, "-m", "hwgen", "estimate", "tiny_dsc", "--pe", "32", "--pixels-per-beat",
                          "43"], capture_output=True, text=True)
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == ("hwgen: error: --pixels-per-beat 43: 43 pixels x 3 channels x 8 bits = 1032-bit beats, "
                          "wider than the 1024-bit input stream\n")
