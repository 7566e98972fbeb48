"""Mutation score of the modules every stage shares (docs/mutation.md); not part of `make test` or CI.

Each group mutates one module with mutmut and runs only the tests chosen for it (mutmut narrows them
further, per mutant, to those that execute the mutated function). Every group runs in its own scratch
directory, build/mutation/<group>/, holding links to hwgen/ and tests/ and a pyproject.toml with that
group's [tool.mutmut] section, so the repository's sources are never edited and a group can be re-run
alone. The ``properties`` group holds hand-written mutants of the ComputeOp.macs / .weights properties,
which mutmut skips (it does not mutate decorated functions), applied to a copy of hwgen/.

Run:  python tests/mutation/run.py [GROUP ...]      (no GROUP: all of them; `make mutation`)
      cd build/mutation/GROUP && ../../../.venv/bin/mutmut show NAME    (one mutant's diff)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRATCH = ROOT / "build" / "mutation"

#: the fast unit and oracle tests of the arithmetic, contract and schedule (no C-sim, no RTL)
_ARITHMETIC_TESTS = [
    "tests/test_fixed_semantics.py", "tests/test_hw_contract.py", "tests/test_golden.py", "tests/test_sim.py",
    "tests/test_zoo_analyze.py", "tests/test_oracle_counts.py", "tests/test_oracle_bands.py",
    "tests/test_oracle_schedule.py",
]
#: the two slowest of them (a full MobileNet quantization, a 256-PE pynq-z2 search) add nothing the rest miss
_ARITHMETIC_SKIP = "not mobilenet_quantizes_within_int64 and not 1.0-224-256"

#: group -> (mutated module, test files, pytest -k expression or "")
GROUPS: dict[str, tuple[str, list[str], str]] = {
    "fixed": ("hwgen/numerics/fixed.py", _ARITHMETIC_TESTS, _ARITHMETIC_SKIP),
    "contract": ("hwgen/hw/contract.py", _ARITHMETIC_TESTS + ["tests/test_oracle_memory.py"], _ARITHMETIC_SKIP),
    "steps": ("hwgen/hw/steps.py", _ARITHMETIC_TESTS, _ARITHMETIC_SKIP),
    # every test that builds a network lowers it; the lowering oracle alone checks every field of every op
    "ops": ("hwgen/ir/ops.py", ["tests/test_oracle_lowering.py", "tests/test_oracle_counts.py", "tests/test_graph.py"],
            ""),
    "plan": ("hwgen/mapping/plan.py", ["tests/test_oracle_memory.py", "tests/test_sim_mapping.py"],
             "not mobilenet and not 1.0-224"),
}

_DW_MACS = "            return self.kernel * self.kernel * h * w * c\n"
_ALL_MACS = "        return self.kernel * self.kernel * cin * h * w * c\n"
_DW_W = "            return self.kernel * self.kernel * cout\n"
_ALL_W = "        return self.kernel * self.kernel * cin * cout\n"
_POOL_MACS = '        if self.kind == "pool":\n            return 0\n        return self.kernel * self.kernel * cin * h'
_POOL_W = '        if self.kind == "pool":\n            return 0\n        return self.kernel * self.kernel * cin * cout'
#: (description, original text, mutated text) in hwgen/ir/ops.py; the first is the bug issue 16 planted.
PROPERTY_MUTANTS = [
    ("dw MACs: one kernel factor dropped", _DW_MACS, "            return self.kernel * h * w * c\n"),
    ("dw MACs: channels dropped", _DW_MACS, "            return self.kernel * self.kernel * h * w\n"),
    ("dw MACs: width dropped", _DW_MACS, "            return self.kernel * self.kernel * h * c\n"),
    ("MACs: input channels dropped", _ALL_MACS, "        return self.kernel * self.kernel * h * w * c\n"),
    ("MACs: one kernel factor dropped", _ALL_MACS, "        return self.kernel * cin * h * w * c\n"),
    ("MACs: height dropped", _ALL_MACS, "        return self.kernel * self.kernel * cin * w * c\n"),
    ("pool MACs: counted as a conv", _POOL_MACS, _POOL_MACS.replace('"pool"', '"poolx"')),
    ("dw weights: one kernel factor dropped", _DW_W, "            return self.kernel * cout\n"),
    ("dw weights: counted as a conv", _DW_W, "            return self.kernel * self.kernel * cin * cout\n"),
    ("weights: input channels dropped", _ALL_W, "        return self.kernel * self.kernel * cout\n"),
    ("weights: kernel squared dropped", _ALL_W, "        return cin * cout\n"),
    ("pool weights: counted as a conv", _POOL_W, _POOL_W.replace('"pool"', '"poolx"')),
]
PROPERTY_TESTS = ["tests/test_oracle_counts.py", "tests/test_zoo_analyze.py", "tests/test_oracle_lowering.py"]

#: mutmut exit codes of a mutant run (mutmut.stats.status_by_exit_code) -> how this report counts them
_STATUS = {1: "killed", 3: "killed", 0: "alive", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
           255: "timeout", 33: "no tests", 5: "no tests"}


def _toml_list(values: list[str]) -> str:
    return json.dumps(values)  # a JSON array of strings is a TOML array


def _pyproject(module: str, tests: list[str], k: str) -> str:
    pytest_ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    args = ["-p", "no:cacheprovider", "-q", "-m", "not slow"] + (["-k", k] if k else [])
    return "\n".join([
        "[tool.pytest.ini_options]",
        f"markers = {_toml_list(pytest_ini['markers'])}",
        "[tool.mutmut]",
        'source_paths = ["hwgen/"]',
        f"only_mutate = {_toml_list([module])}",
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
        f"pytest_add_cli_args = {_toml_list(args)}",
        # a mutant that loops forever (schedule_steps never advancing) is stopped after 3x (its tests' clean time
        # + 20 s) of CPU: the clean time counts only the test calls, not pytest's start-up in the forked worker,
        # so a smaller margin stops slow but finished runs (an equivalent mutant counted as a time-out)
        "timeout_multiplier = 3.0",
        "timeout_constant = 20.0",
        "",
    ])


def _scratch(group: str, copy_sources: bool) -> Path:
    d = SCRATCH / group
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    (d / "tests").symlink_to(ROOT / "tests")
    if copy_sources:
        shutil.copytree(ROOT / "hwgen", d / "hwgen", ignore=shutil.ignore_patterns("__pycache__"))
    else:
        (d / "hwgen").symlink_to(ROOT / "hwgen")
    return d


def run_group(group: str) -> tuple[dict[str, int], list[str]]:
    """Mutate one module and run its tests; returns (status counts, names of the live mutants)."""
    module, tests, k = GROUPS[group]
    d = _scratch(group, copy_sources=False)
    (d / "pyproject.toml").write_text(_pyproject(module, tests, k))
    env = dict(os.environ, HYPOTHESIS_PROFILE="mutation")
    mutmut = Path(sys.executable).with_name("mutmut")
    r = subprocess.run([str(mutmut), "run", "--max-children", "2"], cwd=d, env=env, capture_output=True, text=True)
    (d / "mutmut.log").write_text(r.stdout + r.stderr)
    meta = d / "mutants" / (module + ".meta")
    if not meta.exists():
        raise SystemExit(f"mutmut run of group {group!r} failed (exit {r.returncode}); see {d / 'mutmut.log'}")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    counts: dict[str, int] = {}
    alive = []
    for name, code in sorted(codes.items()):
        status = _STATUS.get(code, f"exit {code}")
        counts[status] = counts.get(status, 0) + 1
        if status != "killed" and status != "timeout":
            alive.append(f"{name} ({status})")
    return counts, alive


def run_properties() -> tuple[dict[str, int], list[str]]:
    """Apply each hand-written property mutant to a copy of hwgen/ and run the count oracles on it."""
    d = _scratch("properties", copy_sources=True)
    ops = d / "hwgen" / "ir" / "ops.py"
    original = ops.read_text()
    counts: dict[str, int] = {}
    alive = []
    for desc, old, new in PROPERTY_MUTANTS:
        if original.count(old) != 1:
            raise SystemExit(f"property mutant {desc!r}: its original text is not unique in hwgen/ir/ops.py")
        ops.write_text(original.replace(old, new))
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *PROPERTY_TESTS],
                           cwd=d, env=dict(os.environ, HYPOTHESIS_PROFILE="mutation"), capture_output=True, text=True)
        status = "killed" if r.returncode != 0 else "alive"
        counts[status] = counts.get(status, 0) + 1
        if status == "alive":
            alive.append(desc)
    ops.write_text(original)
    return counts, alive


def main(argv: list[str]) -> int:
    names = argv or [*GROUPS, "properties"]
    unknown = [n for n in names if n not in GROUPS and n != "properties"]
    if unknown:
        print(f"unknown mutation group {unknown[0]!r}: expected one of {', '.join([*GROUPS, 'properties'])}")
        return 2
    any_alive = False
    for name in names:
        t0 = time.perf_counter()
        counts, alive = run_properties() if name == "properties" else run_group(name)
        total = sum(counts.values())
        parts = ", ".join(f"{v} {s}" for s, v in sorted(counts.items()))
        print(f"{name}: {total} mutants: {parts} ({time.perf_counter() - t0:.0f} s)")
        for a in alive:
            print(f"    alive: {a}")
        any_alive |= bool(alive)
    return 1 if any_alive else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
