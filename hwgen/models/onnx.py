"""ONNX import: a single-path depthwise-separable CNN (NCHW ONNX) -> the graph IR (NHWC) with trained weights.

Read with the ``onnx`` package (``pip install hwgen[onnx]``). The layout changes once, at the edge: the
NCHW input becomes an (H, W, C) image, and every weight tensor is transposed into hwgen's layouts
(:mod:`hwgen.models.weights`). Constant subgraphs that exporters emit around reshapes (``Shape``, ``Gather``,
``Unsqueeze``, ``Concat``, ...) are evaluated here; a ``Transpose`` NHWC->NCHW right after the input
(tf2onnx) marks an NHWC model. Anything outside the supported set raises :class:`HwgenError` with one
line naming the node, its op type and what is supported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.layers import (BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, Layer, Pads,
                             PointwiseConv2D, ReLU, ReLU6, Shape, Softmax, same_padding)
from hwgen.numerics.float_model import FloatWeights

#: Op types that become IR layers or vanish (layout no-ops); listed in error messages.
SUPPORTED_OPS = ("Conv", "BatchNormalization", "Relu", "Clip", "GlobalAveragePool", "AveragePool", "ReduceMean",
                 "Flatten", "Reshape", "Squeeze", "Gemm", "MatMul", "Add", "Softmax", "Identity", "Dropout",
                 "Transpose")
#: Op types evaluated when all their inputs are constants (exporters' shape arithmetic).
CONSTANT_OPS = ("Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice", "Reshape",
                "Transpose", "Identity")


def _err(node: Any, what: str) -> HwgenError:
    return HwgenError(f"onnx node {node.name or '(unnamed)'!r} ({node.op_type}): {what}")


@dataclass
class _Act:
    """The one activation tensor of the chain: its IR shape and how ONNX sees it."""

    shape: Shape  # (H, W, C)
    rank: int  # 4 (N, C, H, W) or 2 (N, C) after Flatten/Reshape
    nhwc: bool = False  # still the raw NHWC input of a tf2onnx model (before its Transpose)

    def onnx_shape(self) -> list[int]:
        h, w, c = self.shape
        if self.rank == 2:
            return [1, h * w * c]
        return [1, h, w, c] if self.nhwc else [1, c, h, w]


@dataclass
class _Builder:
    """Layers in chain order with their float weights; the Graph is built once at the end."""

    layers: list[tuple[str, Layer]] = field(default_factory=list)
    weights: FloatWeights = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def add(self, node: Any, layer: Layer, act: _Act, params: dict[str, np.ndarray] | None = None) -> str:
        name = _ident(node.name or node.op_type, self.used)
        try:
            act.shape = layer.out_shape(name, act.shape)
        except HwgenError as e:
            raise _err(node, str(e)) from None
        self.layers.append((name, layer))
        if params:
            self.weights[name] = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
        return name


def _ident(raw: str, used: set[str]) -> str:
    """A unique identifier-safe layer name ('/features/0/Conv' -> 'features_0_Conv'): HLS/RTL names derive from it."""
    base = re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_") or "layer"
    if base[0].isdigit():
        base = f"n{base}"
    name, i = base, 1
    while name in used:
        i += 1
        name = f"{base}_{i}"
    used.add(name)
    return name


def load_onnx(path: str | Path) -> Any:
    """Read ``path`` with the onnx package; one-line HwgenError for a missing, truncated or non-ONNX file."""
    try:
        import onnx
    except ImportError:
        raise HwgenError("ONNX import needs the onnx package: pip install 'hwgen[onnx]'") from None
    p = Path(path)
    if not p.is_file():
        raise HwgenError(f"ONNX model {str(p)!r} not found")
    try:
        model = onnx.load(str(p))
    except Exception as e:  # protobuf raises DecodeError / RuntimeWarning subclasses depending on the backend
        raise HwgenError(f"{str(p)!r} is not a readable ONNX model ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else 'decode error'})") from None
    if not model.graph.node:
        raise HwgenError(f"{str(p)!r} is not an ONNX model with a graph (no nodes; truncated or not ONNX?)")
    return model


def from_onnx(path: str | Path, input_shape: Shape | None = None, name: str | None = None) -> Graph:
    """Import an ONNX model file into a validated Graph whose ``weights`` hold the trained float weights.

    ``input_shape`` (H, W, C) fixes a dynamic input; it must agree with any static dimensions.
    """
    return import_model(load_onnx(path), input_shape, name or Path(path).stem)


def import_model(model: Any, input_shape: Shape | None, name: str) -> Graph:
    """Import a loaded ``onnx.ModelProto`` (see :func:`from_onnx`)."""
    from onnx import numpy_helper

    g = model.graph
    consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in consts]
    if len(inputs) != 1:
        raise HwgenError(f"onnx model {name!r}: expected one input tensor, got {len(inputs)} "
                         f"({', '.join(i.name for i in inputs) or 'none'})")
    inp = inputs[0]
    nhwc = _input_is_nhwc(g, inp.name)
    act_name, act = inp.name, _Act(_input_shape(inp, input_shape, nhwc), 4, nhwc)
    b = _Builder()
    b.used.add("input")
    b.layers.append(("input", Input(shape=act.shape)))
    consumers: dict[str, int] = {}
    for node in g.node:
        for t in node.input if node.op_type != "Shape" else ():  # reading a shape is no data path
            consumers[t] = consumers.get(t, 0) + 1
    for out in g.output:
        consumers[out.name] = consumers.get(out.name, 0) + 1

    for node in g.node:
        if all(t in consts or t == "" for t in node.input) and node.op_type in CONSTANT_OPS:
            _fold_constant(node, consts)
            continue
        acts = [t for t in node.input if t and t not in consts]
        if node.op_type == "Shape" and acts == [act_name]:
            consts[node.output[0]] = np.array(act.onnx_shape(), dtype=np.int64)
            continue
        if not acts:
            raise _err(node, f"computes on constants only; constant ops hwgen evaluates: {', '.join(CONSTANT_OPS)}")
        if acts != [act_name]:
            if len(acts) > 1:
                raise _err(node, f"joins {len(acts)} tensors ({', '.join(acts)}): branches (Add/Concat of two "
                                 "paths) are not supported; hwgen imports single-path networks")
            raise _err(node, f"input {acts[0] if acts else node.input[0]!r} is not the network's current tensor "
                             f"{act_name!r} (branches are not supported)")
        if node.op_type not in _HANDLERS:
            raise _err(node, f"unsupported op; supported: {', '.join(SUPPORTED_OPS)}")
        if consumers.get(act_name, 0) > 1:
            raise _err(node, f"tensor {act_name!r} feeds {consumers[act_name]} consumers: branches are not "
                             "supported; hwgen imports single-path networks")
        _HANDLERS[node.op_type](node, act, consts, b)
        act_name = node.output[0]
    outputs = [o.name for o in g.output]
    if outputs != [act_name]:
        raise HwgenError(f"onnx model {name!r}: graph outputs {outputs} are not the end of the chain {act_name!r}")
    if act.nhwc:
        raise HwgenError(f"onnx model {name!r}: the NHWC input is never transposed to NCHW")
    graph = Graph(_ident(name, set()))
    for layer_name, layer in b.layers:
        graph.add(layer_name, layer)
    graph.validate()
    graph.weights = b.weights
    return graph


def _input_is_nhwc(g: Any, input_name: str) -> bool:
    """tf2onnx models take NHWC and transpose to NCHW first: Transpose(perm=[0, 3, 1, 2]) of the input."""
    for node in g.node:
        if input_name in node.input:
            return node.op_type == "Transpose" and _attrs(node).get("perm") == [0, 3, 1, 2]
    return False


def _input_shape(inp: Any, override: Shape | None, nhwc: bool) -> Shape:
    dims = inp.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise HwgenError(f"onnx input {inp.name!r}: expected a 4-d image tensor (N, C, H, W), got rank {len(dims)}")
    static = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims]
    if static[0] not in (None, 1):
        raise HwgenError(f"onnx input {inp.name!r}: batch size {static[0]}, hwgen runs one image (batch 1)")
    h, w, c = (static[1], static[2], static[3]) if nhwc else (static[2], static[3], static[1])
    if override is not None:
        for got, want, axis in zip((h, w, c), override, "HWC"):
            if got is not None and got != want:
                raise HwgenError(f"--input-shape {'x'.join(map(str, override))} disagrees with the model's static "
                                 f"{axis} = {got}")
        return tuple(int(v) for v in override)  # type: ignore[return-value]
    if None in (h, w, c):
        shown = "x".join("?" if v is None else str(v) for v in (h, w, c))
        raise HwgenError(f"onnx input {inp.name!r} has a dynamic shape HxWxC = {shown}: give it with "
                         "--input-shape HxWxC (Python: input_shape=(H, W, C))")
    return (h, w, c)  # type: ignore[return-value]


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _const(node: Any, consts: dict[str, np.ndarray], index: int, what: str) -> np.ndarray | None:
    """Input ``index`` as a constant array (None when absent); a computed (non-constant) input is rejected."""
    if len(node.input) <= index or node.input[index] == "":
        return None
    if node.input[index] not in consts:
        raise _err(node, f"{what} ({node.input[index]!r}) must be a constant or initializer")
    return consts[node.input[index]]


# --- constant folding of exporter shape arithmetic ---------------------------------------------------------------

def _fold_constant(node: Any, consts: dict[str, np.ndarray]) -> None:
    from onnx import helper, numpy_helper

    a = _attrs(node)
    ins = [consts[t] if t else None for t in node.input]
    op = node.op_type
    if op == "Constant":
        if "value" not in a:
            raise _err(node, f"only tensor constants ('value') are supported, got {sorted(a)}")
        out = numpy_helper.to_array(a["value"])
    elif op == "Gather":
        out = np.take(ins[0], ins[1], axis=a.get("axis", 0))
    elif op == "Unsqueeze":
        out = ins[0]
        for ax in sorted(int(v) for v in (a["axes"] if "axes" in a else ins[1])):
            out = np.expand_dims(out, ax if ax >= 0 else ax + out.ndim + 1)
    elif op == "Squeeze":
        axes = a.get("axes", ins[1] if len(ins) > 1 else None)
        out = np.squeeze(ins[0], axis=None if axes is None else tuple(int(v) for v in axes))
    elif op == "Concat":
        out = np.concatenate([np.atleast_1d(x) for x in ins], axis=a["axis"])
    elif op == "Cast":
        out = ins[0].astype(helper.tensor_dtype_to_np_dtype(a["to"]))
    elif op == "Slice":
        starts, ends = ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        index = [slice(None)] * ins[0].ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            index[int(ax)] = slice(int(s), int(e), int(st))
        out = ins[0][tuple(index)]
    elif op == "Reshape":
        out = ins[0].reshape([int(d) if d != 0 else ins[0].shape[i] for i, d in enumerate(ins[1])])
    elif op == "Transpose":
        out = np.transpose(ins[0], a.get("perm"))
    else:  # Identity
        out = ins[0]
    consts[node.output[0]] = np.asarray(out)


# --- layer handlers: node, current activation, constants, builder -------------------------------------------------

def _square(node: Any, values: list[int], what: str) -> int:
    if len(values) != 2 or values[0] != values[1]:
        raise _err(node, f"{what} {values}: only square 2-d {what}s are supported")
    return int(values[0])


def _conv_pads(node: Any, a: dict[str, Any], shape: Shape, k: int, s: int) -> Pads:
    """ONNX pads/auto_pad -> (top, left, bottom, right)."""
    auto = a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        (_, t, bt), (_, l, r) = same_padding(shape[0], k, s), same_padding(shape[1], k, s)
        return (t, l, bt, r) if auto == "SAME_UPPER" else (bt, r, t, l)
    if auto == "VALID":
        return (0, 0, 0, 0)
    if auto != "NOTSET":
        raise _err(node, f"auto_pad {auto!r} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
    pads = list(a.get("pads", [0, 0, 0, 0]))
    if len(pads) != 4:
        raise _err(node, f"pads {pads}: expected 4 values for a 2-d conv")
    return (int(pads[0]), int(pads[1]), int(pads[2]), int(pads[3]))  # ONNX: [top, left, bottom, right]


def _conv(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    a = _attrs(node)
    if act.rank != 4 or act.nhwc:
        raise _err(node, "expects an NCHW feature map")
    w = _const(node, consts, 1, "weight")
    bias = _const(node, consts, 2, "bias")
    if w is None or w.ndim != 4:
        raise _err(node, "only 2-d convolutions with a constant (M, C/group, kH, kW) weight are supported")
    if any(d != 1 for d in a.get("dilations", [1, 1])):
        raise _err(node, f"dilations {list(a['dilations'])} are not supported (only 1)")
    k = _square(node, list(a.get("kernel_shape", w.shape[2:])), "kernel")
    s = _square(node, list(a.get("strides", [1, 1])), "stride")
    group, cin, cout = int(a.get("group", 1)), act.shape[2], w.shape[0]
    pads = _conv_pads(node, a, act.shape, k, s)
    same = tuple(same_padding(act.shape[0], k, s)[1:]) + tuple(same_padding(act.shape[1], k, s)[1:])
    explicit = None if (pads[0], pads[2], pads[1], pads[3]) == same else pads  # TF 'same' stays implicit
    params = {}
    if bias is not None:
        params["bias"] = bias
    if group == 1:
        if w.shape[1] != cin:
            raise _err(node, f"weight has {w.shape[1]} input channels, the input has {cin}")
        params["kernel"] = w.transpose(2, 3, 1, 0)  # (M, C, kH, kW) -> (K, K, Cin, Cout)
        if k == 1 and s == 1 and explicit in (None, (0, 0, 0, 0)):
            layer: Layer = PointwiseConv2D(filters=cout, use_bias=bias is not None)
        else:
            layer = Conv2D(kernel=k, stride=s, filters=cout, use_bias=bias is not None, pads=explicit)
    elif group == cin and w.shape[1] == 1:
        if cout != cin:
            raise _err(node, f"depthwise conv with depth multiplier {cout // cin} ({cout} outputs for {cin} "
                             "channels): only multiplier 1 is supported")
        params["kernel"] = w[:, 0].transpose(1, 2, 0)  # (C, 1, kH, kW) -> (K, K, C)
        layer = DepthwiseConv2D(kernel=k, stride=s, use_bias=bias is not None, pads=explicit)
    else:
        raise _err(node, f"group {group} on {cin} channels: only group 1 (standard) or group = channels "
                         "(depthwise) is supported")
    b.add(node, layer, act, params)


def _batchnorm(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    a = _attrs(node)
    if a.get("training_mode", 0):
        raise _err(node, "training_mode=1 is not supported (export the model in eval mode)")
    arrays = [_const(node, consts, i, what) for i, what in ((1, "scale"), (2, "bias"), (3, "mean"), (4, "var"))]
    b.add(node, BatchNorm(epsilon=float(a.get("epsilon", 1e-5))), act,
          dict(zip(("gamma", "beta", "mean", "var"), arrays)))


def _relu(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    b.add(node, ReLU(), act)


def _clip(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    a = _attrs(node)
    lo, hi = a.get("min"), a.get("max")  # opset < 11: attributes; opset >= 11: optional inputs
    lo_in, hi_in = _const(node, consts, 1, "min"), _const(node, consts, 2, "max")
    lo = float(lo_in) if lo_in is not None else lo
    hi = float(hi_in) if hi_in is not None else hi
    if lo != 0.0 or hi != 6.0:
        raise _err(node, f"Clip to [{lo}, {hi}]: only Clip(0, 6) (ReLU6) is supported")
    b.add(node, ReLU6(), act)


def _global_pool(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    if act.rank != 4 or act.nhwc:
        raise _err(node, "expects an NCHW feature map")
    b.add(node, GlobalAvgPool(), act)


def _avgpool(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    a = _attrs(node)
    h, w = act.shape[:2]
    kernel = list(a.get("kernel_shape", []))
    if kernel != [h, w] or any(a.get("pads", [0])) or a.get("ceil_mode", 0):
        raise _err(node, f"AveragePool {kernel} (pads {list(a.get('pads', [0, 0, 0, 0]))}) on a {h}x{w} map: "
                         "only a pool over the whole map without padding (global average) is supported")
    _global_pool(node, act, consts, b)


def _reduce_mean(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    a = _attrs(node)
    axes = a.get("axes")
    axes_in = _const(node, consts, 1, "axes")
    axes = sorted(int(v) for v in (axes_in if axes_in is not None else axes or []))
    if axes != [2, 3] or not a.get("keepdims", 1):
        raise _err(node, f"ReduceMean over axes {axes} (keepdims {a.get('keepdims', 1)}): only the spatial mean "
                         "over axes [2, 3] with keepdims=1 (global average pool) is supported")
    _global_pool(node, act, consts, b)


def _to_vector(node: Any, act: _Act) -> None:
    """Flatten a 1x1xC map to the (1, C) vector an FC takes: a no-op in the IR, which keeps (1, 1, C)."""
    if act.nhwc:
        raise _err(node, "expects the NCHW tensor (the NHWC input must be transposed first)")
    h, w, c = act.shape
    if (h, w) != (1, 1):
        raise _err(node, f"flattening a {h}x{w}x{c} map: only a 1x1 map (after global pooling) can become the "
                         "FC's vector")
    act.rank = 2


def _flatten(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    if _attrs(node).get("axis", 1) != 1:
        raise _err(node, f"axis {_attrs(node)['axis']}: only Flatten(axis=1) is supported")
    _to_vector(node, act)


def _reshape(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    target = _const(node, consts, 1, "shape")
    size = int(np.prod(act.shape))
    dims = [int(d) for d in np.asarray(target).reshape(-1)]
    if len(dims) != 2 or dims[1] not in (-1, size) or dims[0] not in (-1, 0, 1):
        raise _err(node, f"Reshape to {dims}: only a reshape to a (1, C) vector is supported")
    _to_vector(node, act)


def _squeeze(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    axes = _attrs(node).get("axes")
    axes_in = _const(node, consts, 1, "axes")
    axes = sorted(int(v) for v in (axes_in if axes_in is not None else axes or [2, 3]))
    if axes != [2, 3]:
        raise _err(node, f"Squeeze of axes {axes}: only the spatial axes [2, 3] of a 1x1 map are supported")
    _to_vector(node, act)


def _transpose(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    perm = list(_attrs(node).get("perm", []))
    if act.nhwc and perm == [0, 3, 1, 2]:
        act.nhwc = False  # the tf2onnx input transpose: the IR is NHWC already
        return
    if act.rank == 4 and act.shape[:2] == (1, 1) and perm == [0, 2, 3, 1]:
        return  # NCHW -> NHWC of a 1x1 map before the classifier: the same vector
    raise _err(node, f"Transpose perm {perm}: only the input's NHWC->NCHW transpose ([0, 3, 1, 2]) or a "
                     "transpose of a 1x1 map is supported")


def _dense(node: Any, act: _Act, b: _Builder, kernel: np.ndarray, bias: np.ndarray | None) -> None:
    if act.rank != 2:
        raise _err(node, "expects a (1, C) vector: flatten a pooled 1x1 map first")
    if kernel.ndim != 2 or kernel.shape[0] != act.shape[2]:
        raise _err(node, f"weight of shape {list(kernel.shape)} does not take the {act.shape[2]}-vector input")
    params = {"kernel": kernel} if bias is None else {"kernel": kernel, "bias": np.broadcast_to(bias, kernel.shape[1:])}
    b.add(node, Dense(units=kernel.shape[1], use_bias=bias is not None), act, params)


def _gemm(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    a = _attrs(node)
    if a.get("transA", 0):
        raise _err(node, "transA=1 is not supported")
    w = _const(node, consts, 1, "B")
    bias = _const(node, consts, 2, "C")
    kernel = (w.T if a.get("transB", 0) else w) * float(a.get("alpha", 1.0))
    _dense(node, act, b, kernel, None if bias is None else np.reshape(bias, -1) * float(a.get("beta", 1.0)))


def _matmul(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    _dense(node, act, b, _const(node, consts, 1, "B"), None)


def _add(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    """MatMul + Add(constant) is a Dense with bias: the bias joins the preceding bias-free Dense."""
    name, layer = b.layers[-1]
    bias = next(consts[t] for t in node.input if t in consts)
    if not isinstance(layer, Dense) or layer.use_bias or np.size(bias) != layer.units:
        raise _err(node, f"Add of a constant is supported only as the bias of a MatMul ({layer.op} precedes it)")
    b.layers[-1] = (name, Dense(units=layer.units, use_bias=True))
    b.weights[name]["bias"] = np.asarray(bias, dtype=np.float64).reshape(-1)


def _softmax(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    axis = _attrs(node).get("axis", -1 if act.rank == 2 else 1)
    if act.rank != 2 or axis not in (-1, 1):
        raise _err(node, f"Softmax axis {axis} on a rank-{act.rank} tensor: only over the classes of the FC "
                         "output is supported")
    b.add(node, Softmax(), act)


def _passthrough(node: Any, act: _Act, consts: dict[str, np.ndarray], b: _Builder) -> None:
    """Identity and inference-mode Dropout: no layer."""


_HANDLERS: dict[str, Callable[[Any, _Act, dict[str, np.ndarray], _Builder], None]] = {
    "Conv": _conv, "BatchNormalization": _batchnorm, "Relu": _relu, "Clip": _clip,
    "GlobalAveragePool": _global_pool, "AveragePool": _avgpool, "ReduceMean": _reduce_mean,
    "Flatten": _flatten, "Reshape": _reshape, "Squeeze": _squeeze, "Transpose": _transpose,
    "Gemm": _gemm, "MatMul": _matmul, "Add": _add, "Softmax": _softmax,
    "Identity": _passthrough, "Dropout": _passthrough,
}
