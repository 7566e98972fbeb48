"""The feature-memory bank layout (hwgen/hw/contract.py, "Feature-memory banks"), checked by enumeration: every
DW cycle's taps in distinct banks, every run of <= word codes of one row one run per bank, bank 0 the fullest."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.hw import contract as hw


@pytest.mark.parametrize("kernel,tk,grid", [(3, 1, (1, 1)), (3, 2, (1, 3)), (3, 3, (1, 3)), (3, 4, (3, 3)),
                                            (3, 9, (3, 3)), (5, 5, (1, 5)), (5, 7, (5, 5)), (1, 1, (1, 1))])
def test_bank_grid(kernel, tk, grid):
    assert hw.bank_grid(kernel, tk) == grid


def test_bank_grid_over_splits():
    br, bc = hw.bank_grid(3, np.array([1, 2, 3, 4, 9]))
    assert br.tolist() == [1, 1, 1, 3, 3] and bc.tolist() == [1, 3, 3, 3, 3]


@pytest.mark.parametrize("kernel,tk", [(3, 2), (3, 3), (3, 4), (3, 9), (5, 3), (5, 5), (5, 12), (5, 25)])
@pytest.mark.parametrize("stride,pad", [(1, 1), (2, 0), (2, 1)])
def test_every_cycles_taps_are_in_distinct_banks(kernel, tk, stride, pad):
    """The DW engine's tap groups (taps g*TK .. g*TK+TK-1 of the window in raster order): for every output pixel
    of a 9 x 10 map, the in-map taps of one group read distinct banks."""
    h, w = 9, 10
    grid = hw.bank_grid(kernel, tk)
    groups = -(-kernel * kernel // tk)
    for oy, ox, g in itertools.product(range((h + 2 * pad - kernel) // stride + 1),
                                       range((w + 2 * pad - kernel) // stride + 1), range(groups)):
        banks = []
        for tap in range(g * tk, min((g + 1) * tk, kernel * kernel)):
            ky, kx = divmod(tap, kernel)
            y, x = oy * stride - pad + ky, ox * stride - pad + kx
            if 0 <= y < h and 0 <= x < w:
                banks.append(hw.pixel_bank(y, x, grid))
        assert len(set(banks)) == len(banks), (oy, ox, g, banks)


@pytest.mark.parametrize("grid", [(1, 1), (1, 3), (3, 3)])
@pytest.mark.parametrize("h,w,c,word", [(7, 7, 8, 13), (5, 10, 3, 9), (4, 14, 16, 9), (6, 8, 32, 12)])
def test_rows_are_runs_in_each_bank_and_bank_zero_is_the_fullest(grid, h, w, c, word):
    """Bank elements (bank_pixel * C + c) are distinct per bank, a run of <= word consecutive codes of one row is
    one run of consecutive elements in each bank it touches (<= 2 words: the bank's two ports), and the words
    of the fullest bank are bank_words."""
    where = {}
    for y, x, ch in itertools.product(range(h), range(w), range(c)):
        where[(y, x, ch)] = (hw.pixel_bank(y, x, grid), hw.bank_element(y, x, ch, w, c, grid))
    assert len(set(where.values())) == len(where)
    top = {}
    for b, e in where.values():
        top[b] = max(top.get(b, -1), e)
    assert max(-(-(e + 1) // word) for e in top.values()) == hw.bank_words(h, w, c, word, grid) == \
        -(-(top[0] + 1) // word)
    for y in range(h):
        row = [where[(y, x, ch)] for x in range(w) for ch in range(c)]
        for start in range(len(row)):
            run = row[start:start + word]
            for b in {bb for bb, _ in run}:
                els = sorted(e for bb, e in run if bb == b)
                assert els == list(range(els[0], els[0] + len(els)))
                assert els[-1] // word - els[0] // word <= 1


@pytest.mark.parametrize("grid", [(1, 3), (3, 3), (1, 5)])
@pytest.mark.parametrize("w", [1, 2, 4, 5, 6, 7, 11])
def test_an_input_beat_gives_each_bank_one_run_of_at_most_its_pixels_slots(grid, w):
    """P consecutive raster pixels (an input beat, rows crossed included, any P): in each bank they touch, the bank
    pixels from the first to the last span <= P slots (a row end's unused slots included), so <= P*C <= word
    codes: one packer append (hw.contract "Feature-memory banks"); for P <= BC there is no unused slot inside."""
    h = 9
    raster = [(y, x) for y in range(h) for x in range(w)]

    def slots(pixels):  # per bank: (slots from its first pixel to its last, its pixels)
        out = []
        for b in {hw.pixel_bank(y, x, grid) for y, x in pixels}:
            ps = [hw.bank_pixel(y, x, w, grid) for y, x in pixels if hw.pixel_bank(y, x, grid) == b]
            out.append((ps[-1] - ps[0] + 1, len(ps)))
        return out

    for p in range(1, 2 * grid[0] * w + 2):
        assert all(s <= p for i in range(len(raster) - p + 1) for s, _ in slots(raster[i:i + p])), p
    for p in range(1, min(grid[1], w) + 1):
        assert all(s == n for i in range(len(raster) - p + 1) for s, n in slots(raster[i:i + p])), p
    if grid == (1, 3) and w == 4:  # bank 1 holds column 1 only: (0, 1) and (1, 1), 5 pixels apart, 2 slots apart
        assert (3, 2) in slots(raster[1:6])


def _beat_spans(word, w, c, grid, rows, bank_pixel=hw.bank_pixel):
    """Every DMA beat (``word`` consecutive codes of a dense ``rows`` x w x c map, from every code): per bank, the
    bank elements from its first code in the beat to its last, computed pixel by pixel from ``bank_pixel``."""
    codes = [(y, x, ch) for y in range(rows) for x in range(w) for ch in range(c)]
    for s0 in range(len(codes) - word + 1):
        spans: dict[int, list[int]] = {}
        for y, x, ch in codes[s0:s0 + word]:
            e = bank_pixel(y, x, w, grid) * c + ch
            lo_hi = spans.setdefault(hw.pixel_bank(y, x, grid), [e, e])
            lo_hi[0], lo_hi[1] = min(lo_hi[0], e), max(lo_hi[1], e)
        yield s0, {b: hi - lo + 1 for b, (lo, hi) in spans.items()}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([(1, 3), (3, 3), (1, 5), (5, 5), (2, 2)]), st.integers(1, 11), st.integers(1, 9),
       st.integers(1, 40))
def test_a_dma_beat_gives_each_bank_one_run_of_at_most_a_word(grid, w, c, word):
    """The DMA's in_band scatter (hw.contract "Feature-memory banks"): a beat of ``word`` codes from any code of
    the band gives each bank elements within a span of <= word, one packer append; what let the RTL plan drop
    its per-map check."""
    rows = 2 * grid[0] + 1
    assert all(n <= word for _, spans in _beat_spans(word, w, c, grid, rows) for n in spans.values())


def test_the_dma_beat_bound_is_tight_and_the_enumeration_catches_a_longer_row_stride():
    """The bound is met with equality (bank 0 of a 4-pixel row in 1 x 3 banks holds (y, 3) and (y + 1, 0), one
    slot apart: a beat of exactly their codes is one run of word elements), and the enumeration fails on a layout
    that breaks the lemma: a row stride one slot longer than bank 0's puts those pixels two slots apart."""
    grid, w, c, word = (1, 3), 4, 2, 4
    assert max(max(sp.values()) for _, sp in _beat_spans(word, w, c, grid, 3)) == word

    def long_stride(y, x, width, g):
        return (y // g[0]) * (-(-width // g[1]) + 1) + x // g[1]
    bad = [s0 for s0, sp in _beat_spans(word, w, c, grid, 3, long_stride) if max(sp.values()) > word]
    assert bad == [5, 6, 7, 13, 14, 15]  # the beats across (0, 3) -> (1, 0) and (1, 3) -> (2, 0): up to 6 for 4 codes


def test_one_bank_is_the_dense_map():
    assert hw.bank_words(64, 64, 8, 13, (1, 1)) == -(-64 * 64 * 8 // 13) == 2521
    assert hw.bank_pixel(3, 5, 64, (1, 1)) == 3 * 64 + 5 and hw.pixel_bank(3, 5, (1, 1)) == 0
    # 1 x 3 banks of a 64-wide map: 22 columns per bank row (bank 1 and 2 have 21, their last slot unused)
    assert hw.bank_words(64, 64, 8, 13, (1, 3)) == -(-64 * 22 * 8 // 13) == 867
    assert (hw.pixel_bank(3, 5, (1, 3)), hw.bank_pixel(3, 5, 64, (1, 3))) == (2, 3 * 22 + 1)
    assert (hw.pixel_bank(4, 5, (3, 3)), hw.bank_pixel(4, 5, 64, (3, 3))) == (1 * 3 + 2, 1 * 22 + 1)


# --- the banked memory plan (hwgen.mapping.plan.buffer_slots) on test_oracle_memory's network ----------------------

def test_banked_plan_of_the_oracle_network():
    """TK = 3 on 3x3 kernels: a 1 x 3 grid. All on-chip: fmap_a/fmap_b are 3 banks of the largest map's bank 0,
    p1's 4 x 5 x 15 (2 of 5 columns per bank row: 4 * 2 * 15 = 120 codes = 24 words of 5); the ping-pong
    (DW writes, PW reads) stays one memory."""
    from test_oracle_memory import AB, CFG, STEPS, WB, _tiles

    from hwgen.mapping.plan import buffer_banks, plan_buffers

    tiles = _tiles(10**9)
    assert buffer_banks(STEPS, tiles, CFG) == ((1, 3), (1, 1))
    bufs = {b.name: b for b in plan_buffers(STEPS, tiles, CFG, False, 10**9, AB, WB)}
    assert (bufs["fmap_a"].banks, bufs["fmap_a"].depth) == (bufs["fmap_b"].banks, bufs["fmap_b"].depth) == (3, 24)
    assert (bufs["dw_pw_pingpong"].banks, bufs["dw_pw_pingpong"].depth) == (1, 72)
    assert all(b.banks == 1 for k, b in bufs.items() if not k.startswith("fmap"))


def test_banked_plan_with_the_dw_inputs_in_dram():
    """At fmap limit 239 both DW steps read their input from DRAM: in_band is banked, fmap_a/fmap_b (which no DW
    step reads) are not. One in_band half per bank holds the tallest input band's bank 0: d1's 4 rows x 2
    columns x 12 = 96 codes = 20 words (d2: 3 x 2 x 15 = 90 -> 18; c0: 5 rows x 4 x 3 = 60 -> 12), written by
    pixel from element 0, so without the dense half's extra word."""
    from test_oracle_memory import AB, CFG, STEPS, WB, _tiles

    from hwgen.mapping.plan import buffer_banks, plan_buffers

    tiles = _tiles(239)
    assert buffer_banks(STEPS, tiles, CFG) == ((1, 1), (1, 3))
    bufs = {b.name: b for b in plan_buffers(STEPS, tiles, CFG, False, 239, AB, WB)}
    assert (bufs["in_band"].banks, bufs["in_band"].depth) == (3, 2 * 20)
    assert bufs["fmap_a"].banks == bufs["out_band"].banks == 1


def test_placement_counts_every_bank():
    """A buffer of B banks takes B times one bank's blocks, in BRAM36 or URAM."""
    from hwgen.hw.boards import get_board
    from hwgen.mapping.plan import Buffer, bram36_equivalent, place_buffers

    placed = place_buffers([Buffer("fmap_a", 1733, 104, banks=3), Buffer("w", 4096, 72)], get_board("pynq-z2"))
    # 1733 x 104: 3 x 36-bit x 2 x 1024 deep = 6 RAMB36 per bank; pynq-z2 has no URAM
    assert [(b.memory, b.blocks, b.banks) for b in placed] == [("bram", 18, 3), ("bram", 8, 1)]
    assert bram36_equivalent(placed) == 26 and placed[0].bits == 3 * 1733 * 104


@pytest.mark.parametrize("name,kw,pe,split,grid,banked", [
    # 9x5,2x9: 9 banks of conv_pw_1's 16 x 16 x 16 output (the largest map): 6 x 6 x 16 = 576 codes = 64 words of
    # 9 (the 32 x 32 x 3 input: 11 x 11 x 3 = 363 codes, 41 words); one dense map would be 16 * 16 * 16 / 9 -> 456
    ("tiny_dsc4", {}, 64, "9x5,2x9", (3, 3), (9, 64, 50, 0)),
    # 13x8,8x3: 3 banks of conv_dw_2's 64 x 64 x 16 input: 64 x 22 x 16 = 22,528 codes = 1733 words of 13
    ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, 128, "13x8,8x3", (1, 3), (3, 1733, 49, 24)),
])
def test_banked_figure_of_mapped_designs(name, kw, pe, split, grid, banked):
    """map_network's mappings: the split, the fmap buffers' banks and per-bank depth, and the placed plan's
    (BRAM36, URAM)."""
    from hwgen.ir.ops import compute_ops
    from hwgen.mapping.plan import buffer_banks, format_split
    from hwgen.mapping.search import map_network
    from hwgen.models.zoo import get_model

    m = map_network(compute_ops(get_model(name, **kw)), pe)
    assert format_split(m.cfg) == split
    assert buffer_banks(m.steps, m.tiles, m.cfg).fmap == grid
    banks, depth, bram, uram = banked
    fa = next(b for b in m.buffers if b.name == "fmap_a")
    assert (fa.banks, fa.depth) == (banks, depth)
    assert (m.bram36, m.uram) == (bram, uram)


def test_five_pixels_per_beat_bank_fmap_a_as_counted():
    """The split 43x43,45x9 (mobilenet_v1 on zcu104, --pe 3456 --clock-mhz 300 --pixels-per-beat 5; forced: the
    mapper's LUT budget now keeps it smaller, hwgen.hw.resources): the input
    stream's 5 pixels per beat exceed BC = 3, and fmap_a / fmap_b are still the plan's banks (before, one dense
    bank, which the RTL read from per-tap copies the plan did not count). TK = 9 gives 3 x 3 banks (conv1's
    window then one run, hw.contract.conv_rows): conv_pw_1's 112 x 112 x 64 output in 38 x 38 bank pixels,
    92,416 codes = 2,054 words of 45 per bank; 311 BRAM36 + 90 URAM."""
    from hwgen.build import HwConfig, build
    from hwgen.mapping.plan import buffer_banks, format_split

    m = build("mobilenet_v1", HwConfig(pe=3456, board="zcu104", clock_mhz=300.0, pixels_per_beat=5,
                                       split="43x43,45x9")).estimate().mapping
    assert format_split(m.cfg) == "43x43,45x9" and m.pixels_per_beat == 5
    assert buffer_banks(m.steps, m.tiles, m.cfg).fmap == (3, 3)
    fa = next(b for b in m.buffers if b.name == "fmap_a")
    assert (fa.banks, fa.depth, fa.width) == (9, 2054, 45 * 8) == (9, hw.bank_words(112, 112, 64, 45, (3, 3)), 360)
    assert (m.bram36, m.uram) == (311, 90)


@st.composite
def _mappings(draw):
    """A small random network mapped by map_network (its split's TK drawn among 1, K, K*K), maybe with the maps
    above a drawn limit streamed from DRAM in bands."""
    from rtl_tests.harness import net

    from hwgen.ir.ops import compute_ops
    from hwgen.mapping.plan import parse_split, with_fmaps_in_dram
    from hwgen.mapping.search import map_network

    h, w, c = draw(st.integers(3, 11)), draw(st.integers(3, 11)), draw(st.integers(1, 3))
    layers = [("conv1", "conv", {"filters": draw(st.integers(2, 9)), "kernel": 3, "stride": draw(st.integers(1, 2))})]
    for i in range(draw(st.integers(1, 3))):
        layers.append((f"dw{i}", "dw", {"stride": draw(st.integers(1, 2))}))
        if draw(st.booleans()):
            layers.append((f"pw{i}", "pw", {"filters": draw(st.integers(2, 12))}))
    ops = compute_ops(net("rand_net", (h, w, c), layers))
    split = parse_split(f"{draw(st.integers(1, 5))}x{draw(st.integers(1, 5))},{draw(st.integers(1, 4))}x"
                        f"{draw(st.sampled_from([1, 3, 9]))}")
    m = map_network(ops, split.pe, split=split, pixels_per_beat=draw(st.integers(1, 6)))
    if draw(st.booleans()):  # the logits stay on chip (the plan sizes fmap_a/b for the maps within the limit)
        logits = int(np.prod(ops[-1].out_shape))
        m = with_fmaps_in_dram(m, draw(st.integers(logits, max(logits, h * w * c))), draw(st.integers(1, 3)))
    return m


@settings(max_examples=40, deadline=None)
@given(_mappings())
def test_banked_depths_are_the_largest_bank_of_every_map_held(m):
    """The banked plan's fmap_a/fmap_b and in_band depths against an enumeration of every map (every input band)
    each buffer holds, pixel by pixel through pixel_bank / bank_element: the fullest bank's words."""
    from hwgen.hw.steps import bands_of, input_row_range
    from hwgen.mapping.plan import buffer_banks, tensor_elems

    grids = buffer_banks(m.steps, m.tiles, m.cfg)
    bufs = {b.name: b for b in m.buffers}
    word = hw.feature_word(m.cfg, m.steps[0].first.in_shape[2], m.pixels_per_beat)

    def words(rows, w, c, grid):
        top: dict[int, int] = {}
        for y, x in itertools.product(range(rows), range(w)):
            b = hw.pixel_bank(y, x, grid)
            top[b] = max(top.get(b, 0), hw.bank_element(y, x, c - 1, w, c, grid) + 1)
        return max(-(-e // word) for e in top.values())

    shapes = [m.steps[0].first.in_shape] + [s.last.out_shape for s in m.steps]
    onchip = [s for s, t in zip(shapes, tensor_elems(m.steps)) if t <= m.fmap_limit]
    fa = bufs["fmap_a"]
    assert fa.banks == grids.fmap[0] * grids.fmap[1]
    assert fa.depth == max(words(h, w, c, grids.fmap) for h, w, c in onchip)
    staged = [s for s in m.steps if m.tiles[s.name].in_dram]
    if staged:
        half = 0
        for s in staged:
            _, w, c = s.first.in_shape
            r0 = 0
            for rows in bands_of(s, m.tiles[s.name]):
                lo, hi = input_row_range(s.first, r0, r0 + rows)
                half = max(half, words(hi - lo, w, c, grids.in_band))
                r0 += rows
        ib = bufs["in_band"]
        assert (ib.banks, ib.depth) == (grids.in_band[0] * grids.in_band[1],
                                        2 * (half + (grids.in_band == (1, 1))))
    else:
        assert "in_band" not in bufs
