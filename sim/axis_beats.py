"""AXI4-Stream beat packing: channel codes <-> TDATA words (lane c at bits c*width)."""
from __future__ import annotations


def pack_beats(codes: list[int], channels: int, width: int) -> list[int]:
    """One TDATA word per pixel of ``channels`` codes."""
    out = []
    mask = (1 << width) - 1
    for p in range(len(codes) // channels):
        word = 0
        for c in range(channels):
            word |= (codes[p * channels + c] & mask) << (c * width)
        out.append(word)
    return out


def unpack_beats(words: list[int], width: int) -> list[int]:
    """The signed ``width``-bit code in the LSBs of each TDATA word."""
    vals = []
    for w in words:
        v = w & ((1 << width) - 1)
        vals.append(v - (1 << width) if v >> (width - 1) else v)
    return vals
