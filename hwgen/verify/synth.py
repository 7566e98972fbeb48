"""Yosys synthesis of generated RTL for Xilinx 7-series (``xc7``) or UltraScale+ (``xcup``): resource counts from
``stat -json``."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hwgen.errors import HwgenError

#: Cell-type groups reported (Yosys 7-series and UltraScale+ primitives).
GROUPS = {
    "dsp": ("DSP48E1", "DSP48E2"),
    "bram36": ("RAMB36E1", "RAMB36E2"),
    "bram18": ("RAMB18E1", "RAMB18E2"),
    "lutram": ("RAM32M", "RAM64M", "RAM32X1D", "RAM64X1D", "RAM128X1D", "RAM256X1S", "RAM128X1S", "RAM64X1S",
               "RAM32X1S", "SRL16E", "SRLC32E"),
    "lut": ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"),
    "ff": ("FDRE", "FDSE", "FDCE", "FDPE"),
    "carry": ("CARRY4", "CARRY8"),
}


def _parse_stat(text: str) -> dict[str, Any]:
    # Yosys 0.23 writes a plain-text hierarchy listing into the JSON when the design is not flat;
    # those lines (no quotes, name then count) are dropped before parsing.
    lines = [ln for ln in text.splitlines() if not re.fullmatch(r"\s+[^\s\"{}]+\s+\d+\s*", ln)]
    return json.loads("\n".join(lines))


def synthesize(rtl_dir: str | Path, top: str = "hwgen_top", family: str = "xc7") -> dict[str, Any]:
    """Run ``synth_xilinx -family FAMILY -noiopad`` in ``rtl_dir``; write stat.json and yosys.log there."""
    rtl = Path(rtl_dir)
    yosys = shutil.which("yosys")
    if yosys is None:
        raise HwgenError("yosys not found: install it with `apt-get install -y yosys`")
    sources = sorted(p.name for p in rtl.glob("*.v"))
    if not sources:
        raise HwgenError(f"no Verilog sources (*.v) in {str(rtl)!r}")
    script = (f"read_verilog {' '.join(sources)}; synth_xilinx -family {family} -noiopad -top {top}; "
              "tee -q -o stat.json stat -json")
    proc = subprocess.run([yosys, "-q", "-l", "yosys.log", "-p", script], cwd=rtl, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()
        raise HwgenError(f"yosys failed on {str(rtl)!r}: {last[-1] if last else 'see yosys.log'}")
    stat = _parse_stat((rtl / "stat.json").read_text())
    cells: dict[str, int] = stat["design"]["num_cells_by_type"]
    report: dict[str, Any] = {k: sum(int(cells.get(c, 0)) for c in types) for k, types in GROUPS.items()}
    report["cells"] = {k: int(v) for k, v in sorted(cells.items()) if not k.startswith("$")}
    report["warnings"] = sum(1 for ln in (rtl / "yosys.log").read_text().splitlines() if ln.startswith("Warning"))
    return report
