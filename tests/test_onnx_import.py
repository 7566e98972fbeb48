"""ONNX import: every supported op against onnxruntime, and every rejection as one line (API and CLI)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

from hwgen.errors import HwgenError  # noqa: E402
from hwgen.ir.ops import compute_ops  # noqa: E402
from hwgen.models import from_onnx  # noqa: E402
from hwgen.numerics.float_model import run_graph  # noqa: E402
from hwgen.quant.quantize import quantize  # noqa: E402

from onnx_models import Builder, dsc_net  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def ort_forward(path: Path, x_nchw: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x_nchw.astype(np.float32)})[0]


def hwgen_forward(path: Path, x_nchw: np.ndarray) -> np.ndarray:
    graph = from_onnx(path)
    return list(run_graph(graph, graph.weights, x_nchw[0].transpose(1, 2, 0)).values())[-1]


def assert_matches_ort(path: Path, shape: tuple[int, int, int, int], images: int = 3) -> None:
    rng = np.random.default_rng(1)
    for _ in range(images):
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        ref = ort_forward(path, x).reshape(-1)
        got = hwgen_forward(path, x).reshape(-1)
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))


NETS = {
    "bn_relu6_symmetric": dict(c=3, h=16, w=16, stem=8, blocks=[(16, 1), (32, 2), (32, 1)], classes=10),
    "bn_relu6_attr_asym": dict(c=3, h=17, w=15, stem=6, blocks=[(12, 2), (20, 1)], classes=5, act="relu6-attr",
                               pads="asym"),
    "relu_auto_pad": dict(c=1, h=28, w=28, stem=8, blocks=[(16, 2), (16, 1)], classes=10, act="relu", pads="auto"),
    "no_bn_bias_matmul": dict(c=2, h=12, w=20, stem=4, blocks=[(8, 1)], classes=7, bn=False, head="matmul"),
    "avgpool_deep": dict(c=3, h=32, w=32, stem=8, blocks=[(8, 1), (16, 2), (16, 1), (24, 2), (24, 1)], classes=10,
                         pool="avgpool"),
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_float_forward_matches_onnxruntime(tmp_path: Path, name: str) -> None:
    kw = dict(NETS[name])
    c, h, w = kw.pop("c"), kw.pop("h"), kw.pop("w")
    opset = 10 if kw.get("act") == "relu6-attr" else 13  # Clip's attribute form exists up to opset 10
    path = dsc_net(c, h, w, kw.pop("stem"), kw.pop("blocks"), kw.pop("classes"), **kw).save(tmp_path / "m.onnx",
                                                                                          opset)
    assert_matches_ort(path, (1, c, h, w))


def test_imported_structure_and_weights_feed_quantize(tmp_path: Path) -> None:
    path = dsc_net(3, 17, 15, 6, [(12, 2)], 5, pads="asym").save(tmp_path / "m.onnx")
    graph = from_onnx(path)
    ops = compute_ops(graph)
    assert [op.kind for op in ops] == ["conv", "dw", "pw", "pool", "fc"]
    assert ops[0].pad == (0, 0) and ops[0].out_shape == (8, 7, 6)  # pads [0, 0, 1, 1] at stride 2
    assert all(op.relu6 for op in ops[:3]) and not ops[-1].relu6
    assert [n for n, *_ in graph.nodes()][1:3] == ["conv_1", "batchnormalization_2"]
    q1 = quantize(graph)
    q2 = quantize(graph, weights=graph.weights)
    assert all(np.array_equal(a.weights, b.weights) for a, b in zip(q1.ops, q2.ops) if a.weights is not None)


def test_symmetric_pads_at_stride_two_are_explicit(tmp_path: Path) -> None:
    """torch's padding=1 at stride 2 on an even map pads the top too (TF 'same' would not)."""
    ops = compute_ops(from_onnx(dsc_net(1, 16, 16, 4, [(8, 2)], 3).save(tmp_path / "m.onnx")))
    assert ops[0].pad == (1, 1) and ops[0].out_shape[:2] == (8, 8)
    assert ops[1].pad == (1, 1) and ops[1].out_shape[:2] == (4, 4)


def _torch_style_tail(b: Builder) -> None:
    """Flatten as torch's x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Reshape (Constant nodes)."""
    n = len(b.nodes)
    b.nodes += [
        helper.make_node("Shape", [b.cur], ["shp"], name="shape"),
        helper.make_node("Constant", [], ["zero"], name="c0", value=helper.make_tensor("z", TensorProto.INT64, [],
                                                                                       [0])),
        helper.make_node("Gather", ["shp", "zero"], ["n"], name="gather", axis=0),
        helper.make_node("Constant", [], ["ax"], name="c1", value=helper.make_tensor("a", TensorProto.INT64, [1],
                                                                                     [0])),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="unsq"),
        helper.make_node("Constant", [], ["m1"], name="c2", value=helper.make_tensor("m", TensorProto.INT64, [1],
                                                                                     [-1])),
        helper.make_node("Concat", ["n1", "m1"], ["target"], name="concat", axis=0),
        helper.make_node("Reshape", [b.cur, "target"], ["flat"], name="reshape"),
    ]
    assert len(b.nodes) == n + 8
    b.cur = "flat"


def test_torch_and_tf2onnx_patterns(tmp_path: Path) -> None:
    # NHWC input with tf2onnx's Transpose to NCHW, Identity/Dropout, the torch view() reshape chain, MatMul+Add.
    b = Builder(3, 10, 10)
    b.input = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 10, 10, 3])
    b.node("Transpose", perm=[0, 3, 1, 2])
    b.conv(8, 3, 1, pads=[1, 1, 1, 1])
    b.bn()
    b.relu6()
    b.node("Identity")
    b.node("GlobalAveragePool")
    _torch_style_tail(b)
    b.node("Dropout")
    b.matmul_add(4)
    path = b.save(tmp_path / "m.onnx")
    x = np.random.default_rng(0).uniform(-1, 1, (1, 10, 10, 3)).astype(np.float32)
    graph = from_onnx(path)
    assert graph.input_shape == (10, 10, 3)
    got = list(run_graph(graph, graph.weights, x[0]).values())[-1].reshape(-1)
    ref = ort_forward(path, x).reshape(-1)
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * float(np.abs(ref).max()))


def test_dynamic_input_needs_input_shape(tmp_path: Path) -> None:
    b = Builder(1, 0, 0, dynamic=True)
    b.conv(4, 3, 1, pads=[1, 1, 1, 1])
    b.node("GlobalAveragePool")
    b.node("Flatten")
    b.gemm(3)
    path = b.save(tmp_path / "m.onnx")
    with pytest.raises(HwgenError, match=r"dynamic shape HxWxC = \?x\?x1: give it with --input-shape"):
        from_onnx(path)
    assert from_onnx(path, input_shape=(9, 11, 1)).input_shape == (9, 11, 1)
    with pytest.raises(HwgenError, match="disagrees with the model's static C = 1"):
        from_onnx(path, input_shape=(9, 11, 3))


def _stem(b: Builder) -> None:
    b.conv(4, 3, 1, pads=[1, 1, 1, 1])


def _branch(b: Builder) -> None:
    x = b.cur
    b.conv(4, 3, 1, pads=[1, 1, 1, 1])
    b.nodes.append(helper.make_node("Add", [x, b.cur], ["sum"], name="residual"))
    b.cur = "sum"


REJECTIONS = {
    "unknown_op": (lambda b: b.node("Sigmoid"), r"onnx node 'sigmoid_2' \(Sigmoid\): unsupported op; supported: Conv"),
    "dilation": (lambda b: b.conv(4, 3, 1, pads=[2, 2, 2, 2], dilations=[2, 2]),
                 r"\(Conv\): dilations \[2, 2\] are not supported \(only 1\)"),
    "depth_multiplier": (lambda b: b.conv(8, 3, 1, group=4, pads=[1, 1, 1, 1]),
                         r"\(Conv\): depthwise conv with depth multiplier 2"),
    "group": (lambda b: b.conv(4, 3, 1, group=2, pads=[1, 1, 1, 1]),
              r"\(Conv\): group 2 on 4 channels: only group 1 \(standard\) or group = channels"),
    "branch": (_branch, r"tensor 'conv_1_out' feeds 2 consumers: branches are not supported"),
    "clip_range": (lambda b: b.node("Clip", [b.init("lo", np.array(-1.0)), b.init("hi", np.array(1.0))]),
                   r"\(Clip\): Clip to \[-1.0, 1.0\]: only Clip\(0, 6\) \(ReLU6\) is supported"),
    "rect_kernel": (lambda b: b.node("Conv", [b.init("wr", np.zeros((4, 4, 3, 1)))], kernel_shape=[3, 1],
                                     pads=[1, 0, 1, 0]), r"kernel \[3, 1\]: only square 2-d kernels"),
    "flatten_map": (lambda b: b.node("Flatten"), r"\(Flatten\): flattening a 6x6x4 map: only a 1x1 map"),
    "partial_avgpool": (lambda b: b.node("AveragePool", kernel_shape=[2, 2], strides=[2, 2]),
                        r"\(AveragePool\): AveragePool \[2, 2\] .*only a pool over the whole map"),
    "big_pad": (lambda b: b.conv(4, 3, 1, pads=[3, 3, 3, 3]), r"pads \(3, 3, 3, 3\) must be in 0..kernel-1"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_rejections_name_node_and_op(tmp_path: Path, case: str) -> None:
    build, message = REJECTIONS[case]
    b = Builder(1, 6, 6)
    _stem(b)
    build(b)
    path = b.save(tmp_path / "m.onnx")
    with pytest.raises(HwgenError, match=message) as e:
        from_onnx(path)
    assert "\n" not in str(e.value)


def test_bad_files(tmp_path: Path) -> None:
    good = dsc_net(1, 8, 8, 4, [], 3).save(tmp_path / "good.onnx")
    truncated = tmp_path / "truncated.onnx"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    text = tmp_path / "text.onnx"
    text.write_text("this is not a model\n")
    for path, message in ((truncated, "is not a"), (text, "is not a"), (tmp_path / "none.onnx", "not found")):
        with pytest.raises(HwgenError, match=message) as e:
            from_onnx(path)
        assert "\n" not in str(e.value)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hwgen", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_rejections_exit_2_one_line_nothing_written(tmp_path: Path) -> None:
    b = Builder(1, 6, 6)
    _stem(b)
    b.node("Sigmoid")
    bad = b.save(tmp_path / "bad.onnx")
    trunc = tmp_path / "trunc.onnx"
    trunc.write_bytes(bad.read_bytes()[:40])
    for model in (bad, trunc):
        for args in (["analyze"], ["estimate"], ["quantize"], ["generate", "-o", "out_hls"], ["rtl", "-o", "out_rtl"]):
            r = run_cli(args[0], str(model), *args[1:], cwd=tmp_path)
            assert r.returncode == 2, (args, r.stderr)
            assert r.stderr.startswith("hwgen: error: ") and r.stderr.count("\n") == 1, r.stderr
            assert "Traceback" not in r.stderr and r.stdout == ""
    assert not (tmp_path / "out_hls").exists() and not (tmp_path / "out_rtl").exists()


def test_cli_accepts_onnx_everywhere(tmp_path: Path) -> None:
    path = dsc_net(1, 12, 12, 4, [(8, 2)], 3).save(tmp_path / "m.onnx")
    r = run_cli("analyze", str(path), "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert '"model": "m"' in r.stdout
    r = run_cli("estimate", str(path), "--pe", "16", cwd=tmp_path)
    assert r.returncode == 0 and "total:" in r.stdout, r.stderr
    r = run_cli("analyze", str(path), "--alpha", "0.5", cwd=tmp_path)
    assert r.returncode == 2 and "apply to zoo models only" in r.stderr
    r = run_cli("analyze", "tiny_dsc", "--input-shape", "8x8x1", cwd=tmp_path)
    assert r.returncode == 2 and "--input-shape applies to .onnx models only" in r.stderr
