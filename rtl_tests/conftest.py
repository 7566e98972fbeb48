import shutil

import pytest

from rtl_tests.harness import CYCLE_ROWS, default_simulator


def pytest_collection_modifyitems(config, items):
    if default_simulator() == "icarus" and not shutil.which("iverilog"):
        skip = pytest.mark.skip(reason="iverilog not installed (apt-get install -y iverilog)")
        for item in items:
            if "rtl_tests" in str(item.fspath):
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if not CYCLE_ROWS:
        return
    tr = terminalreporter
    tr.write_sep("-", "RTL cycles vs hwgen estimate (first input beat .. last output beat)")
    tr.write_line(f"{'test':34s} {'predicted':>10s} {'measured':>10s} {'error':>8s}")
    for name, pred, meas in CYCLE_ROWS:
        tr.write_line(f"{name:34s} {pred:10d} {meas:10d} {100 * (meas - pred) / pred:7.2f}%")
