"""cocotb testbench for a generated (or Vitis-exported) network top.

Loaded by the simulator through cocotb; configured by the JSON file named in $HWGEN_VECTORS
(written by :func:`hwgen.verify.cosim.run_cosim`). Two inferences back to back, no reset between:

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

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster, AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from hwgen.sim.axi_dram import DramModel
from hwgen.sim.axis_beats import pack_beats, unpack_beats
from hwgen.sim.monitor import Monitor

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


async def _infer(dut, cfg: dict, source: AxiStreamSource, sink: AxiStreamSink, mon: Monitor, limit: int,
                 codes: list[int] | None = None) -> list[int]:
    codes = cfg["input"] if codes is None else codes
    frame = AxiStreamFrame(pack_beats(codes, cfg["in_channels"], cfg["in_width"], cfg["in_beat_bits"] // 8))
    in0, out0 = mon.in_beats, mon.out_beats
    await source.send(frame)
    try:
        rx = await with_timeout(sink.recv(), limit * 10, "ns")
    except Exception as exc:  # cocotb's SimTimeoutError: say which stream stalled
        n_in, n_out = mon.in_beats - in0, mon.out_beats - out0
        stalled = (f"input stream stalled: {n_in}/{cfg['in_pixels']} beats accepted" if n_in < cfg["in_pixels"]
                   else f"output stream stalled: {n_out}/{cfg['n_out']} beats received")
        raise AssertionError(f"timeout after {limit} cycles: {stalled}") from exc
    return unpack_beats(bytes(rx.tdata), cfg["out_width"], cfg["out_beat_bits"] // 8)


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
    assert not any(results.get("batch_mismatches", [])), f"mismatches per batch image: {results['batch_mismatches']}"
