"""hwgen: depthwise-separable CNNs (MobileNet v1 family) to FPGA accelerators.

``hwgen.build(model, hwgen.HwConfig(pe=64))`` maps a network and returns a Design with
``.estimate()``, ``.predict(x)``, ``.write_hls(dir)`` and ``.write_rtl(dir)``.
"""
from hwgen.build import Design, HwConfig, build
from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.models import zoo
from hwgen.models.analyze import Report, analyze

__all__ = ["build", "HwConfig", "Design", "zoo", "analyze", "Report", "HwgenError", "Graph", "ComputeOp",
           "compute_ops", "explore", "ModelSpace", "HwSpace"]

_EXPLORE = ("explore", "ModelSpace", "HwSpace")


def __getattr__(name: str) -> object:
    """``hwgen.explore`` (callable) and its spaces, imported on first use (they pull in the whole pipeline)."""
    if name in _EXPLORE:
        import hwgen.explore as ex

        return ex if name == "explore" else getattr(ex, name)
    raise AttributeError(f"module 'hwgen' has no attribute {name!r}")
