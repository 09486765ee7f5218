"""The whole job, shared by the command line and the app: spec -> estimate -> verdict -> record."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from estimators.paths import Workspace
from estimators.prices import Catalogue, load_catalogue
from rubrics.estimate import Estimate, Progress, estimate
from rubrics.evals.native_csv import read_native_csv
from rubrics.evals.results import EvalResult, Tally, tally
from rubrics.records import record_dict, write_record
from rubrics.routes_apply import with_route_costs
from rubrics.spec import PROMPT_PARTS, Spec, load_spec, prompt_texts
from rubrics.verdict import Decision, decide

INLINE_LIMIT = 200_000  # prompt files up to this many characters are copied into the record


def catalogue_for(ws: Workspace) -> Catalogue:
    """The refreshed catalogue if there is one, else the bundled one, plus local prices."""
    refreshed = ws.catalogue if ws.catalogue.exists() else None
    return load_catalogue(refreshed, ws.local_prices)


def seed_for(spec_path: Path) -> int:
    """A Monte Carlo seed derived from the spec's bytes: the same spec gives the same record."""
    return int(hashlib.sha256(spec_path.read_bytes()).hexdigest()[:8], 16)


def suite_hash(results: list[EvalResult], suite: str) -> str:
    """Content hash of a suite's cases (ids, difficulty, kind) as seen in the results."""
    cases = sorted({(r.case_id, r.difficulty, r.kind) for r in results if r.suite == suite})
    return hashlib.sha256(repr(cases).encode()).hexdigest()[:16]


def estimate_spec(spec_path: Path, ws: Workspace, as_of: dt.date | None = None,
                  progress: Progress | None = None) -> Estimate:
    """Load a spec file and estimate it against the workspace's catalogue."""
    catalogue = catalogue_for(ws)
    spec, notes = with_route_costs(load_spec(spec_path), catalogue)
    est = estimate(spec, spec_path.parent, catalogue, as_of, progress)
    est.notes.extend(notes)
    return est


def evals_from_csv(path: Path | None, spec: Spec) -> tuple[dict[tuple[str, str, str], Tally],
                                                           dict[str, Any]]:
    """Tallies and their provenance from a native results CSV (or none)."""
    if path is None:
        return {}, {"source": "none", "suite": spec.quality.suite}
    results = read_native_csv(path)
    tallies = tally(results)
    suite = spec.quality.suite
    rows = [{"model": m, "difficulty": d, "k": t.k, "n": t.n, "errors": t.errors,
             "run_ids": list(t.run_ids)}
            for (m, s, d), t in sorted(tallies.items()) if s == suite]
    return tallies, {"source": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "suite": suite, "suite_hash": suite_hash(results, suite), "tallies": rows}


def spec_for_record(spec: Spec, base_dir: Path) -> dict[str, Any]:
    """The spec as data with prompt files inlined (so the record stands alone) or hashed."""
    data = spec.to_toml_dict()
    texts = prompt_texts(spec, base_dir)
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


def decide_spec(spec_path: Path, ws: Workspace, evals_csv: Path | None = None,
                seed: int | None = None, today: dt.date | None = None,
                progress: Progress | None = None) -> tuple[Decision, dict[str, Any]]:
    """Estimate, judge and build the record (not yet written)."""
    est = estimate_spec(spec_path, ws, today, progress)
    tallies, source = evals_from_csv(evals_csv, est.spec)
    seed = seed if seed is not None else seed_for(spec_path)
    decision = decide(est, tallies, catalogue_for(ws), seed, today)
    created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    record = record_dict(decision, spec_for_record(est.spec, spec_path.parent), source, created)
    return decision, record


def save_record(ws: Workspace, record: dict[str, Any], day: dt.date | None = None) -> Path:
    """Write a record into the workspace's decisions/ folder."""
    return write_record(ws.decisions, record, day or dt.date.today())
