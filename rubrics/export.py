"""A decision record as Markdown (for a pull request or a wiki page) or as JSON."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from rubrics.records import next_review_due


def plain(value: Any) -> Any:
    """The record as JSON-ready data: dates and datetimes as ISO strings, key order kept."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def to_json(record: dict[str, Any]) -> str:
    """The whole record as JSON text (it validates against `scopecard record-schema`); a
    record not reviewed yet gets its empty `reviews` list, so readers find the key always."""
    whole = record if "reviews" in record else {**record, "reviews": []}
    return json.dumps(plain(whole), indent=2, ensure_ascii=False) + "\n"


def _cell(x: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(x).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _num(x: Any, digits: int = 0) -> str:
    """A figure for people: thousands separators; small amounts keep significant digits."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(f):
        return "never" if f > 0 else "—"
    if digits == 0 and abs(f) < 10 and f != int(f):
        return f"{f:.4g}"
    return f"{f:,.{digits}f}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _bullets(items: list[Any], empty: str = "none") -> list[str]:
    return [f"- {_cell(i)}" for i in items] + [""] if items else [f"_{empty}_", ""]


def _header(r: dict[str, Any]) -> list[str]:
    out = r["outputs"]
    chosen = out.get("chosen")
    lines = [f"# Decision: {r.get('title', '')}", "",
             f"**Verdict: {out.get('verdict', '?')}**" + (f" — {chosen}" if chosen else ""), ""]
    facts = [("Record", f"`{r.get('id', '')}`"), ("Status", r.get("status", "")),
             ("Created", r.get("created", "")), ("Prices as of", r.get("as_of", "")),
             ("Next review", next_review_due(r) or r.get("review_due", "")),
             ("Engine", f"{r.get('engine_version', '')} (seed {r.get('seed', '')})")]
    if r.get("supersedes"):
        facts.append(("Supersedes", ", ".join(f"`{i}`" for i in r["supersedes"])))
    if r.get("superseded_by"):
        facts.append(("Superseded by", f"`{r['superseded_by']}`"))
    return lines + _table(["", ""], [[k, v] for k, v in facts])


def _thresholds(r: dict[str, Any]) -> list[str]:
    t = r.get("thresholds", {})
    rows = [["scenario", t.get("scenario", "")],
            ["capability bar", f"{_num(t.get('bar'), 2)} at {_num(t.get('confidence'), 2)} "
                               "confidence"],
            ["target ROI", _num(t.get("target_roi"), 2)],
            ["GO", f"{t.get('go_roi_quantile', '?').upper()} ROI >= target and P(NMB > 0) >= "
                   f"{_num(t.get('go_min_p_positive'), 2)}; margin of safety >= "
                   f"{_num(t.get('min_margin_of_safety'), 2)}"],
            ["GO WITH CONDITIONS", f"{t.get('conditions_roi_quantile', '?').upper()} ROI >= "
                                   "target"],
            ["STOP", f"{t.get('stop_roi_quantile', '?').upper()} ROI < target"],
            ["rubric version", t.get("version", "")]]
    return ["## Thresholds", ""] + _table(["threshold", "value"], rows)


def _kills(r: dict[str, Any]) -> list[str]:
    kills = r.get("kill_criteria", [])
    if not kills:
        return ["## Kill criteria", "", "_none (no model was chosen)_", ""]
    rows = [[f"{k['metric']} {k['comparator']} {k['threshold']:g}", f"{k.get('window_days')} days",
             k.get("action", ""), k.get("deadline", ""), k.get("note", "")] for k in kills]
    return ["## Kill criteria", ""] + _table(["criterion", "window", "action", "review by",
                                              "why"], rows)


def _candidate(c: dict[str, Any], currency: str) -> list[str]:
    cap = c.get("capability", {})
    o = cap.get("overall", {})
    rows = [["cost per call", f"{_num(c.get('cost_per_call'))} {currency}"],
            ["monthly cost", f"{_num(c.get('monthly_cost'), 2)} {currency}"],
            ["tokens in / out per call", f"{_num(c.get('input_tokens_per_call'))} / "
                                         f"{_num(c.get('output_tokens_per_call'))}"
                                         + (" (exact)" if c.get("tokens_exact") else "")],
            ["price row", c.get("price_row", "")],
            ["capability", f"{cap.get('status', '?')}: {o.get('k', 0)}/{o.get('n', 0)} passed, "
                           f"interval {_num(o.get('low'), 2)}–{_num(o.get('high'), 2)} vs bar "
                           f"{_num(o.get('bar'), 2)} (suite {cap.get('suite') or '—'})"]]
    for tier, t in cap.get("tiers", {}).items():
        rows.append([f"  {tier}", f"{t['status']}: {t['k']}/{t['n']} vs bar {_num(t['bar'], 2)}"])
    d = c.get("distribution")
    if d:
        rows += [["NMB / month P10 · P50 · P90", " · ".join(_num(d["nmb"][q]) for q in
                                                              ("p10", "p50", "p90"))],
                 ["ROI P10 · P50 · P90", " · ".join(_num(d["roi"][q], 2) for q in
                                                    ("p10", "p50", "p90"))],
                 ["P(NMB > 0)", f"{float(d['p_positive']):.0%}"]]
    point = c.get("point", {})
    rows += [["cost per success", f"{_num(point.get('cost_per_success'))} (max "
                                  f"{_num(point.get('max_cost_per_success'))} at the target ROI)"],
             ["break-even", f"{_num(point.get('break_even_tasks'))} tasks/month"]]
    if c.get("excluded"):
        rows.append(["excluded", c["excluded"]])
    rows += [["warning", w] for w in c.get("warnings", [])]
    return [f"### {c['model']}", ""] + _table(["", ""], rows)


def _prices(r: dict[str, Any]) -> list[str]:
    rows = [[p["id"], p.get("currency", ""), _num(p.get("input"), 4), _num(p.get("output"), 4),
             p.get("effective_from", "undated"), p.get("verified_on", ""), p.get("origin", ""),
             p.get("source", "")] for p in r.get("prices", [])]
    lines = ["## Prices used", "", "Per 1M tokens.", ""]
    lines += _table(["model", "currency", "input", "output", "effective from", "verified on",
                     "origin", "source"], rows)
    if r.get("fx"):
        lines += _table(["FX", "rate", "date", "source"],
                        [[f"1 {f['base']} = {f['quote']}", f["rate"], f["date"], f["source"]]
                         for f in r["fx"]])
    return lines


def _evals(r: dict[str, Any]) -> list[str]:
    e = r.get("evals", {})
    runs = sorted({i for t in e.get("tallies", []) for i in t.get("run_ids", [])})
    rows = [["source", e.get("source", "")], ["suite", e.get("suite", "")],
            ["suite hash", e.get("suite_hash", "—")], ["file sha256", e.get("sha256", "—")],
            ["runs", ", ".join(runs) or "—"]]
    return ["## Evals", ""] + _table(["", ""], rows)


def _log(r: dict[str, Any]) -> list[str]:
    lines = []
    if r.get("history"):
        lines += ["## History", ""] + _table(
            ["date", "from", "to", "note"],
            [[h.get("date"), h.get("from"), h.get("to"), h.get("note", "")] for h in r["history"]])
    if r.get("reviews"):
        lines += ["## Reviews", ""] + _table(
            ["date", "engine", "reproduction", "flags"],
            [[v.get("date"), v.get("engine_version", ""), v.get("reproduction", ""),
              "; ".join(f"{f['kind']}: {f['message']}" for f in v.get("flags", [])) or "none"]
             for v in r["reviews"]])
    return lines


def to_markdown(r: dict[str, Any]) -> str:
    """The record as a Markdown page: verdict, thresholds, drivers, kill criteria, a table per
    candidate, assumptions, and the price rows with their sources."""
    out = r["outputs"]
    currency = r.get("spec", {}).get("currency", "")
    lines = _header(r)
    lines += ["## Why", ""] + _bullets(out.get("reasons", []))
    if out.get("conditions"):
        lines += ["## Conditions", ""] + _bullets(out["conditions"])
    if out.get("spike"):
        lines += ["## Research spike", ""] + _table(["", ""], [[k.replace("_", " "), v]
                                                              for k, v in out["spike"].items()])
    lines += _thresholds(r)
    lines += ["## Top drivers", ""] + _bullets(out.get("drivers", []), "no simulation")
    lines += _kills(r)
    lines += [f"## Candidates ({currency})", ""]
    for c in out.get("candidates", []):
        lines += _candidate(c, currency)
    if out.get("alternatives"):
        lines += ["## Alternatives", ""] + _table(
            ["alternative", "NMB / month", "ROI", "note"],
            [[a["name"], _num(a["nmb"]), _num(a["roi"], 2), a.get("note", "")]
             for a in out["alternatives"]])
    lines += ["## Assumptions", ""] + _bullets(out.get("assumptions", []))
    lines += _prices(r) + _evals(r) + _log(r)
    lines.append(f"_Generated by scopecard from record `{r.get('id', '')}`; amounts are "
                 "estimates._")
    return "\n".join(lines) + "\n"
