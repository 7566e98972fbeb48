"""HLS project generation: layout, determinism, vectors, atomic output, errors (no C++ compile here)."""
from __future__ import annotations

import numpy as np
import pytest
from hls_helpers import (assert_fused_pairs_are_dataflow, c_function, fuse_all, generate, hand_mapping, quantized,
                         unbanked)

from hwgen.codegen.blocks import dw_blocks, pw_blocks
from hwgen.codegen.hls import project as hls
from hwgen.codegen.vectors import read_vectors
from hwgen.errors import HwgenError
from hwgen.hw.contract import EngineConfig
from hwgen.ir.graph import Graph
from hwgen.ir.layers import BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, ReLU6
from hwgen.models.zoo import tiny_dsc, tiny_odd
from hwgen.quant.golden import random_input, run_fixed


@pytest.fixture(scope="module")
def q_dsc():
    return quantized(tiny_dsc())


def tree(path):
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_pw_block_layout_matches_engine_indexing(q_dsc):
    cfg = EngineConfig(3, 5, 2, 4)
    q = q_dsc.op("conv1")  # (3,3,3,8): im2col M = 27 rows ordered (ky, kx, cin)
    blocks, bias = pw_blocks(q, cfg, 3)
    assert blocks.shape == (2, 9, 3, 5) and bias.shape == (2, 5)
    ngo, ngi = blocks.shape[:2]
    w = q.weights.reshape(27, 8)
    for og in range(ngo):
        for ig in range(ngi):
            for i in range(cfg.tin):
                for j in range(cfg.tout):
                    m, n = ig * cfg.tin + i, og * cfg.tout + j
                    expect = w[m, n] if m < 27 and n < 8 else 0
                    assert blocks[og, ig, i, j] == expect
    assert list(bias.reshape(-1)) == list(q.bias) + [0, 0]


def test_dw_block_layout_matches_engine_indexing(q_dsc):
    cfg = EngineConfig(4, 4, 3, 2)
    q = q_dsc.op("conv_dw_2")  # (3,3,16)
    blocks, bias = dw_blocks(q, cfg)
    assert blocks.shape == (6, 5, 3, 2)
    ngc, ngt = blocks.shape[:2]
    for cg in range(ngc):
        for tg in range(ngt):
            for lane in range(cfg.tc):
                for t in range(cfg.tk):
                    c, tap = cg * cfg.tc + lane, tg * cfg.tk + t
                    expect = q.weights[tap // 3, tap % 3, c] if c < 16 and tap < 9 else 0
                    assert blocks[cg, tg, lane, t] == expect
    assert list(bias.reshape(-1)[:16]) == list(q.bias) and not bias.reshape(-1)[16:].any()


def test_project_files_vectors_and_schedule(q_dsc, tmp_path):
    out = tmp_path / "prj"
    proj = generate(q_dsc, fuse_all(q_dsc, EngineConfig(4, 4, 4, 3), 3), out, seed=5)
    assert proj.top == "tiny_dsc_top"
    names = set(proj.files)
    assert {"hwgen_ap.h", "hwgen_types.h", "pw_engine.h", "pw_engine.cpp", "dw_engine.h", "dw_engine.cpp",
            "pool_engine.h", "pool_engine.cpp", "pw_weights.h", "dw_weights.h", "tiny_dsc_top.h",
            "tiny_dsc_top.cpp", "tb_tiny_dsc_top.cpp", "build.tcl", "README.md", "vectors/input.txt",
            "vectors/output.txt", "vectors/08_fc.txt"} <= names
    assert len([n for n in names if n.startswith("vectors/0")]) == len(q_dsc.ops) == 9
    x = random_input(q_dsc, 5)
    golden = run_fixed(q_dsc, x)
    assert np.array_equal(read_vectors(out / "vectors/input.txt", x.shape), x)
    assert np.array_equal(read_vectors(out / "vectors/output.txt"), golden.logits.reshape(-1))
    assert np.array_equal(read_vectors(out / "vectors/02_conv_pw_1.txt", (8, 8, 16)), golden.outputs[2])
    # three fused pairs with 8, 4, 4 output rows in bands of 3 rows
    assert proj.band_rows == {"conv_dw_1": 3, "conv_dw_2": 3, "conv_dw_3": 3}
    raw = (out / "tiny_dsc_top.cpp").read_text()
    # TK = 3: the maps in the plan's 1 x 3 pixel banks, one array each (the checks below read them as one)
    assert all(f"static act_t fmap_{ab}_{k}[FM_BANK_WORDS];" in raw for ab in "ab" for k in range(3))
    top = unbanked(raw)
    assert_fused_pairs_are_dataflow(raw, 3)
    # each pair's region call: source and destination map, descriptors, bands, band rows, output rows
    # (the input is in fmap_a, conv1 writes fmap_b)
    assert "fused_pair(fmap_b, fmap_a, DW_1, PW_2, 3, 3, 8);" in top
    assert "fused_pair(fmap_a, fmap_b, DW_3, PW_4, 2, 3, 4);" in top
    assert "fused_pair(fmap_b, fmap_a, DW_5, PW_6, 2, 3, 4);" in top
    assert "static act_t band[2]" not in top  # no staged pair: the band buffer is the regions' PIPO
    assert "mode=axis port=in" in top and "s_axilite port=return" in top
    # input, network and output in sequence, as the estimate counts one image's latency (no overlap)
    body = c_function(top, "tiny_dsc_top") if "static void tiny_dsc_top(" in top else top[top.index("void tiny_dsc_top("):]
    assert "#pragma HLS DATAFLOW" not in body and "read_input(in, fmap_a);" in body and "write_output(fmap_a, out);" in body
    types = (out / "hwgen_types.h").read_text()
    assert "#define TIN 4\n#define TOUT 4\n#define TC 4\n#define TK 3\n" in types
    assert f"#define ACC_BITS {max(q.acc_bits for q in q_dsc.ops)}\n" in types
    # 3 x 8-bit codes per pixel padded to a TDATA width AXI DMA streams
    assert "#define IN_BEAT_BITS 32\n" in types and "#define OUT_BEAT_BITS 8\n" in types
    assert "#define WORD 4\n#define FM_WORDS 1024\n" in types
    assert "#define BR 1\n#define BC 3\n#define BANKS 3\n" in types
    tcl = (out / "build.tcl").read_text()
    assert "set_part xc7z020clg400-1" in tcl and "create_clock -period 10.000" in tcl
    assert "export_design -format ip_catalog" in tcl and "set_top tiny_dsc_top" in tcl
    # the PW ROM holds every conv/pw/fc weight, zero padded to whole 4x4 words; a conv's rows (ky) of
    # (kx, cin) weights each padded to whole groups of 4 (the 3x3x3 stem: 3 x 3 groups, not 7)
    pw_rom = (out / "pw_weights.h").read_text()
    rows = {q.op.name: q.weights.shape[0] if q.op.kind == "conv" else 1 for q in q_dsc.ops}
    pw_words = sum(rows[q.op.name] * -(-np.prod(q.weights.shape[:-1]) // rows[q.op.name] // 4) *
                   -(-q.weights.shape[-1] // 4) for q in q_dsc.ops if q.op.kind in ("conv", "pw", "fc"))
    assert proj.pw_words == pw_words and f"#define PW_WORDS {pw_words}\n" in types
    assert pw_rom.count("\n    {") == pw_words + sum(-(-q.weights.shape[-1] // 4) for q in q_dsc.ops
                                                     if q.op.kind in ("conv", "pw", "fc"))


@pytest.mark.parametrize("dram", [False, True])
def test_generation_is_deterministic(q_dsc, tmp_path, dram):
    from hwgen.hw.steps import StepTiling

    # dram: weights, weight tiles and a feature map in DRAM
    mapping = fuse_all(q_dsc, EngineConfig(8, 8, 8, 9), 2, weights_in_dram=dram,
                       tiles={"conv_dw_1": StepTiling(1, 2, False, True), "conv_dw_2": StepTiling(2, 1, True, False)}
                       if dram else None)
    generate(q_dsc, mapping, tmp_path / "a")
    generate(q_dsc, mapping, tmp_path / "b")
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert a == b and len(a) == 30 + dram  # + weights.bin


def _lone_dw_net():
    """conv -> dw (no PW after it, so not fused) -> pool -> fc: every engine runs a lone step."""
    g = Graph("lone")
    g.add("input", Input(shape=(5, 4, 3)))
    for name, layer in (("conv1", Conv2D(kernel=3, stride=1, filters=6)), ("dw", DepthwiseConv2D(stride=2))):
        g.add(name, layer)
        g.add(f"{name}_bn", BatchNorm())
        g.add(f"{name}_relu", ReLU6())
    g.add("pool", GlobalAvgPool())
    g.add("fc", Dense(units=4))
    return g.validate()


def test_lone_dw_and_lone_engines(tmp_path):
    q = quantized(_lone_dw_net())
    mapping = hand_mapping(q, EngineConfig(2, 3, 5, 1))
    assert [s.fused for s in mapping.steps] == [False, False, False, False]
    proj = generate(q, mapping, tmp_path / "p")
    top = (tmp_path / "p" / "lone_top.cpp").read_text()
    assert proj.band_rows == {} and "band[" not in top and "fused_pair" not in top
    # layer-sequential: each engine call reads one feature buffer and writes the other
    assert "pw_engine(fmap_a, fmap_b, PW_0, row0, rows, 0, 2, 0, 0);" in top
    assert "dw_engine(fmap_b, fmap_a, DW_1, row0, rows, 0, 0);" in top
    assert top.count("pw_engine(") == 2 and "pool_engine(fmap_a, fmap_b, POOL_2);" in top


def test_nonempty_outdir_refused_untouched_and_force_replaces(q_dsc, tmp_path):
    out = tmp_path / "prj"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    mapping = fuse_all(q_dsc, EngineConfig(4, 4, 4, 3), 2)
    with pytest.raises(HwgenError, match="is not empty"):
        generate(q_dsc, mapping, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    generate(q_dsc, mapping, out, force=True)
    assert not (out / "keep.txt").exists() and (out / "build.tcl").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prj"]  # no temp dirs left behind


def test_failure_mid_generation_leaves_nothing(q_dsc, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("template failure")

    out = tmp_path / "prj"
    monkeypatch.setattr(hls, "format_vectors", boom)
    with pytest.raises(RuntimeError):
        generate(q_dsc, fuse_all(q_dsc, EngineConfig(4, 4, 4, 3), 2), out)
    assert list(tmp_path.iterdir()) == []


def test_write_failure_removes_temp_dir(tmp_path, monkeypatch):
    from hwgen.codegen import writer

    real = writer.Path.write_bytes
    calls = []

    def flaky(self, data):
        calls.append(self)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(writer.Path, "write_bytes", flaky)
    with pytest.raises(HwgenError, match="cannot be written: No space left on device"):
        writer.write_tree({"a.txt": "1", "b.txt": "2", "c.txt": "3", "d.txt": "4"}, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_wide_codes_rejected(q_dsc, tmp_path):
    wide = quantized(tiny_odd(), weight_bits=8, act_bits=8)
    wide.ops[0].out_fmt = type(wide.ops[0].out_fmt)(31, 20)
    with pytest.raises(HwgenError, match="up to 30 bits"):
        generate(wide, hand_mapping(wide, EngineConfig(2, 2, 2, 1)), tmp_path / "p")
    assert not (tmp_path / "p").exists()


def _unpack(blob: bytes, beat: int, rows: int, lanes: int, bits: int, bus: int) -> tuple[np.ndarray, int]:
    """Inverse of the weights.bin packing: a section of rows of signed codes from ``bus``-bit beat ``beat`` on, a
    row per beat when it fits one, else rows back to back every whole number of 32-bit units; the next beat."""
    word = lanes * bits
    pitch = bus if word <= bus else -(-word // 32) * 32
    beats = rows if word <= bus else -(-rows * pitch // bus)
    raw = np.frombuffer(blob, dtype=np.uint8)[beat * bus // 8:(beat + beats) * bus // 8]
    stream = np.unpackbits(raw, bitorder="little")
    b = np.stack([stream[r * pitch:r * pitch + word] for r in range(rows)]).reshape(rows, lanes, bits).astype(np.int64)
    u = (b << np.arange(bits)).sum(axis=2)
    return np.where(u >= 1 << (bits - 1), u - (1 << bits), u), beat + beats


@pytest.mark.parametrize("cfg,bus", [(EngineConfig(3, 5, 2, 9), 256), (EngineConfig(12, 12, 16, 9), 1024)])
def test_weights_in_dram_sections(q_dsc, tmp_path, cfg, bus):
    """weights.bin is every layer's words in schedule order on the WBUS-bit port: 15- and 18-code words of 8 bits
    one per 256-bit beat; 144-code words (1,152 bits) back to back on the 1,024-bit bus (9 words in 11 beats)."""
    proj = generate(q_dsc, fuse_all(q_dsc, cfg, 2, weights_in_dram=True), tmp_path / "p")
    assert f"#define WBUS {bus}\n" in (tmp_path / "p" / "hwgen_types.h").read_text()
    # the m_axi burst limit is the contract's: 256 beats, fewer where 256 beats would cross 4 KB (16 of 1,024 bits)
    assert "tiny_dsc_top.cpp" in proj.files
    top = (tmp_path / "p" / "tiny_dsc_top.cpp").read_text()
    assert f"max_read_burst_length={min(256, 4096 * 8 // bus)}\n" in top
    blob = (tmp_path / "p" / "weights.bin").read_bytes()
    beat = 0
    for q in q_dsc.ops:  # schedule order = op order: per op its weight words (biases stay on-chip)
        if q.weights is None:
            continue
        blocks, _ = dw_blocks(q, cfg) if q.op.kind == "dw" else pw_blocks(q, cfg, 3)
        words = blocks.reshape(blocks.shape[0] * blocks.shape[1], -1)
        got, beat = _unpack(blob, beat, len(words), words.shape[1], 8, bus)
        assert np.array_equal(got, words), q.op.name
    assert beat * bus // 8 == len(blob)
    if bus == 1024:  # words per layer conv1 3, dw 1, pw 2, dw 1, pw 6, dw 2, pw 9, fc 3 -> ceil(n * 1152 / 1024) beats
        assert len(blob) == 128 * (4 + 2 + 3 + 2 + 7 + 3 + 11 + 4)


def test_weights_in_dram_layout(q_dsc, tmp_path):
    cfg = EngineConfig(3, 5, 2, 9)
    mapping = fuse_all(q_dsc, cfg, 2, weights_in_dram=True)
    proj = generate(q_dsc, mapping, tmp_path / "p")
    assert proj.weights_in_dram and "weights.bin" in proj.files  # its layout: test_weights_in_dram_sections
    rom = (tmp_path / "p" / "pw_weights.h").read_text()
    assert "static const brom_t pw_bias[PW_BWORDS][5] = {" in rom and "static wrom_t pw_weights[PW_WORDS][15];" in rom
    top = (tmp_path / "p" / "tiny_dsc_top.cpp").read_text()
    assert "mode=m_axi port=wmem offset=slave bundle=gmem" in top
    # whole layers are loaded by run_network before their step; fused_pw loads weight tiles (none here)
    network = c_function(top, "run_network")
    assert network.count("pw_load(wmem,") == 5 and network.count("dw_load(wmem,") == 3
    assert top.count("pw_load(wmem,") == 6 and c_function(top, "fused_pw").count("pw_load(wmem,") == 1
    assert network.count("const tile_desc tl = { 0, ") == 3  # count 0: no tiles, weights already loaded
    assert "add_files -tb weights.bin" in (tmp_path / "p" / "build.tcl").read_text()
    # slots: two of the largest layer per engine (conv_pw_3: 32x32 -> 11 x 7 words of 3x5)
    assert f"#define PW_WORDS {2 * 11 * 7}\n" in (tmp_path / "p" / "hwgen_types.h").read_text()
