"""Scenario presets (data in data/scenarios.toml) and the rubric thresholds (data/rubric.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from estimators.errors import InputError, close_names

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    bar: float
    confidence: float
    max_escape_rate: float
    human_review: bool
    min_review_share: float
    note: str


@dataclass(frozen=True)
class Rubric:
    version: str
    go_min_p_positive: float
    go_roi_quantile: str
    conditions_roi_quantile: str
    stop_roi_quantile: str
    min_margin_of_safety: float
    draws: int
    price_move_flag: float


@cache
def scenarios() -> dict[str, Scenario]:
    """All presets by name."""
    with open(DATA / "scenarios.toml", "rb") as f:
        data = tomllib.load(f)["scenarios"]
    return {name: Scenario(name=name, **row) for name, row in data.items()}


def scenario(name: str) -> Scenario:
    """One preset; an unknown name lists the close ones."""
    known = scenarios()
    if name not in known:
        hint = close_names(name, known)
        raise InputError(
            f"unknown scenario {name!r}; " + (f"did you mean {', '.join(hint)}? " if hint else "")
            + f"allowed: {', '.join(known)}",
            where="scenario",
        )
    return known[name]


@dataclass(frozen=True)
class RoutePreset:
    name: str
    label: str
    one_time: dict[str, float]  # low / likely / high
    monthly: float
    spike_weeks: int
    note: str
    currency: str


@cache
def routes() -> dict[str, RoutePreset]:
    """Delivery routes (prompt, rag, finetune, train) with default extra costs."""
    with open(DATA / "routes.toml", "rb") as f:
        data = tomllib.load(f)
    return {name: RoutePreset(name=name, currency=data["currency"], **row)
            for name, row in data["routes"].items()}


@cache
def rubric() -> Rubric:
    """The verdict thresholds."""
    with open(DATA / "rubric.toml", "rb") as f:
        data = tomllib.load(f)
    data.pop("schema")
    return Rubric(**data)
