"""AXI4-Stream beat packing: channel codes <-> little-endian TDATA beats (lane c at bits c*width)."""
from __future__ import annotations


def pack_beats(codes: list[int], channels: int, width: int, beat_bytes: int) -> bytes:
    out = bytearray()
    mask = (1 << width) - 1
    for p in range(len(codes) // channels):
        word = 0
        for c in range(channels):
            word |= (codes[p * channels + c] & mask) << (c * width)
        out += word.to_bytes(beat_bytes, "little")
    return bytes(out)


def unpack_beats(data: bytes, width: int, beat_bytes: int) -> list[int]:
    vals = []
    for i in range(0, len(data), beat_bytes):
        v = int.from_bytes(data[i:i + beat_bytes], "little") & ((1 << width) - 1)
        vals.append(v - (1 << width) if v >> (width - 1) else v)
    return vals
