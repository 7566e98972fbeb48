"""A cocotb monitor of the network top: cycles, stream handshakes and engine tile start/done cycles."""
from __future__ import annotations

from cocotb.triggers import RisingEdge


class Monitor:
    """Counts cycles and handshakes; optionally records engine tile start/done cycles."""

    def __init__(self, dut, engines: list[str], in_bus, out_bus) -> None:
        self.dut = dut
        self.in_bus, self.out_bus = in_bus, out_bus
        self.cycle = 0
        self.in_beats = 0
        self.out_beats = 0
        self.first_in: int | None = None
        self.last_out: int | None = None
        self.engines = {e: getattr(dut, f"u_{e}") for e in engines}
        self.tiles: dict[str, list[list[int]]] = {e: [] for e in engines}
        self.recording = True

    async def run(self) -> None:
        dut = self.dut
        while True:
            await RisingEdge(dut.ap_clk)
            self.cycle += 1
            if self.in_bus.tvalid.value == 1 and self.in_bus.tready.value == 1:
                self.in_beats += 1
                if self.first_in is None:
                    self.first_in = self.cycle
            if self.out_bus.tvalid.value == 1 and self.out_bus.tready.value == 1:
                self.out_beats += 1
                self.last_out = self.cycle
            if self.recording:
                for name, eng in self.engines.items():
                    if eng.start.value == 1:
                        self.tiles[name].append([self.cycle, -1])
                    if eng.done.value == 1:
                        self.tiles[name][-1][1] = self.cycle
