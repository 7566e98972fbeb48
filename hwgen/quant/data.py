"""Labelled evaluation data for accuracy reports: an ``.npz`` with float images and class labels.

Arrays: ``x`` (N, H, W, C) float images, already preprocessed as the model expects (NHWC, hwgen's
layout); ``y`` (N,) integer class labels; optional ``calib`` (M, H, W, C) calibration images (e.g. from
the training split, so the test images stay unseen by calibration).
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwgen.errors import HwgenError
from hwgen.ir.layers import Shape
from hwgen.quant.calibration import DEFAULT_CALIB


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray  # (N, H, W, C) float64
    y: np.ndarray  # (N,) int64
    calib: np.ndarray | None  # (M, H, W, C) float64


def load_dataset(path: str | Path, shape: Shape) -> Dataset:
    """Read and check ``path`` against the model's input ``shape``; one-line HwgenError on any problem."""
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise HwgenError(f"data file {str(p)!r} not found") from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise HwgenError(f"data file {str(p)!r} is not a readable .npz ({e})") from None
    for key in ("x", "y"):
        if key not in arrays:
            raise HwgenError(f"data file {str(p)!r} has no array {key!r} (needs x: (N, H, W, C) images, "
                             "y: (N,) labels)")
    x, y = arrays["x"], arrays["y"]
    want = tuple(shape)
    if x.ndim != 4 or x.shape[1:] != want or not len(x):
        raise HwgenError(f"data file {str(p)!r}: x has shape {x.shape}, expected (N, {', '.join(map(str, want))})")
    if y.shape != (len(x),) or y.dtype.kind not in "iu":
        raise HwgenError(f"data file {str(p)!r}: y must be ({len(x)},) integer labels, got {y.shape} {y.dtype}")
    calib = arrays.get("calib")
    if calib is not None and (calib.ndim != 4 or calib.shape[1:] != want or not len(calib)):
        raise HwgenError(f"data file {str(p)!r}: calib has shape {calib.shape}, expected (M, "
                         f"{', '.join(map(str, want))})")
    for key, arr in (("x", x), ("calib", calib)):
        if arr is not None and not np.all(np.isfinite(arr)):
            raise HwgenError(f"data file {str(p)!r}: {key} contains NaN or infinity")
    return Dataset(x.astype(np.float64), y.astype(np.int64), None if calib is None else calib.astype(np.float64))


def calibration_images(ds: Dataset, count: int | None = None) -> np.ndarray:
    """The images calibration sees: the first ``count`` of ``calib`` (all of it when ``count`` is None), or
    without ``calib`` the first ``count`` (else DEFAULT_CALIB) test images."""
    return ds.calib[:count] if ds.calib is not None else ds.x[:count or DEFAULT_CALIB]


#: The photograph matplotlib ships (mpl-data/sample_data), a real image available without a download.
PHOTO = "grace_hopper.jpg"

#: Its ImageNet class ("military uniform"), the label of the one-image data set :func:`photo` makes.
PHOTO_LABEL = 652


def photo(shape: Shape) -> Dataset:
    """A one-image data set of a real photograph (matplotlib's ``grace_hopper.jpg``): center-cropped to a square,
    resized to ``shape``'s H×W (bilinear), RGB scaled to [-1, 1] as MobileNet v1 expects (x / 127.5 - 1)."""
    h, w, c = shape
    if c != 3:
        raise HwgenError(f"the sample photo is an RGB image: the model's input has {c} channels, not 3")
    try:
        from matplotlib import cbook
        from PIL import Image
    except ImportError:
        raise HwgenError("the sample photo ships with matplotlib: install it with `pip install 'hwgen[plot]'`") \
            from None
    with Image.open(cbook.get_sample_data(PHOTO, asfileobj=False)) as im:
        side = min(im.size)
        left, top = (im.size[0] - side) // 2, (im.size[1] - side) // 2
        rgb = im.convert("RGB").crop((left, top, left + side, top + side)).resize((w, h), Image.BILINEAR)
        x = np.asarray(rgb, dtype=np.float64) / 127.5 - 1.0
    return Dataset(x[None], np.array([PHOTO_LABEL], dtype=np.int64), None)
