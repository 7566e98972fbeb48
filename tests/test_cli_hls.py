"""`hwgen generate` / `hwgen csim` through a real subprocess: outputs, exit codes, one-line errors."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from hwgen.hw.boards import get_board
from mobilenet_paper import TABLE1, paper_totals


def hwgen(*args):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True)


@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
def test_generate_then_csim_pass(tmp_path):
    out = tmp_path / "prj"
    r = hwgen("generate", "tiny_odd", "--pe", "32", "--board", "pynq-z2", "--split", "4x6,2x3", "--band-rows", "2",
              "--seed", "3", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "top-1 agreement fixed vs float" in r.stdout  # the quantization accuracy report
    assert "split 4x6,2x3 (30 PEs); 2 fused DW->PW pairs, band rows [2]; weights on-chip" in r.stdout
    assert f"set_part {get_board('pynq-z2').part}" in (out / "build.tcl").read_text()
    c = hwgen("csim", str(out), "--unity", "--opt", "-O1")
    assert c.returncode == 0, c.stdout + c.stderr
    # tiny_odd: 5 classes; conv, 2 x (dw, pw), pool, fc = 7 layers; the testbench runs the vectors twice
    assert "PASS: 5 outputs bit-exact (2 inferences), 7 of 7 layers compared" in c.stdout and "csim PASS (compile" in c.stdout


@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
def test_csim_fail_exits_1_naming_layer(tmp_path):
    out = tmp_path / "prj"
    assert hwgen("generate", "tiny_odd", "--split", "2x2,2x3", "-o", str(out)).returncode == 0
    golden = out / "vectors" / "03_conv_dw_2.txt"
    values = golden.read_text().split("\n")
    values[7] = str(int(values[7]) + 1)
    golden.write_text("\n".join(values))
    c = hwgen("csim", str(out), "--unity")
    assert c.returncode == 1
    assert "FAIL: layer conv_dw_2 index 7: got" in c.stdout


@pytest.mark.parametrize("args, message", [
    (["--act-bits", "1"], "'--act-bits': must be in 2..32, got 1"),
    (["--weight-bits", "1"], "'--weight-bits': must be in 2..32, got 1"),
    (["--split", "9x9,1x3", "--pe", "16"], "--split 9x9,1x3 uses 84 PEs"),
    (["--pe", "1"], "'--pe': must be in 2..100000, got 1"),
])
def test_generate_bad_input_one_line_exit_2(tmp_path, args, message):
    out = tmp_path / "prj"
    r = hwgen("generate", "tiny_dsc", *args, "-o", str(out))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and message in r.stderr and "Traceback" not in r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_generate_refuses_nonempty_outdir_without_force(tmp_path):
    out = tmp_path / "prj"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    r = hwgen("generate", "tiny_dsc", "-o", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "is not empty (use --force" in r.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    r = hwgen("generate", "tiny_dsc", "-o", str(out), "--force")
    assert r.returncode == 0 and not (out / "notes.txt").exists() and (out / "tiny_dsc_top.cpp").is_file()


def test_csim_not_a_project_exit_2(tmp_path):
    r = hwgen("csim", str(tmp_path))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a generated HLS project" in r.stderr


@pytest.mark.skipif(not shutil.which("g++"), reason="g++ not installed")
def test_generate_mobilenet_on_pynq_weights_in_dram(tmp_path):
    """The real mapping of MobileNet v1 0.25-128 on PYNQ-Z2: weights in DRAM, the FC in weight tiles."""
    out = tmp_path / "prj"
    r = hwgen("generate", "mobilenet_v1", "--alpha", "0.25", "--resolution", "128", "--board", "pynq-z2",
              "-o", str(out))
    assert r.returncode == 0, r.stderr
    codes = paper_totals(0.25, 128)[1]  # the weights by the paper's equations (biases live on-chip)
    assert f"weights in DRAM (m_axi) ({codes:,} codes, 1 layer in output-channel weight tiles)" in r.stdout
    assert (out / "weights.bin").stat().st_size > codes  # 8-bit codes, words padded to 64-bit beats
    c = hwgen("csim", str(out), "--unity")
    assert c.returncode == 0, c.stdout[-2000:]
    # 1000 logits; the testbench runs the vectors twice; Table 1's layers: conv, 13 x (dw, pw), pool, fc
    assert f"PASS: 1000 outputs bit-exact (2 inferences), {len(TABLE1)} of {len(TABLE1)} layers compared" in c.stdout
