"""A decision record as Markdown (for a pull request or a wiki page) or as JSON, and the one
way exports and briefs are written to a file a person names."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from estimators.atomic import create_exclusive, write_atomic
from estimators.errors import InputError
from estimators.safefile import parse_toml, read_text
from rubrics.capability import undecided_reason
from rubrics.mdtext import Markdown, json_escaped, md_code, md_text
from rubrics.records import MAX_RECORD_BYTES, SCHEMA, next_review_due
from rubrics.report import MONTH_0, average_label, grows, part_marks_text


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
    return json_escaped(json.dumps(plain(whole), indent=2, ensure_ascii=False)) + "\n"


def _cell(x: Any) -> str:
    """Text safe inside a Markdown table cell (Markdown we wrote ourselves is kept as it is)."""
    return md_text(x)


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
    lines = [f"# Decision: {md_text(r.get('title', ''))}", "",
             f"**Verdict: {md_text(out.get('verdict', '?'))}**"
             + (f" — {md_text(chosen)}" if chosen else ""), ""]
    facts = [("Record", md_code(r.get("id", ""))), ("Status", r.get("status", "")),
             ("Created", r.get("created", "")), ("Prices as of", r.get("as_of", "")),
             ("Next review", next_review_due(r) or r.get("review_due", "")),
             ("Engine", f"{r.get('engine_version', '')} (seed {r.get('seed', '')})")]
    if r.get("supersedes"):
        facts.append(("Supersedes", Markdown(", ".join(md_code(i) for i in r["supersedes"]))))
    if r.get("superseded_by"):
        facts.append(("Superseded by", md_code(r["superseded_by"])))
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


def _growth(r: dict[str, Any]) -> tuple[str, str, str]:
    """Labels for monthly figures when traffic grows (all empty when it does not): the
    estimate's (month 0), the economics' (the amortization-period average), and a note."""
    spec = r.get("spec", {})
    if not grows(spec.get("load", {}).get("monthly_growth", 0.0)):
        return "", "", ""
    average = average_label(spec.get("costs", {}).get("amortize_months", 12))
    return (f" ({MONTH_0})", " (amortization average)",
            f"Traffic grows each month: monthly cost is {MONTH_0}; NMB, ROI and the "
            f"alternatives are monthly figures, {average}.")


def _cases(o: dict[str, Any]) -> str:
    """What more graded cases would do for an INCONCLUSIVE check (empty otherwise)."""
    if o.get("cases_needed"):
        return f"; ~{_num(o['cases_needed'])} more cases to decide"
    why = undecided_reason(str(o.get("status", "")), int(o.get("k", 0)), int(o.get("n", 0)),
                           float(o.get("bar", 0.0)), None)
    return f"; {why}" if why else ""


def _candidate(c: dict[str, Any], currency: str, r: dict[str, Any]) -> list[str]:
    cap = c.get("capability", {})
    o = cap.get("overall", {})
    month_0, average, _ = _growth(r)
    marks = part_marks_text(c.get("tokens", {}))
    rows = [["cost per call", f"{_num(c.get('cost_per_call'))} {currency}"],
            [f"monthly cost{month_0}", f"{_num(c.get('monthly_cost'), 2)} {currency}"],
            ["tokens in / out per call", f"{_num(c.get('input_tokens_per_call'))} / "
                                         f"{_num(c.get('output_tokens_per_call'))}"
                                         + (f" ({marks})" if marks else "")],
            ["price row", c.get("price_row", "")],
            ["capability", f"{cap.get('status', '?')}: {o.get('k', 0)}/{o.get('n', 0)} passed, "
                           f"interval {_num(o.get('low'), 2)}–{_num(o.get('high'), 2)} vs bar "
                           f"{_num(o.get('bar'), 2)} (suite {cap.get('suite') or '—'})"
                           + _cases(o)]]
    for tier, t in cap.get("tiers", {}).items():
        rows.append([f"  {tier}", f"{t['status']}: {t['k']}/{t['n']} vs bar {_num(t['bar'], 2)}"])
    d = c.get("distribution")
    if d:
        rows += [[f"NMB / month{average} P10 · P50 · P90",
                  " · ".join(_num(d["nmb"][q]) for q in ("p10", "p50", "p90"))],
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
    return [f"### {md_text(c['model'])}", ""] + _table(["", ""], rows)


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


TOKEN_NOTE = ("Token counts per prompt part: = exact (tiktoken), ~ estimated (calibrated factor), "
              "· given in the spec.")


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
    _, average, growth_note = _growth(r)
    lines += [f"## Candidates ({md_text(currency)})", "", TOKEN_NOTE, ""]
    lines += [growth_note, ""] if growth_note else []
    for c in out.get("candidates", []):
        lines += _candidate(c, currency, r)
    if out.get("alternatives"):
        lines += ["## Alternatives", ""] + _table(
            ["alternative", f"NMB / month{average}", "ROI", "note"],
            [[a["name"], _num(a["nmb"]), _num(a["roi"], 2), a.get("note", "")]
             for a in out["alternatives"]])
    lines += ["## Assumptions", ""] + _bullets(out.get("assumptions", []))
    lines += _prices(r) + _evals(r) + _log(r)
    lines.append(f"_Generated by scopecard from record {md_code(r.get('id', ''))}; amounts are "
                 "estimates._")
    return "\n".join(lines) + "\n"


# --- writing an export or a brief to a file a person names -------------------------------------

def write_export(path: Path, text: str, decisions: Path, force: bool = False) -> None:
    """Write `text` to `path` as a new file, or with `force` over an existing regular file.

    A new file is created exclusively (temp file, then a link that fails if the name is
    taken), so a file that appears at `path` meanwhile is kept, never clobbered. Refused with
    an InputError whatever `force` says: a path in the workspace's decisions folder, a decision
    record anywhere, a folder, a symbolic link, a pipe, a device or a socket.
    """
    where = str(path)
    if _inside(path, decisions):
        raise InputError(f"is in the decisions folder ({decisions}), where only records live; "
                         "exports never go there: choose another path", file=where)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise InputError(f"cannot check what is there: {e.strerror}", file=where) from None
    data = text.encode()
    if st is None:
        if create_exclusive(path, data):
            return
        raise InputError(f"{_TAKEN} (it appeared while writing); {_FORCE}", file=where)
    _refuse_unless_replaceable(path, st, force)
    write_atomic(path, data)


_FORCE = "pass --force to replace it (--force replaces a regular file, never a record)"
_TAKEN = "a file is already there"
_NOT_FILES = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
              (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"),
              (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _refuse_unless_replaceable(path: Path, st: os.stat_result, force: bool) -> None:
    """InputError saying what is at `path` unless it is a regular file, not a decision
    record, and `force` was given."""
    where = str(path)
    if not stat.S_ISREG(st.st_mode):
        what = next((name for test, name in _NOT_FILES if test(st.st_mode)),
                    "something that is not a regular file")
        raise InputError(f"{what} is there; scopecard writes a new file, or with --force "
                         "replaces a regular file, nothing else: choose another path", file=where)
    if _is_record(path):
        raise InputError("a decision record is there; records are never overwritten: choose "
                         "another path", file=where)
    if not force:
        raise InputError(f"{_TAKEN}; {_FORCE}", file=where)


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` would land in `folder` or below it (links in either resolved)."""
    parent = Path(os.path.realpath(path.parent))
    return parent.is_relative_to(os.path.realpath(folder))


def _is_record(path: Path) -> bool:
    """Whether the regular file at `path` parses as a decision record."""
    try:
        data = parse_toml(read_text(path, MAX_RECORD_BYTES), str(path))
    except InputError:
        return False  # unreadable, too big, not UTF-8 or not TOML: not a record
    return data.get("schema") == SCHEMA
