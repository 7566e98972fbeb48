"""Cycles of MobileNet v1 1.0-224 from 16 to 1024 PEs through the Python API.

Run: python examples/pe_scaling.py [board]
For each PE budget the mapper picks the PE split and tiling; the simulator gives
cycles, frame rate, the ratio to the MACs/PE bound and the DRAM traffic. More PEs
are never slower (above the board's DSP count the budget is capped at it).
"""
import sys

import hwgen
from hwgen.mapping.plan import format_split


def main(board: str = "zcu104") -> None:
    graph = hwgen.zoo.mobilenet_v1(alpha=1.0, resolution=224)
    print(f"MobileNet v1 1.0-224 on {board}")
    print(f"{'PEs':>5} {'split':>12} {'cycles':>12} {'x ideal':>8} {'fps':>8} {'DRAM MB':>8} {'BRAM36':>6} {'URAM':>5}")
    for pe in (16, 32, 64, 128, 256, 512, 1024):
        est = hwgen.build(graph, hwgen.HwConfig(pe=pe, board=board)).estimate()
        m = est.mapping
        print(f"{pe:5d} {format_split(m.cfg):>12} {est.total_cycles:12,} {est.ratio:8.3f} {est.fps:8.1f} "
              f"{est.dram_bytes / 1e6:8.2f} {est.bram36:6d} {est.uram:5d}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
