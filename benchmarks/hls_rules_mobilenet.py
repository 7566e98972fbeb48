"""The HLS rule checker (tests/hls_rules.py) on the projects map_network picks for MobileNet v1 at --pe 64:
memory blocks the declarations imply vs the plan `hwgen estimate` prints, and the rule violations left
(each a documented limit, docs/hls.md). A rule check, not synthesis.
Usage: python benchmarks/hls_rules_mobilenet.py   (needs libclang and g++; ~5 minutes on 2 shared cores)
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import hls_rules as r  # noqa: E402
from hwgen.codegen.hls.project import generate_hls  # noqa: E402
from hwgen.ir.ops import compute_ops  # noqa: E402
from hwgen.mapping.search import map_network  # noqa: E402
from hwgen.models.zoo import get_model  # noqa: E402
from hwgen.quant.quantize import quantize  # noqa: E402

CASES = [("tiny_dsc", {}, "zcu104"), ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, "pynq-z2"),
         ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, "zcu104"), ("mobilenet_v1", {}, "zcu104"),
         ("mobilenet_v1", {}, "pynq-z2")]


def main() -> None:
    for name, kw, board in CASES:
        g = get_model(name, **kw)
        m = map_network(compute_ops(g), 64, board)
        q = quantize(g)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "p"
            generate_hls(q, m, out, part=m.board.part, clock_mhz=m.clock_mhz, board=board)
            t = time.perf_counter()
            found = r.check(out)
            bram, uram = r.memory_blocks(r.load(out))
            print(f"{g.name} {board} split {m.cfg.tin}x{m.cfg.tout},{m.cfg.tc}x{m.cfg.tk} weights "
                  f"{'DRAM' if m.weights_in_dram else 'on-chip'}, maps {'some in DRAM' if m.fmaps_in_dram else 'on-chip'}:"
                  f" HLS {bram} BRAM36 + {uram} URAM, plan {m.bram36} + {m.uram} (check {time.perf_counter() - t:.1f} s)")
            for v in found:
                print(f"    {v}{'' if r.limit_key(v) in r.KNOWN_LIMITS else '   <-- not a documented limit'}")


if __name__ == "__main__":
    main()
