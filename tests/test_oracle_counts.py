"""Independent oracle for ComputeOp.macs / .weights: Howard et al. 2017 (MobileNets), Tables 1 and 2.

The expected counts are derived here from the paper's own cost equations and its Table 1 rows
(type, stride, filter shape, input size), not from hwgen's formulas:

* standard conv (eq. 1): D_K * D_K * M * N * D_F * D_F mult-adds, D_K * D_K * M * N parameters;
* depthwise conv (eq. 3, first term): D_K * D_K * M * D_F * D_F mult-adds, D_K * D_K * M parameters;
* pointwise conv (eq. 3, second term): M * N * D_F * D_F mult-adds, M * N parameters;
* fully connected: M * N mult-adds and M * N weights (+ N biases, which ComputeOp.weights excludes);
* average pool: no mult-adds, no parameters (Table 2 does not list it).

D_F is the *output* feature map size (the paper's eqs. assume stride 1; with stride 2 the filter is
evaluated at the output positions only), M input and N output channels.
"""
from __future__ import annotations

import pytest

from hwgen.errors import HwgenError
from hwgen.hw.contract import EngineConfig
from hwgen.hw.steps import Step, pw_band_cycles
from hwgen.ir.graph import Graph
from hwgen.ir.layers import BatchNorm, Conv2D, GlobalAvgPool, Input, ReLU6
from hwgen.ir.ops import ComputeOp, compute_ops
from hwgen.models.zoo import mobilenet_v1
from mobilenet_paper import TABLE1, paper_cost, scaled


def test_every_layer_matches_table1():
    ops = compute_ops(mobilenet_v1())
    assert [(o.kind, o.stride if o.kind != "pool" else 1, o.in_shape[0], o.in_shape[2], o.out_shape[2])
            for o in ops] == [(k, s, size, m, n) for k, s, _, m, n, size in TABLE1]
    for op, row in zip(ops, TABLE1):
        macs, params = paper_cost(*row)
        assert (op.name, op.macs, op.weights) == (op.name, macs, params)


def test_per_type_counts_and_table2_shares():
    ops = compute_ops(mobilenet_v1())
    macs = {k: 0 for k in ("conv", "dw", "pw", "fc")}
    params = dict(macs)
    for k, s, dk, m, n, size in TABLE1:
        if k != "pool":
            a, p = paper_cost(k, s, dk, m, n, size)
            macs[k] += a
            params[k] += p
    for kind in macs:
        assert sum(o.macs for o in ops if o.kind == kind) == macs[kind]
        assert sum(o.weights for o in ops if o.kind == kind) == params[kind]
    total_macs = sum(macs.values())
    total_params = sum(params.values()) + 1000  # the paper's 4.2 M counts the FC bias
    assert round(total_macs / 1e6) == 569 and round(total_params / 1e5) == 42  # Table 1 caption / Table 8
    # Table 2 (percent of mult-adds, of parameters). Its "Conv 3x3: 1.19 %" mult-adds is a digit transposition:
    # the other three rows leave 100 - 94.86 - 3.06 - 0.18 = 1.90 %, and 10.84 M / 568.7 M = 1.91 %.
    table2 = {"pw": (94.86, 74.59), "dw": (3.06, 1.06), "conv": (1.91, 0.02), "fc": (0.18, 24.33)}
    for kind, (pct_macs, pct_params) in table2.items():
        assert 100 * macs[kind] / total_macs == pytest.approx(pct_macs, abs=0.006)
        assert 100 * params[kind] / total_params == pytest.approx(pct_params, abs=0.025)


@pytest.mark.parametrize("alpha,resolution", [(0.25, 128), (0.5, 160), (0.75, 192), (1.0, 224)])
def test_width_and_resolution_multipliers(alpha, resolution):
    """Eq. 6: D_K*D_K*aM*rD_F*rD_F + aM*aN*rD_F*rD_F, with aM = int(M*alpha) and rD_F = D_F*resolution/224."""
    ops = compute_ops(mobilenet_v1(alpha=alpha, resolution=resolution))
    for op, row in zip(ops, TABLE1):
        assert (op.macs, op.weights) == paper_cost(*scaled(row, alpha, resolution)), op.name


def test_full_conv_and_shallow_variants_table4_and_5():
    """Table 4: a standard 3x3 conv in place of each dw+pw pair costs 4866 M mult-adds, 29.3 M parameters.
    Table 5: removing the five 14x14x512 blocks leaves 307 M mult-adds (2.9 M parameters)."""
    full = compute_ops(mobilenet_v1(variant="full-conv"))
    expected_macs = expected_params = 0
    for k, s, dk, m, n, size in TABLE1:
        if k == "dw":
            stride, dw_in = s, m
            continue
        if k == "pw":  # the dw (stride, 3x3, M) and pw (M -> N) pair becomes one 3x3 conv M -> N
            a, p = paper_cost("conv", stride, 3, dw_in, n, size * stride)
        else:
            a, p = paper_cost(k, s, dk, m, n, size)
        expected_macs += a
        expected_params += p
    assert sum(o.macs for o in full) == expected_macs
    assert sum(o.weights for o in full) == expected_params
    # The equations give 4867.3 M; the paper prints 4866 M (0.03 % lower, its rounding of the same sum).
    assert expected_macs == pytest.approx(4866e6, rel=3e-4) and round((expected_params + 1000) / 1e5) == 293
    shallow = compute_ops(mobilenet_v1(variant="shallow"))
    rows = TABLE1[:13] + TABLE1[23:]
    assert sum(o.macs for o in shallow) == sum(paper_cost(*r)[0] for r in rows)
    assert round(sum(paper_cost(*r)[0] for r in rows) / 1e6) == 307


def _lower(*layers):
    g = Graph("t")
    g.add("input", Input(shape=(4, 4, 3)))
    for i, layer in enumerate(layers):
        g.add(f"l{i}", layer)
    return compute_ops(g.validate())


@pytest.mark.parametrize("layers,name", [
    ((BatchNorm(),), "l0"),                                                      # nothing to fold into
    ((Conv2D(kernel=3, stride=1, filters=4), BatchNorm(), BatchNorm()), "l2"),   # a second BN
    ((Conv2D(kernel=3, stride=1, filters=4), ReLU6(), BatchNorm()), "l2"),       # BN after the activation
])
def test_batchnorm_must_directly_follow_a_conv(layers, name):
    with pytest.raises(HwgenError, match=f"layer '{name}': batchnorm must directly follow a conv or dense layer"):
        _lower(*layers)


def test_non_square_pool_cycles_count_every_pixel():
    """Pool on the PW engine's tin adders: one cycle per input pixel and tin-channel group, + POOL_DEPTH 3."""
    pool = ComputeOp("p", "pool", (5, 3, 8), (1, 1, 8), 5, 1, (0, 0), None, False, ("p",))
    step = Step((pool,))
    assert pw_band_cycles(step, 1, 8, EngineConfig(4, 1, 1, 1)) == 5 * 3 * 2 + 3


@pytest.mark.parametrize("layers,name", [
    ((ReLU6(),), "l0"),                                                              # nothing to activate
    ((Conv2D(kernel=3, stride=1, filters=4), ReLU6(), ReLU6()), "l2"),               # twice
    ((Conv2D(kernel=3, stride=1, filters=4), GlobalAvgPool(), ReLU6()), "l2"),       # after the pool
])
def test_relu6_must_follow_a_conv_or_dense(layers, name):
    with pytest.raises(HwgenError, match=f"layer '{name}': relu6 must follow a conv, dense or batchnorm layer"):
        _lower(*layers)


def test_lowering_records_the_fused_layers():
    (op,) = _lower(Conv2D(kernel=3, stride=2, filters=4), BatchNorm(), ReLU6())
    assert (op.kind, op.bn, op.relu6, op.layers) == ("conv", "l1", True, ("l0", "l1", "l2"))
    assert (op.in_shape, op.out_shape, op.stride, op.pad) == ((4, 4, 3), (2, 2, 4), 2, (0, 0))
