"""Click parameter types for every numeric flag: finite, ASCII, inside the range of :data:`hwgen.limits.LIMITS`.

A bad value fails in click's parsing (one line naming the flag, exit 2) before any work starts;
the library checks the same table where the value enters (HwConfig, the zoo, calibration).
"""
from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path
from typing import Any, Iterator

import click

from hwgen.errors import HwgenError
from hwgen.limits import LIMITS, range_error


class Bounded(click.ParamType):
    """An int or float flag checked against its :class:`hwgen.limits.Limit`."""

    def __init__(self, flag: str) -> None:
        self.flag = flag
        self.limit = LIMITS[flag]
        self.name = "integer" if self.limit.integer else "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            text = value.strip()
            # float() and int() accept non-ASCII digits and "1_000"; a flag value is plain ASCII.
            if not text.isascii() or "_" in text or not text:
                self.fail(f"{value!r} is not a {'whole number' if self.limit.integer else 'number'}", param, ctx)
            try:
                value = int(text) if self.limit.integer else float(text)
            except ValueError:
                self.fail(f"{value!r} is not a {'whole number' if self.limit.integer else 'number'}", param, ctx)
        msg = range_error(self.flag, value)
        if msg:
            self.fail(msg, param, ctx)
        return value


def bounded_option(flag: str, help: str, **kwargs: Any) -> Any:
    """``click.option(flag, type=Bounded(flag))`` with the range appended to the help text."""
    lim = LIMITS[flag]
    return click.option(flag, type=Bounded(flag), help=f"{help} [{lim.describe().removeprefix('in ')}]", **kwargs)


class PathArg(click.Path):
    """click.Path that refuses a NUL byte in one line (os.stat would raise ValueError on it)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if "\0" in os.fspath(value):
            self.fail(f"{os.fspath(value)!r} contains a NUL byte", param, ctx)
        return super().convert(value, param, ctx)


@contextlib.contextmanager
def sized_by(flag: str, value: object, what: str) -> Iterator[None]:
    """Turn a MemoryError raised inside the block into one line naming the flag that drives the size."""
    try:
        yield
    except MemoryError:
        raise HwgenError(f"out of memory {what} ({flag} {value}): lower {flag}") from None


#: Bytes per image element while images are held: the float64 image and its int64 codes.
IMAGE_BYTES = 16


def available_memory() -> int | None:
    """MemAvailable of /proc/meminfo in bytes (None where there is no such file)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_images_fit(flag: str, count: int, shape: tuple[int, ...]) -> None:
    """Refuse ``count`` images of ``shape`` when holding them would exceed the machine's available memory."""
    need = count * math.prod(shape) * IMAGE_BYTES
    avail = available_memory()
    if avail is not None and need > avail:
        raise HwgenError(f"{flag} {count} images of {'x'.join(map(str, shape))} need {_size(need)}, more than "
                         f"the {_size(avail)} available: lower {flag} or --resolution")


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"
