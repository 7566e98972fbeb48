"""`hwgen cosim` end to end through the CLI, on generated RTL and on an RTL directory that has a
Vitis HLS export's interface (in_r/out_r streams, s_axi_control with ap_start)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "vitis_like" / "vitis_like_top.v"


def _hwgen(*args):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True)


def test_cosim_cli_generated_and_vitis_like(tmp_path):
    out = tmp_path / "rtl"
    r = _hwgen("rtl", "tiny_odd", "--pe", "20", "-o", str(out))
    assert r.returncode == 0, r.stderr
    r = _hwgen("cosim", str(out), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["outputs_match"] and rep["measured_cycles"] == rep["predicted_cycles"]

    vitis = tmp_path / "vitis_rtl"
    vitis.mkdir()
    for f in list(out.glob("*.v")) + list(out.glob("*.mem")):
        shutil.copy(f, vitis / f.name)
    shutil.copy(FIXTURE, vitis / FIXTURE.name)
    r = _hwgen("cosim", str(out), "--rtl-dir", str(vitis), "--top", "vitis_like_top", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads(r.stdout)
    assert rep["outputs_match"] and rep["mismatches"] == 0
    assert rep["measured_cycles"] == rep["predicted_cycles"]  # same core; ap_start is written before the first beat

    # A corrupted ROM word in the user's RTL dir is reported as a mismatch (exit 1).
    mem = vitis / "hwgen_dw_w.mem"
    words = mem.read_text().split()
    words[0] = format(int(words[0], 16) ^ 1, f"0{len(words[0])}x")
    mem.write_text("\n".join(words) + "\n")
    r = _hwgen("cosim", str(out), "--rtl-dir", str(vitis), "--top", "vitis_like_top", "--json")
    assert r.returncode == 1
    assert not json.loads(r.stdout)["outputs_match"]
