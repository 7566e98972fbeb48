"""Shared helpers of the HLS codegen / C-sim tests: a mapping with a forced split and tiling, project generation."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import hls_rules

from hwgen.codegen.hls.project import HlsProject, generate_hls
from hwgen.hw.contract import EngineConfig
from hwgen.hw.boards import get_board
from hwgen.hw.schedule import run_schedule
from hwgen.hw.steps import StepTiling, schedule_steps
from hwgen.ir.graph import Graph
from hwgen.mapping.plan import Mapping, place_buffers, plan_buffers
from hwgen.quant.qgraph import QuantGraph
from hwgen.quant.quantize import quantize


def hand_mapping(qgraph: QuantGraph, cfg: EngineConfig, band_rows: int | None = None, *,
                 weights_in_dram: bool = False, tiles: dict[str, StepTiling] | None = None,
                 board: str = "pynq-z2", dsp_packing: bool = True, pixels_per_beat: int = 1) -> Mapping:
    """A real :class:`Mapping` with a forced split and tiling (the mapper fuses every DW->PW pair).

    ``dsp_packing``: the PW engine packs two products per multiply where the codes are <= 8 bits. The mapper
    packs only on DSP48E2 parts; the C++ datapath is the same on any part, so C-sim checks the packed one here.

    Fused pairs get ``band_rows`` rows per band (default: one band); ``tiles`` overrides the tiling of
    the steps it names (weight tiles, feature maps in DRAM). The memory plan is the mapper's
    (plan_buffers / place_buffers), with the feature-map limit between the on-chip and DRAM maps.
    """
    steps = schedule_steps([q.op for q in qgraph.ops])
    tilings = {s.name: StepTiling(min(band_rows, s.out_rows) if s.fused and band_rows else s.out_rows)
               for s in steps}
    tilings.update(tiles or {})
    # a map stored to DRAM is loaded from there by the next step (as the mapper's fmap_flags have it)
    for prev, nxt in zip(steps, steps[1:]):
        if tilings[prev.name].out_dram and not tilings[nxt.name].in_dram:
            tilings[nxt.name] = replace(tilings[nxt.name], in_dram=True)
    h, w, c = steps[0].first.in_shape
    tensors = [(h * w * c, tilings[steps[0].name].in_dram)]
    tensors += [(s.last.out_shape[0] * s.last.out_shape[1] * s.last.out_shape[2], tilings[s.name].out_dram)
                for s in steps]
    limit = max([t for t, dram in tensors if not dram], default=0)
    b = get_board(board)
    bufs = place_buffers(plan_buffers(steps, tilings, cfg, weights_in_dram, limit, qgraph.input_fmt.width,
                                      max(q.w_fmt.width for q in qgraph.ops if q.w_fmt is not None),
                                      pixels_per_beat), b)
    return Mapping(cfg=cfg, band_rows={s.name: tilings[s.name].band_rows for s in steps if s.fused},
                   weights_in_dram=weights_in_dram, fmaps_in_dram=any(dram for _, dram in tensors), tiles=tilings,
                   steps=steps, board=b, clock_mhz=b.clock_mhz, act_bits=qgraph.input_fmt.width,
                   weight_bits=max(q.w_fmt.width for q in qgraph.ops if q.w_fmt is not None),
                   dram_bytes_per_cycle=b.dram_bytes_per_cycle(b.clock_mhz), dram_latency=b.dram_latency_cycles(b.clock_mhz),
                   fmap_limit=limit, buffers=bufs, dsp_packing=dsp_packing, pixels_per_beat=pixels_per_beat)


def fuse_all(qgraph: QuantGraph, cfg: EngineConfig, band_rows: int, **kw) -> Mapping:
    """Every DW->PW pair fused (as the mapper does) with ``band_rows`` rows per band."""
    return hand_mapping(qgraph, cfg, band_rows, **kw)


def generate(qgraph: QuantGraph, mapping: Mapping, outdir: Path, seed: int = 0, force: bool = False) -> HlsProject:
    """Generate a project and hold it to the HLS rules (:func:`assert_rules`)."""
    proj = generate_hls(qgraph, mapping, outdir, part="xc7z020clg400-1", clock_mhz=100.0, board="pynq-z2",
                        seed=seed, force=force)
    assert_rules(outdir, mapping)
    return proj


#: How far the memory blocks the HLS declarations imply may be from the plan's (hwgen estimate's figure).
MEMORY_TOLERANCE = 0.10


def assert_rules(outdir: Path, mapping: Mapping) -> None:
    """The project passes the rule checker (tests/hls_rules.py) but for its documented limits, and its
    declarations imply the mapping's memory plan: BRAM36 and URAM within MEMORY_TOLERANCE. Every buffer the plan
    banks is declared as its banks (one array each)."""
    proj = hls_rules.load(outdir)
    found = hls_rules.check(outdir)
    violations = hls_rules.unexplained(found)
    assert violations == [], [str(v) for v in violations]
    declared = {}
    for m in hls_rules.memories(proj):
        declared[m.plan_name] = declared.get(m.plan_name, 0) + m.banks
    for b in mapping.buffers:
        if b.banks > 1:
            assert declared.get(b.name) == b.banks, (b.name, b.banks, declared.get(b.name))
    bram, uram = hls_rules.memory_blocks(proj)
    plan_bram, plan_uram = mapping.bram36, mapping.uram
    assert abs(bram - plan_bram) <= MEMORY_TOLERANCE * plan_bram, (bram, plan_bram)
    assert abs(uram - plan_uram) <= MEMORY_TOLERANCE * plan_uram, (uram, plan_uram)


def quantized(graph: Graph, weight_bits: int = 8, act_bits: int = 8) -> QuantGraph:
    return quantize(graph, weight_bits=weight_bits, act_bits=act_bits)


def braced(src: str, after: str) -> str:
    """The text inside the first brace block that opens after ``after`` in ``src``."""
    start = src.index("{", src.index(after))
    depth = 0
    for i in range(start, len(src)):
        depth += {"{": 1, "}": -1}.get(src[i], 0)
        if depth == 0:
            return src[start + 1:i]
    raise ValueError(f"unbalanced braces after {after!r}")


def c_function(src: str, name: str) -> str:
    """The body of the static C function ``name``."""
    return braced(src, f"static void {name}(")


def unbanked(src: str) -> str:
    """Generated C++ with every banked buffer written as one array (the dense form of before the banks), so the
    region checks read the same for both: bank parameters and arguments ``x_0, x_1, ...`` (and their grid flag),
    one-bank arguments with fillers (``band, band_fill_1, ..., false``), the banked PIPO declarations."""
    sizes = {"FM_BANK_WORDS": "BUF_WORDS", "IN_BANK_WORDS": "IN_BAND_WORDS"}
    src = re.sub(r"((?:const )?act_t) (\w+)_0\[(\w+)\](?:, (?:const )?act_t \2_\d+\[\w+\])+(?:, bool \2_bk)?",
                 lambda m: f"{m.group(1)} {m.group(2)}[{sizes.get(m.group(3), m.group(3))}]", src)
    src = re.sub(r"\b(\w+)_0((?:, \1_\d+)+)(?:, (?:true|false|\1_bk)\b)?", r"\1", src)
    src = re.sub(r", (\w+)_fill_1(?:, \1_fill_\d+)*, false\b", "", src)
    src = re.sub(r"\n *act_t in_band_[1-9]\d*\[IN_BANK_WORDS\];|\n#pragma HLS \w+ variable=in_band_[1-9]\d* [^\n]*", "", src)
    src = src.replace("act_t in_band_0[IN_BANK_WORDS];", "act_t in_band[IN_BAND_WORDS];")
    return re.sub(r"variable=(\w+)_0 ", r"variable=\1 ", src)


def assert_fused_pairs_are_dataflow(top: str, pairs: int) -> None:
    """The top's ``pairs`` fused DW->PW pairs run through one canonical DATAFLOW region over row bands.

    The band loop's body holds only the PIPOs and the process calls: the DW process reads the source map
    and writes the band, the PW process reads the band and writes the destination map (one producer, one
    consumer, no bypass, no control around the calls). With maps in DRAM the region also holds the read
    process (DRAM -> the in_band PIPO, the DW process's input) and the write process (the out_band PIPO,
    the PW process's output -> DRAM), each with its own fmem argument.
    """
    top = unbanked(top)
    region = c_function(top, "fused_pair")
    body = [line.strip() for line in braced(region, "for (int b = 0; b < bands; b++)").splitlines() if line.strip()]
    pragmas = [line for line in body if line.startswith("#pragma")]
    stmts = [line for line in body if not line.startswith("#pragma")]
    assert "#pragma HLS DATAFLOW" in pragmas and "#pragma HLS STREAM variable=band type=pipo depth=2" in pragmas
    if "act_t in_band[IN_BAND_WORDS];" in stmts:
        assert stmts[:3] == ["act_t in_band[IN_BAND_WORDS];", "act_t band[BAND_WORDS];",
                             "act_t out_band[OUT_BAND_WORDS];"] and len(stmts) == 7, stmts
        assert {"#pragma HLS STREAM variable=in_band type=pipo depth=2",
                "#pragma HLS STREAM variable=out_band type=pipo depth=2"} <= set(pragmas)
        assert stmts[3] == "band_read(fmem_in, in_band, sd, b, band_rows, out_h);"
        assert stmts[4].startswith("fused_dw(src, in_band, band, dw, ")
        assert stmts[5].startswith("fused_pw(band, dst, out_band, pw, sd, b, band_rows, out_h")
        assert stmts[6] == "band_write(out_band, fmem_out, sd, b, band_rows, out_h);"
        assert "static void band_read(const fmem_t *fmem_in, act_t in_band[IN_BAND_WORDS]," in top
        assert "static void band_write(const act_t out_band[OUT_BAND_WORDS], fmem_t *fmem_out," in top
    else:
        assert stmts[0] == "act_t band[BAND_WORDS];" and len(stmts) == 3, stmts
        assert stmts[1] == "fused_dw(src, band, dw, b, band_rows, out_h);"
        assert stmts[2].startswith("fused_pw(band, dst, pw, b, band_rows, out_h")
    # the processes' signatures: DW writes the band, PW only reads it
    assert re.search(r"static void fused_dw\(const act_t src\[BUF_WORDS\](, const act_t in_band\[IN_BAND_WORDS\])?, "
                     r"act_t band\[BAND_WORDS\],", top)
    assert re.search(r"static void fused_pw\(const act_t band\[BAND_WORDS\], act_t dst\[BUF_WORDS\]"
                     r"(, act_t out_band\[OUT_BAND_WORDS\])?,", top)
    dw, pw = c_function(top, "fused_dw"), c_function(top, "fused_pw")
    assert "dw_engine(src, band, dw, row0, rows, 0, " in dw and "pw_engine" not in dw
    assert "pw_engine(band, dst, " in pw and "dw_engine" not in pw and "src" not in pw.replace("src0", "")
    network = c_function(top, "run_network")
    assert network.count("fused_pair(") == pairs


def dma_trace(output: str) -> list[tuple[str, int, int, int, int]]:
    """The DRAM transfers a C-simulated design issued in its first inference, in its order (the testbench's
    ``dma KIND STEP BAND FIRST BEATS`` lines, HWGEN_DMA): (kind, step index, band, first code, beats)."""
    out = []
    for line in output.splitlines():
        if line.startswith("dma "):
            kind, *nums = line.split()[1:]
            out.append((kind, *map(int, nums)))
    return out


def assert_dma_follows_the_queue(output: str, mapping: Mapping) -> None:
    """The transfers the C++ issued are the estimate's (``hw.schedule``'s ``Trace.transfers``, the RTL's DMA
    program), each process's in the queue's order: the band reads (the band region's read process) and the band
    writes (its write process) the same ones with the same first code and beats, the input (read_input) the
    same words (the queue splits them into writes of one burst each, the C++ into none),
    the weight loads the same words. A step's DW weights come with its first PW load in the queue (one
    transfer); the C++ loads them first, on their own. Between processes C-simulation runs the region's
    processes one after the other per band, so the interleaving of reads and writes is not the queue's (in
    hardware the read and write processes run concurrently, on the AXI read and write channels)."""
    trace = dma_trace(output)
    index = {s.name: n for n, s in enumerate(mapping.steps)}
    # the input is in DRAM when the first step reads it from there (the tiling the C++ and the band reads follow;
    # Mapping.trace decides it by fmap_limit, which a hand mapping need not match)
    trace_of = run_schedule(mapping.steps, mapping.tiles, mapping.cfg, weights_in_dram=mapping.weights_in_dram,
                            input_in_dram=mapping.tiles[mapping.steps[0].name].in_dram, act_bits=mapping.act_bits,
                            weight_bits=mapping.weight_bits, bytes_per_cycle=mapping.dram_bytes_per_cycle,
                            latency=mapping.dram_latency, pixels_per_beat=mapping.pixels_per_beat)
    queue = [t for t in trace_of.transfers if t[4] > 0]  # a load of no words is no transfer
    for kind in "rs":
        assert [t for t in trace if t[0] == kind] == [
            (k, index.get(step, -1), band, first, int(beats)) for k, step, band, first, beats, _, _ in queue
            if k == kind], kind
    # the input: the same words, which the queue splits into its writes of one burst each (not followed yet)
    assert sum(t[4] for t in trace if t[0] == "i") == sum(int(t[4]) for t in queue if t[0] == "i")
    loads: list[int] = []
    fused = {n: s.fused for n, s in enumerate(mapping.steps)}
    pending: dict[int, int] = {}
    for kind, step, _, _, words in trace:
        if kind != "w":
            continue
        if fused[step] and step not in pending:  # the step's DW load: it travels with the first PW load
            pending[step] = words
            continue
        loads.append(words + pending.pop(step, 0) if step in pending and pending[step] >= 0 else words)
        pending[step] = -1  # later loads of the step stand alone
    assert loads == [int(t[4]) for t in queue if t[0] == "w"]
