"""MobileNet v1 counts against the paper, scaling laws, variants and tiny nets."""
import math

import pytest

from hwgen import compute_ops
from hwgen.errors import HwgenError
from hwgen.models.analyze import analyze
from hwgen.models.zoo import ZOO, get_model, mobilenet_v1
from mobilenet_paper import TABLE1, paper_totals


def test_mobilenet_v1_paper_counts():
    r = analyze(mobilenet_v1())
    # Both totals are the paper's Table 1 summed row by row with its cost equations (tests/mobilenet_paper.py);
    # the report must agree with them and with the compute ops it summarises, plus the FC bias.
    ops = compute_ops(mobilenet_v1())
    macs, weights = paper_totals()
    assert r.total["macs"] == sum(o.macs for o in ops) == macs and round(macs / 1e6) == 569  # paper: 569 M
    assert r.total["params"] == sum(o.weights for o in ops) + 1000 == weights + 1000  # paper: 4.2 M
    assert round(r.total["params"] / 1e5) == 42
    assert r.shares["pointwise"]["macs"] == pytest.approx(0.9486, abs=5e-4)  # paper: 94.86 %
    assert r.shares["pointwise"]["params"] == pytest.approx(0.7457, abs=5e-4)  # paper: 74.59 %
    assert r.shares["depthwise"]["macs"] == pytest.approx(0.0306, abs=5e-4)  # paper: 3.06 %
    assert r.shares["fc"]["params"] == pytest.approx(0.2435, abs=5e-4)  # paper: 24.33 %
    # 1 input + conv + 13*(dw, bn, relu, pw, bn, relu) + conv bn relu + pool, fc, softmax
    assert len(mobilenet_v1()) == 1 + 3 + 13 * 6 + 3
    assert r.layers[-3].out_shape == (1, 1, 1024) and r.layers[-1].out_shape == (1, 1, 1000)


@pytest.mark.parametrize("alpha,resolution,macs_m,params_m", [
    # Howard et al. Tables 6 and 7 (mult-adds in millions, parameters in millions)
    (0.75, 224, 325, 2.6), (0.5, 224, 149, 1.3), (0.25, 224, 41, 0.5),
    (1.0, 192, 418, 4.2), (1.0, 160, 290, 4.2), (1.0, 128, 186, 4.2),
])
def test_paper_tables(alpha, resolution, macs_m, params_m):
    r = analyze(mobilenet_v1(alpha=alpha, resolution=resolution))
    assert r.total["macs"] / 1e6 == pytest.approx(macs_m, rel=0.01)
    assert r.total["params"] / 1e6 == pytest.approx(params_m, abs=0.06)


def test_scaling_laws():
    base = analyze(mobilenet_v1()).total
    half = analyze(mobilenet_v1(alpha=0.5)).total
    # α² for the 1x1 convs exactly; depthwise and FC scale with α, so the totals sit a little above 1/4.
    pw = [(a.macs, b.macs) for a, b in zip(analyze(mobilenet_v1()).layers, analyze(mobilenet_v1(alpha=0.5)).layers)
          if a.op == "pointwise"]
    assert all(h * 4 == f for f, h in pw)
    assert 0.25 < half["macs"] / base["macs"] < 0.27  # paper: 149 / 569
    assert 0.25 < half["params"] / base["params"] < 0.35
    r160 = analyze(mobilenet_v1(resolution=160)).total
    assert r160["macs"] / base["macs"] == pytest.approx((160 / 224) ** 2, rel=0.01)
    assert r160["params"] == base["params"]  # independent of ρ


def test_variants_match_paper():
    shallow = analyze(mobilenet_v1(variant="shallow")).total
    full = analyze(mobilenet_v1(variant="full-conv")).total
    shallow_macs = paper_totals(rows=TABLE1[:13] + TABLE1[23:])[0]  # Table 1 without the five 14x14x512 blocks
    assert shallow["macs"] == shallow_macs and round(shallow_macs / 1e6) == 307  # paper Table 5: 307 M
    assert shallow["params"] / 1e6 == pytest.approx(2.9, abs=0.05)
    assert full["macs"] / 1e6 == pytest.approx(4866, rel=0.001)  # paper Table 4: 4866 M
    assert full["params"] / 1e6 == pytest.approx(29.3, abs=0.05)


def test_any_multiple_of_32_and_alpha():
    g = mobilenet_v1(alpha=0.3, resolution=96)
    assert g.input_shape == (96, 96, 3)
    assert [o.out_shape for o in compute_ops(g)][-1] == (1, 1, 1000)
    assert compute_ops(g)[1].out_shape == (48, 48, int(32 * 0.3))


@pytest.mark.parametrize("kwargs,msg", [
    ({"alpha": 0}, "alpha"), ({"alpha": 1.5}, "alpha"), ({"resolution": 100}, "resolution"),
    ({"resolution": -32}, "resolution"), ({"variant": "deep"}, "variant"),
])
def test_bad_model_arguments(kwargs, msg):
    with pytest.raises(HwgenError, match=msg):
        mobilenet_v1(**kwargs)


def test_tiny_nets_are_depthwise_separable():
    expected_ops = {"tiny_dsc": 9, "tiny_dsc4": 11, "tiny_odd": 7}
    for name, n in expected_ops.items():
        ops = compute_ops(get_model(name))
        assert len(ops) == n
        kinds = [o.kind for o in ops]
        assert kinds[0] == "conv" and kinds[-2:] == ["pool", "fc"]
        assert kinds.count("dw") == kinds.count("pw") >= 2
    odd = compute_ops(get_model("tiny_odd"))
    assert odd[0].in_shape == (15, 15, 3) and odd[0].pad == (1, 1)
    assert odd[1].out_shape == (4, 4, 6) and odd[1].pad == (0, 0)
    assert set(ZOO) >= {"mobilenet_v1", "tiny_dsc", "tiny_dsc4", "tiny_odd"}


def test_fixed_shape_models_reject_scaling():
    with pytest.raises(HwgenError, match="fixed shape"):
        get_model("tiny_dsc", alpha=0.5)


def test_activations_total():
    r = analyze(get_model("tiny_dsc"))
    # input 16*16*3 + conv 8*8*8 + (dw 8*8*8 + pw 8*8*16) + (dw 4*4*16 + pw 4*4*32) + (dw + pw 4*4*32) + pool 32 + fc 10
    expected = 768 + 512 + 512 + 1024 + 256 + 512 + 512 + 512 + 32 + 10
    assert r.total["activations"] == expected
    assert math.isclose(sum(r.shares[c]["macs"] for c in r.shares), 1.0)
