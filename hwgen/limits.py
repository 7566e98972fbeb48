"""The documented range of every numeric input, shared by the CLI's parameter types and the library API.

Each bound is either what the value means (a clock is positive, a seed is a 32-bit word) or a
physical ceiling of the hardware or the machine (no FPGA fabric clocks a design at 10 GHz; a
resolution of 100,000 would need terabytes for the golden model), so a typo fails in one line
instead of running for minutes or dividing by zero. ``docs/cli.md`` lists the same table.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from hwgen.errors import HwgenError


@dataclass(frozen=True)
class Limit:
    """Closed range ``lo..hi`` (``lo`` excluded when ``lo_open``) of a flag; integers optionally a multiple of ``step``."""

    flag: str
    lo: float
    hi: float
    integer: bool
    why: str
    lo_open: bool = False
    step: int = 1

    def describe(self) -> str:
        lo, hi = (f"{int(v)}" if self.integer else f"{v:g}" for v in (self.lo, self.hi))
        rng = f"in ({lo}, {hi}]" if self.lo_open else f"in {lo}..{hi}"
        return rng + (f" and a multiple of {self.step}" if self.step > 1 else "")


LIMITS: dict[str, Limit] = {lim.flag: lim for lim in (
    Limit("--pe", 2, 100_000, True, "one PE per engine at least; 40x the DSPs of the largest board here "
          "(zcu102: 2,520), and the mapper searches within the board's DSP budget anyway"),
    Limit("--clock-mhz", 1, 1000, False, "a fabric clock; the bound rejects typos such as 1e12 (hwgen makes no "
          "timing claim for any clock)"),
    Limit("--dram-gbps", 0.01, 1000, False, "10 MB/s to 1 TB/s; far above the 1e-12 that rounded to 0 bytes per "
          "cycle and divided by zero"),
    Limit("--act-bits", 2, 32, True, "ap_fixed widths the engines implement"),
    Limit("--weight-bits", 2, 32, True, "ap_fixed widths the engines implement"),
    Limit("--pixels-per-beat", 1, 64, True, "input pixels per AXI4-Stream beat; 64 RGB pixels of 5 bits fill the "
          "1,024-bit stream (hw.contract.MAX_STREAM_BITS), which the beat width is also checked against"),
    Limit("--band-rows", 1, 1024, True, "a band is at most a whole feature map (the largest resolution)"),
    Limit("--alpha", 0, 1, False, "MobileNet width multiplier", lo_open=True),
    Limit("--resolution", 32, 1024, True, "five stride-2 stages; the golden model of one image grows with the "
          "square (0.7 GB peak at 512)", step=32),
    Limit("--seed", 0, 2**32 - 1, True, "a 32-bit seed of numpy's generator"),
    Limit("--calib", 1, 1024, True, "calibration images, all held in memory (and refused when they would not "
          "fit the machine's available memory)"),
    Limit("--batch", 1, 1024, True, "evaluation images, all held in memory (same memory check)"),
    Limit("--jobs", 1, 256, True, "worker processes on one machine; a typo such as 99999999999 forked until the "
          "OS refused"),
    Limit("--target-fps", 0, 1e9, False, "frames per second a design must reach; nan and inf select nothing",
          lo_open=True),
    Limit("--images", 1, 1024, True, "test images in a generated project's vectors, all held in memory"),
)}


def range_error(flag: str, value: object) -> str | None:
    """Why ``value`` is outside ``flag``'s documented range (None when it is inside)."""
    lim = LIMITS[flag]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return f"must be a number, got {value!r}"
    if lim.integer and not isinstance(value, numbers.Integral):
        return f"must be an integer, got {value!r}"
    if not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    low = value <= lim.lo if lim.lo_open else value < lim.lo
    if low or value > lim.hi or (lim.step > 1 and value % lim.step):
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"must be {lim.describe()}, got {shown}"
    return None


def check_limit(flag: str, value: object) -> None:
    """Raise a one-line :class:`HwgenError` naming ``flag`` when ``value`` is outside its range."""
    msg = range_error(flag, value)
    if msg:
        raise HwgenError(f"{flag} {msg}")
