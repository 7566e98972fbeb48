"""Howard et al. 2017 (MobileNets), Table 1 and the cost equations, written out for the oracles and for
every test that checks a MobileNet count (one copy of the paper's figures; see test_oracle_counts.py).

D_F is the *output* feature map size (the paper's eqs. assume stride 1; with stride 2 the filter is
evaluated at the output positions only), M input and N output channels.
"""
from __future__ import annotations

# Table 1 of the paper, one row per compute layer: (type, stride, D_K, M, N, input size).
# The paper prints the 13th depthwise layer as "s2" on a 7x7 input with a 7x7 output; the output size it lists
# (and every implementation) makes it stride 1 — the known typo of Table 1.
TABLE1 = (
    [("conv", 2, 3, 3, 32, 224), ("dw", 1, 3, 32, 32, 112), ("pw", 1, 1, 32, 64, 112),
     ("dw", 2, 3, 64, 64, 112), ("pw", 1, 1, 64, 128, 56),
     ("dw", 1, 3, 128, 128, 56), ("pw", 1, 1, 128, 128, 56),
     ("dw", 2, 3, 128, 128, 56), ("pw", 1, 1, 128, 256, 28),
     ("dw", 1, 3, 256, 256, 28), ("pw", 1, 1, 256, 256, 28),
     ("dw", 2, 3, 256, 256, 28), ("pw", 1, 1, 256, 512, 14)]
    + [("dw", 1, 3, 512, 512, 14), ("pw", 1, 1, 512, 512, 14)] * 5
    + [("dw", 2, 3, 512, 512, 14), ("pw", 1, 1, 512, 1024, 7),
       ("dw", 1, 3, 1024, 1024, 7), ("pw", 1, 1, 1024, 1024, 7),
       ("pool", 1, 7, 1024, 1024, 7), ("fc", 1, 1, 1024, 1000, 1)]
)


def paper_cost(kind: str, stride: int, dk: int, m: int, n: int, size: int) -> tuple[int, int]:
    """(mult-adds, parameters) of one Table 1 row by the paper's equations."""
    df = size // stride
    if kind == "conv":
        return dk * dk * m * n * df * df, dk * dk * m * n
    if kind == "dw":
        return dk * dk * m * df * df, dk * dk * m
    if kind == "pw":
        return m * n * df * df, m * n
    if kind == "fc":
        return m * n, m * n
    return 0, 0  # pool


def scaled(row: tuple, alpha: float, resolution: int) -> tuple:
    """A Table 1 row under eq. 6: channel counts M, N times the width multiplier alpha (int(M * alpha); the
    RGB input and the 1000 classes stay), the map size times resolution / 224 (the FC's stays 1)."""
    k, s, dk, m, n, size = row
    am = 3 if k == "conv" else int(m * alpha)
    an = 1000 if k == "fc" else int(n * alpha)
    return k, s, dk, am, an, size * resolution // 224 if k != "fc" else 1


def paper_totals(alpha: float = 1.0, resolution: int = 224, rows: list = TABLE1) -> tuple[int, int]:
    """(mult-adds, weights without biases) of MobileNet v1 at width alpha and input resolution, row by row."""
    costs = [paper_cost(*scaled(row, alpha, resolution)) for row in rows]
    return sum(a for a, _ in costs), sum(p for _, p in costs)
