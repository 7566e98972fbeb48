"""Outputs of an exploration: points.csv, pareto.csv, PNG plots and index.html, written atomically."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from hwgen.codegen.templating import render
from hwgen.codegen.writer import write_tree
from hwgen.errors import HwgenError
from hwgen.explore.run import FIELDS, Exploration

#: Non-front points drawn per plot at most (evenly spaced in points order, so the same every run).
PLOT_POINTS = 60_000

#: Columns of the front table in index.html and the terminal.
FRONT_COLUMNS = ("model", "act_bits", "weight_bits", "board", "clock_mhz", "pe", "split", "fps", "latency_ms",
                 "dsp", "bram36", "uram", "lut", "dram_mb", "top1_paper", "top1_measured")


def _column(values: np.ndarray, kind: str) -> list[str]:
    """CSV cells: integers as such, floats by Python's shortest round-trip repr, booleans true/false,
    unknown (NaN) as empty."""
    if kind == "?":
        return ["true" if v else "false" for v in values.tolist()]
    if kind == "f8":
        return ["" if v != v else repr(v) for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def to_csv(rows: np.ndarray) -> str:
    cols = [_column(rows[name], kind if kind in ("?", "f8") else "") for name, kind in FIELDS]
    lines = [",".join(name for name, _ in FIELDS)]
    lines += [",".join(cells) for cells in zip(*cols)]
    return "\n".join(lines) + "\n"


def split_text(row: np.void) -> str:
    return f"{row['tin']}x{row['tout']},{row['tc']}x{row['tk']}"


def _percent(value: float) -> str:
    return "" if value != value else f"{value:.1f}"


def front_rows(rows: np.ndarray, limit: int | None = None) -> list[dict]:
    """Front points as display dicts, most fps first."""
    order = np.lexsort((rows["dsp"], -rows["fps"]))
    out = []
    for i in order[:limit]:
        r = rows[i]
        out.append({
            "model": str(r["model"]), "act_bits": int(r["act_bits"]), "weight_bits": int(r["weight_bits"]),
            "board": str(r["board"]), "clock_mhz": float(r["clock_mhz"]), "pe": int(r["pe"]), "split": split_text(r),
            "fps": round(float(r["fps"]), 1), "latency_ms": round(float(r["latency_ms"]), 3), "dsp": int(r["dsp"]),
            "bram36": int(r["bram36"]), "uram": int(r["uram"]), "lut": int(r["lut"]),
            "dram_mb": round(int(r["dram_bytes"]) / 1e6, 2), **{k: _percent(float(r[k])) for k in ("top1_paper", "top1_measured")},
        })
    return out


def _plots(ex: Exploration) -> dict[str, bytes]:
    try:
        import matplotlib
    except ImportError:
        raise HwgenError("plots need matplotlib: pip install 'hwgen[plot]' (or pass --no-plots)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts, fr = ex.points, ex.pareto
    step = max(1, len(pts) // PLOT_POINTS)
    shown = pts[::step]
    out = {}
    specs = [("fps_vs_dsp.png", "dsp", "DSP48 slices", None), ("fps_vs_bram.png", "bram36", "BRAM36 blocks", None),
             ("fps_vs_macs.png", "macs", "MACs per frame", "alpha"), ("fps_vs_macs_rho.png", "macs", "MACs per frame",
                                                                       "resolution")]
    for name, x, label, colour in specs:
        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
        fit = shown["fits"]
        ax.scatter(shown[x][~fit], shown["fps"][~fit], s=3, c="#cccccc", label="does not fit", rasterized=True)
        if colour is None:
            sc = ax.scatter(shown[x][fit], shown["fps"][fit], s=3, c=shown["pe"][fit], cmap="viridis",
                            rasterized=True, label="fits")
            fig.colorbar(sc, ax=ax, label="PEs")
        else:
            sc = ax.scatter(shown[x][fit], shown["fps"][fit], s=6, c=shown[colour][fit], cmap="plasma",
                            rasterized=True, label="fits")
            fig.colorbar(sc, ax=ax, label="width α" if colour == "alpha" else "resolution ρ")
        ax.scatter(fr[x], fr["fps"], s=14, facecolors="none", edgecolors="red", linewidths=0.8,
                   label=f"Pareto front ({len(fr)})")
        if x == "macs":
            ax.set_xscale("log")  # MACs span α² ρ²: 14 M to 569 M for the paper's grid
        ax.set_xlabel(label)
        ax.set_ylabel("frames per second")
        ax.set_title(f"fps vs {label} — {len(pts):,} points")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
        plt.close(fig)
        out[name] = buf.getvalue()
    return out


def write(ex: Exploration, outdir: Path, force: bool = False, plots: bool = True) -> list[str]:
    """Write points.csv, pareto.csv, best_per_board.csv, the plots and index.html as ``outdir``."""
    files: dict[str, str | bytes] = {
        "points.csv": to_csv(ex.points),
        "pareto.csv": to_csv(ex.pareto),
        "best_per_board.csv": to_csv(ex.best_per_board()),
    }
    images = _plots(ex) if plots else {}
    files.update(images)
    files["index.html"] = render("explore/index.html.j2", summary=summary(ex), images=sorted(images),
                                 columns=FRONT_COLUMNS, front=front_rows(ex.pareto),
                                 best=front_rows(ex.best_per_board()), objectives=", ".join(ex.objectives),
                                 target=ex.target_fps)
    return write_tree(files, outdir, force)


def summary(ex: Exploration) -> list[str]:
    ms, hw = ex.spaces
    paths = ex.paths
    n = len(ex.points)
    shape = (f"({ms.variant}); α {', '.join(f'{a:g}' for a in ms.alpha)}; ρ {', '.join(map(str, ms.resolution))}"
             if ms.scalable else "(fixed shape)")
    return [
        f"model {ms.model} {shape}",
        f"PE totals {hw.pe.text()}; activation bits {', '.join(map(str, hw.act_bits))}; weight bits "
        f"{', '.join(map(str, hw.weight_bits))}; boards {', '.join(hw.boards)}; clocks "
        f"{', '.join('board default' if c is None else f'{c:g} MHz' for c in hw.clock_mhz)}",
        f"{n:,} points, {int(ex.points['fits'].sum()):,} fit their board, {len(ex.pareto):,} on the Pareto front "
        f"({', '.join(ex.objectives)}{'' if ex.target_fps is None else f'; fps >= {ex.target_fps:g}'})",
        "evaluation paths: " + ", ".join(f"{k} {v:,} ({100 * v / n:.1f} %)" for k, v in paths.items()),
    ]
