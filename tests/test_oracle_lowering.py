"""Lowering oracle: graph -> ComputeOps on small graphs, every field of every op written out by hand.

The expected ops below are derived here from the layer definitions, not from hwgen's lowering:
a conv/dw keeps its kernel and stride and TF 'same' padding (pad_top = floor(total / 2) with
total = max((out - 1) * stride + K - size, 0)) unless it gives explicit pads; a 1x1 stride-1 conv is
a pointwise op; a global average pool's window is the whole input (kernel = its height), stride 1;
a dense layer is a 1x1 op; BN and the activation that follow a layer fold into it; Input and
Softmax produce no op. MobileNet v1's op sequence is checked against the paper's Table 1 structure.
"""
from __future__ import annotations

import pytest

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.layers import (BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, Layer,
                             PointwiseConv2D, ReLU, ReLU6, Softmax)
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.models.zoo import mobilenet_v1


def _graph(*layers: tuple[str, Layer], shape=(6, 9, 3)) -> Graph:
    g = Graph("t")
    g.add("in", Input(shape=shape))
    for name, layer in layers:
        g.add(name, layer)
    return g.validate()


def test_every_field_of_every_op_on_a_non_square_net():
    g = _graph(
        ("c0", Conv2D(kernel=3, stride=2, filters=4)), ("c0_bn", BatchNorm()), ("c0_relu", ReLU6()),
        ("d1", DepthwiseConv2D(kernel=3, stride=1)), ("d1_bn", BatchNorm()), ("d1_relu", ReLU()),
        ("p1", PointwiseConv2D(filters=6)), ("p1_relu", ReLU6()),
        ("c2", Conv2D(kernel=1, stride=1, filters=5)),
        ("c3", Conv2D(kernel=1, stride=2, filters=7)), ("c3_bn", BatchNorm()),
        ("d4", DepthwiseConv2D(kernel=3, stride=1, pads=(1, 2, 1, 1))),
        ("pool", GlobalAvgPool()),
        ("fc", Dense(units=3)), ("fc_bn", BatchNorm()),
        ("sm", Softmax()),
    )
    expected = [
        # 6x9 input, 3x3 s2: H out 3, total max(2*2+3-6, 0) = 1 -> top 0; W out 5, total 4*2+3-9 = 2 -> left 1
        ComputeOp("c0", "conv", (6, 9, 3), (3, 5, 4), 3, 2, (0, 1), "c0_bn", True, ("c0", "c0_bn", "c0_relu")),
        # 3x5, 3x3 s1: total 2 both ways -> (1, 1); a plain ReLU sets relu, not relu6
        ComputeOp("d1", "dw", (3, 5, 4), (3, 5, 4), 3, 1, (1, 1), "d1_bn", False, ("d1", "d1_bn", "d1_relu"),
                  relu=True),
        ComputeOp("p1", "pw", (3, 5, 4), (3, 5, 6), 1, 1, (0, 0), None, True, ("p1", "p1_relu")),
        ComputeOp("c2", "pw", (3, 5, 6), (3, 5, 5), 1, 1, (0, 0), None, False, ("c2",)),
        # 1x1 stride 2 stays a conv: out ceil(3/2) x ceil(5/2), total max(1*2+1-3, 0) = 0, max(2*2+1-5, 0) = 0
        ComputeOp("c3", "conv", (3, 5, 5), (2, 3, 7), 1, 2, (0, 0), "c3_bn", False, ("c3", "c3_bn")),
        # explicit pads (top 1, left 2, bottom 1, right 1): (2+2-3+1) x (3+3-3+1)
        ComputeOp("d4", "dw", (2, 3, 7), (2, 4, 7), 3, 1, (1, 2), None, False, ("d4",)),
        # the window is the whole 2x4 map: kernel = its height 2, stride 1, no padding
        ComputeOp("pool", "pool", (2, 4, 7), (1, 1, 7), 2, 1, (0, 0), None, False, ("pool",)),
        ComputeOp("fc", "fc", (1, 1, 7), (1, 1, 3), 1, 1, (0, 0), "fc_bn", False, ("fc", "fc_bn")),
    ]
    assert compute_ops(g) == expected


def test_an_activation_without_batchnorm_and_a_trailing_op_are_kept():
    ops = compute_ops(_graph(("c", Conv2D(kernel=3, stride=1, filters=2)), ("r", ReLU()),
                             ("d", DepthwiseConv2D(kernel=3, stride=2)), shape=(4, 4, 1)))
    assert ops == [
        ComputeOp("c", "conv", (4, 4, 1), (4, 4, 2), 3, 1, (1, 1), None, False, ("c", "r"), relu=True),
        # 4x4, 3x3 s2: out 2, total max(1*2+3-4, 0) = 1 -> top/left 0
        ComputeOp("d", "dw", (4, 4, 2), (2, 2, 2), 3, 2, (0, 0), None, False, ("d",)),
    ]


@pytest.mark.parametrize("layers,message", [
    ([("c", Conv2D(kernel=1, filters=2)), ("r", ReLU()), ("bn", BatchNorm())],
     "layer 'bn': batchnorm must directly follow a conv or dense layer"),
    ([("c", Conv2D(kernel=1, filters=2)), ("r6", ReLU6()), ("r", ReLU())],
     "layer 'r': relu must follow a conv, dense or batchnorm layer"),
    ([("c", Conv2D(kernel=1, filters=2)), ("r", ReLU()), ("r6", ReLU6())],
     "layer 'r6': relu6 must follow a conv, dense or batchnorm layer"),
    ([("c", Conv2D(kernel=1, filters=2)), ("p", GlobalAvgPool()), ("r", ReLU())],
     "layer 'r': relu must follow a conv, dense or batchnorm layer"),
    ([("r", ReLU())], "layer 'r': relu must follow a conv, dense or batchnorm layer"),
    ([("c", Conv2D(kernel=1, filters=2)), ("x", Layer())], "layer 'x': unsupported layer type 'layer' for hardware"),
])
def test_misplaced_layers_are_named(layers, message):
    with pytest.raises(HwgenError) as e:
        compute_ops(_graph(*layers, shape=(2, 2, 1)))
    assert str(e.value) == message


def test_mobilenet_op_sequence():
    """Table 1: conv, 13 x (dw, pw), pool, fc — 29 ops; every conv/dw/pw with its BN and ReLU6."""
    ops = compute_ops(mobilenet_v1())
    assert [o.kind for o in ops] == ["conv"] + ["dw", "pw"] * 13 + ["pool", "fc"]
    for a, b in zip(ops, ops[1:]):
        assert a.out_shape == b.in_shape
    for o in ops[:-2]:
        assert o.bn is not None and o.relu6 and not o.relu and o.layers == (o.name, o.bn, o.layers[2])
    pool, fc = ops[-2:]
    assert (pool.kernel, pool.stride, pool.pad, pool.in_shape, pool.bn, pool.relu6) == (7, 1, (0, 0), (7, 7, 1024),
                                                                                         None, False)
    assert (fc.kernel, fc.in_shape, fc.out_shape, fc.bn, fc.relu6) == (1, (1, 1, 1024), (1, 1, 1000), None, False)
    # TF 'same' on 224 with 3x3 s2: out 112, total 1 -> no top/left padding; 3x3 s1: one row each side
    assert ops[0].pad == (0, 0) and ops[1].pad == (1, 1)
    assert [o.stride for o in ops if o.kind == "dw"] == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
