"""ONNX models for the importer tests, built with onnx.helper (no exporter needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


class Builder:
    """A single-path NCHW model: conv/dw/pw/bn/activation/pool/head helpers appended in order."""

    def __init__(self, c: int, h: int, w: int, seed: int = 0, dynamic: bool = False) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.c, self.cur, self.n = c, "image", 0
        dims = [1, c, "H" if dynamic else h, "W" if dynamic else w]
        self.input = helper.make_tensor_value_info("image", TensorProto.FLOAT, dims)

    def _name(self, op: str) -> str:
        self.n += 1
        return f"{op.lower()}_{self.n}"

    def init(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name))
        return name

    def node(self, op: str, extra_inputs: list[str] = (), **attrs: object) -> str:
        name = self._name(op)
        out = f"{name}_out"
        self.nodes.append(helper.make_node(op, [self.cur, *extra_inputs], [out], name=name, **attrs))
        self.cur = out
        return name

    def conv(self, cout: int, k: int, stride: int = 1, group: int = 1, bias: bool = False, **attrs: object) -> str:
        cin = self.c
        w = self.rng.normal(0, np.sqrt(2 / (k * k * cin / group)), (cout, cin // group, k, k))
        name = f"w{self.n + 1}"
        ins = [self.init(name, w)]
        if bias:
            ins.append(self.init(f"b{self.n + 1}", self.rng.normal(0, 0.1, cout)))
        self.c = cout
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride], group=group, **attrs)

    def bn(self) -> str:
        c, i = self.c, self.n + 1
        ins = [self.init(f"g{i}", self.rng.uniform(0.5, 1.5, c)), self.init(f"be{i}", self.rng.normal(0, 0.2, c)),
               self.init(f"m{i}", self.rng.normal(0, 0.2, c)), self.init(f"v{i}", self.rng.uniform(0.5, 2.0, c))]
        return self.node("BatchNormalization", ins, epsilon=1e-5)

    def relu6(self, form: str = "input") -> str:
        if form == "attr":  # opset < 11 form; the model is then opset 10
            return self.node("Clip", [], min=0.0, max=6.0)
        i = self.n + 1
        return self.node("Clip", [self.init(f"lo{i}", np.array(0.0)), self.init(f"hi{i}", np.array(6.0))])

    def gemm(self, units: int) -> str:
        i = self.n + 1
        w = self.rng.normal(0, 1 / np.sqrt(self.c), (units, self.c))
        self.c = units
        return self.node("Gemm", [self.init(f"fw{i}", w), self.init(f"fb{i}", self.rng.normal(0, 0.1, units))],
                         transB=1)

    def matmul_add(self, units: int) -> None:
        i = self.n + 1
        self.node("MatMul", [self.init(f"mw{i}", self.rng.normal(0, 1 / np.sqrt(self.c), (self.c, units)))])
        self.node("Add", [self.init(f"mb{i}", self.rng.normal(0, 0.1, units))])
        self.c = units

    def model(self, opset: int = OPSET) -> onnx.ModelProto:
        out = helper.make_tensor_value_info(self.cur, TensorProto.FLOAT, [1, self.c])
        graph = helper.make_graph(self.nodes, "test_net", [self.input], [out], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        return m

    def save(self, path: Path, opset: int = OPSET) -> Path:
        m = self.model(opset)
        onnx.checker.check_model(m)
        onnx.save(m, str(path))
        return path


def dsc_net(c: int, h: int, w: int, stem: int, blocks: list[tuple[int, int]], classes: int, *, bn: bool = True,
            act: str = "relu6", pads: str = "symmetric", head: str = "gemm", pool: str = "global",
            seed: int = 0) -> Builder:
    """conv3x3 stem, dw3x3+pw1x1 blocks (filters, stride), pool, FC, softmax; ``pads``: symmetric | auto | asym."""
    b = Builder(c, h, w, seed)

    def activation() -> None:
        if act == "relu":
            b.node("Relu")
        else:
            b.relu6("attr" if act == "relu6-attr" else "input")

    size = [h, w]

    def pad_attrs(stride: int) -> dict:
        if pads == "auto":
            size[:] = [-(-v // stride) for v in size]
            return {"auto_pad": "SAME_UPPER"}
        p = [0, 0, 1, 1] if pads == "asym" and stride == 2 else [1, 1, 1, 1]  # asym: TF 'same' as ZeroPadding
        size[:] = [(v + p[i] + p[i + 2] - 3) // stride + 1 for i, v in enumerate(size)]
        return {"pads": p}

    b.conv(stem, 3, 2, bias=not bn, **pad_attrs(2))
    if bn:
        b.bn()
    activation()
    for filters, stride in blocks:
        b.conv(b.c, 3, stride, group=b.c, bias=not bn, **pad_attrs(stride))
        if bn:
            b.bn()
        activation()
        b.conv(filters, 1, 1, bias=not bn)
        if bn:
            b.bn()
        activation()
    if pool == "global":
        b.node("GlobalAveragePool")
    elif pool == "avgpool":
        b.node("AveragePool", kernel_shape=size, strides=[1, 1])
    else:
        raise ValueError(pool)
    b.node("Flatten", axis=1)
    if head == "gemm":
        b.gemm(classes)
    else:
        b.matmul_add(classes)
    b.node("Softmax", axis=1)
    return b
