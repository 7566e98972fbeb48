"""`hwgen estimate` through the real entry point (`python -m hwgen`)."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from hwgen.estimate import simulate
from hwgen.ir.ops import compute_ops
from hwgen.mapping.search import map_network
from hwgen.models.zoo import get_model


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hwgen", "estimate", *args], capture_output=True, text=True,
                          timeout=120)


def test_json_matches_python_api():
    r = run("tiny_dsc", "--pe", "32", "--board", "kv260", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    ops = compute_ops(get_model("tiny_dsc"))
    est = simulate(ops, map_network(ops, 32, "kv260"))
    total = data["total"]
    assert total["cycles"] == est.total_cycles
    assert total["macs"] == sum(op.macs for op in ops) == est.macs
    assert total["pe"] == est.pe <= 32
    c = est.mapping.cfg  # kv260 (DSP48E2), 8 bits: the PW array packs two MACs per DSP
    assert total["dsp"] == c.tin * -(-c.tout // 2) + c.tc * c.tk < est.pe
    assert total["latency_ms"] == pytest.approx(est.total_cycles / 200e3)
    assert total["fps"] == pytest.approx(1e3 / total["latency_ms"])
    assert total["onchip_bits"] > 0 and total["dram_bytes"] == 0 and total["fits"] is True
    assert [x["name"] for x in data["layers"]] == [op.name for op in ops]
    assert {"name", "engine", "cycles", "macs"} <= set(data["layers"][0])
    assert data["mapping"]["split"] == "{tin}x{tout},{tc}x{tk}".format(**data["mapping"])
    # Layer cycles plus the input and output streams add up to the total.
    assert sum(x["cycles"] for x in data["layers"]) + total["input_cycles"] + total["output_cycles"] + 1 == \
        total["cycles"]


def test_default_model_and_split_option():
    r = run("--split", "8x7,8x1", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["model"] == "mobilenet_v1_1_224" and data["mapping"]["board"] == "zcu104"
    assert (data["mapping"]["pw_pe"], data["mapping"]["dw_pe"]) == (56, 8)
    assert data["total"]["cycles"] >= 568_740_000 // 64  # never below the MACs/PE bound


def test_table_and_csv():
    r = run("tiny_odd", "--pe", "16")
    assert r.returncode == 0, r.stderr
    assert "mapping:" in r.stdout and "fits zcu104: yes" in r.stdout and "fps" in r.stdout
    r = run("tiny_odd", "--pe", "16", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["name"] for row in rows][:3] == ["conv1", "conv_dw_1", "conv_pw_1"]


def test_warning_when_it_does_not_fit():
    r = run("--board", "pynq-z2", "--weights", "onchip")
    assert r.returncode == 0, r.stderr
    assert "WARNING: does not fit pynq-z2" in r.stdout


@pytest.mark.parametrize("args,word", [
    (("--pe", "0"), "--pe"),
    (("--board", "de10"), "Invalid value for '--board': 'de10'"),
    (("--clock-mhz", "0"), "--clock-mhz"),
    (("--act-bits", "1"), "--act-bits"),
    (("--weight-bits", "40"), "--weight-bits"),
    (("--split", "8x7;8x1"), "malformed --split"),
    (("--pe", "abc"), "--pe"),
])
def test_bad_input_one_line_exit_2(args, word):
    r = run("tiny_dsc", *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and word in lines[0] and "Traceback" not in r.stderr
    assert r.stdout == ""
