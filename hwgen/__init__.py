"""hwgen: depthwise-separable CNNs (MobileNet v1 family) to FPGA accelerators.

``hwgen.build(model, hwgen.HwConfig(pe=64))`` maps a network and returns a Design with
``.estimate()``, ``.predict(x)``, ``.write_hls(dir)`` and ``.write_rtl(dir)``.

The public names are imported on first use (PEP 562), so ``import hwgen.cli`` — what the
``hwgen`` command does first — stays light and the CLI's signal handlers are in place before
numpy and networkx load.
"""
from __future__ import annotations

import importlib
import sys
import types
from typing import Any

#: Public name -> the module that defines it.
_EXPORTS = {
    "build": "hwgen.build", "HwConfig": "hwgen.build", "Design": "hwgen.build", "zoo": "hwgen.models.zoo",
    "analyze": "hwgen.models.analyze", "Report": "hwgen.models.analyze", "HwgenError": "hwgen.errors",
    "Graph": "hwgen.ir.graph", "ComputeOp": "hwgen.ir.ops", "compute_ops": "hwgen.ir.ops",
    # hwgen.explore is both the package and, called, the function (hwgen/explore/__init__.py).
    "explore": "hwgen.explore", "ModelSpace": "hwgen.explore", "HwSpace": "hwgen.explore",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hwgen' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    return module if name in ("zoo", "explore") else getattr(module, name)


class _Package(types.ModuleType):
    """``hwgen.build`` stays the function when the submodule of the same name loads (as with an eager import)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "build" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
