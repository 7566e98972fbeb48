"""A wheel installed into a fresh venv works from another directory: templates and the cocotb
testbench ship inside the package (hwgen.templates, hwgen.sim), nothing is read from the checkout.

Slow (~1-2 min: builds a wheel, installs it with its dependencies into a new venv, then runs
generate + csim and rtl + cosim there); it runs in CI."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs iverilog (make tools)")
def test_wheel_in_fresh_venv_generates_and_simulates(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO)], tmp_path, env)
    (wheel,) = dist.glob("hwgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "hwgen/templates/hls/top.cpp.j2" in names and "hwgen/templates/rtl/hwgen_top.v.j2" in names
    assert "hwgen/sim/network_tb.py" in names and "hwgen/templates/hls/board/driver.py.j2" in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    py, hwgen = venv / "bin" / "python", venv / "bin" / "hwgen"
    _run([str(py), "-m", "pip", "install", "-q", f"{wheel}[sim]"], tmp_path, env)
    _run([str(py), "-m", "pip", "install", "-q", "--no-deps", "hls4ml"], tmp_path, env)  # ap_types headers
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([str(py), "-c", "import hwgen, hwgen.templates; print(hwgen.__file__, hwgen.templates.__file__)"],
                 work, env)
    assert str(REPO) not in where and str(venv) in where

    _run([str(hwgen), "generate", "tiny_dsc", "--pe", "32", "-o", "hls"], work, env)
    assert "csim PASS" in _run([str(hwgen), "csim", "hls"], work, env)
    _run([str(hwgen), "rtl", "tiny_dsc", "--pe", "32", "-o", "rtl"], work, env)
    out = _run([str(hwgen), "cosim", "rtl"], work, env)
    assert "outputs: bit-exact" in out and "error 0.000 %" in out
