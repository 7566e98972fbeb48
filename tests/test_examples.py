"""The runnable examples keep working and print the numbers the docs quote."""
import subprocess
import sys
from pathlib import Path

from mobilenet_paper import TABLE1, paper_cost, paper_totals

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str) -> str:
    r = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_mobilenet_family():
    lines = {line.split()[0]: line.split()[1:] for line in run("mobilenet_family.py").splitlines()[1:]}
    # M mult-adds, M parameters (the FC's 1000 biases included), pointwise share of the mult-adds in %, by the
    # paper's equations: 568.7, 4.21, 94.86 (Table 2); 0.25 MobileNet-128: 13.6 (Table 6 prints 14)
    macs, weights = paper_totals()
    pw = sum(paper_cost(*row)[0] for row in TABLE1 if row[0] == "pw")
    assert lines["mobilenet_v1_1_224"] == [f"{macs / 1e6:.1f}", f"{(weights + 1000) / 1e6:.2f}",
                                           f"{100 * pw / macs:.2f}"]
    assert lines["mobilenet_v1_0.25_128"][0] == f"{paper_totals(0.25, 128)[0] / 1e6:.1f}"
    assert len(lines) == 16


def test_pe_scaling_is_monotone():
    rows = [line.split() for line in run("pe_scaling.py").splitlines() if line.strip()[:1].isdigit()]
    pes = [int(r[0]) for r in rows]
    cycles = [int(r[2].replace(",", "")) for r in rows]
    assert pes == [16, 32, 64, 128, 256, 512, 1024]
    assert all(a > b for a, b in zip(cycles, cycles[1:]))
    # the README's worked example at 64 PEs, recomputed by the cycle-stepped reference in
    # test_oracle_schedule.py::test_mobilenet_pe64_zcu104_readme_figure
    assert cycles[2] == 10_151_972
    assert all(float(r[3]) >= 1.0 for r in rows)  # never below the MACs/PE bound
