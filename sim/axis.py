"""Event-driven AXI4-Stream drivers: Python runs on the clocks of a transfer, never while the stream is idle.

Handshakes are sampled at the rising edge (the values the flops see), as cocotbext-axi does; a beat's
cycle is the simulator time of that edge over the clock period, so cycle counts need no per-clock monitor.
"""
from __future__ import annotations

from typing import Callable

from cocotb.triggers import RisingEdge
from cocotb.utils import get_sim_time

#: Clock period of the testbench in ns.
PERIOD_NS = 10


def now_cycle() -> int:
    """The current clock edge's index (simulator time over the period)."""
    return round(get_sim_time("ns") / PERIOD_NS)


def _handle(dut, prefix: str, name: str):
    for n in (f"{prefix}_{name}", f"{prefix}_{name}".upper(), f"{prefix}_{name.upper()}"):
        if hasattr(dut, n):
            return getattr(dut, n)
    return None


class StreamSource:
    """Drives ``{prefix}_tdata/tvalid/tlast`` from a list of beats; ``pause()`` (per cycle) idles the source."""

    def __init__(self, dut, prefix: str) -> None:
        self.clk = dut.ap_clk
        self.tdata, self.tvalid = _handle(dut, prefix, "tdata"), _handle(dut, prefix, "tvalid")
        self.tready, self.tlast = _handle(dut, prefix, "tready"), _handle(dut, prefix, "tlast")
        self.tvalid.value = 0
        self.sent = 0
        self.first: int | None = None  # cycle of the first beat accepted

    async def send(self, beats: list[int], pause: Callable[[], bool] | None = None) -> None:
        self.sent, self.first = 0, None
        while self.sent < len(beats):
            valid = not (pause and pause())
            if valid:
                self.tdata.value = beats[self.sent]
                if self.tlast is not None:
                    self.tlast.value = int(self.sent == len(beats) - 1)
            self.tvalid.value = int(valid)
            await RisingEdge(self.clk)
            if valid and self.tready.value == 1:
                if self.first is None:
                    self.first = now_cycle()
                self.sent += 1
        self.tvalid.value = 0


class StreamSink:
    """Receives ``n`` beats of ``{prefix}_tdata``; ``pause()`` (per cycle) holds TREADY low. While TVALID is
    low the sink waits for its rising edge instead of clocking through the idle cycles."""

    def __init__(self, dut, prefix: str) -> None:
        self.clk = dut.ap_clk
        self.tdata, self.tvalid = _handle(dut, prefix, "tdata"), _handle(dut, prefix, "tvalid")
        self.tready = _handle(dut, prefix, "tready")
        self.tready.value = 0
        self.received = 0
        self.last: int | None = None  # cycle of the last beat received

    async def recv(self, n: int, pause: Callable[[], bool] | None = None) -> list[int]:
        beats: list[int] = []
        self.received, self.last = 0, None
        while len(beats) < n:
            ready = not (pause and pause())
            self.tready.value = int(ready)
            if ready and self.tvalid.value != 1:
                await RisingEdge(self.tvalid)
            await RisingEdge(self.clk)
            if ready and self.tvalid.value == 1:
                beats.append(int(self.tdata.value))
                self.last = now_cycle()
                self.received = len(beats)
        self.tready.value = 0
        return beats


class TileRecorder:
    """(start, done) cycles of an engine's tiles, from the rising edges of its one-cycle start/done pulses."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.tiles: list[list[int]] = []

    async def run(self) -> None:
        while True:
            await RisingEdge(self.engine.start)
            start = now_cycle()
            await RisingEdge(self.engine.done)
            self.tiles.append([start, now_cycle()])
