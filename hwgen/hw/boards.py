"""FPGA boards: programmable-logic resources, DRAM bandwidth and a default clock.

Sources (vendor documents; figures are the programmable-logic totals of the part):

* xc7z020 — Xilinx DS190 "Zynq-7000 SoC Data Sheet: Overview" (Z-7020: 53,200 LUTs,
  106,400 flip-flops, 140 36Kb block RAMs = 4.9 Mb, 220 DSP slices; LUT/BRAM/DSP counts
  re-checked against a public device table with the search tool). PYNQ-Z2: TUL "PYNQ-Z2
  Reference Manual" — 512 MB DDR3, 16-bit bus at 1050 Mb/s -> 2.1 GB/s.
* xczu3eg / xczu7ev / xczu9eg — Xilinx DS891 "Zynq UltraScale+ MPSoC Data Sheet:
  Overview" (ZU3EG: 70,560 LUTs, 141,120 FFs, 216 BRAM36 = 7.6 Mb, no URAM, 360 DSP;
  ZU7EV: 230,400 LUTs, 460,800 FFs, 312 BRAM36 = 11.0 Mb, 96 URAM = 27.0 Mb, 1,728 DSP;
  ZU9EG: 274,080 LUTs, 548,160 FFs, 912 BRAM36 = 32.1 Mb, no URAM, 2,520 DSP).
  ZCU104 (Xilinx UG1267; PYNQ's board page confirms a 64-bit PS DDR4) and ZCU102
  (Xilinx UG1182): 64-bit PS DDR4 taken at 2400 Mb/s -> 19.2 GB/s. Ultra96-V2 (Avnet
  "Ultra96-V2 Hardware User's Guide"): 2 GB 32-bit LPDDR4, taken at 1066 Mb/s -> 4.3 GB/s.
  These DRAM rates are the PS controller settings of the vendors' reference designs as we
  know them, not re-confirmed here: override with --dram-gbps.
* xck26 — Xilinx DS987 "Kria K26 SOM Data Sheet" (4 GB DDR4, 64-bit at 2400 Mb/s ->
  19.2 GB/s, confirmed with the search tool; 1,248 DSP, 144 BRAM36, 64 URAM, 117,120 LUTs,
  234,240 FFs).

DRAM bandwidth is the peak of the PS memory interface (bus width x data rate); the
latency of a DRAM burst seen from the fabric (``dram_latency_ns``) is not a data-sheet
figure: it is the typical round trip through the PS interconnect to DDR (~150-200 ns).
Default clocks are common fabric clocks for these parts (100 MHz on the -1 Zynq-7000,
200 MHz on UltraScale+).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hwgen.errors import HwgenError


@dataclass(frozen=True)
class Board:
    name: str
    part: str
    dsp: int
    bram36: int
    uram: int
    lut: int
    ff: int
    dram_gbps: float
    clock_mhz: float
    dram_latency_ns: float

    def dram_bytes_per_cycle(self, clock_mhz: float, dram_gbps: float | None = None) -> float:
        """Peak DRAM bytes per fabric clock cycle (rounded so 2.1 GB/s at 100 MHz is exactly 21.0)."""
        return round((dram_gbps if dram_gbps is not None else self.dram_gbps) * 1e3 / clock_mhz, 9)

    def dram_latency_cycles(self, clock_mhz: float) -> int:
        return math.ceil(self.dram_latency_ns * clock_mhz / 1e3)

    @property
    def ram_bits(self) -> int:
        """Nominal on-chip RAM capacity: 36 Kbit per BRAM36, 288 Kbit per URAM (the mapper's budget for maps
        and band buffers; placement then counts real blocks)."""
        return self.bram36 * 36 * 1024 + self.uram * 288 * 1024

    @property
    def family(self) -> str:
        """Yosys' synth_xilinx family of the part: ``xc7`` (7-series) or ``xcup`` (UltraScale+)."""
        return "xc7" if self.part.startswith("xc7") else "xcup"

    @property
    def dsp_slice(self) -> str:
        """DSP48E1 (25x18 multiplier) on 7-series parts (xc7*), DSP48E2 (27x18) on UltraScale+ (DS891, DS987)."""
        return "DSP48E1" if self.part.startswith("xc7") else "DSP48E2"


BOARDS: dict[str, Board] = {b.name: b for b in (
    Board("pynq-z2", "xc7z020clg400-1", dsp=220, bram36=140, uram=0, lut=53_200, ff=106_400,
          dram_gbps=2.1, clock_mhz=100.0, dram_latency_ns=200.0),
    Board("ultra96", "xczu3eg-sbva484-1", dsp=360, bram36=216, uram=0, lut=70_560, ff=141_120,
          dram_gbps=4.3, clock_mhz=200.0, dram_latency_ns=150.0),
    Board("kv260", "xck26-sfvc784-2LV-c", dsp=1_248, bram36=144, uram=64, lut=117_120, ff=234_240,
          dram_gbps=19.2, clock_mhz=200.0, dram_latency_ns=150.0),
    Board("zcu104", "xczu7ev-ffvc1156-2", dsp=1_728, bram36=312, uram=96, lut=230_400, ff=460_800,
          dram_gbps=19.2, clock_mhz=200.0, dram_latency_ns=150.0),
    Board("zcu102", "xczu9eg-ffvb1156-2", dsp=2_520, bram36=912, uram=0, lut=274_080, ff=548_160,
          dram_gbps=19.2, clock_mhz=200.0, dram_latency_ns=150.0),
)}

DEFAULT_BOARD = "zcu104"


def get_board(name: str) -> Board:
    board = BOARDS.get(name.lower())
    if board is None:
        raise HwgenError(f"unknown board {name!r} (choose from {', '.join(BOARDS)})")
    return board
