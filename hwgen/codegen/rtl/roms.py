"""The RTL's tables whose length grows with the mapping (weight loads, DMA transfers, steps, tiles, ops): ROM images.

A table was a Verilog ``case`` in an ``always @*`` block, one entry per row; a huge mapping (tens of thousands of
tiles) made that Verilog too large to render or lint. Each is now one ``$readmemh`` image ``hwgen_<name>.mem`` of
one word per row, its fields packed LSB first (:attr:`Rom.fields` order), read combinationally by
templates/rtl/rom.j2 (same cycle as the case was, so no cycle moves). The field widths are the registers' the case
drove (plan.counter_widths, address / beat widths).
"""
from __future__ import annotations

from dataclasses import dataclass

from hwgen.codegen.rtl.plan import RtlPlan, sel_bits
from hwgen.errors import HwgenError


@dataclass(frozen=True)
class Field:
    name: str
    bits: int
    signed: bool = False


@dataclass(frozen=True)
class Rom:
    name: str  # file hwgen_<name>.mem, array <name>_rom
    fields: tuple[Field, ...]
    rows: tuple[tuple[int, ...], ...]
    default: tuple[int, ...]  # what the case's default gave (an index past the last row)

    @property
    def file(self) -> str:
        return f"hwgen_{self.name}.mem"

    @property
    def width(self) -> int:
        return sum(f.bits for f in self.fields)

    @property
    def depth(self) -> int:
        return max(1, len(self.rows))

    @property
    def abits(self) -> int:
        return sel_bits(self.depth)

    def offset(self, name: str) -> int:
        """LSB of field ``name`` in a word."""
        at = 0
        for f in self.fields:
            if f.name == name:
                return at
            at += f.bits
        raise KeyError(name)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    def pack(self, row: tuple[int, ...]) -> int:
        word, at = 0, 0
        for f, v in zip(self.fields, row, strict=True):
            if not (-(1 << (f.bits - 1)) <= v < (1 << f.bits) if f.signed else 0 <= v < (1 << f.bits)):
                raise HwgenError(f"RTL: {self.file} field {f.name!r}: {v:,} does not fit its {f.bits} bits")
            word |= (v & ((1 << f.bits) - 1)) << at
            at += f.bits
        return word

    @property
    def default_word(self) -> int:
        return self.pack(self.default)

    def image(self) -> str:
        """The $readmemh image: a comment naming the fields, then one hex word per row."""
        digits = max(1, -(-self.width // 4))
        head = "// " + " ".join(f"{f.name}[{f.bits}]" for f in reversed(self.fields)) + " (MSB first)\n"
        rows = self.rows or (self.default,)
        return head + "".join(f"{self.pack(r):0{digits}x}\n" for r in rows)


def qr_value(value: int, word: int) -> int:
    """Element address ``value`` as the templates' {32-bit word q, lane r} pair (qr_literal's bits)."""
    q, r = divmod(value, word)
    return (q & 0xFFFFFFFF) << sel_bits(word) | r


def rtl_roms(plan: RtlPlan) -> dict[str, Rom]:
    """The design's ROMs by name (only those whose table the design has)."""
    w, word = plan.widths, plan.word
    qrb = 32 + sel_bits(word)
    roms: list[Rom] = []
    if plan.dram:
        # weight loads: read at lc (is it empty, the loads with words before it) and at k_seq (its PW beats)
        lb = sel_bits(len(plan.loads) + 1)
        nz = 0
        rows = []
        for ld in plan.loads:
            rows.append((0 if ld.pw_words + ld.dw_words else 1, nz, ld.pw_beats))
            nz += 1 if ld.pw_words + ld.dw_words else 0
        roms.append(Rom("loads", (Field("zero", 1), Field("nz", lb), Field("pw_beats", 32)), tuple(rows), (1, 0, 0)))
    fd = plan.fdram
    fields = [Field("kind", 2), Field("bands", w.seq), Field("nt", w.seq), Field("ptiles", w.seq), Field("tiled", 1)]
    if fd:
        fields += [Field("rd", 1), Field("wr", 1), Field("rbase", w.seq), Field("wbase", w.seq)]
    rows = [(st.kind, st.bands, st.wtiles, st.pw_tiles, int(st.tiled)) +
            ((int(st.rd), int(st.wr), st.rbase, st.wbase) if fd else ()) for st in plan.steps]
    roms.append(Rom("steps", tuple(fields), tuple(rows), (0, 1, 1, 1, 0) + ((0, 0, 0, 0) if fd else ())))
    if plan.axi:
        fields = [Field("kind", 2), Field("seq", w.seq), Field("addr", 32), Field("beats", 32), Field("buf", 3),
                  Field("keep", word)]
        ds = plan.dma_scatters
        if ds:
            fields += [Field("codes", 32), Field("shape", 8)]
        rows = [(d.kind, d.seq, d.addr, d.beats, d.buf, 2 ** d.lane - 1) + ((d.codes, d.shape) if ds else ())
                for d in plan.dma]
        roms.append(Rom("dma", tuple(fields), tuple(rows), (0, (1 << w.seq) - 1, 0, 0, 0, 0) + ((0, 0) if ds else ())))
    if plan.has_pw:
        cw, ob = w.pw, sel_bits(len(plan.pw_ops))
        tout = plan.cfg.tout
        fields = (Field("op", ob), Field("rows", cw), Field("oys0", 32, True), Field("rowe0", qrb),
                  Field("opx0", qrb), Field("goe0", qrb), Field("yr0", 8), Field("oyr0", 8), Field("inbuf", 3),
                  Field("outbuf", 3), Field("go0", cw), Field("golast", cw), Field("wbase", sel_bits(plan.pw_wdepth)),
                  Field("bbase", sel_bits(len(plan.pw_brom))))
        rows = [(t.op, t.rows, t.in_row0, qr_value(t.in_e0, word), qr_value(t.out_e0 - t.go0 * tout, word),
                 qr_value(t.go0 * tout, word), t.in_yr, t.out_yr, t.in_buf, t.out_buf, t.go0, t.go0 + t.ngo - 1,
                 t.wbase, t.bbase) for t in plan.pw_tiles]
        roms.append(Rom("pw_tiles", fields, tuple(rows), (0, 1) + (0,) * 12))
    if plan.has_dw:
        cw, ob = w.dw, sel_bits(len(plan.dw_ops))
        fields = (Field("op", ob), Field("rows", cw), Field("oys0", 32, True), Field("rowe0", qrb),
                  Field("out0", qrb), Field("yr0", 8), Field("oyr0", 8), Field("inbuf", 3), Field("outbuf", 3))
        rows = [(t.op, t.rows, t.in_row0, qr_value(t.in_e0, word), qr_value(t.out_e0, word), t.in_yr, t.out_yr,
                 t.in_buf, t.out_buf) for t in plan.dw_tiles]
        roms.append(Rom("dw_tiles", fields, tuple(rows), (0, 1) + (0,) * 7))
    if plan.has_pool:
        fields = (Field("op", sel_bits(len(plan.pool_ops))), Field("inbuf", 3), Field("outbuf", 3))
        rows = [(t.op, t.in_buf, t.out_buf) for t in plan.pool_tiles]
        roms.append(Rom("pool_tiles", fields, tuple(rows), (0, 0, 0)))
    roms += _op_roms(plan)
    return {r.name: r for r in roms}


def _op_roms(plan: RtlPlan) -> list[Rom]:
    """Each engine's op table (its loop bounds, strides and bank geometry) and requantization, one row per op."""
    w, word, aw = plan.widths, plan.word, plan.act_width
    qrb, lanes = 32 + sel_bits(word), sel_bits(word) + 1

    def qr(v: int) -> int:
        return qr_value(v, word)

    requant = (Field("sh", 8, True), Field("lo", aw, True), Field("clamp_hi", aw, True))
    roms = []
    # the window's strides as (bank pixel element, bank column / row) steps, as the engines' comments say
    geometry = ("sxc", "sxc1", "sxr", "syw", "syw1", "syr", "padc", "padr", "wbc", "cyx", "br", "bc")
    gbits = {"sxr": 8, "syr": 8, "padr": 8, "br": 8, "bc": 8}

    def geo(e) -> tuple[int, ...]:
        bc, br = e.ig[1], e.ig[0]
        return (qr(e.s // bc * e.channels), qr((e.s // bc + 1) * e.channels), e.s % bc, qr(e.s // br * e.iwbc),
                qr((e.s // br + 1) * e.iwbc), e.s % br * bc, qr((-e.pad_l) // bc * e.channels), (-e.pad_l) % bc,
                qr(e.iwbc), qr(e.iwbc + e.channels), br * bc, bc)

    gfields = tuple(Field(n, gbits.get(n, qrb)) for n in geometry)
    gdefault = (0,) * 10 + (1, 1)
    window = (Field("s", 32, True), Field("padl", 32, True), Field("hi", 32, True), Field("wi", 32, True))
    if plan.has_pw:
        cw, tout = w.pw, plan.cfg.tout
        fields = ((Field("conv", 1), Field("m", cw), Field("ngi", cw), Field("wo", cw), Field("tbase", cw)) + window +
                  (Field("glast", cw),) + gfields +
                  (Field("ce", qrb), Field("n", qrb), Field("obr", 8), Field("obc", 8), Field("owbc", qrb),
                   Field("flx", cw), Field("nlast", lanes)) + requant)
        rows = [(int(e.kind == "conv"), e.m, e.inner_groups, e.wo, e.tbase, e.s, e.pad_l, e.hi, e.wi,
                 e.outer_groups - 1) + geo(e) +
                (qr(e.channels), qr(e.n), e.og[0] * e.og[1], e.og[1], qr(e.owbc),
                 e.flx if e.flx is not None else 2 ** cw - 1, e.n - (e.outer_groups - 1) * tout, e.shift, e.lo,
                 e.hi_clamp) for e in plan.pw_ops]
        default = (0, 1, 1, 1, 0, 1, 0, 1, 1, 0) + gdefault + (0, 0, 1, 1, 0, 2 ** cw - 1, 0, 0, 0, 0)
        roms += _shifts(plan, "pw", fields, rows, default, tout, cw)
        if plan.pw_table:
            roms.append(_im2col(plan, qrb))
    if plan.has_dw:
        cw, tc = w.dw, plan.cfg.tc
        fields = ((Field("c", cw), Field("ngi", cw), Field("ngo", cw), Field("wo", cw), Field("tbase", cw)) + window +
                  gfields +
                  (Field("ce", qrb), Field("obr", 8), Field("obc", 8), Field("owbc", qrb),
                   Field("flx", cw), Field("clast", lanes), Field("wbase", sel_bits(plan.dw_wdepth)),
                   Field("bbase", sel_bits(len(plan.dw_brom)))) + requant)
        rows = [(e.channels, e.inner_groups, e.outer_groups, e.wo, e.tbase, e.s, e.pad_l, e.hi, e.wi) + geo(e) +
                (qr(e.channels), e.og[0] * e.og[1], e.og[1], qr(e.owbc),
                 e.flx if e.flx is not None else 2 ** cw - 1, e.channels - (e.outer_groups - 1) * tc, e.wbase,
                 e.bbase, e.shift, e.lo, e.hi_clamp) for e in plan.dw_ops]
        default = (1, 1, 1, 1, 0, 1, 0, 1, 1) + gdefault + (0, 1, 1, 0, 2 ** cw - 1, 0, 0, 0, 0, 0, 0)
        roms += _shifts(plan, "dw", fields, rows, default, tc, cw)
        # the tap table: per tap group, each of the TK taps' (ky, kx, element offset, valid, bank offsets)
        tap = (("ky", 32, True), ("kx", 32, True), ("off", qrb, False), ("on", 1, False), ("kyr", 8, False),
               ("kxr", 8, False))
        fields = tuple(Field(f"{n}{u}", b, sg) for u in range(plan.cfg.tk) for n, b, sg in tap)
        rows = [tuple(v for ky, kx, off, on, kyr, kxr in row["ports"] for v in (ky, kx, qr(off), on, kyr, kxr))
                for row in plan.dw_table]
        roms.append(Rom("dw_taps", fields, tuple(rows), (0,) * len(fields)))
    if plan.has_pool:
        cw, tin = w.pool, plan.cfg.tin
        fields = (Field("c", cw), Field("ngi", cw), Field("npix", 32), Field("ce", qrb), Field("wi", cw),
                  Field("wbc", qrb), Field("br", 8), Field("bc", 8), Field("clast", lanes)) + requant
        rows = [(e.channels, e.inner_groups, e.m, qr(e.channels), e.wi, qr(e.iwbc), e.ig[0] * e.ig[1], e.ig[1],
                 e.channels - (e.inner_groups - 1) * tin, e.shift, e.lo, e.hi_clamp) for e in plan.pool_ops]
        roms.append(Rom("pool_ops", fields, tuple(rows), (1, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0)))
    return roms


def _im2col(plan: RtlPlan, qrb: int) -> Rom:
    """The PW engine's im2col table, one row per conv input group: each of the NP pixels' (ky, kx) and lanes
    (their padding mask), each of the NR runs' (element offset, bank offsets), the runs read, each lane's code and
    validity. Rows list fewer pixels / runs than NP / NR as zeros (every group has a pixel and a run:
    blocks.pw_lane_inputs starts each group at a code)."""
    tin, np_, nr = plan.cfg.tin, plan.pw_ports, plan.pw_runs
    selb = sel_bits(nr * plan.word)
    fields = tuple(Field(f"{n}{k}", b, sg) for k in range(np_) for n, b, sg in (("ky", 32, True), ("kx", 32, True),
                                                                                 ("port", tin, False)))
    fields += tuple(Field(f"{n}{k}", b) for k in range(nr) for n, b in (("off", qrb), ("kyr", 8), ("kxr", 8)))
    fields += (Field("rval", nr),) + tuple(Field(f"{n}{k}", b) for k in range(tin) for n, b in (("sel", selb),
                                                                                                  ("val", 1)))
    rows = []
    for row in plan.pw_table:
        assert row["ports"] and row["runs"] and len(row["lanes"]) == tin
        ports = [(ky, kx, sum(1 << j for j, (_, pi, on) in enumerate(row["lanes"]) if on and pi == k))
                 for k, (ky, kx) in enumerate(row["ports"])] + [(0, 0, 0)] * (np_ - len(row["ports"]))
        runs = [(qr_value(off, plan.word), kyr, kxr) for off, kyr, kxr in row["runs"]]
        runs += [(0, 0, 0)] * (nr - len(runs))
        rows.append(tuple(v for port in ports for v in port) + tuple(v for run in runs for v in run) +
                    ((1 << len(row["runs"])) - 1,) + tuple(v for sel, _, on in row["lanes"] for v in (sel, on)))
    return Rom("pw_im2col", fields, tuple(rows), (0,) * len(fields))


def _shifts(plan: RtlPlan, engine: str, fields: tuple[Field, ...], rows: list[tuple[int, ...]],
            default: tuple[int, ...], lanes: int, cw: int) -> list[Rom]:
    """The engine's op ROM; with per-channel weight formats also each lane's extra right shift per output group
    (``<engine>_shifts``: the ops' groups one after the other, an op's from row ``shbase``; ``chs``: it has them)."""
    ops = getattr(plan, f"{engine}_ops")
    if not plan.per_channel:
        return [Rom(f"{engine}_ops", fields, tuple(rows), default)]
    words = [w for e in ops for w in e.ch_shift]
    bits = max(sel_bits(len(words)), cw)  # base + the group counter: below len(words)
    bases, at = [], 0
    for e in ops:
        bases.append(at)
        at += len(e.ch_shift)
    fields += (Field("chs", 1), Field("shbase", bits))
    rows = [row + (int(bool(e.ch_shift)), base) for row, e, base in zip(rows, ops, bases, strict=True)]
    return [Rom(f"{engine}_ops", fields, tuple(rows), default + (0, 0)),
            Rom(f"{engine}_shifts", (Field("dsh", lanes * 8),), tuple((w,) for w in words), (0,))]
