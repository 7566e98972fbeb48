"""Weights in DRAM: the top's AXI4 read master loads each step's weights into slot k % 2 of the
engines' weight RAMs while step k-1 runs; the testbench's HDL DRAM model (sim/hwgen_axi_dram.v)
emulates the mapping's DRAM channel (bytes per cycle, latency), the same figures the estimate is given."""
from __future__ import annotations

import json

import pytest

from hwgen.hw.boards import get_board
from hwgen.hw.contract import weight_bus_bits
from hwgen.mapping.plan import parse_split
from hwgen.models.zoo import get_model
from rtl_tests.harness import assert_exact, cosim


def test_dram_weights_hidden_behind_compute(tmp_path):
    """Board bandwidth (zcu104): every load finishes before its step may start -> cycle-exact."""
    out = cosim("tiny_odd_dram_weights", get_model("tiny_odd"), tmp_path, pe=20, weights_in_dram=True)
    assert out.summary["weights_in_dram"]
    assert out.summary["dram_latency"] == 30  # 150 ns at 200 MHz
    assert_exact(out)


@pytest.mark.parametrize("period", [8, 32])
def test_dram_weights_throttled(tmp_path, period):
    """One weight beat per ``period`` cycles: loads stall the schedule; outputs stay bit-exact (also with
    stream back-pressure), every tile takes hw.tile_cycles, and the total equals the estimate's exactly."""
    cfg_split = "3x8,8x1"
    beat_bytes = weight_bus_bits(parse_split(cfg_split), 8) // 8  # 3x8 blocks of 8-bit weights in 256-bit beats
    gbps = beat_bytes / period * get_board("zcu104").clock_mhz / 1e3
    out = cosim(f"tiny_dsc_dram_1beat_per_{period}", get_model("tiny_dsc"), tmp_path, pe=32, weights_in_dram=True,
                dram_gbps=gbps, split=cfg_split)
    assert out.summary["dram_bytes_per_cycle"] == beat_bytes / period
    assert sum(x.stall_dram for x in out.estimate.layers) > 0  # the loads did stall the schedule
    assert_exact(out)


@pytest.mark.parametrize("tiles,band,period", [(2, None, None), (3, 2, 8), (4, 1, 32)])
def test_dram_weight_tiles(tmp_path, tiles, band, period):
    """Weights that do not fit a slot: every PW-engine op in ``tiles`` output-channel tiles, each its own load
    (re-loaded per band of a fused pair), at the board's bandwidth and throttled: bit-exact, every tile =
    tile_cycles, total = estimate."""
    split = "3x8,8x1"
    gbps = None
    if period is not None:
        gbps = weight_bus_bits(parse_split(split), 8) // 8 / period * get_board("zcu104").clock_mhz / 1e3
    out = cosim(f"tiny_dsc_weight_tiles{tiles}_band{band}_per{period}", get_model("tiny_dsc"), tmp_path, pe=32,
                weights_in_dram=True, split=split, dram_gbps=gbps, weight_tiles=tiles, tile_band_rows=band)
    plan = json.loads((out.rtl_dir / "plan.json").read_text())
    design_tiles = [len(t) for t in plan["tiles"].values()]
    assert sum(design_tiles) > 10  # several PW tiles per op
    assert_exact(out)


@pytest.mark.parametrize("band,period", [(2, None), (1, 8), (3, 32)])
def test_dram_feature_maps(tmp_path, band, period):
    """Feature maps larger than the input in DRAM (tiny_dsc's 8x8x16 map, written band by band by conv_pw_1 and
    read back with its halo by conv_dw_2: the mapper's third plan forced on a net that fits on chip), weights in
    DRAM too, one DMA running the simulator's queue in its order; at the board's bandwidth and throttled to one
    weight beat's bytes per 8 / 32 cycles: bit-exact, every tile = tile_cycles, total = estimate."""
    split = "3x8,8x1"
    gbps = None
    if period is not None:
        gbps = weight_bus_bits(parse_split(split), 8) // 8 / period * get_board("zcu104").clock_mhz / 1e3
    out = cosim(f"tiny_dsc_fmaps_dram_band{band}_per{period}", get_model("tiny_dsc"), tmp_path, pe=32,
                weights_in_dram=True, split=split, dram_gbps=gbps, fmap_limit=16 * 16 * 3, fmap_band_rows=band)
    assert out.summary["fmaps_in_dram"]
    streamed = [x for x in out.estimate.layers if out.estimate.mapping.tiles[x.step].in_dram]
    assert streamed and out.estimate.dram_write > 0
    assert_exact(out)


@pytest.mark.parametrize("period", [None, 8])
def test_dram_weight_words_wider_than_the_bus(tmp_path, period):
    """A 12x12 PW array and 16x9 DW lanes of 8-bit weights: 1,152-bit words on the 1,024-bit bus (AXI's widest),
    stored back to back in DRAM (hw.weight_section_beats) and assembled by the loaders' gearboxes; at the board's
    bandwidth and throttled to one beat per 8 cycles: bit-exact, every tile = tile_cycles, total = estimate."""
    split = "12x12,16x9"
    bus = weight_bus_bits(parse_split(split), 8)
    assert bus == 1024
    gbps = None if period is None else bus // 8 / period * get_board("zcu104").clock_mhz / 1e3
    out = cosim(f"tiny_dsc_wide_words_per{period}", get_model("tiny_dsc"), tmp_path, pe=400, weights_in_dram=True,
                split=split, dram_gbps=gbps)
    top = (out.rtl_dir / "hwgen_top.v").read_text()
    assert "u_pw_gear" in top and "u_dw_gear" in top
    read = {x.name: x.dram_read for x in out.estimate.layers}
    # conv_pw_3: 32 x 32 weights = 3 x 3 words of 1,152 bits back to back: ceil(10,368 / 1,024) = 11 beats of 128
    # bytes (a word per 2,048-bit beat was 9 x 256); conv_dw_3: 2 words of 16 channels x 9 taps -> 3 beats
    assert (read["conv_pw_3"], read["conv_dw_3"]) == (11 * 128, 3 * 128)
    if period is not None:
        assert sum(x.stall_dram for x in out.estimate.layers) > 0
    assert_exact(out)
