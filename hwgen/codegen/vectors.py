"""Test vectors of generated testbenches (written by the generators, read by tests and runners): plain text, one decimal integer per line, C (raster, channel-fastest) order."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError


def format_vectors(array: np.ndarray, name: str) -> str:
    """Integer codes flattened in C order (NHWC: pixel by pixel, channel 0 first), one per line."""
    a = np.asarray(array)
    if a.dtype.kind not in "iu":
        raise HwgenError(f"test vectors must be integers, got dtype {a.dtype} for {name}")
    return "".join(f"{int(v)}\n" for v in a.reshape(-1))


def read_vectors(path: str | Path, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Read a vector file back as int64, reshaped to ``shape`` when given."""
    try:
        text = Path(path).read_text()
    except OSError as e:
        raise HwgenError(f"cannot read test vectors {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise HwgenError(f"test vectors {path} are not text (byte {e.start}): the file is corrupted") from None
    try:
        values = np.array([int(line) for line in text.split()], dtype=np.int64)
    except ValueError:
        raise HwgenError(f"test vectors {path}: every line must be one integer") from None
    if shape is None:
        return values
    if values.size != int(np.prod(shape)):
        raise HwgenError(f"test vectors {path}: {values.size} values, expected {int(np.prod(shape))} for shape {shape}")
    return values.reshape(shape)
