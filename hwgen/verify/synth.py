"""Yosys synthesis of generated RTL for Xilinx 7-series (``xc7``) or UltraScale+ (``xcup``): resource counts from
``stat -json``, and the block RAM cells of every memory (:func:`memory_cells`)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hwgen.errors import HwgenError

#: Cell-type groups reported (Yosys 7-series and UltraScale+ primitives).
GROUPS = {
    "dsp": ("DSP48E1", "DSP48E2"),
    "bram36": ("RAMB36E1", "RAMB36E2"),
    "bram18": ("RAMB18E1", "RAMB18E2"),
    "lutram": ("RAM32M", "RAM64M", "RAM32X1D", "RAM64X1D", "RAM128X1D", "RAM256X1S", "RAM128X1S", "RAM64X1S",
               "RAM32X1S", "SRL16E", "SRLC32E"),
    "lut": ("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6"),
    "ff": ("FDRE", "FDSE", "FDCE", "FDPE"),
    "carry": ("CARRY4", "CARRY8"),
    "uram": ("URAM288",),
}


#: Files synthesize() lists each block RAM group's cells in (one "module/cell" per line).
RAM_LISTS = {"bram36": "ramb36.txt", "bram18": "ramb18.txt", "uram": "uram.txt"}


def _parse_stat(text: str) -> dict[str, Any]:
    # Yosys 0.23 writes a plain-text hierarchy listing into the JSON when the design is not flat;
    # those lines (no quotes, name then count) are dropped before parsing.
    lines = [ln for ln in text.splitlines() if not re.fullmatch(r"\s+[^\s\"{}]+\s+\d+\s*", ln)]
    return json.loads("\n".join(lines))


def _sources(rtl: Path) -> list[str]:
    sources = sorted(p.name for p in rtl.glob("*.v"))
    if not sources:
        raise HwgenError(f"no Verilog sources (*.v) in {str(rtl)!r}")
    return sources


def _run_yosys(rtl: Path, script: str, log: str | Path = "yosys.log") -> None:
    """Run a Yosys script in ``rtl`` (its log to ``log``); a failure is one HwgenError line naming the directory."""
    yosys = shutil.which("yosys")
    if yosys is None:
        raise HwgenError("yosys not found: install it with `apt-get install -y yosys`")
    proc = subprocess.run([yosys, "-q", "-l", str(log), "-p", script], cwd=rtl, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()
        raise HwgenError(f"yosys failed on {str(rtl)!r}: {last[-1] if last else 'see ' + str(log)}")


def _module_key(modules: dict[str, Any], name: str) -> str | None:
    # a stat's module key: "\\name" for a plain module, the name itself for a derived one
    return name if name in modules else (f"\\{name}" if f"\\{name}" in modules else None)


def synthesize(rtl_dir: str | Path, top: str = "hwgen_top", family: str = "xc7",
               blackbox: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run ``synth_xilinx -family FAMILY -noiopad`` in ``rtl_dir``; write stat.json and yosys.log there. The
    modules in ``blackbox`` (each in its own ``<module>.v``) are read as blackboxes: the rest synthesized alone."""
    rtl = Path(rtl_dir)
    sources = _sources(rtl)
    # The block RAM cells are listed by name (module/memory.i.j, memory_libmap's naming) so that each
    # memory's blocks can be counted (memory_cells).
    lists = "; ".join(f"tee -q -o {name} select -list {' '.join('t:' + c for c in GROUPS[key])}"
                      for key, name in RAM_LISTS.items())
    boxes = [f"{m}.v" for m in blackbox if f"{m}.v" in sources]
    lib = f"read_verilog -lib {' '.join(boxes)}; " if boxes else ""
    script = (f"{lib}read_verilog {' '.join(x for x in sources if x not in boxes)}; "
              f"synth_xilinx -family {family} -noiopad -top {top}; tee -q -o stat.json stat -json; {lists}")
    _run_yosys(rtl, script)
    stat = _parse_stat((rtl / "stat.json").read_text())
    cells: dict[str, int] = stat["design"]["num_cells_by_type"]
    report: dict[str, Any] = {k: sum(int(cells.get(c, 0)) for c in types) for k, types in GROUPS.items()}
    report["cells"] = {k: int(v) for k, v in sorted(cells.items()) if not k.startswith("$")}
    report["warnings"] = sum(1 for ln in (rtl / "yosys.log").read_text().splitlines() if ln.startswith("Warning"))
    report["memory_cells"] = memory_cells(rtl, top)
    return report


#: Helper modules whose LUTs count in the module that instantiates them (an engine's adder-tree nodes).
FOLDED = ("hwgen_add",)


def module_luts(rtl_dir: str | Path, top: str = "hwgen_top") -> dict[str, int]:
    """LUTs (LUT1-LUT6) per module of a design :func:`synthesize` wrote to ``rtl_dir``, over all its instances
    under ``top`` (a parameterised module's variants summed under its name; :data:`FOLDED` helpers in their
    parent's count): where the logic goes."""
    stat = _parse_stat((Path(rtl_dir) / "stat.json").read_text())["modules"]

    def base(module: str) -> str:
        # r"\m", r"$paramod$<hash>\m" or r"$paramod\m\P=v..." -> "m"
        parts = module.split("\\")
        return parts[1] if parts[0].startswith("$paramod") else parts[-1]

    out: dict[str, int] = {}

    def walk(module: str, instances: int, owner: str | None) -> None:
        cells = stat[module]["num_cells_by_type"]
        name = base(module)
        if name in FOLDED and owner is not None:
            name = owner
        out[name] = out.get(name, 0) + instances * sum(int(cells.get(c, 0)) for c in GROUPS["lut"])
        for sub, n in cells.items():
            child = _module_key(stat, sub)
            if child is not None and child != module:
                walk(child, instances * int(n), name)

    root = _module_key(stat, top)
    if root is None:
        raise HwgenError(f"no module {top!r} in {str(Path(rtl_dir) / 'stat.json')!r}")
    walk(root, 1, None)
    return dict(sorted(out.items()))


def _derived_params(log: str) -> dict[str, tuple[str, dict[str, str]]]:
    # Every variant Yosys derives of a parameterised module: its name -> (the module, the "Parameter \\P = V"
    # lines before Yosys names it).
    out: dict[str, tuple[str, dict[str, str]]] = {}
    cur: tuple[str, dict[str, str]] | None = None
    for ln in log.splitlines():
        m = re.search(r"Executing AST frontend in derive mode .*module `\\(\w+)'", ln)
        if m:
            cur = (m.group(1), {})
            continue
        m = re.match(r"Parameter \\(\w+) = (\S+)", ln)
        if m and cur is not None:
            cur[1][m.group(1)] = m.group(2)
            continue
        m = re.match(r"Generating RTLIL representation for module `(\$paramod.*)'\.?$", ln)
        if m and cur is not None:
            out[m.group(1)] = cur
            cur = None
    return out


def instance_luts(rtl_dir: str | Path, module: str, top: str = "hwgen_top", family: str = "xc7") -> int:
    """LUTs of every instance of ``module`` under ``top``, each of its parameter variants synthesized alone
    (``synth_xilinx -family FAMILY``; Yosys keeps the hierarchy, so a module's count does not depend on its
    neighbours) times its instances: one module of a large design re-measured in seconds."""
    rtl = Path(rtl_dir)
    sources = " ".join(_sources(rtl))
    with tempfile.TemporaryDirectory() as tmp:
        log, stat = Path(tmp) / "hierarchy.log", Path(tmp) / "hierarchy.json"
        _run_yosys(rtl, f"read_verilog {sources}; hierarchy -top {top}; tee -q -o {stat} stat -json", log)
        variants = {name: p for name, (mod, p) in _derived_params(log.read_text()).items() if mod == module}
        modules = _parse_stat(stat.read_text())["modules"]
        counts: dict[str, int] = {}

        def walk(name: str, n: int) -> None:
            for sub, k in modules[name]["num_cells_by_type"].items():
                child = _module_key(modules, sub)
                if child is None or child == name:
                    continue
                if child in variants or child == f"\\{module}":
                    counts[child] = counts.get(child, 0) + n * int(k)
                walk(child, n * int(k))

        walk(f"\\{top}", 1)
        total = 0
        for name, n in sorted(counts.items()):
            sets = " ".join(f"-set {k} {v}" for k, v in variants.get(name, {}).items())
            out = Path(tmp) / "variant.json"
            chparam = f"chparam {sets} {module}; " if sets else ""
            _run_yosys(rtl, f"read_verilog {sources}; {chparam}synth_xilinx -family {family} -noiopad -top {module}; "
                       f"tee -q -o {out} stat -json", Path(tmp) / "variant.log")
            cells = _parse_stat(out.read_text())["design"]["num_cells_by_type"]
            total += n * sum(int(cells.get(c, 0)) for c in GROUPS["lut"])
    return total


def _module_depths(log: str) -> dict[str, int]:
    # A parameterised module's DEPTH, by the name Yosys gives the variant.
    return {name: int(p["DEPTH"]) for name, (_, p) in _derived_params(log).items() if "DEPTH" in p}


def memory_cells(rtl_dir: str | Path, top: str = "hwgen_top") -> dict[str, dict[str, int]]:
    """Block RAM cells per memory of a design :func:`synthesize` wrote to ``rtl_dir``: keys ``module/memory``
    (``hwgen_pw_engine/wrom``; a parameterised module as ``name#DEPTH``, e.g. ``hwgen_fmem#5042/mem``), values
    the cells of one instance by group (bram36, bram18, uram) and ``instances``, how many times ``top``
    instantiates the module (1 for ``top`` itself)."""
    rtl = Path(rtl_dir)
    stat = _parse_stat((rtl / "stat.json").read_text())["modules"]
    depths = _module_depths((rtl / "yosys.log").read_text())

    def label(module: str) -> str:
        name = module.split("\\")[-1].lstrip("\\")
        return f"{name}#{depths[module]}" if module in depths else name

    top_cells = {k.lstrip("\\"): int(v) for k, v in stat[f"\\{top}"]["num_cells_by_type"].items()}
    out: dict[str, dict[str, int]] = {}
    source: dict[str, str] = {}  # key -> the module counted (modules differing in other parameters are alike)
    for key, name in RAM_LISTS.items():
        for ln in (rtl / name).read_text().splitlines():
            module, _, cell = ln.strip().rpartition("/")
            if not module:
                continue
            mem = f"{label(module)}/{cell.split('.')[0]}"
            if source.setdefault(mem, module) != module:
                continue
            entry = out.setdefault(mem, {"bram36": 0, "bram18": 0, "uram": 0,
                                         "instances": top_cells.get(module.lstrip("\\"), 1)})
            entry[key] += 1
    return out
