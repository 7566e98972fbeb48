"""The design space: value lists of every axis, parsed from ``a:b``, ``a:b:step`` and comma lists.

A design point is (model variant α, ρ; activation bits; weight bits; board; clock; PE split
tin x tout + tc x tk). ``--pe`` selects splits by their total PE count: ``a:b`` keeps every split the
mapper considers (each factor a breakpoint of the network's channel counts, hwgen.mapping.search) with
a <= tin*tout + tc*tk <= b; ``a:b:step`` and comma lists keep the splits whose total is one of the
listed values. ``a:b`` on the other axes: α the paper's widths {0.25, 0.5, 0.75, 1.0} in [a, b];
ρ the multiples of 32 in [a, b]; bits every integer in [a, b]; the clock needs a step.
Every malformed value, and every value outside the flag's range in hwgen.limits, is a one-line
:class:`HwgenError` naming the flag.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hwgen.errors import HwgenError
from hwgen.hw.boards import BOARDS
from hwgen.limits import check_limit
from hwgen.models.zoo import VARIANTS, ZOO

#: The width multipliers of the MobileNets paper (Howard et al. 2017, Table 6).
PAPER_ALPHAS = (0.25, 0.5, 0.75, 1.0)


def _number(flag: str, text: str, integer: bool) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise HwgenError(f"{flag} {text!r}: expected {kind}") from None
    if not math.isfinite(value) or value <= 0:
        raise HwgenError(f"{flag} {text!r}: must be positive")
    return value


def parse_axis(flag: str, text: str, integer: bool, span: "callable | None" = None) -> tuple:
    """Values of ``text``: ``a:b`` (expanded by ``span(a, b)``), ``a:b:step`` or ``x,y,...``; sorted, unique."""
    text = text.strip()
    if not text:
        raise HwgenError(f"{flag}: empty value")
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3) or not all(p.strip() for p in parts):
            raise HwgenError(f"{flag} {text!r}: expected a:b, a:b:step or a comma list")
        lo, hi = (_number(flag, p.strip(), integer) for p in parts[:2])
        if lo > hi:
            raise HwgenError(f"{flag} {text!r}: reversed range ({parts[0]} > {parts[1]})")
        if len(parts) == 3:
            step = _number(flag, parts[2].strip(), integer)
            count = int(math.floor((hi - lo) / step + 1e-9)) + 1
            values = [lo + k * step if integer else round(lo + k * step, 9) for k in range(count)]
        elif span is None:
            raise HwgenError(f"{flag} {text!r}: needs a step (a:b:step)")
        else:
            values = span(lo, hi)
    else:
        items = [p.strip() for p in text.split(",")]
        if not all(items):
            raise HwgenError(f"{flag} {text!r}: empty item in the list")
        values = [_number(flag, p, integer) for p in items]
    values = sorted(set(values))
    if not values:
        raise HwgenError(f"{flag} {text!r}: empty range (no value the axis can take)")
    return tuple(values)


@dataclass(frozen=True)
class PeSet:
    """Which PE totals a split may have: ``lo..hi``, and if ``values`` is set, only those."""

    lo: int
    hi: int
    values: tuple[int, ...] | None = None

    def __contains__(self, pe: int) -> bool:
        return self.lo <= pe <= self.hi and (self.values is None or pe in self.values)

    def text(self) -> str:
        return f"{self.lo}:{self.hi}" if self.values is None else ",".join(map(str, self.values))


def _checked(flag: str, values: tuple) -> tuple:
    """Every value within the flag's documented range (hwgen.limits, the same as the other commands)."""
    for v in values:
        check_limit(flag, v)
    return values


def parse_pe(text: str) -> PeSet:
    parts = text.strip().split(":")
    if len(parts) == 2:
        lo, hi = _checked("--pe", parse_axis("--pe", text, True, lambda a, b: [a, b]))
        return PeSet(int(lo), int(hi))
    values = _checked("--pe", tuple(int(v) for v in parse_axis("--pe", text, True)))
    return PeSet(values[0], values[-1], values)


def parse_alpha(text: str) -> tuple[float, ...]:
    values = parse_axis("--alpha", text, False, lambda a, b: [x for x in PAPER_ALPHAS if a <= x <= b])
    return _checked("--alpha", values)


def parse_resolution(text: str) -> tuple[int, ...]:
    values = parse_axis("--resolution", text, True,
                        lambda a, b: list(range(int(math.ceil(a / 32)) * 32, int(b) + 1, 32)))
    return _checked("--resolution", tuple(int(v) for v in values))


def parse_bits(flag: str, text: str) -> tuple[int, ...]:
    values = parse_axis(flag, text, True, lambda a, b: list(range(int(a), int(b) + 1)))
    return _checked(flag, tuple(int(v) for v in values))


def parse_boards(text: str) -> tuple[str, ...]:
    items = [p.strip().lower() for p in text.split(",")]
    if not text.strip() or not all(items):
        raise HwgenError(f"--board {text!r}: empty item in the list")
    if items == ["all"]:
        return tuple(BOARDS)
    for b in items:
        if b not in BOARDS:
            raise HwgenError(f"--board: unknown board {b!r} (choose from {', '.join(BOARDS)} or all)")
    return tuple(dict.fromkeys(items))


def parse_clocks(text: str | None) -> tuple[float | None, ...]:
    """``None``: each board's default clock."""
    if text is None:
        return (None,)
    return _checked("--clock-mhz", tuple(float(v) for v in parse_axis("--clock-mhz", text, False)))


@dataclass(frozen=True)
class ModelSpace:
    """Model variants: a zoo model (for MobileNet v1 with widths α and resolutions ρ) or an ``.onnx`` file
    (one variant; ``input_shape`` fixes a dynamic input). ``data``: a labelled ``.npz`` (docs/onnx.md) on
    which an ONNX model's fixed-point top-1 is measured for every bit-width pair."""

    model: str = "mobilenet_v1"
    alpha: tuple[float, ...] = (1.0,)
    resolution: tuple[int, ...] = (224,)
    variant: str = "standard"
    input_shape: tuple[int, int, int] | None = None
    data: str | None = None

    def __post_init__(self) -> None:
        if self.onnx:
            if (self.alpha, self.resolution, self.variant) != ((1.0,), (224,), "standard"):
                raise HwgenError("--alpha/--resolution/--variant apply to zoo models only, not to an .onnx file")
            return
        if self.input_shape is not None:
            raise HwgenError("--input-shape applies to .onnx models only")
        if self.data is not None:
            raise HwgenError(f"--data applies to .onnx models only: {self.model!r} is a zoo model with seeded "
                             "random weights, its accuracy on real data means nothing")
        if self.model not in ZOO:
            raise HwgenError(f"unknown model {self.model!r} (see `hwgen models`: {', '.join(ZOO)})")
        if self.variant not in VARIANTS:
            raise HwgenError(f"--variant: unknown variant {self.variant!r} (choose from {', '.join(VARIANTS)})")
        if not ZOO[self.model].scalable and (self.alpha, self.resolution, self.variant) != ((1.0,), (224,), "standard"):
            raise HwgenError(f"model {self.model!r} has a fixed shape: --alpha/--resolution/--variant do not apply")

    @property
    def onnx(self) -> bool:
        return self.model.lower().endswith(".onnx")

    @property
    def scalable(self) -> bool:
        """Whether α and ρ are axes of this model (MobileNet v1 from the zoo)."""
        return not self.onnx and ZOO[self.model].scalable

    def variants(self) -> list[tuple[float, int]]:
        return [(a, r) for a in self.alpha for r in self.resolution]


@dataclass(frozen=True)
class HwSpace:
    """Hardware axes: PE totals, bit widths, boards, clocks (``None``: the board's default)."""

    pe: PeSet = PeSet(16, 1024)
    act_bits: tuple[int, ...] = (8,)
    weight_bits: tuple[int, ...] = (8,)
    boards: tuple[str, ...] = ("zcu104",)
    clock_mhz: tuple[float | None, ...] = (None,)

    def __post_init__(self) -> None:
        if self.pe.lo < 2:
            raise HwgenError(f"--pe {self.pe.text()}: a split needs at least 2 PEs (one per engine)")
