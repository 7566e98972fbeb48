"""Estimate benchmark: speed of `hwgen estimate`, quality against the MACs/PE bound, PE scaling.

Run: python benchmarks/bench_estimate.py
Prints (1) the in-process time of mapping search + simulation of MobileNet v1 1.0-224
at 64 PEs (target < 100 ms; SCALE-Sim 3 needs 17-21 minutes), (2) its cycles against
the ideal MACs/64 bound, the best bound any PE split has in this hardware model, and
where the cycles above the ideal go, (3) cycles from 16 to 1024 PEs (never slower).
"""
from __future__ import annotations

import time

from hwgen.build import HwConfig, build
from hwgen.hw.contract import pool_iterations, pw_iterations
from hwgen.hw.steps import pw_dot, pw_rows, schedule_steps
from hwgen.ir.ops import compute_ops
from hwgen.mapping.plan import tk_choices
from hwgen.mapping.search import candidate_splits, lower_bounds
from hwgen.models.zoo import mobilenet_v1

SCALESIM_8X8 = {"output-stationary": 15.29e6, "weight-stationary": 14.15e6}


def timed(graph, pe, board, repeat=7):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        est = build(graph, HwConfig(pe=pe, board=board)).estimate()
        best = min(best, time.perf_counter() - t0)
    return est, best


def overheads(est, ops):
    """Cycles above the ideal, by cause (they add up to total - ideal)."""
    cfg = est.mapping.cfg
    pw_ops = [op for op in ops if op.kind in ("conv", "pw", "fc")]
    pw_macs = sum(op.macs for op in pw_ops)
    dw_k = est.mapping.steps[0].dw_kernel  # a conv's im2col runs (hw.contract.conv_rows) follow the DW grid
    pw_iters = sum(pw_iterations(1 if op.kind == "fc" else op.out_shape[0] * op.out_shape[1], pw_dot(op),
                                 op.out_shape[2], cfg, pw_rows(op, cfg, dw_k)) for op in pw_ops)
    pool = sum(pool_iterations(op.in_shape[0] * op.in_shape[1], op.in_shape[2], cfg) for op in ops
               if op.kind == "pool")
    split = pw_macs / cfg.pw_pe - est.macs / est.pe
    quant = pw_iters - pw_macs / cfg.pw_pe
    streams = est.input_cycles + est.output_cycles
    rest = est.total_cycles - est.ideal_cycles - split - quant - pool - streams
    return [
        (f"PE split: 1x1/conv1/FC MACs ({100 * pw_macs / est.macs:.1f} %) run on {cfg.pw_pe} of {est.pe} PEs", split),
        (f"ceil() channel tiling on the {cfg.tin}x{cfg.tout} array", quant),
        ("input stream before conv1 + output beats", streams),
        ("global pool on the pool engine", pool),
        ("DW-bound bands, first DW band / pipeline fill, HANDOFFs", rest),
    ]


def main() -> None:
    graph = mobilenet_v1()
    ops = compute_ops(graph)
    est, secs = timed(graph, 64, "zcu104")
    print("== speed (in-process: mapping search + simulation, best of 7)")
    print(f"MobileNet v1 1.0-224, 64 PEs, zcu104: {1e3 * secs:.1f} ms (target < 100 ms; SCALE-Sim 3: 17-21 min)")
    for board in ("pynq-z2", "ultra96", "kv260", "zcu102"):
        _, s = timed(graph, 64, board, repeat=3)
        print(f"  on {board:8s} (feature maps and/or weights in DRAM): {1e3 * s:.1f} ms")

    print("\n== quality at 64 PEs")
    m = est.mapping
    print(f"split {m.cfg.tin}x{m.cfg.tout} PW + {m.cfg.tc}x{m.cfg.tk} DW; {est.total_cycles:,} cycles "
          f"= {est.latency_ms:.2f} ms, {est.fps:.1f} fps at {est.clock_mhz:g} MHz")
    print(f"ideal MACs/PE: {est.macs:,} / {est.pe} = {est.ideal_cycles:,.0f} cycles; "
          f"ratio {est.ratio:.4f}x (>= 1 required; target ~1.12)")
    steps = schedule_steps(ops)
    cand = candidate_splits(steps, 64, tk_choices(steps))
    bound = int(lower_bounds(steps, cand).min())
    print(f"model bound: no split of 64 PEs can go below {bound:,} cycles = {bound / est.ideal_cycles:.4f}x ideal "
          f"(lower bound over all {len(cand):,} candidate splits); simulated / bound = "
          f"{est.total_cycles / bound:.5f}")
    print("cycles above the ideal, by cause:")
    for what, cyc in overheads(est, ops):
        print(f"  {what:70s} {cyc:12,.0f}  ({100 * cyc / est.ideal_cycles:5.2f} % of ideal)")
    for df, c in SCALESIM_8X8.items():
        print(f"SCALE-Sim 3, 8x8 {df}: {c / 1e6:.2f} M cycles ({c / est.ideal_cycles:.2f}x ideal)")

    print("\n== scaling (zcu104)")
    print(f"{'PEs':>5} {'split':>12} {'cycles':>12} {'x ideal':>8} {'fps':>8}")
    prev = None
    for pe in (16, 32, 64, 128, 256, 512, 1024):
        e = build(graph, HwConfig(pe=pe, board="zcu104")).estimate()
        c = e.mapping.cfg
        flag = "" if prev is None or e.total_cycles <= prev else "  SLOWER (bug)"
        print(f"{pe:5d} {f'{c.tin}x{c.tout},{c.tc}x{c.tk}':>12} {e.total_cycles:12,} {e.ratio:8.3f} {e.fps:8.1f}{flag}")
        prev = e.total_cycles


if __name__ == "__main__":
    main()
