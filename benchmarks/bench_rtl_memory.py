"""Block RAM per buffer: the plan (hwgen estimate's Mapping.buffers, and on xc7 their BRAM36 placement), the
memories the RTL declares for it (banks x depth x width, true dual-port or not: hwgen.codegen.rtl.memories.
rtl_memories) with the blocks the Yosys rule predicts (yosys_blocks), and the blocks Yosys built for them
(hwgen.verify.synth.memory_cells), all in RAMB36 equivalents (a RAMB18 is half). Shows where the RTL's block RAM
departs from the plan and why (the plan's feature buffers are in the bank layout and counted as the RTL builds
feature memories: true dual-port, the band buffers as two halves); --no-synth prints the rule columns without
running Yosys.

Run from the repository root: python benchmarks/bench_rtl_memory.py [NAME ...] [--from DIR]
(names from bench_synth.DESIGNS; default tiny_dsc4-pe64; --from DIR reads a design `hwgen synth` or this benchmark
already synthesized in DIR, generated from NAME — one NAME — instead of running Yosys again; --no-synth: no Yosys)
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_synth import DESIGNS, children_cpu  # noqa: E402

from hwgen.build import HwConfig, build  # noqa: E402
from hwgen.codegen.rtl.memories import measured_blocks, plan_buffer, rtl_memories, yosys_blocks  # noqa: E402
from hwgen.codegen.rtl.plan import plan_rtl  # noqa: E402
from hwgen.mapping.plan import Buffer, memory_blocks  # noqa: E402
from hwgen.verify.synth import memory_cells, synthesize  # noqa: E402


def eq(b36: int, b18: int) -> float:
    return b36 + b18 / 2


def xc7(b: Buffer) -> int:
    """A placed buffer's blocks on xc7 (a URAM buffer at its BRAM36 placement)."""
    return b.blocks if b.memory == "bram" else memory_blocks(b.name, b.depth, b.width, b.banks)[0]


def report(name: str, rtl_dir: Path | None, synth: bool = True) -> None:
    model, kw, pe = DESIGNS[name]
    design = build(model, HwConfig(pe=pe), **kw)
    mapping = design.mapping
    mems = rtl_memories(plan_rtl(design.qgraph, mapping))
    with tempfile.TemporaryDirectory() as tmp:
        if not synth:
            timing, cells = "Yosys not run", {}
        elif rtl_dir is None:
            rtl_dir = design.write_rtl(Path(tmp) / "rtl")
            t0, c0 = time.perf_counter(), children_cpu()
            synthesize(rtl_dir)
            timing = f"Yosys {time.perf_counter() - t0:.0f} s wall, {children_cpu() - c0:.0f} s CPU"
        else:
            declared = json.loads((rtl_dir / "plan.json").read_text())["memories"]
            if [(m["name"], m["depth"], m["width"], m["count"]) for m in declared] != \
                    [(m.name, m.depth, m.width, m.count) for m in mems]:
                sys.exit(f"--from {rtl_dir}: its memories are not {name}'s (regenerate it with `hwgen rtl`)")
            timing = f"Yosys run read from {rtl_dir}"
        if synth:
            cells = memory_cells(rtl_dir)
    print(f"{name}: split {mapping.cfg.tin}x{mapping.cfg.tout},{mapping.cfg.tc}x{mapping.cfg.tk}, weights "
          f"{'in DRAM' if mapping.weights_in_dram else 'on-chip'}, plan {mapping.bram36} BRAM36 + {mapping.uram} URAM; "
          f"{timing}")
    print(f"  {'buffer':16s} {'banks x depth x w':>19s} {'placed':>9s} {'xc7':>5s}   {'RTL memories':34s} "
          f"{'rule':>6s} {'Yosys':>6s} {'Yosys-xc7':>9s}")
    tot = [0, 0.0, 0.0]
    for b in mapping.buffers:
        own = [m for m in mems if plan_buffer(m) == b.name]
        blocks = xc7(b)
        rule = sum(eq(*yosys_blocks(m)) for m in own)
        got = sum(eq(*measured_blocks(m, cells)) for m in own)
        counts: dict[str, int] = {}  # equal shapes together (the halves of a band buffer)
        for m in own:
            shape = f"{m.depth}x{m.width}{' TDP' if m.tdp else ''}"
            counts[shape] = counts.get(shape, 0) + m.count
        shapes = ", ".join(f"{n}x {shape}" for shape, n in counts.items()) or "-"
        tot = [tot[0] + blocks, tot[1] + rule, tot[2] + got]
        yosys = f"{got:6g} {got - blocks:+9g}" if synth else f"{'-':>6s} {'-':>9s}"
        print(f"  {b.name:16s} {f'{b.banks} x {b.depth} x {b.width}':>19s} {f'{b.blocks} {b.memory}':>9s} {blocks:5d}   {shapes:34s} "
              f"{rule:6g} {yosys}")
    yosys = (f"{tot[2]:6g} {tot[2] - tot[0]:+9g} ({100 * (tot[2] - tot[0]) / tot[0]:+.0f} % of the plan on xc7; "
             if synth else f"{'-':>6s} {'-':>9s} (")
    print(f"  {'total':16s} {'':19s} {'':9s} {tot[0]:5d}   {'':34s} {tot[1]:6g} {yosys}"
          f"rule {100 * (tot[1] - tot[0]) / tot[0]:+.0f} %)", flush=True)


def main() -> None:
    args = sys.argv[1:]
    src = None
    if "--from" in args:
        i = args.index("--from")
        src = Path(args[i + 1])
        del args[i:i + 2]
    synth = "--no-synth" not in args
    args = [a for a in args if a != "--no-synth"]
    names = args or ["tiny_dsc4-pe64"]
    if src is not None and len(names) != 1:
        sys.exit("--from DIR reads one design: name it")
    for name in names:
        report(name, src, synth)


if __name__ == "__main__":
    main()
