"""The generated testbench decides PASS on the top's outputs alone, as cosim's post-check needs.

In Vitis cosim the post-check runs the testbench's main() on the RTL's outputs: the design's C code
(and its per-layer dump hook) does not run. Here the testbench is compiled against stand-in tops that
never run a layer: one returns the golden outputs (must PASS), one a wrong logit (must FAIL).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hls_helpers import fuse_all, generate, quantized

from hwgen.hw.contract import EngineConfig
from hwgen.models.zoo import get_model
from hwgen.verify import csim

pytestmark = pytest.mark.skipif(not csim.shutil.which("g++"), reason="g++ not installed")

# A top that consumes the image and streams vectors/output.txt (plus DELTA on logit 0): no layer runs.
STUB = """#include <cstdio>
#include "{top}.h"

void {top}(hls::stream<in_beat_t> &in, hls::stream<out_beat_t> &out{extra}) {{
    for (int p = 0; p < IN_H * IN_W; p++) in.read();
    FILE *f = std::fopen("vectors/output.txt", "r");
    long long v;
    for (int i = 0; i < OUT_WORDS && std::fscanf(f, "%lld", &v) == 1; i++) {{
        out_beat_t beat;
        beat.data = ap_int<OUT_BEAT_BITS>(v + (i == 0 ? {delta} : 0));
        beat.keep = -1;
        beat.strb = -1;
        beat.last = i == OUT_WORDS - 1;
        out.write(beat);
    }}
    std::fclose(f);
}}
"""


def _run_stub(project: Path, top: str, delta: int, tmp: Path, dram: bool) -> subprocess.CompletedProcess:
    stub = tmp / f"stub_{delta}.cpp"
    stub.write_text(STUB.format(top=top, delta=delta, extra=", const wmem_t *wmem" if dram else ""))
    binary = tmp / f"tb_{delta}"
    cmd = [csim.gxx(), *csim.CXXFLAGS, "-O1", "-isystem", str(csim.ap_types_dir()), f"-I{project}",
           str(project / f"tb_{top}.cpp"), str(stub), "-o", str(binary)]
    comp = subprocess.run(cmd, capture_output=True, text=True)
    assert comp.returncode == 0 and "warning:" not in comp.stderr, comp.stderr
    return subprocess.run([str(binary), "vectors"], cwd=project, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("dram", [False, True])
def test_testbench_passes_on_outputs_alone_and_fails_on_a_wrong_logit(tmp_path, dram):
    q = quantized(get_model("tiny_dsc"))
    proj = generate(q, fuse_all(q, EngineConfig(4, 4, 4, 3), 2, weights_in_dram=dram), tmp_path / "p")
    good = _run_stub(proj.outdir, proj.top, 0, tmp_path, dram)
    assert good.returncode == 0, good.stdout
    assert "PASS: 10 outputs bit-exact (2 inferences), 0 of 9 layers compared" in good.stdout
    bad = _run_stub(proj.outdir, proj.top, 1, tmp_path, dram)
    assert bad.returncode == 1 and "PASS" not in bad.stdout
    expected0 = int((proj.outdir / "vectors" / "output.txt").read_text().split()[0])
    assert f"FAIL: layer output index 0: got {expected0 + 1} expected {expected0}" in bad.stdout


def test_build_tcl_runs_the_whole_flow_and_impl_behind_a_switch(tmp_path):
    q = quantized(get_model("tiny_dsc"))
    proj = generate(q, fuse_all(q, EngineConfig(4, 4, 4, 3), 2), tmp_path / "p")
    tcl = (proj.outdir / "build.tcl").read_text().splitlines()
    steps = [line.strip() for line in tcl if line.strip().split(" ")[0] in
             ("csim_design", "csynth_design", "cosim_design", "export_design")]
    assert steps == ["csim_design", "csynth_design", "cosim_design", "export_design -format ip_catalog -flow impl",
                     "export_design -format ip_catalog"]
    assert 'if {[info exists ::env(HWGEN_IMPL)] && $::env(HWGEN_IMPL) == "1"} {' in tcl
