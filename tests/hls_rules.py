"""A rule checker for generated Vitis HLS projects: a stand-in for the Vitis scheduler we do not have.

This is a rule check, not synthesis. It parses the design sources with libclang (the synthesis view:
``-D__SYNTHESIS__``, against the small ap_types/hls_stream declarations in ``hls_rules_shim/``) and
checks the UG1399 conditions under which Vitis can schedule the machine ``hwgen estimate`` describes.
It cannot tell timing, the II Vitis really reaches, or the resources it binds.

Rules (each violation names its rule):

* ``pipeline-ports``: in a PIPELINE loop (its nested loops unrolled, as Vitis does), each memory bank
  is accessed at most twice per iteration (dual port). A bank index is known only when the index of
  a partitioned dimension depends on nothing but unrolled loop variables and constants; an unknown
  bank index counts against every bank of that dimension (UG1448 200-885 / 200-448).
* ``pipeline-nest``: a PIPELINE loop inside another loop of the same function fills once per outer
  iteration, not once per tile (the contract's ``iterations + depth``).
* ``pipeline-divmod``: no ``/`` or ``%`` by a run-time value in a PIPELINE loop (a constant divisor is a
  multiply and shift).
* ``interface-size``: no unsized array parameter; a pointer parameter only as an ``m_axi`` port with
  ``depth=``.
* ``dataflow``: a DATAFLOW region holds only channel declarations and process calls; each array or
  stream is written by at most one process and read by at most one later one (no bypass of the next
  process); a top-level region overlaps images only with ``ap_ctrl_chain``.
* ``overlap``: every DRAM transfer (a call of a function that moves data over an ``m_axi`` pointer) is issued
  by a process of a DATAFLOW region beside an engine's process, not by sequential code between engine calls
  nor by an engine's own process (:func:`check_overlap`).
* ``engine-instances``: ``pw_engine``, ``dw_engine`` and ``pool_engine`` are one instance each (or none)
  (call sites counted through the call graph; ``ALLOCATION ... limit=1`` caps the direct calls of the
  function that holds it).
* memory: :func:`memory_blocks` counts BRAM36/URAM blocks from the declarations, ARRAY_PARTITION /
  ARRAY_RESHAPE, BIND_STORAGE and PIPO channels (x2). Arrays without BIND_STORAGE of at most
  1024 bits per bank are taken as registers/LUTRAM, larger ones as BRAM (Vitis' default is similar
  but not documented as a number: that is an assumption of this checker).
"""
from __future__ import annotations

import ctypes
import itertools
import re
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import clang.cindex as ci

from hwgen.mapping.plan import memory_blocks as plan_memory_blocks

SHIM = Path(__file__).with_name("hls_rules_shim")
ENGINES = ("pw_engine", "dw_engine", "pool_engine")
PORTS = 2  # true dual-port BRAM / URAM (and a 2-port ROM)
REGISTER_BITS = 1024  # unbound banks of at most this many bits: registers / LUTRAM (0 blocks)

_PRAGMA = re.compile(r"^\s*#pragma\s+HLS\s+(\w+)(.*)$", re.I)

ci.conf.lib.clang_Cursor_Evaluate.restype = ctypes.c_void_p
ci.conf.lib.clang_Cursor_Evaluate.argtypes = [ci.Cursor]
ci.conf.lib.clang_EvalResult_getKind.argtypes = [ctypes.c_void_p]
ci.conf.lib.clang_EvalResult_getKind.restype = ctypes.c_int
ci.conf.lib.clang_EvalResult_getAsLongLong.argtypes = [ctypes.c_void_p]
ci.conf.lib.clang_EvalResult_getAsLongLong.restype = ctypes.c_longlong
ci.conf.lib.clang_EvalResult_dispose.argtypes = [ctypes.c_void_p]


@dataclass(frozen=True)
class Violation:
    rule: str
    where: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.where}: {self.detail}"


@dataclass(frozen=True)
class Pragma:
    kind: str  # PIPELINE, UNROLL, ARRAY_PARTITION, ...
    opts: dict
    file: str
    line: int


@dataclass
class Memory:
    """One array as Vitis would build it: banks of depth x width, in BRAM / URAM / registers."""

    name: str
    banks: int
    depth: int
    width: int
    impl: str  # bram, uram, lutram, reg
    copies: int = 1

    @property
    def plan_name(self) -> str:
        """The memory plan's buffer this array implements (the band PIPO is the DW->PW ping-pong)."""
        bank = re.fullmatch(r"(fmap_a|fmap_b|in_band)_\d+", self.name)  # one pixel bank of a banked buffer
        return bank.group(1) if bank else HLS_BUFFERS.get(self.name, self.name)

    @property
    def bram36(self) -> int:  # a PIPO's copies are the halves of one plan buffer: the plan's memory_blocks rule
        return plan_memory_blocks(self.plan_name, self.copies * self.depth, self.width, self.banks)[0] \
            if self.impl == "bram" else 0

    @property
    def uram(self) -> int:
        return plan_memory_blocks(self.plan_name, self.copies * self.depth, self.width, self.banks)[1] \
            if self.impl == "uram" else 0


#: HLS arrays named otherwise than the plan buffer they implement.
HLS_BUFFERS = {"band": "dw_pw_pingpong"}


@dataclass
class Project:
    outdir: Path
    tus: list[ci.TranslationUnit]
    pragmas: list[Pragma]
    functions: dict[str, ci.Cursor] = field(default_factory=dict)
    _calls: dict[str, list[ci.Cursor]] | None = None  # callee name -> its call expressions (calls_to)

    def calls_to(self, name: str) -> list[ci.Cursor]:
        """The call expressions of function ``name`` in every function (one AST walk per project)."""
        if self._calls is None:
            self._calls = {}
            for f in self.functions.values():
                for c in f.walk_preorder():
                    if c.kind == ci.CursorKind.CALL_EXPR and c.referenced is not None:
                        self._calls.setdefault(c.referenced.spelling, []).append(c)
        return self._calls.get(name, [])


_DEFINE = re.compile(r"^#define (\w+) (-?\d+)\s*$", re.M)


def _opts(text: str, macros: dict[str, str]) -> dict:
    out = {}
    for tok in text.split():
        k, _, v = tok.partition("=")
        out[k.lower()] = macros.get(v, v) if v else True
    return out


@lru_cache(maxsize=1)
def _gcc_include() -> str:
    return subprocess.run(["g++", "-print-file-name=include"], capture_output=True, text=True).stdout.strip()


def load(outdir: str | Path) -> Project:
    """Parse the design sources of a generated project (every .cpp but the testbench)."""
    outdir = Path(outdir).resolve()
    index = ci.Index.create()
    args = ["-x", "c++", "-std=c++14", "-D__SYNTHESIS__", f"-I{SHIM}", f"-I{outdir}", "-isystem", _gcc_include()]
    tus = []
    for src in sorted(outdir.glob("*.cpp")):
        if src.name.startswith("tb_"):
            continue
        tu = index.parse(str(src), args=args)
        errors = [str(d) for d in tu.diagnostics if d.severity >= ci.Diagnostic.Error]
        if errors:
            raise ValueError(f"{src.name} does not parse: {errors[:3]}")
        tus.append(tu)
    pragmas = []
    files = [p for p in sorted(list(outdir.glob("*.cpp")) + list(outdir.glob("*.h"))) if not p.name.startswith("tb_")]
    macros = {m.group(1): m.group(2) for path in files for m in _DEFINE.finditer(path.read_text())}
    for path in files:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = _PRAGMA.match(line)
            if m:
                pragmas.append(Pragma(m.group(1).upper(), _opts(m.group(2), macros), str(path), n))
    proj = Project(outdir, tus, pragmas)
    for tu in tus:
        for c in tu.cursor.walk_preorder():
            if c.kind == ci.CursorKind.FUNCTION_DECL and c.is_definition() and _ours(proj, c):
                proj.functions[c.spelling] = c
    return proj


def _ours(proj: Project, c: ci.Cursor) -> bool:
    f = c.location.file
    return f is not None and Path(f.name).resolve().parent == proj.outdir


def _inside(p: Pragma, c: ci.Cursor) -> bool:
    e = c.extent
    return (e.start.file is not None and Path(e.start.file.name).resolve() == Path(p.file).resolve()
            and e.start.line <= p.line <= e.end.line)


def _body(loop: ci.Cursor) -> ci.Cursor | None:
    kids = list(loop.get_children())
    return kids[-1] if kids and kids[-1].kind == ci.CursorKind.COMPOUND_STMT else None


def _direct_pragmas(proj: Project, compound: ci.Cursor, kind: str) -> list[Pragma]:
    """Pragmas of ``kind`` directly in ``compound`` (not inside a nested compound statement)."""
    out = []
    nested = [c for c in compound.walk_preorder() if c.kind == ci.CursorKind.COMPOUND_STMT and c != compound]
    for p in proj.pragmas:
        if p.kind == kind and _inside(p, compound) and not any(_inside(p, n) for n in nested):
            out.append(p)
    return out


def _evaluate(c: ci.Cursor) -> int | None:
    res = ci.conf.lib.clang_Cursor_Evaluate(c)
    if not res:
        return None
    try:
        return ci.conf.lib.clang_EvalResult_getAsLongLong(res) if ci.conf.lib.clang_EvalResult_getKind(res) == 1 else None
    finally:
        ci.conf.lib.clang_EvalResult_dispose(res)


def _strip(c: ci.Cursor) -> ci.Cursor:
    while c.kind in (ci.CursorKind.UNEXPOSED_EXPR, ci.CursorKind.PAREN_EXPR, ci.CursorKind.CXX_FUNCTIONAL_CAST_EXPR,
                     ci.CursorKind.CSTYLE_CAST_EXPR) and len(list(c.get_children())) >= 1:
        kids = [k for k in c.get_children() if k.kind != ci.CursorKind.TYPE_REF]
        if len(kids) != 1:
            break
        c = kids[0]
    return c


def _binop(c: ci.Cursor) -> str:
    lhs = next(iter(c.get_children()))
    end = lhs.extent.end.offset
    for t in c.get_tokens():
        if t.extent.start.offset >= end:
            return t.spelling
    return "?"


@dataclass
class _Loop:
    var: ci.Cursor | None
    trip: int | None


def _for_loop(c: ci.Cursor) -> _Loop:
    """Induction variable and constant trip count of ``for (int v = A; v < B; v++)``."""
    kids = list(c.get_children())
    var = trip = None
    if kids and kids[0].kind == ci.CursorKind.DECL_STMT:
        decls = list(kids[0].get_children())
        if decls and decls[0].kind == ci.CursorKind.VAR_DECL:
            var = decls[0]
            init = [k for k in var.get_children() if k.kind != ci.CursorKind.TYPE_REF]
            lo = _evaluate(init[0]) if init else None
            cond = _strip(kids[1]) if len(kids) > 1 else None
            if cond is not None and cond.kind == ci.CursorKind.BINARY_OPERATOR and _binop(cond) == "<":
                hi = _evaluate(list(cond.get_children())[1])
                if lo is not None and hi is not None:
                    trip = max(0, hi - lo)
    return _Loop(var, trip)


class _Env:
    """Values of unrolled loop variables and compile-time locals inside one pipelined loop."""

    def __init__(self, unrolled: dict[str, int]):
        self.unrolled = unrolled

    def value(self, c: ci.Cursor) -> int | None:
        """The value of ``c`` if it is a compile-time function of unrolled variables and constants."""
        c = _strip(c)
        k = c.kind
        if k == ci.CursorKind.INTEGER_LITERAL:
            return _evaluate(c)
        if k == ci.CursorKind.DECL_REF_EXPR:
            ref = c.referenced
            if ref is None:
                return None
            if ref.get_usr() in self.unrolled:
                return self.unrolled[ref.get_usr()]
            if ref.kind == ci.CursorKind.VAR_DECL and ref.type.is_const_qualified():
                init = [k for k in ref.get_children() if k.kind != ci.CursorKind.TYPE_REF]
                if init and ref.semantic_parent.kind != ci.CursorKind.TRANSLATION_UNIT:
                    return self.value(init[-1])
            v = _evaluate(c)
            return v
        if k == ci.CursorKind.BINARY_OPERATOR:
            a, b = (self.value(x) for x in c.get_children())
            if a is None or b is None:
                return None
            op = _binop(c)
            ops = {"+": a + b, "-": a - b, "*": a * b, "<<": a << b if b >= 0 else None, ">>": a >> b if b >= 0 else None,
                   "&": a & b, "|": a | b, "/": a // b if b else None, "%": a % b if b else None,
                   "<": int(a < b), ">": int(a > b), "<=": int(a <= b), ">=": int(a >= b), "==": int(a == b)}
            return ops.get(op)
        if k == ci.CursorKind.UNARY_OPERATOR:
            kids = list(c.get_children())
            v = self.value(kids[0]) if kids else None
            toks = [t.spelling for t in c.get_tokens()]
            return -v if v is not None and toks and toks[0] == "-" else v
        return _evaluate(c)


def _subscript(c: ci.Cursor) -> tuple[ci.Cursor | None, list[ci.Cursor]]:
    """(array declaration, index expressions outermost first) of a chain a[i][j]."""
    idx = []
    while c.kind == ci.CursorKind.ARRAY_SUBSCRIPT_EXPR:
        base, i = list(c.get_children())
        idx.append(i)
        c = _strip(base)
    if c.kind == ci.CursorKind.DECL_REF_EXPR and c.referenced is not None:
        return c.referenced, idx[::-1]
    return None, idx[::-1]


def _function_of(c: ci.Cursor) -> ci.Cursor | None:
    p = c.semantic_parent
    while p is not None and p.kind != ci.CursorKind.FUNCTION_DECL:
        if p.kind == ci.CursorKind.TRANSLATION_UNIT:
            return None
        p = p.semantic_parent
    return p


def _dims(t: ci.Type) -> tuple[list[int | None], ci.Type]:
    dims: list[int | None] = []
    t = t.get_canonical()
    while t.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY, ci.TypeKind.POINTER):
        if t.kind == ci.TypeKind.CONSTANTARRAY:
            dims.append(t.element_count)
            t = t.element_type.get_canonical()
        elif t.kind == ci.TypeKind.INCOMPLETEARRAY:
            dims.append(None)
            t = t.element_type.get_canonical()
        else:
            dims.append(None)
            t = t.get_pointee().get_canonical()
    return dims, t


def _bits(t: ci.Type) -> int | None:
    m = re.search(r"ap_u?int<(\d+)>", t.spelling)
    if m:
        return int(m.group(1))
    if t.kind in (ci.TypeKind.CHAR_S, ci.TypeKind.SCHAR, ci.TypeKind.UCHAR, ci.TypeKind.SHORT, ci.TypeKind.USHORT,
                  ci.TypeKind.INT, ci.TypeKind.UINT, ci.TypeKind.LONGLONG, ci.TypeKind.ULONGLONG, ci.TypeKind.BOOL):
        return 8 * t.get_size()
    return None


def _var_pragmas(proj: Project, var: ci.Cursor, kind: str) -> list[Pragma]:
    """Pragmas of ``kind`` naming ``var``: in its function, or (globals) in any function of the project."""
    fn = _function_of(var)
    scopes = [fn] if fn is not None else list(proj.functions.values())
    return [p for p in proj.pragmas if p.kind == kind and p.opts.get("variable") == var.spelling
            and any(_inside(p, s) for s in scopes)]


@dataclass
class _Layout:
    """How one array's dimensions are split: per dim 'none' | ('complete',) | ('cyclic', F) | ('block', F) | reshape."""

    dims: list[int | None]
    part: list[tuple]
    reshape: list[tuple]


def _layout(proj: Project, var: ci.Cursor) -> _Layout:
    dims, _ = _dims(var.type)
    part: list[tuple] = [("none",)] * len(dims)
    reshape: list[tuple] = [("none",)] * len(dims)
    for kind, arr in (("ARRAY_PARTITION", part), ("ARRAY_RESHAPE", reshape)):
        for p in _var_pragmas(proj, var, kind):
            d = int(p.opts.get("dim", 1))
            typ = str(p.opts.get("type", "complete")).lower()
            targets = range(len(dims)) if d == 0 else [d - 1]
            for t in targets:
                if t < len(dims):
                    arr[t] = (typ,) if typ == "complete" else (typ, int(p.opts.get("factor", 1)))
    return _Layout(dims, part, reshape)


def _roots(proj: Project, param: ci.Cursor, depth: int = 0) -> list[tuple[ci.Cursor, int]]:
    """The arrays a parameter is bound to at its call sites: (declaration, leading indices fixed)."""
    if param.kind != ci.CursorKind.PARM_DECL or depth > 8:
        return [(param, 0)]
    fn = param.semantic_parent
    pos = [a.get_usr() for a in fn.get_arguments()].index(param.get_usr())
    out = []
    for c in proj.calls_to(fn.spelling):
        args = list(c.get_arguments())
        if pos >= len(args):
            continue
        var, idx = _subscript(_strip(args[pos]))
        if var is None:
            continue
        for root, fixed in _roots(proj, var, depth + 1):
            out.append((root, fixed + len(idx)))
    return out or [(param, 0)]


def _pipelined_loops(proj: Project, fn: ci.Cursor) -> list[ci.Cursor]:
    return [c for c in fn.walk_preorder() if c.kind == ci.CursorKind.FOR_STMT and _body(c) is not None
            and _direct_pragmas(proj, _body(c), "PIPELINE")]


def _label(loop: ci.Cursor, fn: ci.Cursor) -> str:
    prev = None
    for c in fn.walk_preorder():
        if c.kind == ci.CursorKind.LABEL_STMT and any(k == loop for k in c.get_children()):
            prev = c.spelling
    return f"{fn.spelling}/{prev or 'loop@' + str(loop.location.line)}"


def _unrolled_nest(body: ci.Cursor) -> list[ci.Cursor]:
    return [c for c in body.walk_preorder() if c.kind == ci.CursorKind.FOR_STMT]


def check_pipelines(proj: Project) -> list[Violation]:
    """The pipelined loops of every function the top instantiates (an unused engine is not built)."""
    out = []
    used = instances(proj)
    for fn in proj.functions.values():
        if not used.get(fn.spelling):
            continue
        for loop in _pipelined_loops(proj, fn):
            where = _label(loop, fn)
            enclosing = [c for c in fn.walk_preorder() if c.kind == ci.CursorKind.FOR_STMT and c != loop
                         and any(d == loop for d in c.walk_preorder())]
            if enclosing:
                out.append(Violation("pipeline-nest", where, f"inside {len(enclosing)} outer loop(s): the pipeline "
                                     "fills once per outer iteration"))
            out += _check_ports(proj, loop, where)
            for c in _body(loop).walk_preorder():
                if c.kind in (ci.CursorKind.BINARY_OPERATOR, ci.CursorKind.COMPOUND_ASSIGNMENT_OPERATOR) and \
                        _binop(c).rstrip("=") in ("/", "%"):
                    if _evaluate(list(c.get_children())[1]) is None:
                        out.append(Violation("pipeline-divmod", where, f"'{_binop(c)}' by a run-time value at line "
                                             f"{c.location.line}"))
    return out


def _word_key(env: _Env, e: ci.Cursor, factor: int, trips: list[_Loop], values: tuple) -> object:
    """The word address of index ``e`` into a dimension reshaped cyclically by ``factor``: a value; for the
    idiom X * factor + lane (lane compile-time, below factor) the text of X with the values of the other
    unrolled loops around the access (X may differ between their copies); else None (unknown)."""
    v = env.value(e)
    if v is not None:
        return v // factor
    e = _strip(e)
    if e.kind == ci.CursorKind.BINARY_OPERATOR and _binop(e) == "+":
        a, b = list(e.get_children())
        lane = env.value(b)
        mul = _strip(a)
        if lane is not None and 0 <= lane < factor and mul.kind == ci.CursorKind.BINARY_OPERATOR and \
                _binop(mul) == "*":
            x, f = list(mul.get_children())
            if env.value(f) == factor:
                others = tuple(v for t, v in zip(trips, values) if not _depends(b, [t]))
                return ("word", " ".join(t.spelling for t in x.get_tokens()), others)
    return None


def _layout_of(proj: Project, var: ci.Cursor) -> _Layout:
    """The layout a parameter sees: its first binding's root layout without the indices fixed at the call."""
    root, fixed = _roots(proj, var)[0]
    lay = _layout(proj, root)
    return _Layout(lay.dims[fixed:], lay.part[fixed:], lay.reshape[fixed:])


def _check_ports(proj: Project, loop: ci.Cursor, where: str) -> list[Violation]:
    """Per memory (a local/global array, or an array parameter: one interface of the function) and
    bank, the distinct word addresses one iteration of the pipelined ``loop`` touches."""
    body = _body(loop)
    nest = _unrolled_nest(body)
    loops = {n.hash: _for_loop(n) for n in nest}
    inside: dict[int, dict[int, list[ci.Cursor]]] = {}  # per unrolled loop, its cursors by hash (one walk each)
    for n in nest:
        for d in n.walk_preorder():
            inside.setdefault(n.hash, {}).setdefault(d.hash, []).append(d)
    accesses = []
    inner = set()
    for c in body.walk_preorder():
        if c.kind != ci.CursorKind.ARRAY_SUBSCRIPT_EXPR or c.hash in inner:
            continue
        node = c
        while node.kind == ci.CursorKind.ARRAY_SUBSCRIPT_EXPR:
            node = _strip(list(node.get_children())[0])
            inner.add(node.hash)
        var, idx = _subscript(c)
        if var is None:
            continue
        dims = _dims(var.type)[0]
        if len(idx) < len(dims) and var.kind != ci.CursorKind.PARM_DECL:
            continue  # a row handed on as a call argument
        accesses.append((var, idx, [n for n in nest if any(d == c for d in inside[n.hash].get(c.hash, ()))], c))
    out = []
    by_var: dict[str, list] = {}
    for item in accesses:
        by_var.setdefault(item[0].get_usr(), []).append(item)
    for items in by_var.values():
        var = items[0][0]
        lay = _layout_of(proj, var)
        if lay.dims and all(p[0] == "complete" for p in lay.part):
            continue  # registers
        per_bank: dict[tuple, set] = {}
        unknown = set()
        for _, idx, enclosing, c in items:
            trips = [loops[n.hash] for n in enclosing]
            text = " ".join(t.spelling for t in c.get_tokens())
            if any(t.trip is None or t.var is None for t in trips):
                unknown.add((text, None))
                continue
            for values in itertools.product(*[range(t.trip) for t in trips]):
                env = _Env({t.var.get_usr(): v for t, v in zip(trips, values)})
                bank, addr = [], []
                for d, e in enumerate(idx):
                    part = lay.part[d] if d < len(lay.part) else ("none",)
                    resh = lay.reshape[d] if d < len(lay.reshape) else ("none",)
                    if resh[0] == "complete":
                        continue  # lanes of one word
                    if resh[0] == "cyclic":
                        addr.append(_word_key(env, e, resh[1], trips, values))
                        if addr[-1] is None:
                            addr[-1] = ("lane", text, values)  # an unknown word: an access of its own
                        continue
                    v = env.value(e)
                    if part[0] == "none":
                        addr.append(v if v is not None else ("expr", " ".join(t.spelling for t in e.get_tokens()),
                                                             values if _depends(e, trips) else ()))
                    elif v is None:
                        bank.append(None)
                    elif part[0] == "complete":
                        bank.append(v)
                    elif part[0] == "cyclic":
                        bank.append(v % part[1])
                    else:
                        bank.append(("block", v))
                if None in bank:
                    unknown.add((text, values))
                else:
                    per_bank.setdefault(tuple(bank), set()).add(tuple(map(str, addr)))
        worst = max([len(a) for a in per_bank.values()] + [0]) + len(unknown)
        if worst > PORTS:
            why = f", {len(unknown)} with a run-time bank index" if unknown else ""
            out.append(Violation("pipeline-ports", where, f"{var.spelling}: {worst} word accesses to one bank per "
                                 f"iteration{why}; {PORTS} ports"))
    return out


def _depends(e: ci.Cursor, trips: list[_Loop]) -> bool:
    usrs = {t.var.get_usr() for t in trips}
    return any(k.kind == ci.CursorKind.DECL_REF_EXPR and k.referenced is not None and k.referenced.get_usr() in usrs
               for k in e.walk_preorder())


def check_aliases(proj: Project) -> list[Violation]:
    """No call binds two array parameters to the same memory (their ports would add up)."""
    out = []
    for fn in proj.functions.values():
        for c in fn.walk_preorder():
            if c.kind != ci.CursorKind.CALL_EXPR or c.referenced is None or c.referenced.spelling not in proj.functions:
                continue
            seen = {}
            for arg in c.get_arguments():
                var, idx = _subscript(_strip(arg))
                if var is None or not _dims(var.type)[0]:
                    continue
                key = (var.get_usr(), tuple(" ".join(t.spelling for t in i.get_tokens()) for i in idx))
                if key in seen:
                    out.append(Violation("pipeline-ports", fn.spelling, f"{c.referenced.spelling} gets "
                                         f"{var.spelling} twice at line {c.location.line}"))
                seen[key] = True
    return out


def check_interfaces(proj: Project) -> list[Violation]:
    out = []
    for fn in proj.functions.values():
        for a in fn.get_arguments():
            t = a.type.get_canonical()
            if t.kind == ci.TypeKind.INCOMPLETEARRAY:
                out.append(Violation("interface-size", fn.spelling, f"array parameter {a.spelling}[] has no size"))
            elif t.kind == ci.TypeKind.POINTER:
                # a sub-function's pointer is fine when every call binds it to an m_axi port of the top
                ports = [(root.semantic_parent, root.spelling) for root, _ in _roots(proj, a)]
                axi = [p for f, port in ports for p in proj.pragmas if p.kind == "INTERFACE" and
                       p.opts.get("port") == port and p.opts.get("mode") == "m_axi" and "depth" in p.opts and
                       _inside(p, f)]
                if len(axi) < len(ports):
                    out.append(Violation("interface-size", fn.spelling, f"pointer parameter {a.spelling} is no "
                                         "m_axi port with a depth"))
    return out


def _is_write_param(param: ci.Cursor) -> bool:
    t = param.type.get_canonical()
    if t.kind in (ci.TypeKind.LVALUEREFERENCE, ci.TypeKind.POINTER):
        pointee = t.get_pointee()
        if "stream" in pointee.spelling:
            fn = param.semantic_parent
            calls = [c.spelling for c in fn.walk_preorder() if c.kind == ci.CursorKind.CALL_EXPR
                     and any(k.kind == ci.CursorKind.MEMBER_REF_EXPR and _refers(k, param) for k in c.walk_preorder())]
            return "write" in calls
        return not pointee.is_const_qualified()
    if t.kind in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
        return not t.spelling.startswith("const ")
    return False


def _refers(c: ci.Cursor, decl: ci.Cursor) -> bool:
    return any(k.kind == ci.CursorKind.DECL_REF_EXPR and k.referenced is not None and k.referenced.get_usr() ==
               decl.get_usr() for k in c.walk_preorder())


def _top(proj: Project) -> ci.Cursor | None:
    tcl = proj.outdir / "build.tcl"
    m = re.search(r"^set_top (\S+)$", tcl.read_text(), re.M) if tcl.is_file() else None
    if m and m.group(1) in proj.functions:
        return proj.functions[m.group(1)]
    tops = [f for f in proj.functions.values() if any(p.kind == "INTERFACE" and _inside(p, f) for p in proj.pragmas)]
    return tops[0] if tops else None


def check_dataflow(proj: Project) -> list[Violation]:
    out = []
    top = _top(proj)
    for fn in proj.functions.values():
        for comp in [c for c in fn.walk_preorder() if c.kind == ci.CursorKind.COMPOUND_STMT]:
            if not _direct_pragmas(proj, comp, "DATAFLOW"):
                continue
            where = f"{fn.spelling} DATAFLOW"
            calls = []
            for s in comp.get_children():
                if s.kind == ci.CursorKind.DECL_STMT:
                    continue
                e = _strip(s)
                if e.kind == ci.CursorKind.CALL_EXPR and e.referenced is not None:
                    calls.append(e)
                else:
                    out.append(Violation("dataflow", where, f"statement at line {s.location.line} is not a channel "
                                         "declaration or a process call"))
            writers: dict[str, list[int]] = {}
            readers: dict[str, list[int]] = {}
            names: dict[str, str] = {}
            for n, call in enumerate(calls):
                params = list(call.referenced.get_arguments())
                for arg, param in zip(call.get_arguments(), params):
                    var, _ = _subscript(_strip(arg))
                    if var is None:
                        continue
                    dims, _ = _dims(var.type)
                    stream = "stream" in var.type.spelling
                    if not dims and not stream:
                        continue
                    key = var.get_usr()
                    names[key] = var.spelling
                    (writers if _is_write_param(param) else readers).setdefault(key, []).append(n)
            for key in set(writers) | set(readers):
                w, r = writers.get(key, []), readers.get(key, [])
                if len(w) > 1:
                    out.append(Violation("dataflow", where, f"{names[key]} has {len(w)} producers"))
                if len(r) > 1:
                    out.append(Violation("dataflow", where, f"{names[key]} has {len(r)} consumers"))
                if w and r and (min(r) <= max(w)):
                    out.append(Violation("dataflow", where, f"{names[key]} is read before it is written"))
                if w and r and max(r) > min(w) + 1:
                    out.append(Violation("dataflow", where, f"{names[key]} bypasses a process"))
            if fn == top:
                chain = [p for p in proj.pragmas if p.kind == "INTERFACE" and p.opts.get("mode") == "ap_ctrl_chain"
                         and _inside(p, fn)]
                if not chain:
                    out.append(Violation("dataflow", where, "top-level DATAFLOW without ap_ctrl_chain does not "
                                         "overlap images"))
    return out


def instances(proj: Project) -> dict[str, int]:
    """Instances of every function, counted through the call graph from the top (ALLOCATION-limited)."""
    top = _top(proj)
    memo: dict[str, int] = {}

    def sites(f: ci.Cursor, g: str) -> int:
        n = sum(1 for c in f.walk_preorder() if c.kind == ci.CursorKind.CALL_EXPR and c.referenced is not None
                and c.referenced.spelling == g)
        if n == 0:
            return 0
        lim = [p for p in proj.pragmas if p.kind == "ALLOCATION" and p.opts.get("instances") == g and _inside(p, f)]
        return min(n, int(lim[0].opts.get("limit", n))) if lim else n

    def inst(g: str) -> int:
        if top is not None and g == top.spelling:
            return 1
        if g not in memo:
            memo[g] = 0  # recursion (none in generated code) counts as no further instance
            callers = [(f, sites(f, g)) for f in proj.functions.values() if f.spelling != g]
            memo[g] = sum(inst(f.spelling) * n for f, n in callers if n)
        return memo[g]

    return {f: inst(f) for f in proj.functions}


def engine_instances(proj: Project) -> dict[str, int]:
    n = instances(proj)
    return {e: n[e] for e in ENGINES if e in n}


def check_engines(proj: Project) -> list[Violation]:
    """At most one instance of each engine (none when no layer uses it)."""
    return [Violation("engine-instances", e, f"{n} instances") for e, n in engine_instances(proj).items() if n > 1]


def memories(proj: Project) -> list[Memory]:
    """Every array variable of the design (parameters excluded) as banks of depth x width."""
    out = []
    seen = set()
    dataflow_scopes = [c for f in proj.functions.values() for c in f.walk_preorder()
                       if c.kind == ci.CursorKind.COMPOUND_STMT and _direct_pragmas(proj, c, "DATAFLOW")]
    for tu in proj.tus:
        for v in tu.cursor.walk_preorder():
            if v.kind != ci.CursorKind.VAR_DECL or not _ours(proj, v) or v.get_usr() in seen:
                continue
            dims, elem = _dims(v.type)
            if not dims or None in dims:
                continue
            width = _bits(elem)
            if width is None:
                continue
            seen.add(v.get_usr())
            lay = _layout(proj, v)
            banks, depth = 1, 1
            for n, p, r in zip(dims, lay.part, lay.reshape):
                if r[0] == "complete":
                    width *= n
                elif r[0] in ("cyclic", "block"):
                    width *= r[1]
                    n = -(-n // r[1])
                if p[0] == "complete" and r[0] != "complete":
                    banks *= n
                elif p[0] in ("cyclic", "block") and r[0] == "none":
                    banks *= p[1]
                    depth *= -(-n // p[1])
                elif r[0] != "complete":
                    depth *= n
            bind = _var_pragmas(proj, v, "BIND_STORAGE")
            if bind:
                impl = str(bind[0].opts.get("impl", "bram")).lower()
            else:
                impl = "reg" if depth * width <= REGISTER_BITS else "bram"
            if impl in ("lutram", "reg", "srl"):
                impl = "lutram" if impl != "reg" else "reg"
            stream = _var_pragmas(proj, v, "STREAM")
            pipo = (any(str(p.opts.get("type", "pipo")).lower() == "pipo" for p in stream) or
                    (not stream and any(any(d == v for d in s.walk_preorder()) for s in dataflow_scopes)))
            copies = int(stream[0].opts.get("depth", 2)) if stream and pipo else (2 if pipo else 1)
            out.append(Memory(v.spelling, banks, depth, width, impl, copies))
    return out


def memory_blocks(proj: Project) -> tuple[int, int]:
    """(BRAM36, URAM) blocks the declarations and pragmas imply."""
    mems = memories(proj)
    return sum(m.bram36 for m in mems), sum(m.uram for m in mems)


def _m_axi_movers(proj: Project) -> set[str]:
    """Functions that move data over a pointer parameter (an ``m_axi`` port, interface-size): the DRAM transfers."""
    out = set()
    for fn in proj.functions.values():
        ptrs = {p.get_usr() for p in fn.get_arguments() if p.type.get_canonical().kind == ci.TypeKind.POINTER}
        for c in fn.walk_preorder():
            if c.kind == ci.CursorKind.ARRAY_SUBSCRIPT_EXPR:
                var, _ = _subscript(_strip(c))
                if var is not None and var.get_usr() in ptrs:
                    out.add(fn.spelling)
                    break
    return out


def _reads_stream(fn: ci.Cursor) -> bool:
    return any("stream" in p.type.spelling for p in fn.get_arguments())


def _process_calls(proj: Project, fn: ci.Cursor) -> dict[tuple, list[str]]:
    """The process calls of fn's DATAFLOW regions (by source position) -> the names of every process of that region."""
    out = {}
    for comp in [c for c in fn.walk_preorder() if c.kind == ci.CursorKind.COMPOUND_STMT]:
        if not _direct_pragmas(proj, comp, "DATAFLOW"):
            continue
        calls = [e for e in (_strip(s) for s in comp.get_children() if s.kind != ci.CursorKind.DECL_STMT)
                 if e.kind == ci.CursorKind.CALL_EXPR and e.referenced is not None]
        for e in calls:
            out[_pos(e)] = [x.referenced.spelling for x in calls]
    return out


def _pos(c: ci.Cursor) -> tuple:
    return c.location.file.name if c.location.file else "", c.location.line, c.location.column


def check_overlap(proj: Project) -> list[Violation]:
    """``overlap``: every DRAM transfer (a call of a function that moves data over an ``m_axi`` pointer) is
    issued by a process of a DATAFLOW region beside a process that runs an engine, so it runs while the engines
    compute (as ``hw.schedule``'s DMA queue overlaps them): not by sequential code between engine calls, not by
    an engine's own process. A transfer of the function that reads the input stream is exempt (the input is
    written to DRAM as it streams in)."""
    top = _top(proj)
    if top is None:
        return []
    movers = _m_axi_movers(proj)
    memo: dict[str, bool] = {}

    def runs_engine(name: str) -> bool:
        if name in ENGINES:
            return True
        if name not in memo:
            memo[name] = False
            fn = proj.functions.get(name)
            memo[name] = fn is not None and any(
                c.kind == ci.CursorKind.CALL_EXPR and c.referenced is not None and c.referenced.spelling != name
                and runs_engine(c.referenced.spelling) for c in fn.walk_preorder())
        return memo[name]

    found: dict[str, str] = {}
    seen: set[tuple] = set()

    def walk(fn: ci.Cursor, process: str | None, region: list[str]) -> None:
        procs = _process_calls(proj, fn)
        for c in fn.walk_preorder():
            if c.kind != ci.CursorKind.CALL_EXPR or c.referenced is None or c.referenced.spelling not in proj.functions:
                continue
            g = c.referenced.spelling
            proc, reg = (g, procs[_pos(c)]) if _pos(c) in procs else (process, region)
            if g in movers and not _reads_stream(proj.functions[g]):
                where = f"{fn.spelling}/{g}"
                if proc is None:
                    found.setdefault(where, "DRAM transfer outside a DATAFLOW region: serialised with the engines")
                elif proc != g and runs_engine(proc):
                    found.setdefault(where, f"DRAM transfer in the engine process {proc}: serialised with it")
                elif not any(runs_engine(x) for x in reg if x != proc):
                    found.setdefault(where, "DRAM transfer in a DATAFLOW region without an engine process")
            key = (g, proc)
            if key not in seen:
                seen.add(key)
                walk(proj.functions[g], proc, reg)

    walk(top, None, [])
    return [Violation("overlap", w, d) for w, d in sorted(found.items())]


def check(outdir: str | Path) -> list[Violation]:
    """Every rule but the memory count (which needs the mapping: compare :func:`memory_blocks`)."""
    proj = load(outdir)
    return (check_pipelines(proj) + check_aliases(proj) + check_interfaces(proj) + check_dataflow(proj) +
            check_engines(proj) + check_overlap(proj))


#: What the generated design does not do yet (docs/hls.md, "Limits"): (rule, where, memory) -> why.
KNOWN_LIMITS = {
    ("engine-instances", "pw_engine", ""): "the fused_pair region and the lone steps (conv, FC) each call the PW engine",
    ("engine-instances", "dw_engine", ""): "the fused_pair region and a lone DW step each call the DW engine",
    ("overlap", "run_network/pw_load", ""): "whole-step weight loads run between the steps (the slots are the engines')",
    ("overlap", "run_network/dw_load", ""): "whole-step weight loads run between the steps (the slots are the engines')",
    ("overlap", "fused_pw/pw_load", ""): "weight tiles are loaded by the PW process between its tiles",
}


def limit_key(v: Violation) -> tuple[str, str, str]:
    return (v.rule, v.where, v.detail.split(":")[0] if v.rule == "pipeline-ports" else "")


def unexplained(violations: list[Violation]) -> list[Violation]:
    """The violations that are not one of the design's documented limits."""
    return [v for v in violations if limit_key(v) not in KNOWN_LIMITS]
