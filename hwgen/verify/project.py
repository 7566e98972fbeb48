"""Reading a generated project back: every file checked against what the generator writes.

A truncated, edited or deleted file fails in one line that names it (:class:`HwgenError`, exit 2)
instead of a JSONDecodeError, KeyError or a simulator error three tools further down.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hwgen.errors import HwgenError

#: ``hwgen rtl``'s test vectors file, next to plan.json.
VECTORS = "tb_vectors.json"

_INT = (int,)
_NUM = (int, float)

#: plan.json keys cosim reads: key -> (allowed types, required). bool is excluded from the numbers below.
PLAN_SCHEMA: dict[str, tuple[tuple[type, ...], bool]] = {
    "in_pixels": (_INT, True), "in_channels": (_INT, True), "in_width": (_INT, True),
    "in_beat_bits": (_INT, True), "pixels_per_beat": (_INT, False), "out_width": (_INT, True), "out_beat_bits": (_INT, True),
    "out_pixels": (_INT, True), "out_channels": (_INT, True), "predicted_cycles": (_INT, True),
    "sources": ((list,), True), "top": ((str,), True),
    "dram_image": ((str, type(None)), False), "dram_bytes_per_cycle": (_NUM + (type(None),), False),
    "dram_latency": (_INT + (type(None),), False), "bram36_predicted": (_NUM + (type(None),), False),
    "bram36_plan": (_INT + (type(None),), False), "plan_bram36": (_INT, False), "plan_uram": (_INT, False),
    "plan_lut": (_INT, False),
}

VECTORS_SCHEMA: dict[str, tuple[tuple[type, ...], bool]] = {
    "input": ((list,), True), "expected": ((list,), True), "seed": (_INT, True), "sim_cycles": (_INT, True),
    "dram_maps": ((dict,), False),  # op name -> the golden codes of its output map left in the map DRAM
    "batch": ((list,), False),  # further images: [{"input": [...], "expected": [...]}, ...]
}

_REGENERATE = "regenerate the project with `hwgen rtl`"


def read_text(path: Path, what: str) -> str:
    """A generated text file (ASCII/UTF-8), or a one-line error naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise HwgenError(f"{what} {str(path)!r} is missing") from None
    except OSError as e:
        raise HwgenError(f"cannot read {what} {str(path)!r}: {e.strerror}") from None
    try:
        return data.decode()
    except UnicodeDecodeError as e:
        raise HwgenError(f"{what} {str(path)!r} is not text (byte {e.start}): the file is corrupted") from None


def read_json(path: Path, schema: dict[str, tuple[tuple[type, ...], bool]], hint: str) -> dict[str, Any]:
    """A JSON object whose keys match ``schema`` (types, required), or a one-line error naming the file and key."""
    text = read_text(path, "project file")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise HwgenError(f"{str(path)!r} is not valid JSON (line {e.lineno}, column {e.colno}): {hint}") from None
    if not isinstance(obj, dict):
        raise HwgenError(f"{str(path)!r} must hold a JSON object, got {type(obj).__name__}: {hint}")
    for key, (types, required) in schema.items():
        if key not in obj:
            if required:
                raise HwgenError(f"{str(path)!r} has no {key!r}: {hint}")
            continue
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, types):
            raise HwgenError(f"{str(path)!r}: {key!r} has the wrong type ({type(value).__name__}): {hint}")
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise HwgenError(f"{str(path)!r}: {key!r} is negative ({value}): {hint}")
    return obj


def _int_list(path: Path, obj: dict[str, Any], key: str, size: int) -> list[int]:
    values = obj[key]
    if len(values) != size:
        raise HwgenError(f"{str(path)!r}: {key!r} has {len(values)} values, the design needs {size}: {_REGENERATE}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise HwgenError(f"{str(path)!r}: {key!r} must hold integers only: {_REGENERATE}")
    return values


def read_rtl_project(outdir: Path, sources: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """plan.json and tb_vectors.json of an ``hwgen rtl`` directory, checked against each other.

    ``sources``: also require every Verilog file plan.json lists (unless cosim simulates other RTL).
    """
    if not outdir.is_dir():
        raise HwgenError(f"RTL directory {str(outdir)!r} {'is not a directory' if outdir.exists() else 'does not exist'}"
                         f" (`hwgen rtl -o DIR` writes the Verilog, plan.json and {VECTORS})")
    for name in ("plan.json", VECTORS):
        if not (outdir / name).exists():
            raise HwgenError(f"{str(outdir / name)!r} not found: generate OUTDIR with `hwgen rtl -o {outdir}`")
    plan = read_json(outdir / "plan.json", PLAN_SCHEMA, _REGENERATE)
    vec = read_json(outdir / VECTORS, VECTORS_SCHEMA, _REGENERATE)
    _int_list(outdir / VECTORS, vec, "input", plan["in_pixels"] * plan["in_channels"])
    _int_list(outdir / VECTORS, vec, "expected", plan["out_pixels"] * plan["out_channels"])
    for name, codes in vec.get("dram_maps", {}).items():
        if not isinstance(codes, list):
            raise HwgenError(f"{str(outdir / VECTORS)!r}: dram map {name!r} must be a list of codes: {_REGENERATE}")
        _int_list(outdir / VECTORS, vec["dram_maps"], name, len(codes))
    for i, image in enumerate(vec.get("batch", [])):
        if not isinstance(image, dict) or not isinstance(image.get("input"), list) or \
                not isinstance(image.get("expected"), list):
            raise HwgenError(f"{str(outdir / VECTORS)!r}: batch image {i} needs 'input' and 'expected' lists: "
                             f"{_REGENERATE}")
        _int_list(outdir / VECTORS, image, "input", plan["in_pixels"] * plan["in_channels"])
        _int_list(outdir / VECTORS, image, "expected", plan["out_pixels"] * plan["out_channels"])
    if not all(isinstance(s, str) and s and "/" not in s for s in plan["sources"]):
        raise HwgenError(f"{str(outdir / 'plan.json')!r}: 'sources' must be file names: {_REGENERATE}")
    if sources:
        images = [plan["dram_image"]] if plan.get("dram_image") else []
        for name in plan["sources"]:
            images += _READMEM.findall(read_text(outdir / name, "RTL source"))
        for name in images:
            _check_memory_image(outdir / name)
    return plan, vec


_READMEM = re.compile(r'\$readmem[hb]\s*\(\s*"([^"/]+)"')

_MEM_WORD = re.compile(r"(@?[0-9a-fA-FxXzZ_]+|//[^\n]*)")


def _check_memory_image(path: Path) -> None:
    """A $readmemh image: hex words, @addresses and // comments only (anything else the simulator would misread)."""
    for number, line in enumerate(read_text(path, "memory image").splitlines(), 1):
        code = line.split("//", 1)[0].split()
        if not all(_MEM_WORD.fullmatch(word) for word in code):
            raise HwgenError(f"memory image {str(path)!r} line {number} is not hex: {_REGENERATE}")


def check_top(rtl_dir: Path, top: str) -> None:
    """The Verilog in ``rtl_dir`` defines ``module top`` (a typo in --top fails here, not in the simulator)."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", top):
        raise HwgenError(f"--top {top!r} is not a Verilog module name")
    pattern = re.compile(rf"^\s*module\s+{re.escape(top)}\b", re.M)
    for path in sorted(rtl_dir.glob("*.v")) + sorted(rtl_dir.glob("*.sv")):
        if pattern.search(read_text(path, "RTL source")):
            return
    raise HwgenError(f"--top {top}: no `module {top}` in the Verilog of {str(rtl_dir)!r}")
