"""Write a one-image ``--data`` file of a real photograph for a MobileNet-shaped model (H×W×3).

The image is matplotlib's bundled ``grace_hopper.jpg`` (no download), center-cropped, resized and scaled to
[-1, 1] by :func:`hwgen.quant.data.photo`; calibration then sees this image, and the test vectors are it.

    python examples/photo/make_npz.py --resolution 224 -o build/photo_224.npz
    hwgen rtl mobilenet_v1 --pe 64 --board zcu104 --data build/photo_224.npz -o build/rtl_mnet224
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hwgen.quant.data import photo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=int, default=224)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args()
    ds = photo((a.resolution, a.resolution, 3))
    a.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez(a.output, x=ds.x, y=ds.y)
    print(f"wrote {a.output}: 1 image {ds.x.shape[1:]} in [{ds.x.min():.3f}, {ds.x.max():.3f}], label {int(ds.y[0])}")


if __name__ == "__main__":
    main()
