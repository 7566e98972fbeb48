"""Board integration files of a generated HLS project: the PYNQ driver's packing against the C++ beat
layout of the design (compiled here with the project's own types), TDATA widths, the block design."""
from __future__ import annotations

import importlib.util
import subprocess

import numpy as np
import pytest
from hls_helpers import fuse_all, generate, quantized

from hwgen.codegen.blocks import axis_bits
from hwgen.hw.contract import EngineConfig
from hwgen.models.zoo import get_model
from hwgen.verify import csim
from hwgen.codegen.vectors import read_vectors

# Packs vectors/input.txt as the testbench does and the output codes as write_output does; prints the raw beats.
BEATS = r"""
#include <cstdio>
#include "hwgen_types.h"

int main() {
    FILE *f = std::fopen("vectors/input.txt", "r");
    long long v;
    for (int b = 0; b < IN_BEATS; b++) {
        in_beat_t beat;
        beat.data = 0;
        for (int c = 0; c < IN_BC && b * IN_BC + c < IMG_WORDS; c++) {
            if (std::fscanf(f, "%lld", &v) != 1) return 1;
            beat.data.range(c * IN_BITS + IN_BITS - 1, c * IN_BITS) = in_t(v);
        }
        std::printf("in");  // the beat's bytes, least significant first
        for (int k = 0; k < IN_BEAT_BITS / 8; k++) std::printf(" %u", (unsigned)beat.data.range(8 * k + 7, 8 * k).to_uint());
        std::printf("\n");
    }
    std::fclose(f);
    f = std::fopen("vectors/output.txt", "r");
    for (int i = 0; i < OUT_WORDS; i++) {
        if (std::fscanf(f, "%lld", &v) != 1) return 1;
        out_beat_t beat;
        const ap_int<OUT_BEAT_BITS> code = out_t(v);
        beat.data = code;
        std::printf("out %llu\n", (unsigned long long)beat.data.to_uint64());
    }
    std::fclose(f);
    return 0;
}
"""


def _driver(path):
    spec = importlib.util.spec_from_file_location("driver", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_axis_widths_are_what_axi_dma_streams():
    assert [axis_bits(b) for b in (1, 8, 9, 16, 24, 33, 64, 65)] == [8, 8, 16, 16, 32, 64, 64, 128]


@pytest.mark.skipif(not csim.shutil.which("g++"), reason="g++ not installed")
@pytest.mark.parametrize("dram,ppb,beats,beat_bits", [(False, 1, 256, 32), (True, 1, 256, 32), (False, 5, 52, 128)])
def test_driver_packing_matches_the_design_beats(tmp_path, dram, ppb, beats, beat_bits):
    """``ppb`` pixels per beat: 256 pixels in 51 beats of 5 and a last beat of 1 (15 codes -> 128-bit TDATA)."""
    q = quantized(get_model("tiny_dsc"))
    proj = generate(q, fuse_all(q, EngineConfig(4, 4, 4, 3), 2, weights_in_dram=dram, pixels_per_beat=ppb),
                    tmp_path / "p")
    out = proj.outdir
    (out / "beats.cpp").write_text(BEATS)
    exe = tmp_path / "beats"
    comp = subprocess.run([csim.gxx(), *csim.CXXFLAGS, "-O1", "-isystem", str(csim.ap_types_dir()), f"-I{out}",
                           str(out / "beats.cpp"), "-o", str(exe)], capture_output=True, text=True)
    assert comp.returncode == 0, comp.stderr
    lines = subprocess.run([str(exe)], cwd=out, capture_output=True, text=True, check=True).stdout.split("\n")
    c_in = np.array([[int(b) for b in x.split()[1:]] for x in lines if x.startswith("in ")], dtype=np.uint8)
    c_out = np.array([int(x.split()[1]) for x in lines if x.startswith("out ")], dtype=np.uint64)
    drv = _driver(out / "board" / "tiny_dsc_top_driver.py")
    assert drv.IN_BEAT_BITS == beat_bits and drv.OUT_BEAT_BITS == 8 and drv.WEIGHTS_IN_DRAM is dram
    image = read_vectors(out / "vectors" / "input.txt", (16, 16, 3))
    packed = drv.pack_input(image)
    assert packed.dtype == np.uint8 and packed.shape == (beats, beat_bits // 8) == c_in.shape
    assert np.array_equal(packed, c_in)
    assert packed[-1, :3].any() and not packed[-1, 3:].any()  # the last beat: one pixel (3 codes of 8 bits)
    logits = read_vectors(out / "vectors" / "output.txt")
    assert np.array_equal(drv.unpack_output(c_out.astype(np.uint8)), logits)
    assert logits.min() < 0  # the sign extension is exercised


def test_block_design_per_board(tmp_path):
    q = quantized(get_model("tiny_dsc"))
    z7 = generate(q, fuse_all(q, EngineConfig(4, 4, 4, 3), 2, weights_in_dram=True), tmp_path / "a")
    tcl = (z7.outdir / "board" / "tiny_dsc_top_bd.tcl").read_text()
    assert "xilinx.com:ip:processing_system7 ps" in tcl and "set hp {/ps/S_AXI_HP0}" in tcl
    assert "CONFIG.c_m_axis_mm2s_tdata_width {32} CONFIG.c_s_axis_s2mm_tdata_width {8}" in tcl
    assert "connect_bd_intf_net [get_bd_intf_pins dma/M_AXIS_MM2S] [get_bd_intf_pins acc/in_r]" in tcl
    assert "[list Slave $hp Clk $clk] [get_bd_intf_pins acc/m_axi_gmem]" in tcl and "m_axi_gmem1" not in tcl
    from hwgen.codegen.hls.project import generate_hls
    from hwgen.hw.boards import get_board
    zu = generate_hls(q, fuse_all(q, EngineConfig(4, 4, 4, 3), 2, board="zcu104"), tmp_path / "b",
                      part=get_board("zcu104").part, clock_mhz=200.0, board="zcu104")
    tcl = (zu.outdir / "board" / "tiny_dsc_top_bd.tcl").read_text()
    assert "xilinx.com:ip:zynq_ultra_ps_e ps" in tcl and "m_axi_gmem" not in tcl and "{200}" in tcl
