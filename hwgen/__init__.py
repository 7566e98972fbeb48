"""hwgen: depthwise-separable CNNs (MobileNet v1 family) to FPGA accelerators."""
from . import zoo
from .analyze import Report, analyze
from .errors import HwgenError
from .graph import ComputeOp, Graph, compute_ops

__all__ = ["zoo", "analyze", "Report", "HwgenError", "Graph", "ComputeOp", "compute_ops"]
