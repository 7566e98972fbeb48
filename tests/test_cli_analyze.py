"""`hwgen models` / `hwgen analyze` through a real subprocess (exit codes, one-line errors)."""
import csv
import io
import json
import subprocess
import sys

import pytest

from mobilenet_paper import paper_totals


def hwgen(*args):
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True)


def test_analyze_json_is_one_object():
    r = hwgen("analyze", "mobilenet_v1", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["model"] == "mobilenet_v1_1_224"
    macs, weights = paper_totals()  # Table 1 by the paper's equations: 568.7 M mult-adds, 4.21 M parameters
    assert data["total"]["macs"] == macs and data["total"]["params"] == weights + 1000  # + the FC's biases
    first = data["layers"][0]
    assert first["name"] == "conv1" and first["in_shape"] == [224, 224, 3] and first["out_shape"] == [112, 112, 32]
    assert first["macs"] == 3 * 3 * 3 * 32 * 112 * 112
    assert all(isinstance(v, int) for v in data["total"].values())


def test_analyze_csv_and_table():
    r = hwgen("analyze", "mobilenet_v1", "--alpha", "0.5", "--resolution", "160", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["name"] == "conv1" and rows[0]["out_shape"] == "80x80x16"
    macs = paper_totals(0.5, 160)[0]
    assert sum(int(row["macs"]) for row in rows) == macs and round(macs / 1e6) == 77  # Table 8 prints 76 M
    t = hwgen("analyze", "tiny_dsc")
    assert t.returncode == 0 and "conv_pw_3" in t.stdout and "pointwise" in t.stdout


def test_models_lists_zoo():
    out = hwgen("models").stdout
    for name in ("mobilenet_v1", "tiny_dsc", "tiny_dsc4", "tiny_odd"):
        assert name in out


@pytest.mark.parametrize("args,needle", [
    (["analyze", "resnet50"], "resnet50"),
    (["analyze", "--alpha", "0"], "alpha"),
    (["analyze", "--alpha", "1.01"], "alpha"),
    (["analyze", "--resolution", "100"], "100"),
    (["analyze", "--resolution", "0"], "resolution"),
    (["analyze", "--variant", "deep"], "deep"),
    (["analyze", "--format", "xml"], "xml"),
    (["analyze", "--alpha", "abc"], "abc"),
])
def test_bad_input_one_line_exit_2(args, needle):
    r = hwgen(*args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and needle in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""
