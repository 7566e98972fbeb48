"""The LUT model (hwgen.hw.resources.lut_parts) against Yosys: per design and per module (requantizers, word
packers, PW / DW / pool engines, top with the weight gearbox and the memories' glue) the model's LUTs against
Yosys' (synth_xilinx -family xc7, LUT1-LUT6 over all instances) and their ratio, and the PW engine alone under
-family xcup (the UltraScale+ boards' family) against the model's xcup fit; with --fit, the non-negative
least-squares coefficients over the designs (what LUT_COEF and LUT_COEF_XCUP hold: docs/estimate.md, "LUTs").

Run from the repository root: python benchmarks/bench_lut_model.py [--dir D] [--fit] [--save F] [NAME ...]
(names from DESIGNS; default: all. Each design's RTL and Yosys runs are kept in D/NAME and D/NAME-xcup-pw
(default: a temporary directory) and reused when their stat.json exists. The MobileNet designs take 5-35
minutes of Yosys each on the 2-core machine.) With --alone PARTS (of requant, wpack, pw, dw, pool, top) only
those parts are synthesized, each module alone (ALONE_TOPS), the others read from --base (a saved fixture): the
way to re-measure after a change to one module, or a design too large to synthesize whole.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hwgen.build import HwConfig, build  # noqa: E402
from hwgen.hw.resources import (LUT_COEF, LUT_COEF_XCUP, LUT_MODULES, LutInputs, fit_lut_coefficients,  # noqa: E402
                                 lut_features, lut_parts)
from hwgen.models.zoo import get_model  # noqa: E402
from hwgen.verify.synth import instance_luts, module_luts, synthesize  # noqa: E402

#: name -> (zoo model, model args, HwConfig args)
DESIGNS = {
    "tiny-3x2,2x1": ("tiny_dsc", {}, {"pe": 8, "split": "3x2,2x1"}),
    "tiny-8x4,4x1": ("tiny_dsc", {}, {"pe": 36, "split": "8x4,4x1"}),
    "tiny-8x4,4x3": ("tiny_dsc", {}, {"pe": 44, "split": "8x4,4x3"}),
    "tiny-8x4,4x9": ("tiny_dsc", {}, {"pe": 68, "split": "8x4,4x9"}),
    "tiny-8x4,4x9-wdram": ("tiny_dsc", {}, {"pe": 68, "split": "8x4,4x9", "weights": "dram"}),
    "tiny-11x4,2x9": ("tiny_dsc", {}, {"pe": 64, "split": "11x4,2x9"}),
    "tiny-16x4,4x9": ("tiny_dsc", {}, {"pe": 100, "split": "16x4,4x9"}),
    "tiny-16x8,8x9": ("tiny_dsc", {}, {"pe": 200, "split": "16x8,8x9"}),
    "tiny-16x16,16x1": ("tiny_dsc", {}, {"pe": 272, "split": "16x16,16x1"}),
    "tiny-4x16,16x3": ("tiny_dsc", {}, {"pe": 112, "split": "4x16,16x3"}),
    "tiny-22x16,16x9": ("tiny_dsc", {}, {"pe": 496, "split": "22x16,16x9"}),
    # the splits the mapper chose when these were first measured, pinned: the mapper reads the LUT model
    "tiny_dsc4-pe64": ("tiny_dsc4", {}, {"pe": 64, "split": "9x5,2x9"}),
    "mnet0.25-128-pe128": ("mobilenet_v1", {"alpha": 0.25, "resolution": 128}, {"pe": 128, "split": "13x8,8x3"}),
    "mnet1.0-224-pe64": ("mobilenet_v1", {}, {"pe": 64, "board": "zcu104", "split": "5x12,4x1"}),
    # zcu104's peak (bench_throughput), measured module by module alone (--alone requant,wpack,pw,dw,pool,top)
    "mnet1.0-224-pe2560": ("mobilenet_v1", {}, {"pe": 2560, "board": "zcu104", "split": "43x52,47x3",
                                                 "pixels_per_beat": 5}),
}



#: The module each part measured alone (--alone) is synthesized as: an engine alone (its own LUTs), the word
#: packers and requantizers as each of their variants alone times its instances (hwgen.verify.synth.instance_luts),
#: the top with the engines as blackboxes.
ALONE_TOPS = {"pw": "hwgen_pw_engine", "dw": "hwgen_dw_engine", "pool": "hwgen_pool_engine", "wpack": "hwgen_wpack",
              "requant": "hwgen_requant", "top": "hwgen_top"}
ENGINES = ("hwgen_pw_engine", "hwgen_dw_engine", "hwgen_pool_engine")


def synth_once(design, d: Path, top: str, family: str, blackbox: tuple[str, ...] = ()) -> dict[str, int]:
    """Yosys LUTs per module of ``top`` synthesized in ``d`` (reused when d/stat.json exists)."""
    if not (d / "stat.json").exists():
        design.write_rtl(d, force=True)
        synthesize(d, top=top, family=family, blackbox=blackbox)
    return module_luts(d, top=top)


def measure(name: str, root: Path, alone: tuple[str, ...] = (), base: dict | None = None) -> tuple[LutInputs, dict, int]:
    """(the model's inputs for xc7, Yosys xc7 LUTs per part, Yosys xcup LUTs of the PW engine alone) of design
    ``name``, synthesized into root/name and root/name-xcup-pw. The parts in ``alone`` are measured by
    synthesizing their module alone (:data:`ALONE_TOPS`, in root/name-xc7-PART or root/name-rtl; Yosys keeps the
    hierarchy, so a module alone is its count in the design), the other parts taken from ``base`` (a saved
    fixture) instead of the whole design."""
    model, margs, hw = DESIGNS[name]
    design = build(get_model(model, **margs), HwConfig(**hw))
    if alone:
        yosys = dict(base[name]["yosys"]) if base and name in base else {}
        for part in alone:
            if part in ("wpack", "requant"):
                d = root / f"{name}-rtl"
                if not d.exists():
                    design.write_rtl(d, force=True)
                yosys[part] = instance_luts(d, ALONE_TOPS[part])
            elif part == "top":
                got = synth_once(design, root / f"{name}-xc7-top", "hwgen_top", "xc7", ENGINES)
                yosys[part] = sum(got.get(mod, 0) for mod in LUT_MODULES["top"])
            else:
                yosys[part] = synth_once(design, root / f"{name}-xc7-{part}", ALONE_TOPS[part], "xc7")[ALONE_TOPS[part]]
    else:
        got = synth_once(design, root / name, "hwgen_top", "xc7")
        yosys = {part: sum(got.get(mod, 0) for mod in mods) for part, mods in LUT_MODULES.items()}
    xcup_pw = synth_once(design, root / f"{name}-xcup-pw", "hwgen_pw_engine", "xcup")["hwgen_pw_engine"]
    li = design.mapping.luts._replace(family="xc7")  # the whole-design runs are -family xc7
    return li, yosys, xcup_pw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", metavar="NAME", help=f"designs (default: all): {', '.join(DESIGNS)}")
    ap.add_argument("--dir", help="keep each design's RTL and Yosys run here (reused when present)")
    ap.add_argument("--alone", default="", help="measure these parts (comma-separated: pw,dw,pool,wpack,"
                                                "requant,top) by synthesizing their module alone, the others from "
                                                "--base")
    ap.add_argument("--base", help="fixture JSON the parts not measured (--alone) are read from")
    ap.add_argument("--fit", action="store_true", help="print the least-squares coefficients over the designs")
    ap.add_argument("--save", help="write the Yosys LUTs per design and part to this JSON file (the test fixture "
                                   "tests/fixtures/lut_yosys.json)")
    args = ap.parse_args()
    names = args.names or list(DESIGNS)
    unknown = [n for n in names if n not in DESIGNS]
    if unknown:
        ap.error(f"unknown design {unknown[0]!r}")
    alone = tuple(p for p in args.alone.split(",") if p)
    if any(p not in ALONE_TOPS for p in alone):
        ap.error(f"--alone takes parts of {', '.join(ALONE_TOPS)}")
    if alone and set(alone) != set(LUT_MODULES) and not args.base:
        ap.error("--alone with some parts needs --base (the fixture the other parts come from)")
    base = json.loads(Path(args.base).read_text()) if args.base else None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.dir or tmp)
        rows, xcup_rows, ratios, measured = [], [], [], {}
        print(f"{'design':22s} " + " ".join(f"{p:>15s}" for p in LUT_MODULES) + f" {'total':>17s}  model/yosys")
        for name in names:
            li, yosys, xcup_pw = measure(name, root, alone, base)
            parts, feats = lut_parts(li), lut_features(li)
            model, margs, hw = DESIGNS[name]
            measured[name] = {"model": model, "model_args": margs, "hw": hw, "yosys": yosys,
                              "yosys_xcup": {"pw": xcup_pw}}
            if set(yosys) != set(LUT_MODULES):  # a design not in --base: only the --alone parts (merge them later)
                print(f"{name:22s} " + " ".join(f"{p} {parts[p]:,}/{yosys[p]:,}" for p in LUT_MODULES if p in yosys)
                      + "  (these parts only)", flush=True)
                continue
            rows.append((feats, yosys))
            xcup_rows.append((feats, {"pw": xcup_pw}))
            total_m, total_y = sum(parts.values()), sum(yosys.values())
            ratios.append(total_m / total_y)
            cells = " ".join(f"{parts[p]:>7,d}/{yosys[p]:<7,d}" for p in LUT_MODULES)
            xcup_m = lut_parts(li._replace(family="xcup"))["pw"]
            print(f"{name:22s} {cells} {total_m:>8,d}/{total_y:<8,d}  {total_m / total_y:.2f}  "
                  f"xcup PW {xcup_m:,}/{xcup_pw:,}", flush=True)
        if ratios:
            print(f"model/yosys (xc7) over {len(ratios)} designs: {min(ratios):.2f} .. {max(ratios):.2f}")
        if args.save:
            Path(args.save).write_text(json.dumps(measured, indent=1, sort_keys=True) + "\n")
        if args.fit:
            print("fitted LUT_COEF:", fit_lut_coefficients(rows))
            print("current LUT_COEF:", LUT_COEF)
            print("fitted LUT_COEF_XCUP:", fit_lut_coefficients(xcup_rows, LUT_COEF_XCUP))
            print("current LUT_COEF_XCUP:", LUT_COEF_XCUP)


if __name__ == "__main__":
    main()
