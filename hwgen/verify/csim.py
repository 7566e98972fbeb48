"""C-simulation of a generated HLS project with g++ and the standalone ap_types headers."""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hwgen.codegen.vectors import read_vectors
from hwgen.errors import HwgenError
from hwgen.verify.project import read_text

#: The flags the generated C++ must compile cleanly with (plus -O level and the ap_types include).
CXXFLAGS = ("-std=c++14", "-Wall", "-Wno-unknown-pragmas")

AP_TYPES_INSTALL = "pip install --no-deps hls4ml"

GXX_INSTALL = "apt-get install -y g++"

RUN_TIMEOUT_S = 1800

_FAIL = re.compile(r"^FAIL: layer (?P<layer>.+) index (?P<index>-?\d+): got (?P<got>-?\d+) expected (?P<exp>-?\d+)$",
                   re.M)

_CHECKED = re.compile(r"^layer (?P<layer>\S+): (?P<n>\d+)/(?P<total>\d+) values checked$", re.M)


@dataclass(frozen=True)
class Mismatch:
    """The first value that differs from the golden model."""

    layer: str  # op name, or "output" / "tlast" / "output beats" for the stream checks
    index: int
    got: int
    expected: int

    def __str__(self) -> str:
        return f"layer {self.layer} index {self.index}: got {self.got} expected {self.expected}"


@dataclass
class CsimResult:
    passed: bool
    first_mismatch: Mismatch | None
    seconds: float  # compile + run
    compile_seconds: float
    run_seconds: float
    warnings: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # values compared per layer
    compile_error: str = ""
    output: str = ""
    images: int = 0  # images the testbench ran and compared (vectors/ plus vectors/batch/*)


def ap_types_dir() -> Path:
    """The ap_types folder shipped in the hls4ml wheel, found without importing hls4ml."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is not None and spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            path = Path(root) / "templates" / "vivado" / "ap_types"
            if (path / "ap_int.h").is_file():
                return path
    raise HwgenError(f"ap_types headers not found (install them with `{AP_TYPES_INSTALL}`)")


def gxx() -> str:
    path = shutil.which("g++")
    if path is None:
        raise HwgenError(f"g++ not found (install it with `{GXX_INSTALL}`)")
    return path


_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)

_ADD_FILES = re.compile(r"^add_files\s+(?:-tb\s+)?(\S+)", re.M)

#: The testbench's own diagnosis of a vector file it cannot use (it then exits with status 2).
_TB_ERROR = re.compile(r"^ERROR: (.+)$", re.M)


def project_sources(outdir: Path, include_dirs: tuple[Path, ...] = ()) -> list[Path]:
    """The C++ sources of a generated HLS project, after checking the project is whole.

    Every file build.tcl adds exists; every source and header is text and its local includes exist;
    (in the project or ``include_dirs``, the ap_types headers); every vector file holds integers.
    A failure is one line naming the file.
    """
    sources = sorted(outdir.glob("*.cpp"))
    if not any(p.name.startswith("tb_") for p in sources) or not (outdir / "vectors").is_dir():
        raise HwgenError(f"{str(outdir)!r} is not a generated HLS project (no tb_*.cpp and vectors/)")
    if (outdir / "build.tcl").exists():
        for name in _ADD_FILES.findall(read_text(outdir / "build.tcl", "project file")):
            if not (outdir / name).exists():
                raise HwgenError(f"{str(outdir / name)!r}, listed in build.tcl, is missing: regenerate the project "
                                 "with `hwgen generate`")
    for path in sources + sorted(outdir.glob("*.h")):
        for name in _INCLUDE.findall(read_text(path, "HLS source")):
            if not any((d / name).is_file() for d in (outdir, *include_dirs)):
                raise HwgenError(f"HLS source {str(path)!r} includes {name!r}, which is missing from {str(outdir)!r}")
    for path in sorted((outdir / "vectors").rglob("*.txt")):  # the first image's and vectors/batch/*
        read_vectors(path)
    return sources


def run_csim(outdir: str | Path, opt: str = "-O2", unity: bool = False,
             phase: Callable[[str], None] | None = None) -> CsimResult:
    """Compile the project's sources with the testbench, run it on vectors/, parse PASS/FAIL.

    ``unity`` compiles all sources as one translation unit (the ap_types headers are
    parsed once: about 3x faster to compile); the default compiles them separately,
    as Vitis does. ``phase`` is told each step (compile, each image's run).
    """
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise HwgenError(f"project directory {str(outdir)!r} "
                         f"{'is not a directory' if outdir.exists() else 'does not exist'}")
    compiler, include = gxx(), ap_types_dir()
    sources = project_sources(outdir, (include,))
    with tempfile.TemporaryDirectory(prefix="hwgen-csim-") as tmp:
        binary = Path(tmp) / "csim"
        inputs = [str(p.resolve()) for p in sources]
        if unity:
            unit = Path(tmp) / "unity.cpp"
            unit.write_text("".join(f'#include "{p}"\n' for p in inputs))
            inputs = [str(unit)]
        cmd = [compiler, *CXXFLAGS, opt, "-isystem", str(include), *inputs, "-o", str(binary)]
        if phase:
            phase(f"compiling {len(sources)} sources with {Path(compiler).name} {opt}")
        t0 = time.perf_counter()
        # errors="replace": a corrupted source can make g++ echo bytes that are not UTF-8.
        comp = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        t1 = time.perf_counter()
        warnings = [line for line in comp.stderr.splitlines() if "warning:" in line]
        if comp.returncode != 0:
            return CsimResult(False, None, t1 - t0, t1 - t0, 0.0, warnings, compile_error=comp.stderr)
        folders = ["vectors"] + sorted(str(p.relative_to(outdir)) for p in (outdir / "vectors" / "batch").glob("*")
                                       if p.is_dir())
        out, passed, mismatch, checked = "", True, None, {}
        for i, folder in enumerate(folders):  # one binary, every image's vectors
            if phase:
                phase(f"running the testbench on {folder} ({i + 1}/{len(folders)})")
            try:
                run = subprocess.run([str(binary), folder], cwd=outdir, capture_output=True, text=True,
                                     errors="replace", timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                t2 = time.perf_counter()
                return CsimResult(False, None, t2 - t0, t1 - t0, t2 - t1, warnings,
                                  output=f"testbench still running after {RUN_TIMEOUT_S} s ({folder}): stopped")
            text = run.stdout + run.stderr
            tb_error = _TB_ERROR.search(text)
            if run.returncode == 2 and tb_error:  # a vector file the testbench cannot use: bad input, not a verdict
                raise HwgenError(f"C-simulation testbench of {str(outdir)!r}: {tb_error[1]}")
            fail = _FAIL.search(text)
            ok = run.returncode == 0 and "PASS:" in text and not fail
            if folder == "vectors":
                out = text
                checked = {m["layer"]: int(m["n"]) for m in _CHECKED.finditer(text)}
            elif not ok:  # an extra image: only its failure is worth a line
                out += f"{folder}: {text.strip().splitlines()[-1] if text.strip() else 'no output'}\n"
            if fail and mismatch is None:
                layer = fail["layer"] if folder == "vectors" else f"{fail['layer']} ({folder})"
                mismatch = Mismatch(layer, int(fail["index"]), int(fail["got"]), int(fail["exp"]))
            passed = passed and ok
        t2 = time.perf_counter()
    return CsimResult(passed, mismatch, t2 - t0, t1 - t0, t2 - t1, warnings, checked, output=out,
                      images=len(folders))
