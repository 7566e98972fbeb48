"""AXI4-Stream beat packing: channel codes <-> TDATA words (lane c at bits c*width)."""
from __future__ import annotations


def pack_beats(codes: list[int], channels: int, width: int, pixels_per_beat: int = 1) -> list[int]:
    """One TDATA word per ``pixels_per_beat`` pixels of ``channels`` codes (code k of the beat at bits k*width);
    the last word holds the remaining pixels."""
    out = []
    mask = (1 << width) - 1
    per_beat = channels * pixels_per_beat
    for b in range(-(-len(codes) // per_beat)):
        word = 0
        for k, code in enumerate(codes[b * per_beat:(b + 1) * per_beat]):
            word |= (code & mask) << (k * width)
        out.append(word)
    return out


def unpack_beats(words: list[int], width: int) -> list[int]:
    """The signed ``width``-bit code in the LSBs of each TDATA word."""
    vals = []
    for w in words:
        v = w & ((1 << width) - 1)
        vals.append(v - (1 << width) if v >> (width - 1) else v)
    return vals
