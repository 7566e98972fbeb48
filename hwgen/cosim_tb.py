"""cocotb testbench for a generated (or Vitis-exported) network top.

Loaded by the simulator through cocotb; configured by the JSON file named in $HWGEN_VECTORS
(written by :func:`hwgen.cosim.run_cosim`). Two inferences back to back, no reset between:

1. timing run: the source never idles and the sink never back-pressures; the cycle count from
   the first input beat to the last output beat (inclusive) is recorded;
2. correctness run: random source idles and sink back-pressure;
3. the configuration's ``batch`` images (if any), one after another, still under back-pressure.

A top with weights in DRAM (an ``m_axi`` read master) is served by :class:`DramModel`, which emulates
the DRAM channel the simulator is given (the mapping's bytes per cycle and latency, from plan.json).

Every output is compared with its expected codes; results go to $HWGEN_RESULTS.
"""
from __future__ import annotations

import json
import os
import random

import math
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from hwgen.hw import AXI_BOUNDARY, DRAM_AR_CYCLES

#: Stream port prefixes tried in order: hwgen's RTL, then Vitis HLS exports (``in``/``out`` become in_r/out_r).
IN_PREFIXES = ("s_axis", "in_r", "in")
OUT_PREFIXES = ("m_axis", "out_r", "out")
#: Vitis HLS block-level control register: ap_start (bit 0) | auto_restart (bit 7).
AP_CTRL_START_AUTORESTART = 0x81


def _names(dut) -> list[str]:
    try:
        return [h._name for h in dut]
    except TypeError:
        return []


def _prefix(dut, candidates: tuple[str, ...]) -> str:
    names = {n.lower() for n in _names(dut)}
    for p in candidates:
        if f"{p}_tdata" in names:
            return p
    raise AssertionError(f"no AXI4-Stream port among prefixes {candidates} on {dut._name}")


def _pack_beats(codes: list[int], channels: int, width: int, beat_bytes: int) -> bytes:
    out = bytearray()
    mask = (1 << width) - 1
    for p in range(len(codes) // channels):
        word = 0
        for c in range(channels):
            word |= (codes[p * channels + c] & mask) << (c * width)
        out += word.to_bytes(beat_bytes, "little")
    return bytes(out)


def _unpack_beats(data: bytes, width: int, beat_bytes: int) -> list[int]:
    vals = []
    for i in range(0, len(data), beat_bytes):
        v = int.from_bytes(data[i:i + beat_bytes], "little") & ((1 << width) - 1)
        vals.append(v - (1 << width) if v >> (width - 1) else v)
    return vals


class DramModel:
    """AXI4 read slave emulating the simulator's DRAM channel (hwgen.hw.weight_load_cycles).

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


async def _infer(dut, cfg: dict, source: AxiStreamSource, sink: AxiStreamSink, mon: Monitor, limit: int,
                 codes: list[int] | None = None) -> list[int]:
    codes = cfg["input"] if codes is None else codes
    frame = AxiStreamFrame(_pack_beats(codes, cfg["in_channels"], cfg["in_width"], cfg["in_beat_bits"] // 8))
    in0, out0 = mon.in_beats, mon.out_beats
    await source.send(frame)
    try:
        rx = await with_timeout(sink.recv(), limit * 10, "ns")
    except Exception as exc:  # cocotb's SimTimeoutError: say which stream stalled
        n_in, n_out = mon.in_beats - in0, mon.out_beats - out0
        stalled = (f"input stream stalled: {n_in}/{cfg['in_pixels']} beats accepted" if n_in < cfg["in_pixels"]
                   else f"output stream stalled: {n_out}/{cfg['n_out']} beats received")
        raise AssertionError(f"timeout after {limit} cycles: {stalled}") from exc
    return _unpack_beats(bytes(rx.tdata), cfg["out_width"], cfg["out_beat_bits"] // 8)


@cocotb.test()
async def inference(dut) -> None:
    with open(os.environ["HWGEN_VECTORS"]) as f:
        cfg = json.load(f)
    results: dict = {"timeout": None}
    Clock(dut.ap_clk, 10, unit="ns", impl="gpi").start()
    dut.ap_rst_n.value = 0
    await ClockCycles(dut.ap_clk, 2)  # reset asserted before the stream drivers sample it
    in_p, out_p = _prefix(dut, IN_PREFIXES), _prefix(dut, OUT_PREFIXES)
    source = AxiStreamSource(AxiStreamBus.from_prefix(dut, in_p), dut.ap_clk, dut.ap_rst_n,
                             reset_active_level=False)
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, out_p), dut.ap_clk, dut.ap_rst_n,
                         reset_active_level=False)
    control = None
    if "s_axi_control_awaddr" in {n.lower() for n in _names(dut)}:  # Vitis block-level control over AXI-Lite
        control = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk, dut.ap_rst_n,
                                reset_active_level=False)
    if cfg.get("dram_image"):  # weights in DRAM: serve the top's AXI4 read master from the DRAM model
        with open(cfg["dram_image"]) as f:
            image = bytes(int(v, 16) for v in f.read().split())
        cocotb.start_soon(DramModel(dut, image, cfg["dram_bytes_per_cycle"], cfg["dram_latency"]).run())
    engines = [e for e in cfg.get("engines", []) if hasattr(dut, f"u_{e}")]
    mon = Monitor(dut, engines, source.bus, sink.bus)
    cocotb.start_soon(mon.run())
    await ClockCycles(dut.ap_clk, 4)
    dut.ap_rst_n.value = 1
    await ClockCycles(dut.ap_clk, 2)
    if control is not None:
        await control.write_dword(0x00, AP_CTRL_START_AUTORESTART)
    limit = cfg.get("limit_cycles") or 3 * int(cfg.get("predicted_cycles") or 0) + 10 * cfg["in_pixels"] + 10000
    sink.pause = bool(cfg.get("sink_stall"))  # a never-ready sink: checks the timeout diagnosis
    expected = cfg["expected"]
    try:
        out = await _infer(dut, cfg, source, sink, mon, limit)
        results["cycles"] = mon.last_out - mon.first_in + 1
        results["outputs"] = out
        results["tiles"] = mon.tiles
        mon.recording = False
        rng = random.Random(cfg.get("seed", 0))
        source.set_pause_generator(iter(lambda: rng.random() < 0.3, None))
        sink.set_pause_generator(iter(lambda: rng.random() < 0.4, None))
        out_bp = await _infer(dut, cfg, source, sink, mon, 4 * limit)
        results["outputs_backpressure"] = out_bp
        # Further images (e.g. real test images), streamed back to back under the same back-pressure.
        results["batch_mismatches"] = []
        for item in cfg.get("batch", []):
            got = await _infer(dut, cfg, source, sink, mon, 4 * limit, item["input"])
            results["batch_mismatches"].append(sum(a != b for a, b in zip(got, item["expected"]))
                                               + abs(len(got) - len(item["expected"])))
    except AssertionError as exc:
        results["timeout"] = str(exc)
    mism = [i for i, (a, b) in enumerate(zip(results.get("outputs", []), expected)) if a != b]
    mism_bp = [i for i, (a, b) in enumerate(zip(results.get("outputs_backpressure", []), expected)) if a != b]
    results["mismatches"] = len(mism) + abs(len(results.get("outputs", [])) - len(expected))
    results["mismatches_backpressure"] = len(mism_bp) + abs(len(results.get("outputs_backpressure", [])) - len(expected))
    results["total_cycles"] = mon.cycle
    with open(os.environ["HWGEN_RESULTS"], "w") as f:
        json.dump(results, f)
    assert results["timeout"] is None, results["timeout"]
    assert results["mismatches"] == 0, f"{results['mismatches']} output mismatches (first at {mism[:1]})"
    assert results["mismatches_backpressure"] == 0, f"{results['mismatches_backpressure']} mismatches with back-pressure"
    assert not any(results.get("batch_mismatches", [])), f"batch mismatches per image: {results['batch_mismatches']}"
