"""Throughput of MobileNet v1 1.0-224 (8-bit) per board and PE count, against the Vitis AI DPU.

Run: python benchmarks/bench_throughput.py [--clock-mhz 300] [--no-dsp-packing] [--pixels-per-beat 5]
Prints, per board (zcu104, kv260, ultra96) and PE budget (MACs/cycle asked for): the split the mapper chose,
the DSPs it needs (two PW MACs per DSP48E2 with packing, AMD WP486), its LUTs (the Yosys-calibrated model of
hwgen.hw.resources), fps at the clock flag, frames per MHz
(the hardware's figure: hwgen claims no clock), cycles over the ideal MACs / PE budget and over MACs / PEs used,
GOPS per DSP (2 ops per MAC), whether it fits the board, and the ratio to the DPU's frames per MHz.
Input pixels per stream beat: 5 by default (15 codes of 8 bits in a 128-bit beat, the width of the boards'
PS-PL HP ports an AXI DMA reads the image through), 1 for one pixel per beat.

DPU reference (the only one cited here): Vitis AI model zoo v1.3 (github.com/Xilinx/Vitis-AI, tag v1.3,
models/AI-Model-Zoo/README.md, "Performance on ZCU104"), ZCU104 with 2 x DPU B4096 at 300 MHz, MobileNet v1
1.0-224 (tf_mobilenetv1_1.0_imagenet_224_224_1.14G): 724 fps multi-thread, 299 fps single-thread, i.e. 2.41
and 1.00 frames per MHz. KV260 and Ultra96: no DPU figure for this model was found with a citable primary
source in this work, so none is compared.
"""
from __future__ import annotations

import argparse

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from hwgen.build import HwConfig, build
from hwgen.hw.boards import get_board
from hwgen.models.zoo import mobilenet_v1

#: (fps multi-thread, fps single-thread, DPU clock MHz) — Vitis AI model zoo v1.3, ZCU104, 2 x B4096.
DPU = {"zcu104": (724.0, 299.0, 300.0)}

PE_COUNTS = (256, 512, 1024, 1728, 2560, 3456)

BOARDS = ("zcu104", "kv260", "ultra96")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clock-mhz", type=float, default=300.0)
    ap.add_argument("--no-dsp-packing", action="store_true")
    ap.add_argument("--pixels-per-beat", type=int, default=5)
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown (the README's headline table)")
    args = ap.parse_args()
    graph = mobilenet_v1()
    points = [(b, pe) for b in BOARDS for pe in PE_COUNTS if pe <= 2 * get_board(b).dsp]
    rows = []
    with Progress(transient=True) as progress:
        task = progress.add_task("mapping + simulating", total=len(points))
        for board, pe in points:
            est = build(graph, HwConfig(pe=pe, board=board, clock_mhz=args.clock_mhz,
                                        dsp_packing=not args.no_dsp_packing,
                                        pixels_per_beat=args.pixels_per_beat)).estimate()
            rows.append((board, pe, est))
            progress.advance(task)
    cols = ("board", "PE budget", "split", "MACs used", "DSP", "LUT (model)", "fits", "fps", "frames/MHz", "cycles/ideal",
            "cycles/ideal (used)", "GOPS/DSP", "vs DPU multi", "vs DPU single")
    cells = []
    for board, pe, est in rows:
        m = est.mapping
        per_mhz = est.fps / est.clock_mhz
        gops_dsp = 2 * est.macs * est.fps / 1e9 / est.dsp
        dpu = DPU.get(board)
        vs = [f"{per_mhz / (f / dpu[2]):.2f}x" for f in dpu[:2]] if dpu else ["-", "-"]
        c = m.cfg
        cells.append([board, str(pe), f"{c.tin}x{c.tout},{c.tc}x{c.tk}", str(c.pe), f"{est.dsp}/{m.board.dsp}",
                      f"{est.lut / 1000:.0f}k/{m.board.lut / 1000:.0f}k", "yes" if not est.warnings else "NO", f"{est.fps:.1f}", f"{per_mhz:.3f}",
                      f"{est.total_cycles / (est.macs / pe):.3f}", f"{est.ratio:.3f}", f"{gops_dsp:.3f}", *vs])
    if args.markdown:
        print("| " + " | ".join(cols) + " |")
        print("|" + "|".join("---" if c in ("board", "split") else "---:" for c in cols) + "|")
        for r in cells:
            print("| " + " | ".join(r) + " |")
        return
    table = Table(title=f"MobileNet v1 1.0-224, 8-bit, at {args.clock_mhz:g} MHz "
                        f"(DSP packing {'off' if args.no_dsp_packing else 'on where the part has DSP48E2'}, "
                        f"{args.pixels_per_beat} input pixels per beat)")
    for col in cols:
        table.add_column(col, justify="left" if col in ("board", "split") else "right")
    for r in cells:
        table.add_row(*r)
    Console(width=220).print(table)
    print("cycles/ideal: total cycles over MACs / PE budget; (used): over MACs / PEs the split uses. "
          "vs DPU: frames per MHz over the DPU's (724 / 299 fps at 300 MHz, Vitis AI model zoo v1.3, ZCU104).")


if __name__ == "__main__":
    main()
