"""Graph IR: shape inference, validation errors, lowering to compute ops."""
import pytest

from hwgen.errors import HwgenError
from hwgen.ir.graph import Graph
from hwgen.ir.layers import (BatchNorm, Conv2D, Dense, DepthwiseConv2D, GlobalAvgPool, Input, PointwiseConv2D, ReLU6,
                             same_padding)
from hwgen.ir.ops import compute_ops


def test_same_padding_matches_tensorflow():
    assert same_padding(224, 3, 2) == (112, 0, 1)
    assert same_padding(112, 3, 1) == (112, 1, 1)
    assert same_padding(15, 3, 2) == (8, 1, 1)
    assert same_padding(7, 1, 1) == (7, 0, 0)


def test_shapes_inferred():
    g = Graph("t")
    g.add("in", Input(shape=(9, 9, 4)))
    g.add("dw", DepthwiseConv2D(kernel=3, stride=2))
    g.add("pw", PointwiseConv2D(filters=6))
    g.validate()
    assert [(n, i, o) for n, _, i, o in g.nodes()] == [
        ("in", (9, 9, 4), (9, 9, 4)), ("dw", (9, 9, 4), (5, 5, 4)), ("pw", (5, 5, 4), (5, 5, 6))]


def test_errors_name_the_node():
    g = Graph("t")
    g.add("in", Input(shape=(8, 8, 3)))
    g.add("fc", Dense(units=10))
    with pytest.raises(HwgenError, match="'fc'.*1x1xC"):
        g.validate()
    g = Graph("t")
    g.add("in", Input(shape=(8, 8, 3)))
    with pytest.raises(HwgenError, match="unknown input 'nope'"):
        g.add("c", Conv2D(), inputs=["nope"])
    with pytest.raises(HwgenError, match="duplicate layer name 'in'"):
        g.add("in", ReLU6())


def test_cycle_detected():
    g = Graph("t")
    g.add("in", Input(shape=(8, 8, 3)))
    g.add("a", ReLU6())
    g.add("b", ReLU6())
    g.g.add_edge("b", "a")
    with pytest.raises(HwgenError, match="cycle"):
        g.validate()


def test_compute_ops_fuse_bn_relu():
    g = Graph("t")
    g.add("in", Input(shape=(8, 8, 3)))
    g.add("c", Conv2D(filters=4, kernel=3, stride=2))
    g.add("c_bn", BatchNorm())
    g.add("c_relu", ReLU6())
    g.add("one", Conv2D(filters=5, kernel=1, stride=1))
    g.add("pool", GlobalAvgPool())
    g.add("fc", Dense(units=3))
    ops = compute_ops(g.validate())
    assert [(o.kind, o.bn, o.relu6) for o in ops] == [
        ("conv", "c_bn", True), ("pw", None, False), ("pool", None, False), ("fc", None, False)]
    assert ops[0].macs == 9 * 3 * 4 * 4 * 4 and ops[1].weights == 20 and ops[3].macs == 15


def test_misplaced_batchnorm_rejected():
    g = Graph("t")
    g.add("in", Input(shape=(8, 8, 3)))
    g.add("bn", BatchNorm())
    with pytest.raises(HwgenError, match="'bn'"):
        compute_ops(g.validate())
