"""Random small networks and random mappings of them (hypothesis strategies), shared by the plan property test
(tests/test_rtl_codegen.py, every example) and the cocotb run of a few of them (rtl_tests/test_random_mappings.py).

A mapping is what ``hwgen estimate`` prints for the drawn HwConfig (PE budget, weights placement, DRAM bandwidth,
band height, input pixels per beat), optionally with its PW-engine weights forced into output-channel tiles (what
the mapper does when a layer does not fit a weight slot) and with every feature map larger than the input (or
larger than the logits: the input too) in DRAM, streamed in bands (what the mapper does when the maps do not fit
the board); these nets are too small to need either."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from hypothesis import strategies as st

from hwgen.build import Design, HwConfig, build
from hwgen.mapping.plan import with_fmaps_in_dram, with_weight_tiles
from rtl_tests.harness import net


@dataclass(frozen=True)
class Case:
    shape: tuple[int, int, int]
    layers: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...]
    pe: int
    weights: str
    dram_gbps: float | None
    band_rows: int | None
    weight_tiles: int | None
    tile_band_rows: int | None
    fmap_band_rows: int | None = None  # maps larger than the input in DRAM, in bands of this height
    pixels_per_beat: int = 1
    input_in_dram: bool = False  # with fmap_band_rows: the network input in DRAM too (the limit is the logits')

    def design(self) -> Design:
        g = net("rand_net", self.shape, [(n, k, dict(kw)) for n, k, kw in self.layers])
        d = build(g, HwConfig(pe=self.pe, weights=self.weights, dram_gbps=self.dram_gbps, band_rows=self.band_rows,
                              pixels_per_beat=self.pixels_per_beat))
        if self.weight_tiles is not None and d.mapping.weights_in_dram:
            d.mapping = with_weight_tiles(d.mapping, self.weight_tiles, self.tile_band_rows)
        if self.fmap_band_rows is not None:
            # the logits stay on chip (the plan sizes fmap_a/b for the maps within the limit), the input too unless
            # it is drawn into DRAM (when it is larger than the logits)
            logits = int(np.prod(d.ops[-1].out_shape))
            limit = logits if self.input_in_dram else max(int(np.prod(d.ops[0].in_shape)), logits)
            d.mapping = with_fmaps_in_dram(d.mapping, limit, self.fmap_band_rows)
        return d


@st.composite
def cases(draw: st.DrawFn) -> Case:
    shape = (draw(st.integers(3, 9)), draw(st.integers(3, 9)), draw(st.integers(1, 3)))
    layers: list[tuple[str, str, tuple[tuple[str, int], ...]]] = [
        ("conv1", "conv", (("filters", draw(st.integers(2, 8))), ("kernel", 3), ("stride", draw(st.integers(1, 2)))))]
    for i in range(draw(st.integers(1, 2))):
        layers.append((f"dw{i}", "dw", (("stride", draw(st.integers(1, 2))),)))
        if draw(st.booleans()):
            layers.append((f"pw{i}", "pw", (("filters", draw(st.integers(2, 12))),)))
    if draw(st.booleans()):
        layers += [("gap", "pool", ()), ("fc", "fc", (("units", draw(st.integers(2, 6))),))]
    weights = draw(st.sampled_from(["auto", "dram", "dram", "onchip"]))
    tiles = draw(st.sampled_from([None, 2, 3, 4])) if weights == "dram" else None
    case = Case(shape, tuple(layers), draw(st.integers(6, 48)), weights,
                draw(st.sampled_from([None, 0.2, 1.0])), draw(st.one_of(st.none(), st.integers(1, 4))),
                tiles, draw(st.one_of(st.none(), st.integers(1, 3))) if tiles else None,
                draw(st.one_of(st.none(), st.integers(1, 3))), draw(st.sampled_from([1, 1, 2, 3, 5])))
    if case.fmap_band_rows is not None and draw(st.booleans()):
        case = replace(case, input_in_dram=True)
    return case
