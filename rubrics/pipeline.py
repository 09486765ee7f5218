"""The whole job, shared by the command line and the app: spec -> estimate -> verdict -> record."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from estimators import ENGINE_VERSION
from estimators.paths import Workspace
from estimators.prices import Catalogue, load_catalogue
from estimators.safefile import read_capped
from rubrics.estimate import Estimate, Progress, estimate
from rubrics.evals.results import Tally
from rubrics.record import SCHEMA, toml_safe
from rubrics.record_store import RecordStore
from rubrics.report import monthly_basis, part_marks, row_mark
from rubrics.routes_apply import with_route_costs
from rubrics.spec import MAX_SPEC_BYTES, PROMPT_PARTS, Spec, load_spec
from rubrics.verdict import Decision, decide

INLINE_LIMIT = 200_000  # prompt files up to this many characters are copied into the record


def catalogue_for(ws: Workspace) -> Catalogue:
    """The refreshed catalogue if there is one, else the bundled one, plus local prices."""
    refreshed = ws.catalogue if ws.catalogue.exists() else None
    return load_catalogue(refreshed, ws.local_prices)


def seed_for(spec_path: Path) -> int:
    """A Monte Carlo seed derived from the spec's bytes: the same spec gives the same record."""
    data = read_capped(spec_path, MAX_SPEC_BYTES)
    return int(hashlib.sha256(data).hexdigest()[:8], 16)


def estimate_spec(spec_path: Path, ws: Workspace, as_of: dt.date | None = None,
                  progress: Progress | None = None,
                  catalogue: Catalogue | None = None,
                  prompt_roots: Sequence[Path] = (), lang: str = "en") -> Estimate:
    """Load a spec file and estimate it against the workspace's catalogue (prompt files from
    the spec's folder or `prompt_roots`); a bad spec is said in `lang`."""
    catalogue = catalogue or catalogue_for(ws)
    spec, notes = with_route_costs(load_spec(spec_path, lang), catalogue, as_of)
    est = estimate(spec, spec_path.parent, catalogue, as_of, progress, prompt_roots,
                   str(spec_path))
    est.notes.extend(notes)
    return est


def evals_for(ws: Workspace, spec: Spec, files: list[Path],
              suite_file: Path | None = None) -> tuple[dict[tuple[str, str, str], Tally],
                                                       dict[str, Any]]:
    """Import `files` into the workspace's eval store, then the spec suite's tallies from it."""
    from rubrics.evals.files import import_file, open_store

    ws.root.mkdir(parents=True, exist_ok=True)
    suite = spec.quality.suite
    imported = [import_file(ws, f, suite=str(suite_file) if suite_file else None) for f in files]
    with open_store(ws) as store:
        tallies, suite_hash = store.suite_tallies(suite) if suite else ({}, "")
    rows = [{"model": m, "difficulty": d, "k": t.k, "n": t.n, "errors": t.errors,
             "approximate": t.approximate, "run_ids": list(t.run_ids)}
            for (m, _, d), t in sorted(tallies.items())]
    # no local paths: a decision is shared, and a path on one machine means nothing on another
    return tallies, {"source": "eval store", "store": "evals/", "suite": suite,
                     "suite_hash": suite_hash, "tallies": rows,
                     "imported": [{"file": Path(r.file).name, "format": r.format,
                                   "sha256": r.sha256} for r in imported]}


def spec_for_record(spec: Spec, texts: dict[str, str]) -> dict[str, Any]:
    """The spec as data with prompt files (`texts`, as read) inlined so the record stands
    alone, or hashed when large."""
    data = spec.to_toml_dict()
    prompt = data.setdefault("prompt", {})
    for part in PROMPT_PARTS:
        file = prompt.get(f"{part}_file")
        if file is None:
            continue
        text = texts[part]
        prompt[f"{part}_file_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        if len(text) <= INLINE_LIMIT:
            del prompt[f"{part}_file"]
            prompt[f"{part}_text"] = text
    return data


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
    fx = {id(row): row for r in d.candidates for row in r.estimate.fx.rows}
    candidates = []
    for r in d.candidates:
        e = r.estimate
        f = r.point
        candidates.append({
            "model": e.model,
            "price_row": f"{e.row.id} @ {e.row.effective_from or 'undated'} ({e.row.origin})",
            "excluded": e.excluded,
            "warnings": e.warnings,
            "tokens": e.counts_json(),
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
    return toml_safe({
        "schema": SCHEMA,
        "title": d.spec.title,
        "created": created,
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
            "interval": d.spec.quality.interval,
            "scenario": d.scenario.name, **asdict(d.rubric), "preset": asdict(d.scenario),
        },
        "outputs": {
            "verdict": d.verdict.value,
            "chosen": d.chosen,
            "reasons": [str(m) for m in d.reasons],
            "conditions": [str(m) for m in d.conditions],
            "drivers": [str(m) for m in d.drivers],
            "spike": {k: str(m) for k, m in d.spike.items()},
            # the same sentences as message keys with arguments, to render in any language
            "messages": {"reasons": [m.to_json() for m in d.reasons],
                         "conditions": [m.to_json() for m in d.conditions],
                         "drivers": [m.to_json() for m in d.drivers],
                         "spike": {k: m.to_json() for k, m in d.spike.items()}},
            "assumptions": est.notes,
            "load": {"tasks_per_day": t.tasks_per_day, "tasks_per_month": t.tasks_per_month,
                     "calls_per_day": t.calls_per_day, "calls_per_month": t.calls_per_month,
                     "avg_qps": t.avg_qps, "peak_qps": t.peak_qps},
            "candidates": candidates,
            "alternatives": [asdict(a) for a in d.alternatives],
        },
        "kill_criteria": [{**asdict(k), "note": str(k.note), "note_message": k.note.to_json()}
                          for k in d.kill_criteria],
    })


def decide_spec(spec_path: Path, ws: Workspace, evals: Path | list[Path] | None = None,
                seed: int | None = None, today: dt.date | None = None,
                progress: Progress | None = None,
                suite_file: Path | None = None,
                prompt_roots: Sequence[Path] = (), lang: str = "en"
                ) -> tuple[Decision, dict[str, Any]]:
    """Estimate, judge against the eval store (after importing `evals`), build the record
    (a bad spec is said in `lang`).

    The record is returned, not yet written.
    """
    catalogue = catalogue_for(ws)
    est = estimate_spec(spec_path, ws, today, progress, catalogue, prompt_roots, lang)
    files = [evals] if isinstance(evals, Path) else list(evals or [])
    tallies, source = evals_for(ws, est.spec, files, suite_file)
    seed = seed if seed is not None else seed_for(spec_path)
    decision = decide(est, tallies, catalogue, seed, today)
    created = dt.datetime.now(dt.UTC)  # to the microsecond: two runs are two decisions
    record = record_dict(decision, spec_for_record(est.spec, est.texts), source, created)
    return decision, _labelled(record, est)


def _labelled(record: dict[str, Any], est: Estimate) -> dict[str, Any]:
    """The record with the labels its readers need spelled out as data: which month each
    "monthly" figure means (`outputs.monthly_basis`) and how each token count was obtained
    (`token_mark` and `token_marks` per candidate, next to `tokens_exact`)."""
    out = record["outputs"]
    out["monthly_basis"] = monthly_basis(est.spec.load.monthly_growth,
                                         est.spec.costs.amortize_months)
    for c in out["candidates"]:
        c["token_mark"], c["token_marks"] = row_mark(c["tokens"]), part_marks(c["tokens"])
    return record


def save_record(ws: Workspace, record: dict[str, Any], day: dt.date | None = None) -> Path:
    """File a record in the workspace (`decisions/<id>/decision.toml`); returns that file."""
    state = RecordStore(ws).create(record, day or dt.date.today())
    return RecordStore(ws).decision_file(state.id)


@dataclass(frozen=True)
class Rebuilt:
    """A saved decision rebuilt from its record's own inputs: what `WhatIf.from_decision`
    needs (the Decision, its tallies and catalogue)."""

    decision: Decision
    tallies: dict[tuple[str, str, str], Tally]
    catalogue: Catalogue


def decision_from_record(record: dict[str, Any], ws: Workspace | None = None) -> Rebuilt:
    """The Decision a record was made from, recomputed the way `review` reproduces it: the
    record's spec (prompts inlined), its price and FX rows, its tallies, its seed and date.

    An embedding alternative whose price the record did not keep is priced from `ws`'s
    catalogue (as review does). InputError when the record cannot be rebuilt.
    """
    from rubrics.review import NO_DIR, record_catalogue, record_spec, record_tallies

    spec = record_spec(record)
    catalogue = record_catalogue(record)
    embedding = spec.alternatives.embedding_model
    if ws is not None and embedding and not any(r.get("id") == embedding
                                                for r in record.get("prices", [])):
        today = catalogue_for(ws)
        catalogue.rows.extend(today.history(embedding))
        catalogue.fx.extend(today.fx)
    tallies = record_tallies(record, spec.quality.suite)
    as_of = _date(record["as_of"])
    est = estimate(spec, NO_DIR, catalogue, as_of)
    return Rebuilt(decide(est, tallies, catalogue, int(record["seed"]), as_of), tallies, catalogue)


def redecide(ws: Workspace, record: dict[str, Any], today: dt.date,
             progress: Progress | None = None) -> tuple[Decision, dict[str, Any]]:
    """Decide a record's own spec again with today's prices (the workspace's catalogue) and
    today's evals (the workspace's eval store), with the record's seed. The new record is
    returned, not yet written (`save_record` files it as a decision of its own)."""
    from rubrics.review import NO_DIR, record_spec

    catalogue = catalogue_for(ws)
    # the record's spec already holds its route costs as numbers: it is decided as it stands
    est = estimate(record_spec(record), NO_DIR, catalogue, today, progress)
    tallies, source = evals_for(ws, est.spec, [])
    decision = decide(est, tallies, catalogue, int(record["seed"]), today)
    created = dt.datetime.now(dt.UTC)
    new = record_dict(decision, spec_for_record(est.spec, est.texts), source, created)
    return decision, _labelled(new, est)


def _date(value: Any) -> dt.date:
    """A record's date field (a date, or its ISO text once read back from JSON)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
