"""C-simulation of generated HLS projects: bit-exact against the golden model, -Wall clean."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hls_helpers import (assert_dma_follows_the_queue, assert_fused_pairs_are_dataflow, braced, fuse_all, generate,
                         hand_mapping, quantized, unbanked)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.hw.contract import EngineConfig, map_bus_bits
from hwgen.ir.graph import Graph
from hwgen.mapping.plan import feature_word
from hwgen.ir.layers import BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, PointwiseConv2D, ReLU6
from hwgen.models.zoo import get_model, mobilenet_v1
from hwgen.verify import csim
from hwgen.verify.csim import run_csim

pytestmark = pytest.mark.skipif(not csim.shutil.which("g++"), reason="g++ not installed")


def assert_pass(result, qgraph):
    assert result.warnings == [], result.warnings
    assert result.compile_error == ""
    assert result.passed, result.output[-2000:]
    assert result.first_mismatch is None
    assert result.checked == {q.op.name: 2 * int(np.prod(q.op.out_shape)) for q in qgraph.ops}  # 2 inferences


@pytest.mark.parametrize("model, cfg, band_rows", [
    ("tiny_dsc", EngineConfig(4, 4, 4, 3), 2),
    ("tiny_dsc4", EngineConfig(3, 5, 2, 9), 3),
    ("tiny_odd", EngineConfig(2, 7, 5, 1), 1),
    ("tiny_odd", EngineConfig(9, 2, 3, 1), 2),  # im2col groups of one kernel row each: the run reads
])
def test_tiny_nets_bit_exact(model, cfg, band_rows, tmp_path):
    q = quantized(get_model(model))
    generate(q, fuse_all(q, cfg, band_rows), tmp_path / "p")
    assert_pass(run_csim(tmp_path / "p", unity=True), q)


def test_separate_translation_units_wall_clean(tmp_path):
    """Each source compiles on its own (as in Vitis) without warnings; fused pairs in one band, 6-bit codes."""
    q = quantized(get_model("tiny_odd"), weight_bits=6, act_bits=6)
    generate(q, hand_mapping(q, EngineConfig(4, 2, 3, 3)), tmp_path / "p")
    phases: list[str] = []  # what `hwgen csim`'s live status shows
    assert_pass(run_csim(tmp_path / "p", phase=phases.append), q)
    sources = len(list((tmp_path / "p").glob("*.cpp")))
    assert phases == [f"compiling {sources} sources with g++ -O2", "running the testbench on vectors (1/1)"]


def test_mobilenet_025_128_bit_exact(tmp_path):
    q = quantized(mobilenet_v1(alpha=0.25, resolution=128))
    generate(q, fuse_all(q, EngineConfig(8, 8, 4, 9), 4), tmp_path / "p")
    result = run_csim(tmp_path / "p", unity=True)
    assert_pass(result, q)
    assert len(result.checked) == 29 and result.checked["fc"] == 2000
    assert_fused_pairs_are_dataflow((tmp_path / "p" / "mobilenet_v1_0_25_128_top.cpp").read_text(), 13)


def test_corrupted_weight_fails_at_that_layer(tmp_path):
    q = quantized(get_model("tiny_dsc"))
    out = tmp_path / "p"
    generate(q, fuse_all(q, EngineConfig(4, 4, 4, 3), 2), out)
    rom = out / "pw_weights.h"
    text = rom.read_text()
    # flip the first code of conv_pw_2's first word to the opposite extreme
    start = text.index("// conv_pw_2:")
    m = re.compile(r"\{(-?\d+)").search(text, start)
    old = int(m.group(1))
    new = -128 if old >= 0 else 127
    rom.write_text(text[:m.start(1)] + str(new) + text[m.end(1):])
    result = run_csim(out, unity=True)
    assert not result.passed and result.warnings == []
    assert result.first_mismatch is not None and result.first_mismatch.layer == "conv_pw_2"
    assert "FAIL: layer conv_pw_2 index" in result.output
    # every layer before it still matched in full
    assert result.checked["conv_dw_2"] == 2 * 4 * 4 * 16


def _single_layer(kind: str, h: int, w: int, c: int, k: int, stride: int, cout: int, relu6: bool) -> Graph:
    g = Graph(f"prop_{kind}")
    g.add("input", Input(shape=(h, w, c)))
    if kind == "dw":
        g.add("layer", DepthwiseConv2D(kernel=k, stride=stride))
    elif kind == "conv":
        g.add("layer", Conv2D(kernel=k, stride=stride, filters=cout))
    elif kind == "pw":
        g.add("layer", PointwiseConv2D(filters=cout))
    else:
        g.add("pool", GlobalAvgPool())
        g.add("layer", Dense(units=cout))
    if kind != "fc":
        g.add("bn", BatchNorm())
    if relu6:
        g.add("relu", ReLU6())
    return g.validate()


# Each example compiles C++ (~1.5 s): few examples, and no shrinking (it would recompile dozens of times).
PROP = settings(max_examples=8, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROP
@given(h=st.integers(1, 9), w=st.integers(1, 9), c=st.integers(1, 12), k=st.sampled_from([1, 3, 5]),
       stride=st.integers(1, 3), relu6=st.booleans(), act_bits=st.integers(3, 12), weight_bits=st.integers(2, 10),
       tc=st.integers(1, 5), tk=st.sampled_from([1, 3, 9, 4]))
def test_property_depthwise_engine(tmp_path_factory, h, w, c, k, stride, relu6, act_bits, weight_bits, tc, tk):
    q = quantized(_single_layer("dw", h, w, c, k, stride, c, relu6), weight_bits, act_bits)
    out = tmp_path_factory.mktemp("dw")
    generate(q, hand_mapping(q, EngineConfig(2, 2, tc, tk)), out / "p")
    assert_pass(run_csim(out / "p", opt="-O1", unity=True), q)


@PROP
@given(kind=st.sampled_from(["pw", "conv", "fc"]), h=st.integers(1, 7), w=st.integers(1, 7), c=st.integers(1, 10),
       k=st.sampled_from([1, 2, 3]), stride=st.integers(1, 2), cout=st.integers(1, 11), relu6=st.booleans(),
       act_bits=st.integers(3, 12), weight_bits=st.integers(2, 10), tin=st.integers(1, 6), tout=st.integers(1, 6))
def test_property_pointwise_engine(tmp_path_factory, kind, h, w, c, k, stride, cout, relu6, act_bits, weight_bits,
                                   tin, tout):
    q = quantized(_single_layer(kind, h, w, c, k, stride, cout, relu6 and kind != "fc"), weight_bits, act_bits)
    out = tmp_path_factory.mktemp("pw")
    generate(q, hand_mapping(q, EngineConfig(tin, tout, 2, 3)), out / "p")
    assert_pass(run_csim(out / "p", opt="-O1", unity=True), q)


def test_missing_gxx_names_install_command(tmp_path, monkeypatch):
    q = quantized(get_model("tiny_odd"))
    generate(q, hand_mapping(q, EngineConfig(2, 2, 2, 1)), tmp_path / "p")
    monkeypatch.setattr(csim.shutil, "which", lambda name: None)
    with pytest.raises(HwgenError, match=r"g\+\+ not found \(install it with `apt-get install -y g\+\+`\)"):
        run_csim(tmp_path / "p")


def test_missing_ap_types_names_install_command(tmp_path, monkeypatch):
    q = quantized(get_model("tiny_odd"))
    generate(q, hand_mapping(q, EngineConfig(2, 2, 2, 1)), tmp_path / "p")
    monkeypatch.setattr(csim.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(HwgenError, match="pip install --no-deps hls4ml"):
        run_csim(tmp_path / "p")


def test_not_a_project(tmp_path):
    with pytest.raises(HwgenError, match="does not exist"):
        run_csim(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(HwgenError, match="not a generated HLS project"):
        run_csim(tmp_path / "empty")


def test_weights_in_dram_bit_exact_and_corruption_detected(tmp_path):
    q = quantized(get_model("tiny_dsc4"))
    mapping = fuse_all(q, EngineConfig(5, 3, 3, 3), 2, weights_in_dram=True)
    out = tmp_path / "p"
    generate(q, mapping, out)
    assert_pass(run_csim(out, unity=True), q)
    blob = bytearray((out / "weights.bin").read_bytes())
    blob[0] ^= 0x80  # conv1's first weight word: flip the top bit of the 8-bit code 0
    (out / "weights.bin").write_bytes(bytes(blob))
    result = run_csim(out, unity=True)
    assert not result.passed and result.first_mismatch.layer == "conv1"


REQUANT_PROGRAM = r"""
#include "hwgen_types.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <ap_fixed.h>
#pragma GCC diagnostic pop
#include <cstdio>

static unsigned long long state = 12345;
static long long rnd(int bits) {  // uniform signed value of `bits` bits (LCG)
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (long long)(state >> 11) % (1LL << (bits - 1)) * ((state >> 7) & 1 ? 1 : -1);
}

// Reference: Vitis' ap_fixed conversion of the accumulator (frac AF) to ap_fixed<W, I, AP_RND_CONV, AP_SAT>.
template <int ACC, int AF, int W, int I>
static int check(bool relu6) {
    int shift = AF - (W - I);  // not const: the tie branch below is dead for shift <= 0
    const long long lo = -(1LL << (W - 1)), hi = (1LL << (W - 1)) - 1;
    const long long six = (W - I) >= 0 ? (6LL << (W - I)) : (6LL >> (I - W));
    for (int n = 0; n < 40000; n++) {
        long long acc = rnd(ACC);
        if (n % 4 == 0 && shift > 0) acc = (acc >> shift << shift) + (1LL << (shift - 1));  // exact ties
        ap_fixed<ACC, ACC - AF> a;
        a.range(ACC - 1, 0) = ap_int<ACC>(acc);
        ap_fixed<W, I, AP_RND_CONV, AP_SAT> o = a;
        long long ref = ap_int<W>(o.range(W - 1, 0)).to_int64();
        if (relu6) ref = ref < 0 ? 0 : (ref > six ? six : ref);
        const long long got = requantize(rq_t(acc), shift, relu6 ? 0 : lo, relu6 ? (six < hi ? six : hi) : hi)
                                  .to_int64();
        if (got != ref) {
            std::printf("MISMATCH ACC=%d AF=%d W=%d I=%d relu6=%d acc=%lld got=%lld ref=%lld\n", ACC, AF, W, I,
                        (int)relu6, acc, got, ref);
            return 1;
        }
    }
    return 0;
}

int main() {
    int bad = 0;
    bad += check<20, 11, 8, 4>(false) + check<20, 11, 8, 4>(true);
    bad += check<26, 23, 8, 4>(false) + check<26, 23, 8, 4>(true);
    bad += check<30, 12, 12, 6>(false) + check<16, 3, 8, 3>(false);   // shift 6, then 0
    bad += check<16, 2, 8, 1>(false) + check<24, 20, 4, 2>(true);     // left shift 5; 4-bit output
    bad += check<40, 30, 16, 3>(false) + check<12, 11, 3, 1>(false);
    if (bad == 0) std::printf("OK\n");
    return bad;
}
"""


def test_requantizer_equals_ap_fixed_rnd_conv_sat(tmp_path):
    """The generated integer requantizer is bit-exact with ap_fixed<W,I,AP_RND_CONV,AP_SAT> conversion."""
    from hwgen.codegen.templating import render

    ctx = dict(top="t", model="t", cfg=EngineConfig(1, 1, 1, 1), act_bits=16, in_bits=8, out_bits=8, w_bits=8,
               acc_bits=40, rq_bits=48, in_shape=(1, 1, 1), img_words=1, fm_words=1, band_words=1, buf_words=1,
               word=1, max_pool_ngc=1, bias_bits_rom=16,
               out_words=1, in_beat_bits=8, out_beat_bits=8, pw_words=1, pw_bwords=1, dw_words=1, dw_bwords=1,
               wrom_ctype="signed char", brom_ctype="int", dram=False, fmaps=False, im2col_rows=[0], tap_rows=[0],
               dsp_packing=False, pixels_per_beat=1, in_beats=1)
    (tmp_path / "hwgen_ap.h").write_text(render("hls/hwgen_ap.h.j2", **ctx))
    (tmp_path / "hwgen_types.h").write_text(render("hls/hwgen_types.h.j2", **ctx))
    (tmp_path / "main.cpp").write_text(REQUANT_PROGRAM)
    exe = tmp_path / "rq"
    comp = csim.subprocess.run([csim.gxx(), *csim.CXXFLAGS, "-O1", "-isystem", str(csim.ap_types_dir()),
                                str(tmp_path / "main.cpp"), "-o", str(exe)], capture_output=True, text=True)
    assert comp.returncode == 0 and "warning" not in comp.stderr, comp.stderr
    run = csim.subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.stdout == "OK\n", run.stdout


def test_weight_tiles_in_dram_bit_exact(tmp_path):
    """PW layers split into output-channel weight tiles (reloaded per row band in a fused pair)."""
    from hwgen.hw.steps import StepTiling

    q = quantized(get_model("tiny_dsc4"))
    cfg = EngineConfig(4, 3, 2, 9)
    # conv1 16 outputs = 6 groups of 3 -> 2 tiles of 3 groups; conv_pw_3 32 -> 11 groups -> 3 tiles of 4;
    # fc 10 -> 4 groups -> 4 tiles of 1
    mapping = fuse_all(q, cfg, 2, weights_in_dram=True,
                       tiles={"conv1": StepTiling(1, 2), "conv_dw_3": StepTiling(2, 3), "fc": StepTiling(1, 4)})
    out = tmp_path / "p"
    generate(q, mapping, out)
    top = unbanked((out / "tiny_dsc4_top.cpp").read_text())  # TK = 9: the maps in 3 x 3 banks, read as one
    assert "weights in 3 output-channel tiles" in top and top.count("for (int t = 0; t < ") == 3
    # conv_pw_3's tiles are loaded by the PW process of its pair's dataflow region, band by band
    assert_fused_pairs_are_dataflow(top, 4)
    assert "const int slot = (tl.slot0 + b * tl.count + t) & 1;" in top
    assert re.search(r"const tile_desc tl = \{ 3, 4, \d+, \d+, [01], 3 \};\n *fused_pair\(fmap_[ab], fmap_[ab], DW_5, PW_6,", top)
    # the PW slots hold the largest tile or untiled layer: conv_pw_4 (32 in / 32 out) 8 x 11 words
    assert "#define PW_WORDS 176\n" in (out / "hwgen_types.h").read_text()
    assert_pass(run_csim(out), q)  # separate translation units, as Vitis compiles them: -Wall clean too


@pytest.mark.parametrize("model, tiles", [
    # lone conv stored in bands of 2; fused pairs from/to DRAM (one with weight tiles); pool and FC from DRAM
    ("tiny_dsc4", {"conv1": (2, 1, False, True), "conv_dw_1": (1, 1, True, True),
                         "conv_dw_2": (2, 2, True, False), "conv_dw_4": (3, 1, False, True),
                         "avgpool": (1, 1, True, True), "fc": (1, 3, True, False)}),
    # fused pairs from and to DRAM in bands (one with weight tiles), odd sizes and asymmetric padding
    ("tiny_odd", {"conv1": (3, 1, False, True), "conv_dw_1": (2, 2, True, True), "conv_dw_2": (3, 1, True, False)}),
    # the network input in DRAM: conv1 loads its input bands from fmem (and stores its output there);
    # a fused pair fed by a DRAM map runs its bands in run_network
    ("tiny_odd", {"conv1": (2, 1, True, True), "conv_dw_1": (1, 1, True, False)}),
    ("tiny_dsc4", {"conv1": (3, 2, True, True)}),
])
def test_feature_maps_in_dram_bit_exact(tmp_path, model, tiles):
    from hwgen.hw.steps import StepTiling

    q = quantized(get_model(model))
    mapping = fuse_all(q, EngineConfig(3, 4, 2, 3), 2, weights_in_dram=True,
                       tiles={name: StepTiling(*t) for name, t in tiles.items()})
    out = tmp_path / "p"
    proj = generate(q, mapping, out)
    assert proj.fmaps_in_dram == sum(1 for t in tiles.values() if t[3])
    top = (out / f"{model}_top.cpp").read_text()
    assert "mode=m_axi port=fmem_in offset=slave bundle=gmem1" in top
    assert "mode=m_axi port=fmem_out offset=slave bundle=gmem1" in top
    # every step with a map in DRAM runs through the band region, whose read / write processes move its bands
    assert proj.staged_pairs + proj.staged_lone == sum(1 for t in mapping.tiles.values() if t.in_dram or t.out_dram)
    assert top.count("fmap_load(fmem_in,") == 1 and top.count("fmap_store(fmem_out,") == 1
    assert_fused_pairs_are_dataflow(top, proj.dataflow_pairs + proj.staged_lone)
    assert proj.input_in_dram == tiles["conv1"][2]
    if proj.input_in_dram:  # no img buffer: the stream goes to fmem region 0 (the first step's sd.in_off 0)
        assert "act_t img[" not in top and "read_input(in, fmem_out);" in top
        assert "#pragma HLS DATAFLOW" not in braced(top, f"void {model}_top(")  # fmem is no dataflow channel
    # fmem beats are the plan's feature words on the map bus (hw.map_bus_bits), as the estimate moves them
    types = (out / "hwgen_types.h").read_text()
    word = feature_word(mapping.cfg, q.ops[0].op.in_shape[2])
    assert f"#define WORD {word}\n" in types
    assert f"typedef ap_uint<{map_bus_bits(mapping.cfg, q.ops[0].op.in_shape[2], 8)}> fmem_t;" in types
    result = run_csim(out, unity=True)
    assert_pass(result, q)
    assert_dma_follows_the_queue(result.output, mapping)


@PROP
@given(h=st.integers(2, 9), w=st.integers(1, 8), c=st.integers(1, 9), stride=st.integers(1, 2),
       cout=st.integers(1, 9), band_rows=st.integers(1, 5), weight_tiles=st.integers(1, 3),
       conv_rows=st.integers(1, 4), dram=st.booleans(), tin=st.integers(1, 5), tout=st.integers(1, 4),
       tc=st.integers(1, 4), tk=st.sampled_from([1, 3, 9]))
def test_property_fused_pair_with_dram(tmp_path_factory, h, w, c, stride, cout, band_rows, weight_tiles, conv_rows,
                                       dram, tin, tout, tc, tk):
    """conv -> fused DW->PW: random shapes, band heights, weight tiles, and (optionally) everything in DRAM."""
    from hwgen.hw.steps import StepTiling

    g = Graph("prop_fused")
    g.add("input", Input(shape=(h, w, 3)))
    for name, layer in (("conv1", Conv2D(kernel=3, stride=1, filters=c)), ("dw", DepthwiseConv2D(stride=stride)),
                        ("pw", PointwiseConv2D(filters=cout))):
        g.add(name, layer)
        g.add(f"{name}_bn", BatchNorm())
        g.add(f"{name}_relu", ReLU6())
    q = quantized(g.validate())
    mapping = hand_mapping(q, EngineConfig(tin, tout, tc, tk), band_rows, weights_in_dram=dram,
                           tiles={"conv1": StepTiling(conv_rows, 1, False, dram),
                                  "dw": StepTiling(band_rows, weight_tiles)})
    out = tmp_path_factory.mktemp("fused")
    generate(q, mapping, out / "p")
    assert_pass(run_csim(out / "p", opt="-O1", unity=True), q)


@pytest.mark.parametrize("input_dram", [False, True], ids=["fmap_a", "fmem"])
def test_several_pixels_per_beat_bit_exact(tmp_path, input_dram):
    """--pixels-per-beat 4 on tiny_odd: 225 pixels in 56 beats of 4 and a last beat of 1, read into the input
    feature buffer (12 codes per append, feature word 12) or into DRAM (the network input in fmem)."""
    from hwgen.hw.steps import StepTiling

    q = quantized(get_model("tiny_odd"))
    tiles = {"conv1": StepTiling(2, 1, True, True), "conv_dw_1": StepTiling(1, 1, True, False)} if input_dram else {}
    mapping = fuse_all(q, EngineConfig(3, 4, 2, 3), 2, weights_in_dram=input_dram, tiles=tiles, pixels_per_beat=4)
    out = tmp_path / "p"
    proj = generate(q, mapping, out)
    assert proj.input_in_dram == input_dram
    types = (out / "hwgen_types.h").read_text()
    assert "#define IN_P 4\n" in types and "#define IN_BEATS 57\n" in types and "#define WORD 12\n" in types
    assert "#define IN_BEAT_BITS 128\n" in types
    assert_pass(run_csim(out, unity=True), q)


@pytest.mark.parametrize("model,cfg", [("tiny_dsc", EngineConfig(4, 4, 4, 3)), ("tiny_dsc", EngineConfig(4, 4, 4, 9)),
                                       ("narrow_p5", EngineConfig(4, 4, 4, 3)), ("narrow_p5", EngineConfig(4, 4, 4, 9))])
def test_five_pixels_per_beat_into_banks_bit_exact(tmp_path, model, cfg):
    """--pixels-per-beat 5 with TK > 1 (BC = 3 < 5): fmap_a is the plan's banks and read_input writes each bank one
    run per beat, a row end's unused slot inside it (16-pixel rows: banks 1, 2 have one per row; narrow_p5's
    4-pixel rows: a beat spans 2 or 3 rows); the project passes the rule checker with no exemption (generate)."""
    from rtl_tests.test_pixels_per_beat import NARROW

    q = quantized(NARROW if model == "narrow_p5" else get_model(model))
    mapping = fuse_all(q, cfg, 2, pixels_per_beat=5)
    fa = next(b for b in mapping.buffers if b.name == "fmap_a")
    assert fa.banks == (3 if cfg.tk == 3 else 9)
    out = tmp_path / "p"
    generate(q, mapping, out)
    assert "#define IN_P 5\n" in (out / "hwgen_types.h").read_text()
    assert_pass(run_csim(out, unity=True), q)


def test_weight_words_wider_than_the_bus_in_dram_bit_exact(tmp_path):
    """A 12x12 PW array and 16x9 DW lanes of 8-bit weights: 1,152-bit words on the 1,024-bit m_axi port, stored
    back to back (hw.contract.weight_section_beats), with weight tiles on one pair: bit-exact; byte 144 of
    weights.bin is code 0 of conv1's second word (a word per 2,048-bit beat would put padding there)."""
    from hwgen.hw.steps import StepTiling

    q = quantized(get_model("tiny_dsc4"))
    mapping = fuse_all(q, EngineConfig(12, 12, 16, 9), 2, weights_in_dram=True,
                       tiles={"conv_dw_3": StepTiling(2, 3)})
    out = tmp_path / "p"
    generate(q, mapping, out)
    types = (out / "hwgen_types.h").read_text()
    assert "#define WBUS 1024\n" in types and "typedef ap_uint<WBUS> wmem_t;" in types
    assert "acc[have + k]" in (out / "pw_engine.cpp").read_text()
    assert_pass(run_csim(out), q)
    blob = bytearray((out / "weights.bin").read_bytes())
    blob[1152 // 8] ^= 0x80
    (out / "weights.bin").write_bytes(bytes(blob))
    result = run_csim(out, unity=True)
    assert not result.passed and result.first_mismatch.layer == "conv1"


@pytest.mark.parametrize("dram", [False, True], ids=["onchip", "gathered"])
def test_conv_window_groups_cross_kernel_rows_bit_exact(tmp_path, dram):
    """TK = 9 banks the maps 3 x 3, so conv1's 27-code window is one run in ceil(27/2) = 14 groups of tin = 2
    (hw.contract.conv_rows). On chip the PW engine reads each group one run per bank; with conv1's output in DRAM
    the step runs in the band region, where the DW process gathers the groups into the band (mode 4) and the
    PW process runs them as a 1x1 (PW_<op>_G). Both bit-exact, both held to the HLS rules."""
    from hwgen.hw.steps import StepTiling

    g = Graph("win")
    g.add("input", Input(shape=(6, 8, 3)))
    for name, layer in (("conv1", Conv2D(kernel=3, stride=1, filters=5)), ("dw", DepthwiseConv2D(stride=1)),
                        ("pw", PointwiseConv2D(filters=4))):
        g.add(name, layer)
        g.add(f"{name}_bn", BatchNorm())
        g.add(f"{name}_relu", ReLU6())
    q = quantized(g.validate())
    mapping = hand_mapping(q, EngineConfig(2, 2, 4, 9), 5, weights_in_dram=dram,
                           tiles={"conv1": StepTiling(2, 1, False, dram), "dw": StepTiling(5, 2)})
    generate(q, mapping, tmp_path / "p")
    top = (tmp_path / "p" / "win_top.cpp").read_text()
    assert "static const pw_desc PW_0 = { 0, 6, 8, 3, 8, 5, 3, 1, 1, 1, 27, 14," in top
    assert ("static const pw_desc PW_0_G = { 0, 6, 8, 28, 8, 5, 1, 1, 0, 0, 28, 14," in top) == dram
    assert ("fused_gather:" in top) == dram
    assert_pass(run_csim(tmp_path / "p", opt="-O1", unity=True), q)
