"""Hostile input never crashes the CLI: hypothesis over flag values, output paths and corrupted projects.

Every case must end with no traceback, exit 0 or 2 (1 only for a real FAIL verdict of csim/cosim),
an exit-2 message of exactly one line ``hwgen: ...``, strict JSON, and no directory left behind but
the ones a successful command wrote. The CLI runs in-process (``hwgen.cli.main`` inside click's
CliRunner isolation: a few ms a case); signals go to real subprocesses. Bounded for CI: the ci
profile's fixed (derandomized) example sequence, about 650 cases in all (nightly: 20x).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwgen.build import HwConfig, build
from hwgen.cli import main
from hwgen.cli.common import print_json
from hwgen.codegen import writer
from hwgen.errors import HwgenError
from hwgen.limits import LIMITS
from hwgen.verify import csim


def fuzz(examples: int) -> settings:
    """``examples`` under the ci profile of tests/conftest.py (derandomized), scaled with the loaded profile."""
    base = settings()
    return settings(base, max_examples=max(1, examples * base.max_examples // 100),
                    suppress_health_check=[*base.suppress_health_check, HealthCheck.function_scoped_fixture])


REPO = Path(__file__).resolve().parents[1]


def invoke(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``hwgen ARGS`` in-process in ``cwd``; an exception other than SystemExit fails the test (a traceback)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with CliRunner().isolation() as (out, err, _):
            try:
                main(args)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
        return code, out.getvalue().decode(errors="replace"), err.getvalue().decode(errors="replace")
    finally:
        os.chdir(old)


def _no_constant(name: str) -> None:
    raise AssertionError(f"JSON output holds {name}")


def check(args: list[str], code: int, out: str, err: str, verdict: bool = False) -> None:
    """The invariants of every case; ``verdict``: csim/cosim, where exit 1 is a FAIL verdict."""
    assert "Traceback" not in out + err, (args, err)
    assert code in ((0, 1, 2) if verdict else (0, 2)), (args, code, out[-300:], err)
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("hwgen: "), (args, err)
    if code == 0 and "json" in args:
        json.loads(out, parse_constant=_no_constant)
    if code == 0 and args[0] == "estimate":  # a non-finite figure would mean a non-finite input got through
        assert not re.search(r"\b(nan|inf)\b", out, re.I), (args, out)


def leftovers(directory: Path) -> list[str]:
    """Hidden entries (holders of the atomic writer) anywhere below ``directory``."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob(".*"))


# ---------------------------------------------------------------------------------------------- flag values

HOSTILE = st.one_of(
    st.sampled_from(["nan", "NaN", "inf", "-inf", "infinity", "-1", "0", "-0", "1", "2", "3", "8", "32", "33",
                     "1e308", "1e-12", "1e12", "2.5", "99999999999999999999", "", " ", "١٢", "٣٢", "1_0", "0x10",
                     "８", "1e3", "64", "224", "100000", "0.5", "8x7,8x1", "1x1,1x1", "0x0,0x0", "99999x99999,1x1",
                     "auto", "dram", "onchip", "pynq-z2", "zcu102", "\u202e", "😀", "--pe", "-o"]),
    st.integers(-2**70, 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=6),
)

ESTIMATE_FLAGS = ["--pe", "--clock-mhz", "--dram-gbps", "--act-bits", "--weight-bits", "--band-rows", "--split",
                  "--weights", "--board", "--alpha", "--resolution", "--format", "--variant", "--input-shape",
                  "--weight-scale", "--bogus"]
QUANTIZE_FLAGS = ["--calib", "--batch", "--seed", "--act-bits", "--weight-bits", "--format", "--alpha", "--data",
                  "--input-shape", "--weight-scale"]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


#: The command each ranged flag is swept on (model flags need a scalable model).
SWEEP = {"--calib": ["quantize", "tiny_dsc"], "--batch": ["quantize", "tiny_dsc"], "--seed": ["quantize", "tiny_dsc"],
         "--alpha": ["estimate", "mobilenet_v1"], "--resolution": ["estimate", "mobilenet_v1"],
         "--images": ["generate", "tiny_dsc", "-o", "never_written"],
         "--jobs": ["explore", "tiny_dsc", "-o", "never_written"],
         "--target-fps": ["explore", "tiny_dsc", "-o", "never_written"]}


@pytest.mark.parametrize("flag", sorted(LIMITS))
def test_every_ranged_flag_refuses_its_edges(work: Path, flag: str) -> None:
    """nan, ±inf and the first values outside the range, for every flag of hwgen.limits: exit 2 naming the flag."""
    lim = LIMITS[flag]
    below = lim.lo if lim.lo_open else lim.lo - (1 if lim.integer else lim.lo / 2 or 1)
    above = lim.hi + (1 if lim.integer else lim.hi)
    values = [below, above] + ([] if lim.integer else [float("nan"), float("inf"), float("-inf")])
    for value in values:
        text = str(int(value)) if lim.integer else repr(value)
        args = SWEEP.get(flag, ["estimate", "tiny_dsc"]) + [flag, text]
        code, out, err = invoke(args, work)
        assert code == 2 and err.startswith(f"hwgen: Invalid value for '{flag}': must be "), (args, err)


@fuzz(200)
@given(model=st.sampled_from(["tiny_dsc", "tiny_odd", "mobilenet_v1", "nosuch", ""]),
       flags=st.lists(st.tuples(st.sampled_from(ESTIMATE_FLAGS), HOSTILE), min_size=1, max_size=3),
       json_out=st.booleans())
def test_estimate_flags(work: Path, model: str, flags: list[tuple[str, str]], json_out: bool) -> None:
    args = ["estimate", model] + [a for pair in flags for a in pair] + (["--format", "json"] if json_out else [])
    code, out, err = invoke(args, work)
    check(args, code, out, err)
    assert leftovers(work) == []


@fuzz(120)
@given(flags=st.lists(st.tuples(st.sampled_from(QUANTIZE_FLAGS), HOSTILE), min_size=1, max_size=2))
def test_quantize_flags(work: Path, flags: list[tuple[str, str]]) -> None:
    # Valid --calib/--batch values up to 1024 are slow, not wrong: keep the fuzzed counts small.
    flags = [(f, v) for f, v in flags if not (f in ("--calib", "--batch") and v.strip().isdigit() and int(v) > 64)]
    args = ["quantize", "tiny_dsc"] + [a for pair in flags for a in pair] + ["--format", "json"]
    code, out, err = invoke(args, work)
    check(args, code, out, err)


# ---------------------------------------------------------------------------------------------- output paths

def make_paths(root: Path) -> Path:
    """A directory with a file, a dangling link, a non-empty directory and a link to a directory."""
    (root / "afile").write_text("x")
    (root / "dangling").symlink_to(root / "nowhere" / "x")
    make_paths_full(root)
    (root / "linked").mkdir()
    (root / "link").symlink_to(root / "linked")
    return root


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_paths(tmp_path_factory.mktemp("paths"))


PATHS = st.one_of(
    st.sampled_from([".", "..", "./", "", " ", "afile", "afile/x", "afile/x/y", "dangling", "full", "link", "/proc/x",
                     "/proc", "/", "a" * 250, "a" * 241, "b" * 60 + "/" + "c" * 250, "new/deep/dir", "x\x00y",
                     "проект", "sp ace", str(REPO), str(REPO / "hwgen" / "out"), "../" + "z"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12),
)


@fuzz(60)
@given(command=st.sampled_from(["generate", "rtl"]), outdir=PATHS, force=st.booleans())
def test_output_paths(paths: Path, command: str, outdir: str, force: bool) -> None:
    before = {p: p.stat().st_mtime_ns for p in paths.rglob("*") if not p.is_symlink()}
    args = [command, "tiny_dsc", "--pe", "32", "-o", outdir] + (["--force"] if force else [])
    code, out, err = invoke(args, paths)
    check(args, code, out, err)
    if code == 2:  # a refusal changes nothing
        after = {p: p.stat().st_mtime_ns for p in paths.rglob("*") if not p.is_symlink()}
        assert after == before, (args, err)
    else:  # a complete project, then undone so that the next example starts from the same tree
        target = (paths / outdir).resolve()
        assert (target / ("README.md" if command == "generate" else "plan.json")).is_file()
        if target == paths / "linked":
            for p in target.iterdir():
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        else:
            shutil.rmtree(target)
        if target.parent == paths and target.name == "full":
            make_paths_full(paths)
        for made in [target.parent, *target.parent.parents]:
            if made == paths or paths not in made.parents or any(made.iterdir()):
                break
            made.rmdir()
    assert leftovers(paths) == [], leftovers(paths)
    assert (paths / "afile").read_text() == "x" and (paths / "dangling").is_symlink()


def make_paths_full(root: Path) -> None:
    (root / "full").mkdir()
    (root / "full" / "keep.txt").write_text("keep")


def test_refused_paths_name_the_reason(tmp_path: Path) -> None:
    paths = make_paths(tmp_path)
    cases = {".": "names the current directory", "afile/x": "is a file, not a directory",
             "dangling": "is a dangling symbolic link", "a" * 250: "has a name of 250 bytes: at most 241",
             "/proc/x": "cannot be written", "full": "is not empty (use --force", "/proc": "",
             str(REPO): "overlaps hwgen's own package"}
    for outdir, reason in cases.items():
        code, out, err = invoke(["rtl", "tiny_dsc", "--pe", "32", "-o", outdir], paths)
        assert code == 2 and reason in err, (outdir, err)
    code, _, err = invoke(["rtl", "tiny_dsc", "--pe", "32", "-o", str(paths), "--force"], paths)
    assert code == 2 and "the current directory or one of its parents" in err


def test_symlink_to_a_directory_writes_the_directory(tmp_path: Path) -> None:
    paths = make_paths(tmp_path)
    code, out, err = invoke(["rtl", "tiny_dsc", "--pe", "32", "-o", "link"], paths)
    assert code == 0, err
    assert (paths / "link").is_symlink() and (paths / "linked" / "plan.json").is_file()


# ---------------------------------------------------------------------------------------------- corrupted projects

@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("projects")
    for command, name in (("rtl", "rtl"), ("generate", "hls")):
        code, _, err = invoke([command, "tiny_dsc", "--pe", "32", "-o", name], root)
        assert code == 0, err
    return {"rtl": root / "rtl", "hls": root / "hls"}


def files_of(project: Path) -> list[str]:
    return sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())


@st.composite
def corruption(draw: st.DrawFn, project: Path) -> tuple[str, str, float, int]:
    return (draw(st.sampled_from(files_of(project))), draw(st.sampled_from(["truncate", "delete", "flip", "empty"])),
            draw(st.floats(0, 1)), draw(st.integers(0, 255)))


def corrupt(project: Path, rel: str, how: str, where: float, byte: int) -> None:
    path = project / rel
    data = bytearray(path.read_bytes())
    if how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncate":
        path.write_bytes(bytes(data[:int(where * len(data))]))
    elif data:
        data[min(int(where * len(data)), len(data) - 1)] ^= byte or 0x80
        path.write_bytes(bytes(data))


class FakeRun:
    """Stands in for the simulator/compiler in the fuzz: the readers are under test, not Icarus or g++."""

    def __init__(self) -> None:
        self.calls = 0

    def cosim(self, rtl_dir, vectors, sim_dir, simulator=None, toplevel="hwgen_top", log_dir=None,  # noqa: ANN001
              phase=None):  # noqa: ANN001
        self.calls += 1
        return {"timeout": None, "mismatches": 0, "mismatches_backpressure": 0, "cycles": vectors["predicted_cycles"]}

    def subprocess_run(self, cmd, **kwargs):  # noqa: ANN001
        self.calls += 1
        out = "PASS: all layers bit-exact\n" if cmd[0].endswith("csim") else ""
        return subprocess.CompletedProcess(cmd, 0, out, "")


@fuzz(100)
@given(data=st.data())
def test_corrupted_rtl_project(projects: dict[str, Path], work: Path, data: st.DataObject,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRun()
    monkeypatch.setattr("hwgen.cli.rtl.run_cosim", fake.cosim)
    target = Path(tempfile.mkdtemp(dir=work, prefix="rtl_"))
    shutil.copytree(projects["rtl"], target, dirs_exist_ok=True)
    rel, how, where, byte = data.draw(corruption(projects["rtl"]))
    corrupt(target, rel, how, where, byte)
    top = data.draw(st.sampled_from(["hwgen_top", "hwgen_top", "nosuchtop", "bad name", ""]))
    args = ["cosim", str(target), "--top", top, "--json"]
    code, out, err = invoke(args, work)
    check(args, code, out, err, verdict=True)
    assert code != 1 or fake.calls, "exit 1 without a simulation is not a verdict"
    if code == 2:
        assert fake.calls == 0  # refused before the simulator was started
    shutil.rmtree(target)


@fuzz(100)
@given(data=st.data())
def test_corrupted_hls_project(projects: dict[str, Path], work: Path, data: st.DataObject,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeRun()
    monkeypatch.setattr(csim.subprocess, "run", fake.subprocess_run)
    target = Path(tempfile.mkdtemp(dir=work, prefix="hls_"))
    shutil.copytree(projects["hls"], target, dirs_exist_ok=True)
    rel, how, where, byte = data.draw(corruption(projects["hls"]))
    corrupt(target, rel, how, where, byte)
    args = ["csim", str(target)]
    code, out, err = invoke(args, work)
    check(args, code, out, err, verdict=True)
    if code == 2:
        assert fake.calls == 0
    shutil.rmtree(target)


def test_corrupted_files_are_named(projects: dict[str, Path], work: Path) -> None:
    """The reader's one-line messages, case by case (the fuzz above checks only their shape)."""
    cases = [
        ("rtl", "plan.json", "truncate", "plan.json' is not valid JSON"),
        ("rtl", "tb_vectors.json", "truncate", "tb_vectors.json' is not valid JSON"),
        ("rtl", "hwgen_top.v", "delete", "RTL source"),
        ("rtl", "hwgen_pw_w.mem", "delete", "memory image"),
        ("hls", "pw_engine.h", "flip", "is not text (byte"),
        ("hls", "pw_engine.h", "delete", "includes 'pw_engine.h', which is missing"),
        ("hls", "vectors/input.txt", "flip", "vectors/input.txt"),
    ]
    for kind, rel, how, expected in cases:
        target = work / f"named_{kind}"
        shutil.copytree(projects[kind], target)
        corrupt(target, rel, how, 0.5, 0xFF)
        args = ["cosim" if kind == "rtl" else "csim", str(target)]
        code, out, err = invoke(args, work)
        assert code == 2 and expected in err and len(err.splitlines()) == 1, (rel, how, err)
        shutil.rmtree(target)
    code, _, err = invoke(["csim", str(projects["rtl"] / "plan.json")], work)
    assert code == 2 and "is not a directory" in err


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="needs Icarus Verilog")
def test_cosim_build_failure_keeps_its_log(projects: dict[str, Path], work: Path) -> None:
    target, bad = work / "keeplog", work / "badrtl"
    shutil.copytree(projects["rtl"], target)
    bad.mkdir()
    (bad / "top.v").write_text("module hwgen_top(input x);\n  this is not verilog\nendmodule\n")
    code, out, err = invoke(["cosim", str(target), "--rtl-dir", str(bad)], work)
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "syntax error" in err and f"full log: {target / 'cosim_build.log'}" in err
    assert "syntax error" in (target / "cosim_build.log").read_text()


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_csim_vector_count_error_is_bad_input(projects: dict[str, Path], work: Path) -> None:
    """A vector file one value short reaches the real testbench, whose diagnosis becomes exit 2."""
    target = work / "short_vec"
    shutil.copytree(projects["hls"], target)
    lines = (target / "vectors" / "input.txt").read_text().splitlines()
    (target / "vectors" / "input.txt").write_text("\n".join(lines[:-1]) + "\n")
    code, out, err = invoke(["csim", str(target), "--unity"], work)
    assert code == 2, (out, err)
    assert err == f"hwgen: error: C-simulation testbench of {str(target)!r}: vectors/input.txt has " \
                  f"{len(lines) - 1} values, expected {len(lines)}\n"


# ---------------------------------------------------------------------------------------------- library, JSON, memory

@pytest.mark.parametrize("kwargs, message", [
    (dict(clock_mhz=float("nan")), "--clock-mhz must be a finite number, got nan"),
    (dict(clock_mhz=1e12), "--clock-mhz must be in 1..1000, got 1e+12"),
    (dict(dram_gbps=float("inf")), "--dram-gbps must be a finite number, got inf"),
    (dict(dram_gbps=1e-12), "--dram-gbps must be in 0.01..1000, got 1e-12"),
    (dict(pe=10**20), "--pe must be in 2..100000, got 100000000000000000000"),
    (dict(band_rows=0), "--band-rows must be in 1..1024, got 0"),
    (dict(pe=64.5), "--pe must be an integer, got 64.5"),
])
def test_hwconfig_rejects_what_the_cli_rejects(kwargs: dict, message: str) -> None:
    with pytest.raises(HwgenError) as e:
        HwConfig(**kwargs)
    assert str(e.value) == message


def test_library_seed_and_model_ranges() -> None:
    with pytest.raises(HwgenError, match=r"^--seed must be in 0\.\.4294967295, got -1$"):
        build("tiny_dsc", seed=-1)
    with pytest.raises(HwgenError, match=r"^--resolution must be in 32\.\.1024 and a multiple of 32, got 100000$"):
        build("mobilenet_v1", resolution=100000)


def test_json_output_is_strict(capsys: pytest.CaptureFixture) -> None:
    print_json({"sqnr": float("inf"), "rows": [float("nan"), 1.5, (float("-inf"), 2)]})
    assert json.loads(capsys.readouterr().out) == {"sqnr": None, "rows": [None, 1.5, [None, 2]]}


def test_memory_error_names_the_flag(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def huge(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("hwgen.cli.quantize.calibration_inputs", huge)
    code, _, err = invoke(["quantize", "tiny_dsc", "--calib", "1000"], work)
    assert (code, err) == (2, "hwgen: error: out of memory calibrating (--calib 1000): lower --calib\n")
    monkeypatch.setattr("hwgen.cli.common.build", huge)
    code, _, err = invoke(["rtl", "tiny_dsc", "-o", "m", "--resolution", "224"], work)
    assert (code, err) == (2, "hwgen: error: out of memory building the design (--resolution 224): "
                              "lower --resolution\n")


def test_missing_cocotb_names_the_extra(work: Path, projects: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cocotb_tools.runner", None)  # import fails as in an install without [sim]
    code, _, err = invoke(["cosim", str(projects["rtl"])], work)
    assert (code, err) == (2, "hwgen: error: cosim needs cocotb and cocotbext-axi: install them with "
                              "`pip install 'hwgen[sim]'`\n")


def test_docs_list_every_limit() -> None:
    """docs/cli.md's table and hwgen.limits agree, flag by flag."""
    text = (REPO / "docs" / "cli.md").read_text()
    for flag, lim in LIMITS.items():
        row = next((ln for ln in text.splitlines() if ln.startswith(f"| `{flag}` ")), None)
        assert row is not None, flag
        assert lim.describe().removeprefix("in ") in row, (flag, row)


# ---------------------------------------------------------------------------------------------- signals and stale temp dirs

SLOW_WRITE = """
import os, sys, time
from pathlib import Path
from hwgen.codegen import writer
real = writer.Path.write_bytes
def slow(self, data):
    Path(os.environ["READY"]).touch()   # the first file is being written: the signal lands mid-write
    time.sleep(0.05)
    return real(self, data)
writer.Path.write_bytes = slow
sys.argv = ["hwgen"] + sys.argv[1:]
from hwgen.__main__ import run
run()
"""


def start_slow_generate(tmp: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, READY=str(tmp / "ready"))
    return subprocess.Popen([sys.executable, "-c", SLOW_WRITE, "generate", "tiny_dsc", "--pe", "32", "-o", "out",
                             *args], cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(tmp: Path, proc: subprocess.Popen) -> None:
    t0 = time.monotonic()
    while not (tmp / "ready").exists():
        assert proc.poll() is None and time.monotonic() - t0 < 120, proc.communicate()
        time.sleep(0.01)


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_mid_write_leaves_nothing(tmp_path: Path, sig: int, code: int) -> None:
    proc = start_slow_generate(tmp_path)
    wait_ready(tmp_path, proc)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.out.")]  # the holder exists now
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (code, "hwgen: interrupted\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ready"]


def test_signal_during_force_replace_keeps_the_old_project(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.txt").write_text("previous")
    proc = start_slow_generate(tmp_path, "--force")
    wait_ready(tmp_path, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (143, "hwgen: interrupted\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ready"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["old.txt"]


def test_sigkill_leftovers_are_cleaned_by_the_next_run(tmp_path: Path) -> None:
    proc = start_slow_generate(tmp_path)
    wait_ready(tmp_path, proc)
    proc.kill()
    proc.communicate(timeout=60)
    holders = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.out.")]
    assert len(holders) == 1 and not (tmp_path / "out").exists()  # what SIGKILL leaves: the case to clean
    code, out, err = invoke(["generate", "tiny_dsc", "--pe", "32", "-o", "out"], tmp_path)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ready"]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_clean_stale_restores_a_project_moved_aside(tmp_path: Path) -> None:
    """SIGKILL between the two renames of --force: the old project sits in .NAME.old.X/x, the target is gone."""
    host = writer.socket.gethostname()
    old = tmp_path / ".out.old.abcd1234"
    (old / "x").mkdir(parents=True)
    (old / "x" / "plan.json").write_text("{}")
    (old / writer.OWNER).write_text(f"hwgen {dead_pid()} {host}\n")
    new = tmp_path / ".out.out.efgh5678"
    (new / "tree").mkdir(parents=True)
    (new / writer.OWNER).write_text(f"hwgen {dead_pid()} {host}\n")
    alive = tmp_path / ".out.out.live0000"
    alive.mkdir()
    (alive / writer.OWNER).write_text(f"hwgen {os.getpid()} {host}\n")
    foreign = tmp_path / ".out.out.other000"
    foreign.mkdir()
    (foreign / writer.OWNER).write_text(f"hwgen {dead_pid()} another-host\n")
    mine_not = tmp_path / ".out.out.user0000"
    mine_not.mkdir()
    (mine_not / "notes.txt").write_text("not ours")
    empty = tmp_path / ".out.out.empty000"
    empty.mkdir()
    os.utime(empty, (time.time() - 120, time.time() - 120))
    fresh = tmp_path / ".out.out.fresh000"  # a live run between mkdtemp and its owner file
    fresh.mkdir()
    removed = writer.clean_stale(tmp_path / "out")
    assert sorted(removed) == [".out.old.abcd1234", ".out.out.efgh5678", ".out.out.empty000"]
    assert (tmp_path / "out" / "plan.json").read_text() == "{}"
    assert alive.is_dir() and foreign.is_dir() and fresh.is_dir() and (mine_not / "notes.txt").is_file()


SLOW_IMPORT = """
import os, sys, time
from pathlib import Path
class SlowImport:  # holds the import of one module so that the signal lands while it loads
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["SLOW"]:
            Path(os.environ["READY"]).touch()
            time.sleep(30)
        return None
sys.meta_path.insert(0, SlowImport())
sys.argv = ["hwgen", "estimate", "tiny_dsc"]
from hwgen.__main__ import run
run()
"""


@pytest.mark.parametrize("module", ["click", "numpy"])
def test_ctrl_c_at_start_up_is_one_line(tmp_path: Path, module: str) -> None:
    """click loads right after the entry point's first handlers, numpy when main() loads the commands."""
    env = dict(os.environ, READY=str(tmp_path / "ready"), SLOW=module)
    proc = subprocess.Popen([sys.executable, "-c", SLOW_IMPORT], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    wait_ready(tmp_path, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (130, "hwgen: interrupted\n")


def test_images_that_do_not_fit_memory_are_refused(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hwgen.cli import params

    # tiny_dsc: 16x16x3 elements x 16 bytes = 12,288 bytes per image; 1 MB available holds 85 images.
    monkeypatch.setattr(params, "available_memory", lambda: 1_000_000)
    code, _, err = invoke(["quantize", "tiny_dsc", "--calib", "100"], work)
    assert (code, err) == (2, "hwgen: error: --calib 100 images of 16x16x3 need 1.2 MB, more than the 1.0 MB "
                              "available: lower --calib or --resolution\n")


def test_signals_deferred_delivers_after_the_block() -> None:
    got = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: got.append(("handled", signum)))
    try:
        with writer.signals_deferred():
            signal.raise_signal(signal.SIGTERM)
            got.append("block finished")
        assert got == ["block finished", ("handled", signal.SIGTERM)]
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to run as nobody")
def test_read_only_directory() -> None:
    """Root ignores permissions, so the command runs as nobody on a 0555 directory (the write probe refuses it)."""
    root = Path(tempfile.mkdtemp(prefix="hwgen_ro_"))
    try:
        root.chmod(0o755)
        (root / "ro").mkdir(mode=0o555)
        (root / "ro").chmod(0o555)
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
                               "hwgen", "rtl", "tiny_dsc", "--pe", "32", "-o", "ro/x"], cwd=root, capture_output=True,
                              text=True)
        assert (proc.returncode, proc.stderr) == (2, f"hwgen: error: output directory 'ro/x' cannot be written: "
                                                     f"{str(root / 'ro')!r}: Permission denied\n")
        assert list((root / "ro").iterdir()) == []
    finally:
        shutil.rmtree(root)
