"""Speed of the float reference and the bit-exact golden model on MobileNet v1 1.0-224 (prints figures)."""
from __future__ import annotations

import time

from hwgen.models.zoo import get_model
from hwgen.numerics.fixed import dequantize
from hwgen.quant.golden import random_input, run_fixed, run_float
from hwgen.quant.quantize import quantize


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    graph = get_model("mobilenet_v1")
    t = time.perf_counter()
    qgraph = quantize(graph)
    print(f"quantize mobilenet_v1 1.0-224 (8/8 bits, 16 calibration images): {time.perf_counter() - t:.2f} s")
    x = random_input(qgraph, 0)
    xf = dequantize(x, qgraph.input_fmt)
    macs = sum(q.op.macs for q in qgraph.ops)
    for label, fn in (("run_fixed (int64 golden)", lambda: run_fixed(qgraph, x)),
                      ("run_float (float64 reference)", lambda: run_float(qgraph, xf))):
        s = timed(fn)
        print(f"{label}: {s * 1000:.0f} ms per image ({macs / s / 1e9:.1f} GMAC/s)")
    q16 = quantize(graph, 16, 16)
    x16 = random_input(q16, 0)
    s = timed(lambda: run_fixed(q16, x16))
    print(f"run_fixed at 16/16 bits (float64 path, acc <= {max(q.acc_bits for q in q16.ops)} bits): "
          f"{s * 1000:.0f} ms per image")


if __name__ == "__main__":
    main()
