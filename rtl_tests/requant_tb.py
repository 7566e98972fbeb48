"""cocotb testbench of the requantizer alone (hwgen_requant.v): drives each vector of $HWGEN_VECTORS on the
combinational ports and writes the outputs to $HWGEN_RESULTS (rtl_tests/test_requant.py compares them)."""
from __future__ import annotations

import json
import os

import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def requantize_vectors(dut) -> None:
    vectors = json.loads(open(os.environ["HWGEN_VECTORS"]).read())
    out = []
    for acc, sh, lo, hi in vectors:
        dut.acc.value, dut.sh.value, dut.lo.value, dut.hi.value = acc, sh, lo, hi
        await Timer(1, "ns")
        out.append(dut.y.value.to_signed())
    with open(os.environ["HWGEN_RESULTS"], "w") as f:
        json.dump(out, f)
