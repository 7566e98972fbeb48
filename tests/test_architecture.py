"""The package's imports flow one way down the pipeline (model -> graph -> quantized graph -> mapping ->
estimate / codegen -> verification -> CLI), checked statically from the AST (type-only imports count)."""
from __future__ import annotations

import ast
from pathlib import Path

import hwgen

#: Stage of each top-level part of the package; a module may import its own part or a lower stage only.
STAGES: dict[str, int] = {
    "hwgen.errors": 0,
    "hwgen.limits": 1,
    "hwgen.ir": 1,
    "hwgen.numerics": 2,
    "hwgen.models": 3,
    "hwgen.quant": 4,
    "hwgen.hw": 4,
    "hwgen.mapping": 5,
    "hwgen.estimate": 6,
    "hwgen.codegen": 7,
    "hwgen.build": 8,
    "hwgen.verify": 8,
    "hwgen.sim": 8,
    "hwgen.explore": 9,
    "hwgen.cli": 10,
    "hwgen.__main__": 11,
}


def part_of(module: str, stages: dict[str, int]) -> str | None:
    """The longest key of ``stages`` that ``module`` lies in (``hwgen`` itself, the public API, has none)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in stages:
            return ".".join(parts[:n])
    return None


def imports_of(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, imported module) of every import in ``path``, relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                head = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(head + ([base] if base else []))
            out += [(node.lineno, base)] + [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return out


def violations(root: Path, package: str, stages: dict[str, int]) -> list[str]:
    """Imports of a higher stage, or of a sibling part of the same stage, by modules under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("").parts
        module = ".".join((package,) + rel).removesuffix(".__init__")
        mine = part_of(module, stages)
        if mine is None:
            continue
        for line, target in imports_of(path, module):
            theirs = part_of(target, stages)
            if theirs is None or theirs == mine:
                continue
            if stages[theirs] >= stages[mine]:
                found.append(f"{path.name}:{line}: {module} ({mine}, stage {stages[mine]}) imports {target} "
                             f"({theirs}, stage {stages[theirs]})")
    return found


def test_every_part_of_the_package_has_a_stage():
    root = Path(hwgen.__file__).parent
    parts = {f"hwgen.{p.stem}" for p in root.iterdir() if (p.suffix == ".py" or (p / "__init__.py").exists())}
    parts -= {"hwgen.__init__"}
    assert parts <= set(STAGES), sorted(parts - set(STAGES))


def test_imports_flow_one_way():
    import hwgen.sim  # the top-level sim/ folder, installed as hwgen.sim

    assert violations(Path(hwgen.__file__).parent, "hwgen", STAGES) == []
    assert violations(Path(hwgen.sim.__file__).parent, "hwgen.sim", STAGES) == []


def test_the_checker_catches_an_upward_import(tmp_path):
    """The rule checker itself: a lower stage importing a higher one (even for typing only) is reported."""
    pkg = tmp_path / "pkg"
    (pkg / "low").mkdir(parents=True)
    (pkg / "high").mkdir()
    (pkg / "low" / "__init__.py").write_text("")
    (pkg / "high" / "__init__.py").write_text("")
    (pkg / "high" / "b.py").write_text("from pkg.low.a import f\n")
    (pkg / "low" / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                      "    from ..high.b import g\n\ndef f(): ...\n")
    stages = {"pkg.low": 0, "pkg.high": 1}
    found = violations(pkg, "pkg", stages)
    assert found == ["a.py:3: pkg.low.a (pkg.low, stage 0) imports pkg.high.b (pkg.high, stage 1)",
                     "a.py:3: pkg.low.a (pkg.low, stage 0) imports pkg.high.b.g (pkg.high, stage 1)"]


def test_every_subpackage_ships_in_the_wheel():
    """pyproject lists packages explicitly (templates/ and sim/ are mapped in): a new subpackage must be listed."""
    import tomllib

    root = Path(hwgen.__file__).parent
    listed = set(tomllib.loads((root.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(("hwgen",) + p.parent.relative_to(root).parts) for p in root.rglob("__init__.py")}
    assert found - listed == set()
