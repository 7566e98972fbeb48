"""Mutants mutmut cannot make: it skips decorated functions, so ComputeOp.macs and ComputeOp.weights
(properties) are mutated here by hand, one source edit at a time, and the count oracle must fail on each.

Run: python tools/property_mutants.py   (part of `make mutation`, docs/mutation.md)
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPS = ROOT / "hwgen" / "ir" / "ops.py"
TESTS = ["tests/test_oracle_counts.py", "tests/test_zoo_analyze.py"]

DW_MACS = "            return self.kernel * self.kernel * h * w * c\n"
ALL_MACS = "        return self.kernel * self.kernel * cin * h * w * c\n"
DW_W = "            return self.kernel * self.kernel * cout\n"
ALL_W = "        return self.kernel * self.kernel * cin * cout\n"
#: (description, original line, mutated line); the first is the bug issue 16 planted.
MUTANTS = [
    ("dw MACs: one kernel factor dropped", DW_MACS, "            return self.kernel * h * w * c\n"),
    ("dw MACs: channels dropped", DW_MACS, "            return self.kernel * self.kernel * h * w\n"),
    ("dw MACs: width dropped", DW_MACS, "            return self.kernel * self.kernel * h * c\n"),
    ("MACs: input channels dropped", ALL_MACS, "        return self.kernel * self.kernel * h * w * c\n"),
    ("MACs: one kernel factor dropped", ALL_MACS, "        return self.kernel * cin * h * w * c\n"),
    ("MACs: height dropped", ALL_MACS, "        return self.kernel * self.kernel * cin * w * c\n"),
    ("pool MACs: counted as a conv", '        if self.kind == "pool":\n            return 0\n        return self.kernel * self.kernel * cin * h',
     '        if self.kind == "poolx":\n            return 0\n        return self.kernel * self.kernel * cin * h'),
    ("dw weights: one kernel factor dropped", DW_W, "            return self.kernel * cout\n"),
    ("dw weights: counted as a conv", DW_W, "            return self.kernel * self.kernel * cin * cout\n"),
    ("weights: input channels dropped", ALL_W, "        return self.kernel * self.kernel * cout\n"),
    ("weights: kernel squared dropped", ALL_W, "        return cin * cout\n"),
    ("pool weights: counted as a conv", '        if self.kind == "pool":\n            return 0\n        return self.kernel * self.kernel * cin * cout',
     '        if self.kind == "poolx":\n            return 0\n        return self.kernel * self.kernel * cin * cout'),
]


def main() -> int:
    original = OPS.read_text()
    survived = 0
    t0 = time.perf_counter()
    try:
        for desc, old, new in MUTANTS:
            if original.count(old) != 1:
                print(f"cannot apply {desc!r}: the original text is not unique in {OPS}")
                return 2
            OPS.write_text(original.replace(old, new))
            r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TESTS],
                               cwd=ROOT, capture_output=True, text=True)
            killed = r.returncode != 0
            survived += not killed
            print(f"{'killed  ' if killed else 'SURVIVED'} {desc}")
    finally:
        OPS.write_text(original)
    print(f"{len(MUTANTS) - survived}/{len(MUTANTS)} property mutants killed in {time.perf_counter() - t0:.0f} s")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
