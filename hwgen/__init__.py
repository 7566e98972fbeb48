"""hwgen: depthwise-separable CNNs (MobileNet v1 family) to FPGA accelerators."""
from hwgen.models import zoo
from hwgen.models.analyze import Report, analyze
from hwgen.errors import HwgenError
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.ir.graph import Graph

__all__ = ["zoo", "analyze", "Report", "HwgenError", "Graph", "ComputeOp", "compute_ops"]
