"""Design-space exploration: every (variant, bits, board, clock, PE split) point through the hardware model.

``hwgen.explore(model_space, hw_space)`` returns an :class:`Exploration` (``.points`` / ``.pareto``: numpy
structured arrays); ``report.write`` puts it on disk; ``hwgen explore`` is the command line.
"""
from __future__ import annotations

import sys
import types

from hwgen.explore.run import FIELDS, Exploration, explore
from hwgen.explore.space import HwSpace, ModelSpace, PeSet

__all__ = ["explore", "Exploration", "ModelSpace", "HwSpace", "PeSet", "FIELDS"]


class _CallableModule(types.ModuleType):
    """``hwgen.explore`` is both this package and the function: ``hwgen.explore(model_space, hw_space)``."""

    def __call__(self, *args: object, **kwargs: object) -> Exploration:
        return explore(*args, **kwargs)  # type: ignore[arg-type]


sys.modules[__name__].__class__ = _CallableModule
