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
           "compute_ops"]
