"""cocotb testbench for a generated (or Vitis-exported) network top.

Loaded by the simulator through cocotb; configured by the JSON file named in $HWGEN_VECTORS
(written by :func:`hwgen.verify.cosim.run_cosim`). Two inferences back to back, no reset between:

1. timing run: the source never idles and the sink never back-pressures; the cycle count from
   the first input beat to the last output beat (inclusive) is recorded, and (when asked) the
   start/done cycles of every engine tile;
2. correctness run: random source idles (30 %) and sink back-pressure (40 %);
3. the configuration's ``batch`` images (if any), one after another, still under back-pressure.

Python runs only on the clocks of stream transfers (:mod:`hwgen.sim.axis`): cycles are the
simulator's time, tiles come from the edges of the engines' start/done pulses, and a top with
weights in DRAM is simulated inside ``hwgen_tb_dram`` (sim/hwgen_tb_dram.v), whose HDL AXI4 slave
emulates the mapping's DRAM channel. Every output is compared with its expected codes; results go
to $HWGEN_RESULTS.
"""
from __future__ import annotations

import json
import os
import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from hwgen.sim.axis import PERIOD_NS, StreamSink, StreamSource, TileRecorder, now_cycle
from hwgen.sim.axis_beats import pack_beats, unpack_beats

#: Stream port prefixes tried in order: hwgen's RTL, then Vitis HLS exports (``in``/``out`` become in_r/out_r).
IN_PREFIXES = ("s_axis", "in_r", "in")

OUT_PREFIXES = ("m_axis", "out_r", "out")

#: The file the map DRAM model (sim/hwgen_axi_dram.v) writes its contents to, in the simulation's directory.
DRAM_DUMP = "hwgen_fmap_dram.hex"

#: Vitis HLS block-level control register: ap_start (bit 0) | auto_restart (bit 7).
AP_CTRL_START_AUTORESTART = 0x81


def dram_map_mismatches(dump: list[int | None], maps: list[dict], word: int, width: int, beat: int) -> list[int]:
    """Per map left in DRAM: how many of its codes differ from the golden ones (a code with an unknown bit
    differs). ``dump``: the DRAM's bytes (None: unknown); a map is stored densely from ``addr``, code e in lane
    e % word of the ``beat``-byte word e // word (lane 0 in the LSBs, ``width``-bit two's complement)."""
    out = []
    mask, sign = (1 << width) - 1, 1 << (width - 1)
    for m in maps:
        bad = 0
        codes = m["codes"]
        for q in range(-(-len(codes) // word)):
            a = m["addr"] + q * beat
            raw = dump[a:a + beat]
            value = int.from_bytes(bytes(b or 0 for b in raw), "little")
            unknown = int.from_bytes(bytes(0 if b is not None else 255 for b in raw), "little")
            for lane, want in enumerate(codes[q * word:(q + 1) * word]):
                got = (value >> (lane * width)) & mask
                bad += (unknown >> (lane * width)) & mask != 0 or (got - 2 * sign if got & sign else got) != want
        out.append(bad)
    return out


def read_dump(path: str) -> list[int | None]:
    """Bytes of a ``$writememh`` file (one value per line; address and comment lines skipped; x/z: None)."""
    with open(path) as f:
        return [int(t, 16) if all(ch in "0123456789abcdefABCDEF" for ch in t) else None
                for t in (ln.strip() for ln in f) if t and not t.startswith(("//", "@"))]


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


async def _infer(dut, cfg: dict, source: StreamSource, sink: StreamSink, limit: int, rng: random.Random | None,
                 codes: list[int] | None = None) -> list[int]:
    beats = pack_beats(cfg["input"] if codes is None else codes, cfg["in_channels"], cfg["in_width"],
                       cfg["pixels_per_beat"])
    src_pause = (lambda: rng.random() < 0.3) if rng else None
    sink_pause = (lambda: True) if cfg.get("sink_stall") else ((lambda: rng.random() < 0.4) if rng else None)
    cocotb.start_soon(source.send(beats, src_pause))
    try:
        rx = await with_timeout(sink.recv(cfg["n_out"], sink_pause), limit * PERIOD_NS, "ns")
    except Exception as exc:  # cocotb's SimTimeoutError: say which stream stalled
        stalled = (f"input stream stalled: {source.sent}/{len(beats)} beats accepted"
                   if source.sent < len(beats)
                   else f"output stream stalled: {sink.received}/{cfg['n_out']} beats received")
        raise AssertionError(f"timeout after {limit} cycles: {stalled}") from exc
    return unpack_beats(rx, cfg["out_width"])


@cocotb.test()
async def inference(dut) -> None:
    with open(os.environ["HWGEN_VECTORS"]) as f:
        cfg = json.load(f)
    results: dict = {"timeout": None}
    Clock(dut.ap_clk, PERIOD_NS, unit="ns", impl="gpi").start()
    dut.ap_rst_n.value = 0
    in_p, out_p = _prefix(dut, IN_PREFIXES), _prefix(dut, OUT_PREFIXES)
    source, sink = StreamSource(dut, in_p), StreamSink(dut, out_p)
    if hasattr(dut, "dram_dump"):
        dut.dram_dump.value = 0
    await ClockCycles(dut.ap_clk, 2)
    control = None
    if "s_axi_control_awaddr" in {n.lower() for n in _names(dut)}:  # Vitis block-level control over AXI-Lite
        control = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk, dut.ap_rst_n,
                                reset_active_level=False)
    top = dut.u_dut if hasattr(dut, "u_dut") else dut  # hwgen_tb_dram wraps the network top
    recorders = {e: TileRecorder(getattr(top, f"u_{e}")) for e in cfg.get("engines", []) if hasattr(top, f"u_{e}")}
    await ClockCycles(dut.ap_clk, 4)
    dut.ap_rst_n.value = 1
    await ClockCycles(dut.ap_clk, 2)
    if control is not None:
        await control.write_dword(0x00, AP_CTRL_START_AUTORESTART)
    limit = cfg.get("limit_cycles") or 3 * int(cfg.get("predicted_cycles") or 0) + 10 * cfg["in_pixels"] + 10000
    expected = cfg["expected"]
    tasks = [cocotb.start_soon(r.run()) for r in recorders.values()]
    c0, wall0, cpu0 = now_cycle(), time.perf_counter(), time.process_time()
    try:
        out = await _infer(dut, cfg, source, sink, limit, None)
        results["cycles"] = sink.last - source.first + 1
        results["outputs"] = out
        results["tiles"] = {e: r.tiles for e, r in recorders.items()}
        for t in tasks:
            t.cancel()
        rng = random.Random(cfg.get("seed", 0))
        out_bp = await _infer(dut, cfg, source, sink, 4 * limit, rng)
        results["outputs_backpressure"] = out_bp
        if cfg.get("dram_maps"):  # the maps left in the map DRAM by these two inferences of one image
            dut.dram_dump.value = 1
            await ClockCycles(dut.ap_clk, 1)
            dut.dram_dump.value = 0
            await ClockCycles(dut.ap_clk, 1)
            results["dram_map_mismatches"] = dram_map_mismatches(read_dump(DRAM_DUMP), cfg["dram_maps"], cfg["word"],
                                                                 cfg["act_width"], cfg["faxi_bits"] // 8)
        # Further images (e.g. real test images), streamed back to back under the same back-pressure.
        results["batch_mismatches"] = []
        for item in cfg.get("batch", []):
            got = await _infer(dut, cfg, source, sink, 4 * limit, rng, item["input"])
            results["batch_mismatches"].append(sum(a != b for a, b in zip(got, item["expected"]))
                                               + abs(len(got) - len(item["expected"])))
    except AssertionError as exc:
        results["timeout"] = str(exc)
    mism = [i for i, (a, b) in enumerate(zip(results.get("outputs", []), expected)) if a != b]
    mism_bp = [i for i, (a, b) in enumerate(zip(results.get("outputs_backpressure", []), expected)) if a != b]
    results["mismatches"] = len(mism) + abs(len(results.get("outputs", [])) - len(expected))
    results["mismatches_backpressure"] = len(mism_bp) + abs(len(results.get("outputs_backpressure", [])) - len(expected))
    # Simulation speed over the two inferences (the simulator and Python share this process).
    results["sim_cycles"] = now_cycle() - c0
    results["sim_wall_seconds"] = time.perf_counter() - wall0
    results["sim_cpu_seconds"] = time.process_time() - cpu0
    with open(os.environ["HWGEN_RESULTS"], "w") as f:
        json.dump(results, f)
    assert results["timeout"] is None, results["timeout"]
    assert results["mismatches"] == 0, f"{results['mismatches']} output mismatches (first at {mism[:1]})"
    assert results["mismatches_backpressure"] == 0, f"{results['mismatches_backpressure']} mismatches with back-pressure"
    assert not any(results.get("dram_map_mismatches", [])), \
        f"codes of the maps left in DRAM differ: {results['dram_map_mismatches']}"
    assert not any(results.get("batch_mismatches", [])), f"mismatches per batch image: {results['batch_mismatches']}"
