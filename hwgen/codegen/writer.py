"""Atomic, deterministic output directories for code generators.

A project is written into a holder directory beside the target, ``.NAME.out.XXXXXXXX``, whose
``owner`` file names the writing process, and renamed into place; a project it replaces is first
moved into ``.NAME.old.XXXXXXXX``. SIGINT/SIGTERM are held back while a rename or a clean-up runs,
so an interrupt leaves either the old project or the new one, never half of one. A run killed
outright (SIGKILL, power cut) leaves its holder behind: the next write to the same target removes
holders whose owner is no longer alive on this host, and puts back a previous project that a killed
``--force`` run had moved aside but not yet replaced.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

from hwgen.errors import HwgenError

#: The file in a holder directory that names its owner: ``hwgen PID HOST``.
OWNER = "owner"

#: Bytes a holder adds to the target's name: "." + NAME + ".out." + 8 random characters.
TEMP_EXTRA = 14

#: A holder without an owner file is removed only when older than this: a live run writes the file at once.
FRESH_S = 60.0

_PACKAGE = Path(__file__).resolve().parents[1]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _fail(outdir: object, why: str) -> HwgenError:
    return HwgenError(f"output directory {str(outdir)!r} {why}")


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _existing_ancestor(path: Path) -> Path:
    for p in path.parents:
        if os.path.lexists(p):
            return p
    return Path(path.anchor or ".")


def check_outdir(outdir: str | os.PathLike, force: bool) -> Path:
    """Validate OUTDIR before any work is done and return the directory to write.

    Refused: an empty name, ``.``/``..``, the current directory or one of its parents, hwgen's own
    package (or a directory holding it), a mount point, a dangling symbolic link, a path below a
    regular file, a name too long for the holder directory, a location that cannot be written (a
    real probe, so read-only mounts and /proc fail here as well), and a non-empty directory without
    ``force``. A symbolic link to a directory writes that directory. Holders of killed runs beside
    the target are cleaned first (see the module docstring).
    """
    text = os.fspath(outdir)
    if not text.strip() or "\0" in text:
        raise _fail(text, "is not a usable path")
    path = Path(text)
    if path.name in ("", ".", ".."):
        raise _fail(text, "names the current directory or a parent: name a new directory")
    if path.is_symlink():
        if not path.exists():
            raise _fail(text, f"is a dangling symbolic link (to {os.readlink(path)!r})")
        path = path.resolve()
    try:
        target = path.resolve()
        cwd = Path.cwd().resolve()
    except (OSError, RuntimeError) as e:
        raise _fail(text, f"cannot be resolved: {getattr(e, 'strerror', None) or e}") from None
    if target == cwd or target in cwd.parents:
        raise _fail(text, "is the current directory or one of its parents")
    if target == _PACKAGE or _PACKAGE in target.parents or target in _PACKAGE.parents:
        raise _fail(text, f"overlaps hwgen's own package ({_PACKAGE})")
    anc = _existing_ancestor(target)
    if not anc.is_dir():
        raise _fail(text, f"cannot be created: {str(anc)!r} is a file, not a directory")
    name_max = _name_max(anc)
    for part in target.relative_to(anc).parts:
        if len(os.fsencode(part)) > name_max - TEMP_EXTRA:
            raise _fail(text, f"has a name of {len(os.fsencode(part))} bytes: at most {name_max - TEMP_EXTRA}")
    try:
        probe = tempfile.mkdtemp(prefix=f".{target.name}.out.", dir=anc)
        with contextlib.suppress(FileNotFoundError):  # a concurrent clean_stale may take it first
            os.rmdir(probe)
    except OSError as e:
        raise _fail(text, f"cannot be written: {str(anc)!r}: {e.strerror or e}") from None
    if anc == target.parent:
        clean_stale(target)
    if os.path.lexists(target):
        if not target.is_dir():
            raise _fail(text, "exists and is not a directory")
        if os.path.ismount(target):
            raise _fail(text, "is a mount point")
        try:
            empty = not any(target.iterdir())
        except OSError as e:
            raise _fail(text, f"cannot be read: {e.strerror}") from None
        if not empty and not force:
            raise _fail(text, "is not empty (use --force to replace it)")
    return target


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while a rename or clean-up must not be cut short; deliver them after.

    Python runs signal handlers in the main thread whichever thread the signal hits, so swapping
    the handlers there covers a process with helper threads too (a signal mask would not).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    previous = {s: signal.signal(s, lambda signum, frame: caught.append((signum, frame))) for s in _SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            signum, frame = caught[0]
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


def _owner_line() -> str:
    return f"hwgen {os.getpid()} {socket.gethostname()}\n"


def _abandoned(holder: Path) -> bool | None:
    """True when ``holder``'s owner is a process of this host that is gone; None when it has no owner file."""
    try:
        words = (holder / OWNER).read_text().split()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return False
    if len(words) != 3 or words[0] != "hwgen" or not words[1].isdigit() or words[2] != socket.gethostname():
        return False
    try:
        os.kill(int(words[1]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def clean_stale(target: Path) -> list[str]:
    """Remove the holders of killed runs beside ``target``; returns the names removed.

    Only directories named like our holders are touched, and only when their owner file names a
    dead process of this host (or, with no owner file, when they are empty and older than FRESH_S:
    a run killed between creating the holder and writing its owner file). A previous project that
    a killed ``--force`` run moved aside is renamed back to ``target`` when nothing has taken its place.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(out|old)\.[a-z0-9_]{{8}}")
    removed = []
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if not m or entry.is_symlink() or not entry.is_dir():
            continue
        state = _abandoned(entry)
        if state is None and _age(entry) < FRESH_S:  # being set up by a live run right now
            continue
        with signals_deferred():
            if state is None:
                with contextlib.suppress(OSError):
                    entry.rmdir()
                    removed.append(entry.name)
                continue
            if not state:
                continue
            if m[1] == "old" and (entry / "x").is_dir() and not os.path.lexists(target):
                os.rename(entry / "x", target)
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    return removed


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _holder(parent: Path, name: str, kind: str) -> Path:
    holder = Path(tempfile.mkdtemp(prefix=f".{name}.{kind}.", dir=parent))
    (holder / OWNER).write_text(_owner_line())
    return holder


def _make_parents(parent: Path) -> list[Path]:
    """Create ``parent`` and its missing ancestors; returns those created, deepest first."""
    missing = [p for p in (parent, *parent.parents) if not os.path.lexists(p)]
    for p in reversed(missing):
        p.mkdir()
    return missing


def write_tree(files: Mapping[str, str | bytes], outdir: str | os.PathLike, force: bool = False) -> list[str]:
    """Write ``files`` (relative path -> content) as ``outdir``, atomically.

    Everything goes to a holder directory next to ``outdir`` first, whose ``tree`` then replaces
    ``outdir`` by rename, so an error or an interrupt never leaves a half-written project (and no
    holder, and no parent directory this call created). Returns the relative paths written, sorted.
    """
    target = check_outdir(outdir, force)
    created: list[Path] = []
    holder: Path | None = None
    try:
        with signals_deferred():
            created = _make_parents(target.parent)
            holder = _holder(target.parent, target.name, "out")
        tree = holder / "tree"
        tree.mkdir()
        tree.chmod(0o755)  # mkdtemp makes the holder private; the project is an ordinary directory
        for rel in sorted(files):
            path = tree / rel
            if not path.resolve().is_relative_to(tree.resolve()):
                raise HwgenError(f"refusing to write {rel!r} outside the output directory")
            path.parent.mkdir(parents=True, exist_ok=True)
            content = files[rel]
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        with signals_deferred():
            _commit(tree, target)
            shutil.rmtree(holder, ignore_errors=True)
    except BaseException as e:
        with signals_deferred():
            if holder is not None:
                shutil.rmtree(holder, ignore_errors=True)
            for p in created:
                with contextlib.suppress(OSError):
                    p.rmdir()
        if isinstance(e, OSError):
            raise _fail(outdir, f"cannot be written: {e.strerror or e}") from None
        raise
    return sorted(files)


def _commit(tree: Path, target: Path) -> None:
    """Rename ``tree`` to ``target``, moving an existing ``target`` aside first (and back if the rename fails)."""
    if not os.path.lexists(target):
        os.rename(tree, target)
        return
    old = _holder(target.parent, target.name, "old")
    os.rename(target, old / "x")
    try:
        os.rename(tree, target)
    except OSError:
        os.rename(old / "x", target)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
