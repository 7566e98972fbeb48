"""Atomic, deterministic output directories for code generators."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from hwgen.errors import HwgenError


def check_outdir(outdir: Path, force: bool) -> None:
    """Refuse an existing non-empty OUTDIR unless ``force`` (checked before any work is done)."""
    if outdir.exists() and not outdir.is_dir():
        raise HwgenError(f"output path {str(outdir)!r} exists and is not a directory")
    if outdir.is_dir() and any(outdir.iterdir()) and not force:
        raise HwgenError(f"output directory {str(outdir)!r} is not empty (use --force to replace it)")


def write_tree(files: Mapping[str, str | bytes], outdir: Path, force: bool = False) -> list[str]:
    """Write ``files`` (relative path -> content) as ``outdir``, atomically.

    Everything goes to a temporary directory next to ``outdir`` first, which then
    replaces it by rename, so an error never leaves a half-written project.
    Returns the relative paths written, sorted.
    """
    outdir = Path(outdir)
    check_outdir(outdir, force)
    parent = outdir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the project is an ordinary directory
        for rel in sorted(files):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            content = files[rel]
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        if outdir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old.", dir=parent))
            os.rename(outdir, old / "x")
            os.rename(tmp, outdir)
            shutil.rmtree(old)
        else:
            os.rename(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(files)
