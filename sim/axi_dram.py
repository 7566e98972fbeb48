"""A cocotb AXI4 read slave that emulates the estimate's DRAM channel (bandwidth and burst latency)."""
from __future__ import annotations

import math
from collections import deque

from cocotb.triggers import RisingEdge

from hwgen.hw.contract import AXI_BOUNDARY, DRAM_AR_CYCLES


class DramModel:
    """AXI4 read slave emulating the simulator's DRAM channel (hwgen.hw.contract.weight_load_cycles).

    ARREADY is always high. A burst's data is available ``latency - DRAM_AR_CYCLES`` cycles after
    its AR handshake (the loader's request-to-AR cycles are the rest of the channel latency); while
    data keeps coming (the next burst is available by the time the previous one ends) the beats of
    that busy period leave at ``bytes_per_cycle``, beat i (from 0) no earlier than
    ceil((i+1) * beat / bytes_per_cycle) - 1 cycles after the period began and at most one per cycle.
    """

    def __init__(self, dut, image: bytes, bytes_per_cycle: float, latency: int) -> None:
        self.dut = dut
        self.image = image
        self.beat = len(dut.m_axi_rdata) // 8
        self.rate = min(bytes_per_cycle, self.beat)
        self.delay = latency - DRAM_AR_CYCLES
        assert self.delay >= 1, f"DRAM latency {latency} below the loader's {DRAM_AR_CYCLES} + 1 cycles"
        self.bursts: deque[list[int]] = deque()  # [next address, beats left, available at cycle]
        self.cycle = 0
        self.last = -1  # cycle of the last beat
        self.p0 = 0  # first cycle of the current busy period
        self.sent = 0  # beats of the current busy period
        self.beats = 0

    def _due(self) -> int:
        """Cycle at which the head beat is handed over."""
        head = self.bursts[0]
        if head[2] > self.last + 1:  # the channel went idle: a new busy period
            self.p0, self.sent = head[2], 0
        return max(self.last + 1, self.p0 + math.ceil((self.sent + 1) * self.beat / self.rate) - 1)

    async def run(self) -> None:
        dut = self.dut
        dut.m_axi_arready.value = 1
        dut.m_axi_rvalid.value = 0
        dut.m_axi_rid.value = 0
        dut.m_axi_rresp.value = 0
        dut.m_axi_rlast.value = 0
        dut.m_axi_rdata.value = 0
        while True:
            await RisingEdge(dut.ap_clk)
            self.cycle += 1
            if dut.ap_rst_n.value == 0:
                continue
            if dut.m_axi_rvalid.value == 1 and dut.m_axi_rready.value == 1:  # a beat handed over at this edge
                head = self.bursts[0]
                self.last, self.sent, self.beats = self.cycle, self.sent + 1, self.beats + 1
                head[0] += self.beat
                head[1] -= 1
                if head[1] == 0:
                    self.bursts.popleft()
            if dut.m_axi_arvalid.value == 1:
                addr, n = int(dut.m_axi_araddr.value), int(dut.m_axi_arlen.value) + 1
                assert addr % self.beat == 0 and addr // AXI_BOUNDARY == (addr + n * self.beat - 1) // AXI_BOUNDARY, \
                    f"AXI burst at {addr:#x} of {n} beats is unaligned or crosses 4 KB"
                self.bursts.append([addr, n, self.cycle + self.delay])
            # Drive the beat due at the next edge.
            if self.bursts and self._due() <= self.cycle + 1:
                addr, left = self.bursts[0][0], self.bursts[0][1]
                dut.m_axi_rdata.value = int.from_bytes(self.image[addr:addr + self.beat], "little")
                dut.m_axi_rlast.value = int(left == 1)
                dut.m_axi_rvalid.value = 1
            else:
                dut.m_axi_rvalid.value = 0
                dut.m_axi_rlast.value = 0
