"""Decision records (`scopecard.decision/1`): one TOML file per decision in `decisions/`.

A record holds everything needed to reproduce its result: the full spec (prompt files inlined),
the price and FX rows used, the eval tallies with run ids, the engine version, the Monte Carlo
seed, the outputs and the reviews. Files are created atomically and never overwrite each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import tomllib
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tomli_w

from estimators import ENGINE_VERSION
from estimators.atomic import create_exclusive
from estimators.errors import InputError, close_names
from rubrics.verdict import Decision

SCHEMA = "scopecard.decision/1"
ID_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]{1,80}$")


def slugify(title: str) -> str:
    """A file-name-safe slug of a title (ASCII; other scripts fall back to a short hash)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "decision-" + hashlib.sha1(title.encode()).hexdigest()[:8]


def check_id(record_id: str) -> str:
    """Refuse ids that are not plain record names (no paths, no `..`)."""
    if not ID_PATTERN.match(record_id):
        raise InputError(f"invalid record id {record_id!r}; ids look like 2026-11-24-support-faq")
    return record_id


def _clean(value: Any) -> Any:
    """Make data TOML-safe: drop None, turn tuples into lists, non-finite floats into strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value if v is not None]
    if isinstance(value, float):
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


def _check_dict(c: Any) -> dict[str, Any]:
    return {"k": c.k, "n": c.n, "errors": c.errors, "bar": c.bar, "confidence": c.confidence,
            "low": round(c.low, 6), "high": round(c.high, 6), "status": c.status.value,
            "cases_needed": c.cases_needed}


def record_dict(d: Decision, spec_data: dict[str, Any], evals_source: dict[str, Any],
                created: dt.datetime) -> dict[str, Any]:
    """The full record of a decision as plain data."""
    est = d.estimate
    t = est.traffic
    rows = {r.estimate.row.id: r.estimate.row for r in d.candidates}
    fx = {id(r.estimate.fx.fx): r.estimate.fx.fx for r in d.candidates if r.estimate.fx.fx}
    candidates = []
    for r in d.candidates:
        e = r.estimate
        f = r.point
        candidates.append({
            "model": e.model,
            "price_row": f"{e.row.id} @ {e.row.effective_from or 'undated'} ({e.row.origin})",
            "excluded": e.excluded,
            "warnings": e.warnings,
            "tokens": {part: {"tokens": c.tokens, "basis": c.basis, "method": c.method}
                       for part, c in e.counts.items()},
            "tokens_exact": e.tokens_exact,
            "input_tokens_per_call": e.shape.input_per_call,
            "output_tokens_per_call": e.shape.output_per_call,
            "cost_per_call": e.cost_per_call,
            "cost_per_call_native": e.call.per_call,
            "native_currency": e.call.currency,
            "fx_rate": e.fx.rate,
            "monthly_cost": e.monthly_cost,
            "peak_tpm": e.peak_tpm,
            "capability": {
                "suite": r.capability.suite, "status": r.capability.status.value,
                "run_ids": list(r.capability.run_ids),
                "overall": _check_dict(r.capability.overall),
                "tiers": {k: _check_dict(v) for k, v in r.capability.tiers.items()},
            },
            "point": {k: getattr(f, k) for k in (
                "p", "tasks_per_month", "value_per_task", "ai_cost", "fixed_cost", "nmb", "roi",
                "cost_per_task", "cost_per_success", "max_cost_per_success", "break_even_tasks",
                "payback_months", "break_even_p")},
            "distribution": None if r.distribution is None else {
                "nmb": r.distribution.nmb, "roi": r.distribution.roi,
                "monthly_ai_cost": r.distribution.monthly_ai_cost,
                "p_positive": r.distribution.p_positive,
                "tornado": [{"input": n, "nmb_low": lo, "nmb_high": hi}
                            for n, lo, hi in r.distribution.tornado],
            },
        })
    return _clean({
        "schema": SCHEMA,
        "title": d.spec.title,
        "created": created,
        "status": "proposed",
        "engine_version": ENGINE_VERSION,
        "seed": d.seed,
        "as_of": est.as_of,
        "review_due": est.as_of + dt.timedelta(days=d.spec.commit.review_after_days),
        "spec": spec_data,
        "prices": [row.model_dump(mode="json", exclude_none=True) for row in rows.values()],
        "fx": [r.model_dump(mode="json") for r in fx.values()],
        "evals": evals_source,
        "thresholds": {
            "bar": d.bar, "confidence": d.confidence, "target_roi": d.spec.commit.target_roi,
            "scenario": d.scenario.name, **asdict(d.rubric),
        },
        "outputs": {
            "verdict": d.verdict.value,
            "chosen": d.chosen,
            "reasons": d.reasons,
            "conditions": d.conditions,
            "drivers": d.drivers,
            "spike": d.spike,
            "assumptions": est.notes,
            "load": {"tasks_per_day": t.tasks_per_day, "tasks_per_month": t.tasks_per_month,
                     "calls_per_day": t.calls_per_day, "calls_per_month": t.calls_per_month,
                     "avg_qps": t.avg_qps, "peak_qps": t.peak_qps},
            "candidates": candidates,
            "alternatives": [asdict(a) for a in d.alternatives],
        },
        "kill_criteria": [asdict(k) for k in d.kill_criteria],
        "reviews": [],
    })


def write_record(decisions_dir: Path, record: dict[str, Any], day: dt.date) -> Path:
    """Create `decisions/YYYY-MM-DD-slug.toml` (-2, -3... when taken); never overwrites."""
    base = f"{day.isoformat()}-{slugify(record['title'])}"
    for i in range(1, 10_000):
        record_id = base if i == 1 else f"{base}-{i}"
        record["id"] = record_id
        data = tomli_w.dumps(record).encode()
        path = decisions_dir / f"{record_id}.toml"
        if create_exclusive(path, data):
            return path
    raise InputError(f"too many records named {base}", file=str(decisions_dir))


@dataclass(frozen=True)
class RecordSummary:
    """What a list of decisions shows; `error` is set for a corrupt or foreign file."""

    id: str
    path: Path
    title: str = ""
    status: str = ""
    verdict: str = ""
    chosen: str = ""
    created: str = ""
    review_due: dt.date | None = None
    error: str | None = None


def read_record(path: Path) -> dict[str, Any]:
    """Parse one record file; InputError when it is not a readable scopecard.decision/1 record."""
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"TOML syntax error: {e}", file=str(path)) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", file=str(path)) from None
    if data.get("schema") != SCHEMA:
        raise InputError(f"not a {SCHEMA} record (schema = {data.get('schema')!r})", file=str(path))
    return data


def summarize(path: Path) -> RecordSummary:
    """A record's list entry, or an entry carrying its error (the list never fails as a whole)."""
    try:
        data = read_record(path)
        outputs = data.get("outputs", {})
        due = data.get("review_due")
        return RecordSummary(
            id=str(data.get("id", path.stem)), path=path, title=str(data.get("title", "")),
            status=str(data.get("status", "")), verdict=str(outputs.get("verdict", "")),
            chosen=str(outputs.get("chosen", "")), created=str(data.get("created", "")),
            review_due=due if isinstance(due, dt.date) else None)
    except InputError as e:
        return RecordSummary(id=path.stem, path=path, error=e.message)
    except (KeyError, TypeError, AttributeError) as e:
        return RecordSummary(id=path.stem, path=path, error=f"malformed record: {e}")


def list_records(decisions_dir: Path) -> list[RecordSummary]:
    """Every `*.toml` in decisions/, newest first; broken files are listed with their error."""
    if not decisions_dir.is_dir():
        return []
    paths = sorted(decisions_dir.glob("*.toml"), reverse=True)
    return [summarize(p) for p in paths]


def record_path(decisions_dir: Path, record_id: str) -> Path:
    """The file of a record id (checked: no path tricks); InputError when it does not exist."""
    path = decisions_dir / f"{check_id(record_id)}.toml"
    if not path.exists():
        known = [p.stem for p in decisions_dir.glob("*.toml")] if decisions_dir.is_dir() else []
        hint = close_names(record_id, known)
        raise InputError(f"no record {record_id!r}" + (f"; did you mean {', '.join(hint)}?"
                                                       if hint else ""))
    return path
