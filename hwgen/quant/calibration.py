"""Seeded input images (calibration, evaluation and test streams that never coincide)."""
from __future__ import annotations

import numpy as np

from hwgen.ir.graph import Graph
from hwgen.ir.layers import Shape
from hwgen.limits import check_limit

#: Random streams (second SeedSequence word) so calibration, evaluation and test inputs never coincide.
STREAM_CALIB, STREAM_EVAL, STREAM_INPUT = 2, 3, 4


def random_images(shape: Shape, count: int, seed: int, stream: int) -> np.ndarray:
    """``count`` seeded uniform [-1, 1) float images (count, H, W, C)."""
    check_limit("--seed", seed)
    return np.random.default_rng([seed, stream]).uniform(-1.0, 1.0, (count, *shape))


#: Default number of seeded calibration images.
DEFAULT_CALIB = 16


def calibration_inputs(graph: Graph, count: int = DEFAULT_CALIB, seed: int = 0) -> np.ndarray:
    """Default calibration set: ``count`` seeded uniform [-1, 1) images."""
    check_limit("--calib", count)
    return random_images(graph.input_shape, count, seed, STREAM_CALIB)
