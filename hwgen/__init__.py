"""hwgen: depthwise-separable CNNs (MobileNet v1 family) to FPGA accelerators."""
from hwgen.models import zoo
from hwgen.models.analyze import Report, analyze
from hwgen.errors import HwgenError
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.ir.graph import Graph

__all__ = ["zoo", "analyze", "Report", "HwgenError", "Graph", "ComputeOp", "compute_ops", "explore", "ModelSpace",
           "HwSpace"]

_EXPLORE = ("explore", "ModelSpace", "HwSpace")


def __getattr__(name: str) -> object:
    """``hwgen.explore`` (callable) and its spaces, imported on first use (they pull in the whole pipeline)."""
    if name in _EXPLORE:
        import hwgen.explore as ex

        return ex if name == "explore" else getattr(ex, name)
    raise AttributeError(f"module 'hwgen' has no attribute {name!r}")
