"""Helpers for the decision record tests: specs and eval results that give each verdict.

Every spec here prices the test catalogue's models (tests/fixtures/prices-test.toml), so the
tests use the `test_workspace` fixture, which installs that catalogue in the workspace. Each
title gets its own eval suite: `decide` judges on the workspace's eval store, which keeps every
result imported before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import tomli_w

from estimators.paths import Workspace
from rubrics.pipeline import decide_spec, save_record
from rubrics.record_store import RecordStore

DAY = dt.date(2026, 3, 1)  # before test/alpha's price cut (effective 2026-06-01)

# verdict -> (extra spec fields, {model: (passed, graded)})
KINDS: dict[str, tuple[dict[str, Any], dict[str, tuple[int, int]]]] = {
    "GO": ({}, {"test/alpha": (200, 200), "test/beta": (200, 200)}),
    "GO WITH CONDITIONS": ({"constraints": {"compliance": ["HIPAA-BAA"]}},
                           {"test/alpha": (200, 200), "test/beta": (200, 200)}),
    "STOP": ({}, {"test/alpha": (50, 100), "test/beta": (40, 100)}),
    "RESEARCH SPIKE": ({}, {}),
}


def slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def spec_data(title: str = "Ticket triage", **extra: Any) -> dict[str, Any]:
    """A spec that gives GO on the test catalogue when both models pass (suite = its slug)."""
    data: dict[str, Any] = {
        "schema": "scopecard.spec/1", "title": title, "scenario": "internal-tool",
        "currency": "USD",
        "load": {"daily_active_users": {"low": 800, "likely": 1000, "high": 1200},
                 "tasks_per_user_per_day": 2},
        "prompt": {"system_tokens": 500, "user_tokens": 100, "output_tokens": 200},
        "value": {"value_per_success": {"low": 0.8, "likely": 1.0, "high": 1.2}},
        "costs": {"one_time": 1000, "monthly_fixed": 100, "route_one_time": 0,
                  "route_monthly": 0},
        "quality": {"suite": slug(title)},
        "candidates": [{"model": "test/alpha"}, {"model": "test/beta"}],
        "commit": {"target_roi": 0.5, "review_after_days": 30},
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return data


def write_spec(folder: Path, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug(data['title'])}.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def write_evals(folder: Path, suite: str, outcomes: dict[str, tuple[int, int]],
                run: str = "r1", when: str = "2026-02-20T10:00:00Z") -> Path:
    """A native results CSV: for each model `passed` of `graded` cases pass (easy difficulty)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp"]
    for model, (passed, graded) in outcomes.items():
        for i in range(graded):
            lines.append(f"c{i:04d},{suite},{model},{model.split('/')[0]},easy,single,"
                         f"{int(i < passed)},,{run}-{model.split('/')[1]},{when}")
    path = folder / f"{suite}-{run}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def make_record(home: Path, verdict: str = "GO", title: str = "Ticket triage",
                day: dt.date = DAY, **extra: Any) -> tuple[str, dict[str, Any]]:
    """Decide a spec of the given verdict kind in workspace `home`; returns (id, record)."""
    spec_extra, outcomes = KINDS[verdict]
    folder = home.parent / "inputs" / slug(title)
    spec = write_spec(folder, spec_data(title, **{**spec_extra, **extra}))
    # decide imports into the workspace's eval store, where a run id names one run: each
    # record's results get their own suite and run ids
    evals = write_evals(folder, slug(title), outcomes, run=slug(title)) if outcomes else None
    ws = Workspace(home)
    decision, record = decide_spec(spec, ws, evals, seed=7, today=day)
    assert decision.verdict.value == verdict, decision.reasons
    record_id = save_record(ws, record, day).parent.name
    return record_id, RecordStore(ws).get(record_id).as_dict()


def test_every_kind_gives_its_verdict(test_workspace: Path) -> None:
    for verdict in KINDS:
        record_id, record = make_record(test_workspace, verdict, title=f"kind {verdict}")
        assert record["outputs"]["verdict"] == verdict
        assert record_id.startswith("2026-03-01-kind-")
