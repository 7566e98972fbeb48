"""hwgen.quant.data.photo: the real image of the MobileNet RTL cosim (rtl_tests/test_mobilenet.py, make
cosim-mobilenet) and examples/photo/make_npz.py's --data file."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from hwgen.errors import HwgenError
from hwgen.quant.data import PHOTO_LABEL, load_dataset, photo

ROOT = Path(__file__).resolve().parent.parent


def test_photo_is_the_preprocessed_center_crop() -> None:
    from matplotlib import cbook
    from PIL import Image

    ds = photo((32, 48, 3))
    assert ds.x.shape == (1, 32, 48, 3) and ds.y.tolist() == [PHOTO_LABEL] and ds.calib is None
    # An independent path to the same pixels: the 512-wide photo's centre square, resized, x / 127.5 - 1.
    with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
        assert im.size == (512, 600)
        ref = np.asarray(im.crop((0, 44, 512, 556)).resize((48, 32), Image.BILINEAR), dtype=np.float64)
    np.testing.assert_array_equal(ds.x[0], ref / 127.5 - 1.0)
    assert ds.x.min() >= -1.0 and ds.x.max() <= 1.0
    assert ds.x.std() > 0.3  # a photograph, not a flat image
    np.testing.assert_array_equal(photo((32, 48, 3)).x, ds.x)  # deterministic


def test_photo_needs_rgb() -> None:
    with pytest.raises(HwgenError, match="RGB image: the model's input has 1 channels"):
        photo((28, 28, 1))


def test_make_npz_writes_a_data_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "photo_64.npz"
    monkeypatch.setattr(sys, "argv", ["make_npz.py", "--resolution", "64", "-o", str(out)])
    runpy.run_path(str(ROOT / "examples/photo/make_npz.py"), run_name="__main__")
    assert "1 image (64, 64, 3)" in capsys.readouterr().out
    ds = load_dataset(out, (64, 64, 3))  # what `hwgen rtl --data` reads
    np.testing.assert_array_equal(ds.x, photo((64, 64, 3)).x)
    assert ds.y.tolist() == [PHOTO_LABEL]
