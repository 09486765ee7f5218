"""Helpers the commands share for their arguments (cheap to import: --help stays fast).

The argparse `type=` functions here refuse a bad value before any work starts: argparse prints
the usage line and the option with what is allowed, and exits 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from collections.abc import Callable
from typing import TypeVar

# Dates get days added (review windows up to 10 years, spikes, deadlines): these ends keep every
# sum far from datetime's year 9999 while covering every date a price or a record can sensibly have.
DATE_MIN = dt.date(1970, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
SEED_MAX = 2**63 - 1  # a record keeps its seed as a TOML integer (64-bit signed)
T = TypeVar("T")


def workspace_of(args: argparse.Namespace):  # -> estimators.paths.Workspace
    """The workspace named by --workspace, $SCOPECARD_HOME or the platform default."""
    from estimators.paths import resolve_workspace

    return resolve_workspace(args.workspace)


def ranged(convert: Callable[[str], T], inside: Callable[[T], bool], allowed: str,
           name: str) -> Callable[[str], T]:
    """An argparse type: `convert` the text, then require `inside`; both failures say `allowed`."""

    def parse(text: str) -> T:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {allowed}") from None
        if not inside(value):
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
        return value

    parse.__name__ = name  # what argparse names in its own messages
    return parse


def number_in(low: float, high: float, *, low_open: bool = False,
              high_open: bool = False) -> Callable[[str], float]:
    """A type for a finite number between `low` and `high` (each end open or closed)."""

    def inside(x: float) -> bool:
        return math.isfinite(x) and (x > low if low_open else x >= low) \
            and (x < high if high_open else x <= high)

    allowed = (f"a number {'>' if low_open else '>='} {low:g} and "
               f"{'<' if high_open else '<='} {high:g}")
    return ranged(lambda text: float(text) + 0.0, inside, allowed, "number")  # never -0.0


iso_date = ranged(dt.date.fromisoformat, lambda day: DATE_MIN <= day <= DATE_MAX,
                  f"a date YYYY-MM-DD from {DATE_MIN} to {DATE_MAX}", "date")
seed = ranged(int, lambda n: 0 <= n <= SEED_MAX, f"a whole number from 0 to {SEED_MAX:,}",
              "integer")
probability = number_in(0, 1)  # a pass-rate bar: 0 and 1 are meaningful ends
probability_open = number_in(0, 1, low_open=True, high_open=True)  # a confidence level
timeout_seconds = number_in(0, 3600, low_open=True)  # sockets refuse 0, negatives, nan and inf
