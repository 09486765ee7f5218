"""Finite numbers in a stated range: the one check every input number passes where it enters.

TOML accepts `nan`, `inf` and integers of any length, and pydantic's `float` takes them all, so
each number a person or a file gives is checked here: a real int or float (never a bool or
text), finite, inside its bounds. A refusal says what is allowed, and -0.0 becomes 0.0 so that
no figure derived from an input prints as "-0".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import PlainValidator, WithJsonSchema


def _fmt_bound(x: float) -> str:
    """A bound as people read it: 1,000, 86,400,000 or 1e+12 (never rounded)."""
    if abs(x) < 1e6:
        return f"{x:,g}"
    short = f"{x:.0e}"
    return short if float(short) == x else f"{x:,.0f}"


@dataclass(frozen=True)
class Bounds:
    """An allowed range; unset ends are open (but a number is always finite)."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    why: str = ""  # said after the range, e.g. "per 1M tokens"

    def allowed(self) -> str:
        """The range in words, e.g. '>= 0 and <= 1 (a share)'."""
        parts = [f"{op} {_fmt_bound(b)}" for op, b in ((">=", self.ge), (">", self.gt),
                                                      ("<=", self.le)) if b is not None]
        text = " and ".join(parts) or "a finite number"
        return text + (f" ({self.why})" if self.why else "")

    def check(self, value: Any) -> float:
        """`value` as a float inside the range, else ValueError naming the range."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number ({self.allowed()}), got {type(value).__name__}")
        try:
            x = float(value)
        except OverflowError:  # an int too long for a float; str() of it may even fail
            assert isinstance(value, int)  # float() of a float never overflows
            digits = int((value.bit_length() - 1) * math.log10(2)) + 1
            raise ValueError(f"must be {self.allowed()}, got an integer of about {digits:,} "
                             "digits") from None
        if not math.isfinite(x) or (self.ge is not None and x < self.ge) \
                or (self.gt is not None and x <= self.gt) or (self.le is not None and x > self.le):
            raise ValueError(f"must be {self.allowed()}, got {x:g}")
        return x + 0.0  # -0.0 + 0.0 is 0.0

    def clamp(self, x: float) -> float:
        """`x` moved to the nearest end of a closed range (for derived figures such as a
        break-even that is out of reach: ±inf becomes the end it points at)."""
        if self.ge is not None:
            x = max(x, self.ge)
        if self.le is not None:
            x = min(x, self.le)
        return self.check(x)

    def json_schema(self) -> dict[str, Any]:
        """The range as JSON Schema keywords of a number."""
        schema: dict[str, Any] = {"type": "number"}
        for key, bound in (("minimum", self.ge), ("exclusiveMinimum", self.gt),
                           ("maximum", self.le)):
            if bound is not None:
                schema[key] = bound
        return schema


def finite(*, ge: float | None = None, gt: float | None = None, le: float | None = None,
           why: str = "") -> Any:
    """A pydantic field type: a float checked by `Bounds(ge, gt, le, why)`."""
    bounds = Bounds(ge, gt, le, why)
    return Annotated[float, PlainValidator(bounds.check),
                     WithJsonSchema({**bounds.json_schema(), "description": bounds.allowed()})]
