from __future__ import annotations

import numpy as np
import pytest

from hwgen.codegen.vectors import format_vectors, read_vectors
from hwgen.errors import HwgenError


def test_vectors_roundtrip_and_exact_text(tmp_path):
    a = np.array([[[1, -2], [3, 127]], [[-128, 0], [5, 6]]], dtype=np.int64)  # (H, W, C)
    p = tmp_path / "x.txt"
    p.write_text(format_vectors(a, "x"))
    assert p.read_text() == "1\n-2\n3\n127\n-128\n0\n5\n6\n"  # pixel by pixel, channel 0 first
    np.testing.assert_array_equal(read_vectors(p, a.shape), a)
    assert read_vectors(p).shape == (8,)


def test_vectors_errors(tmp_path):
    with pytest.raises(HwgenError, match="integers"):
        format_vectors(np.array([0.5]), "f")
    (tmp_path / "bad.txt").write_text("1\nx\n")
    with pytest.raises(HwgenError, match="one integer"):
        read_vectors(tmp_path / "bad.txt")
    (tmp_path / "short.txt").write_text("1\n2\n")
    with pytest.raises(HwgenError, match="2 values, expected 3"):
        read_vectors(tmp_path / "short.txt", (3,))
    with pytest.raises(HwgenError, match="cannot read"):
        read_vectors(tmp_path / "missing.txt")
