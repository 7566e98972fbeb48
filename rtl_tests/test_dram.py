"""Weights in DRAM: the top's AXI4 read master loads each step's weights into slot k % 2 of the
engines' weight RAMs while step k-1 runs; the testbench's HDL DRAM model (sim/hwgen_axi_dram.v)
emulates the mapping's DRAM channel (bytes per cycle, latency), the same figures the estimate is given."""
from __future__ import annotations

import json
import re

import pytest

from hwgen.codegen.rtl.plan import DMA_S
from hwgen.hw.boards import get_board
from hwgen.hw.contract import weight_bus_bits
from hwgen.mapping.plan import parse_split
from hwgen.models.zoo import get_model
from rtl_tests.harness import assert_exact, cosim, net


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


def test_dram_maps_left_are_checked(tmp_path):
    """The testbench compares the map DRAM's final contents with the golden model's feature maps: the design of
    test_dram_feature_maps (band 2) passes; with the DRAM address of the map's last band write moved by one word
    (patched into the generated DMA program, hwgen_dma.mem) the check finds the wrong codes."""
    split = "3x8,8x1"
    kw = dict(pe=32, weights_in_dram=True, split=split, fmap_limit=16 * 16 * 3, fmap_band_rows=2)
    good = cosim("tiny_dsc_fmaps_dram_left", get_model("tiny_dsc"), tmp_path / "good", record=False, **kw)
    assert good.summary["dram_maps"] == [{"op": "conv_pw_1", "addr": 0}]
    assert good.results["dram_map_mismatches"] == [0]
    beat = good.summary["faxi_bits"] // 8
    moved = {}

    def move_last_write(rtl) -> None:
        mem = rtl / "hwgen_dma.mem"
        head, *rows = mem.read_text().splitlines()
        at, off = 0, {}
        for name, bits in reversed(re.findall(r"(\w+)\[(\d+)\]", head)):  # the header: fields MSB first
            off[name], at = at, at + int(bits)
        k = max(i for i, r in enumerate(rows) if int(r, 16) >> off["kind"] & 3 == DMA_S)  # the last band write
        word = int(rows[k], 16)
        moved["addr"] = word >> off["addr"] & 0xFFFFFFFF
        rows[k] = f"{word + (beat << off['addr']):0{len(rows[k])}x}"
        mem.write_text("\n".join([head, *rows]) + "\n")

    bad = cosim("tiny_dsc_fmaps_dram_moved_write", get_model("tiny_dsc"), tmp_path / "bad", record=False,
                patch=move_last_write, **kw)
    # the last band (rows 6-7: codes 768..1023, 8-code words from word 96, 8-byte beats) lands one word late
    assert moved["addr"] == 96 * beat and beat == 8
    assert bad.results["dram_map_mismatches"] == [218]  # of the band's 256 codes; none outside it can differ


def _input_net(shape):
    return net("input_in_dram", shape, [("conv1", "conv", dict(filters=8, kernel=3, stride=2)),
                                        ("dw1", "dw", dict(stride=1)), ("pw1", "pw", dict(filters=8)),
                                        ("gap", "pool", {}), ("fc", "fc", dict(units=4))])


@pytest.mark.parametrize("shape,weights,limit,band,gbps,ppb,cycles,writes", [
    ((32, 32, 3), True, 2048, 2, None, 1, 16093, [(0, 256, 343), (1024, 256, 684), (2048, 256, 1025)]),
    ((32, 32, 3), True, 2048, 2, 0.2, 1, 18770, [(0, 256, 463), (1024, 256, 1520), (2048, 256, 2574)]),
    ((32, 32, 3), False, 600, 1, 0.2, 1, 23498, [(0, 256, 343), (1024, 256, 1400), (2048, 256, 2454)]),
    ((25, 41, 1), True, 600, 2, 0.2, 3, 17311, [(0, 256, 343), (1024, 1, 1397)]),
], ids=["board_bandwidth", "throttled", "weights_onchip_all_maps", "final_beat_spills"])
def test_dram_network_input(tmp_path, shape, weights, limit, band, gbps, ppb, cycles, writes):
    """The network input stored in DRAM (its map above the fmap limit): the stream's beats are packed into the
    out_band halves and written one burst (256 words of 4 codes on the 32-bit map bus: 1024 codes) at a time, each
    write queued when its last beat is in (hw.schedule): write 0 starts at 343, two cycles after beat 341 (codes
    1023..1025) completed it. At the board's bandwidth the writes keep up; at 0.2 GB/s (1 byte per cycle) write 0
    waits in the queue behind weight load 0 and beat 682 (codes 2046..2048, the first to reach write 2's half)
    waits for write 0 (done at 1517), so write 1, which that beat completes, starts at 1520, not 684; with the
    input at 3 pixels per beat the final beat (codes 1023, 1024) completes write 0 and the one-word write 1 at once.
    Bit-exact (the maps left in DRAM too: the input where no later map overwrote it), every tile = tile_cycles,
    total = estimate."""
    out = cosim(f"input_in_dram_{shape[0]}x{shape[1]}x{shape[2]}_{'wdram' if weights else 'wonchip'}_{gbps}_px{ppb}",
                _input_net(shape), tmp_path, pe=16, weights_in_dram=weights, split="4x3,3x1", fmap_limit=limit,
                fmap_band_rows=band, dram_gbps=gbps, pixels_per_beat=ppb)
    trace = out.estimate.mapping.trace()
    # the input's writes: (first code, beats, start cycle) in the DMA queue
    assert [(t[3], t[4], t[5]) for t in trace.transfers if t[0] == "i"] == writes
    assert_exact(out)
    assert out.estimate.total_cycles == cycles
