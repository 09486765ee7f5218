"""A decision record as Markdown (for a pull request or a wiki page) or as JSON, and the one
way exports and briefs are written to a file a person names."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path
from typing import Any

from estimators.atomic import create_exclusive, write_atomic
from estimators.errors import InputError
from estimators.safefile import parse_toml, read_text
from rubrics.capability import MAX_CASES, RATE_ON_BAR, undecided_reason
from rubrics.mdtext import Markdown, json_escaped, md_code, md_text
from rubrics.messages import from_json, labels, named, render, sentences, text
from rubrics.numbers import number
from rubrics.record import SCHEMA, SCHEMA_V1
from rubrics.record_store import MAX_RECORD_BYTES
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
    """The whole decision document (`DecisionState.as_dict`) as JSON text; it validates
    against `scopecard record-schema`."""
    return json_escaped(json.dumps(plain(record), indent=2, ensure_ascii=False)) + "\n"


def _cell(x: Any) -> str:
    """Text safe inside a Markdown table cell (Markdown we wrote ourselves is kept as it is)."""
    return md_text(x)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _bullets(items: list[Any], empty: str) -> list[str]:
    return [f"- {_cell(i)}" for i in items] + [""] if items else [f"_{empty}_", ""]



class Said:
    """The record's stored sentences in one language, remembering whether any had to be shown
    in English because the record predates stored messages."""

    def __init__(self, r: dict[str, Any], lang: str) -> None:
        self.out, self.lang, self.english = r["outputs"], lang, False
        self.messages = self.out.get("messages") or {}

    def outputs(self, name: str) -> list[str]:
        """`outputs.<name>` (reasons, conditions, drivers) in the language."""
        said, english = sentences(self.out.get(name, []), self.messages.get(name), self.lang)
        self.english |= english
        return said

    def spike(self) -> dict[str, str]:
        """The research spike's fields in the language."""
        stored = self.out.get("spike") or {}
        keys = list(stored)
        stored_messages = self.messages.get("spike") or {}
        said = self.list_of([stored[k] for k in keys], [stored_messages.get(k) for k in keys])
        return dict(zip(keys, said, strict=True))

    def kill_note(self, k: dict[str, Any]) -> str:
        """A kill criterion's note in the language."""
        (note,) = self.list_of([k.get("note", "")], [k.get("note_message")])
        return note

    def list_of(self, stored: list[Any], messages: list[Any]) -> list[str]:
        said, english = sentences(stored, messages, self.lang)
        self.english |= english
        return said


def _header(r: dict[str, Any], lang: str) -> list[str]:
    out = r["outputs"]
    chosen = out.get("chosen")
    lines = [f"# {text('md.decision', lang, title=md_text(r.get('title', '')))}", "",
             f"**{text('md.verdict', lang, verdict=md_text(out.get('verdict', '?')))}**"
             + (f" — {md_text(chosen)}" if chosen else ""), ""]
    facts = [("md.record", md_code(r.get("id", ""))),
             ("md.status", named("status", str(r.get("status", "")), lang)),
             ("md.created", r.get("created", "")), ("md.as_of", r.get("as_of", "")),
             ("md.next_review", r.get("next_review_due") or r.get("review_due", "")),
             ("md.engine", text("md.engine_seed", lang, version=str(r.get("engine_version", "")),
                                seed=str(r.get("seed", ""))))]
    if r.get("supersedes"):
        facts.append(("md.supersedes", Markdown(", ".join(md_code(i) for i in r["supersedes"]))))
    if r.get("superseded_by"):
        facts.append(("md.superseded_by", md_code(r["superseded_by"])))
    return lines + _table(["", ""], [[text(k, lang), v] for k, v in facts])


def _thresholds(r: dict[str, Any], lang: str) -> list[str]:
    t = r.get("thresholds", {})

    def q(name: str) -> str:
        return str(t.get(name, "?")).upper()

    rows = [[text("md.scenario", lang), t.get("scenario", "")],
            [text("md.capability_bar", lang),
             text("md.bar_value", lang, bar=number(t.get("bar"), "amount2", lang),
                  confidence=number(t.get("confidence"), "amount2", lang))],
            [text("md.target_roi", lang), number(t.get("target_roi"), "amount2", lang)],
            ["GO", text("md.go_rule", lang, q=q("go_roi_quantile"),
                        p=number(t.get("go_min_p_positive"), "amount2", lang),
                        margin=number(t.get("min_margin_of_safety"), "amount2", lang))],
            ["GO WITH CONDITIONS", text("md.conditions_rule", lang,
                                        q=q("conditions_roi_quantile"))],
            ["STOP", text("md.stop_rule", lang, q=q("stop_roi_quantile"))],
            [text("md.rubric_version", lang), t.get("version", "")]]
    return [f"## {text('md.thresholds', lang)}", ""] + _table(
        labels(lang, "md.threshold", "md.value"), rows)


def _kills(r: dict[str, Any], said: Said) -> list[str]:
    lang = said.lang
    kills = r.get("kill_criteria", [])
    heading = f"## {text('md.kill_criteria', lang)}"
    if not kills:
        return [heading, "", f"_{text('md.no_kills', lang)}_", ""]
    rows = [[f"{k['metric']} {k['comparator']} {k['threshold']:g}",
             text("md.days", lang, days=str(k.get("window_days"))),
             named("action", str(k.get("action", "")), lang), k.get("deadline", ""),
             said.kill_note(k)] for k in kills]
    return [heading, ""] + _table(labels(lang, "md.criterion", "md.window", "md.action",
                                          "md.review_by", "md.why_column"), rows)


def _growth(r: dict[str, Any], lang: str) -> tuple[str, str, str]:
    """Labels for monthly figures when traffic grows (all empty when it does not): the
    estimate's (month 0), the economics' (the amortization-period average), and a note."""
    spec = r.get("spec", {})
    if not grows(spec.get("load", {}).get("monthly_growth", 0.0)):
        return "", "", ""
    month_0 = MONTH_0 if lang == "en" else text("md.month_0", lang)
    average = (average_label(spec.get("costs", {}).get("amortize_months", 12)) if lang == "en"
               else text("md.average_label", lang,
                         months=str(spec.get("costs", {}).get("amortize_months", 12))))
    return (f" ({month_0})", f" ({text('md.amortization_average', lang)})",
            text("md.growth_note", lang, month_0=month_0, average=average))


def _cases(o: dict[str, Any], lang: str) -> str:
    """What more graded cases would do for an INCONCLUSIVE check (empty otherwise)."""
    if o.get("cases_needed"):
        return text("md.cases_needed", lang, cases=number(o["cases_needed"], "amount", lang))
    why = undecided_reason(str(o.get("status", "")), int(o.get("k", 0)), int(o.get("n", 0)),
                           float(o.get("bar", 0.0)), None)
    if why and lang != "en":  # the same choice as Check.undecided_message
        why = text("capability.on_bar" if why == RATE_ON_BAR else "capability.beyond_max",
                   lang, cases=MAX_CASES)
    return text("md.undecided", lang, why=why) if why else ""


def _candidate(c: dict[str, Any], currency: str, r: dict[str, Any], lang: str) -> list[str]:
    def num(value: Any, spec: str) -> str:
        return number(value, spec, lang)

    cap = c.get("capability", {})
    o = cap.get("overall", {})
    month_0, average, _ = _growth(r, lang)
    marks = part_marks_text(c.get("tokens", {}))
    rows = [[text("md.cost_per_call", lang), f"{num(c.get('cost_per_call'), 'money')} {currency}"],
            [text("md.monthly_cost", lang) + month_0,
             f"{num(c.get('monthly_cost'), 'money')} {currency}"],
            [text("md.tokens_per_call", lang),
             f"{num(c.get('input_tokens_per_call'), 'amount')} / "
             f"{num(c.get('output_tokens_per_call'), 'amount')}" + (f" ({marks})" if marks else "")],
            [text("md.price_row", lang), c.get("price_row", "")],
            [text("md.capability", lang),
             text("md.capability_value", lang, status=str(cap.get("status", "?")),
                  k=str(o.get("k", 0)), n=str(o.get("n", 0)), low=num(o.get("low"), "amount2"),
                  high=num(o.get("high"), "amount2"), bar=num(o.get("bar"), "amount2"),
                  suite=str(cap.get("suite") or "—")) + _cases(o, lang)]]
    for tier, t in cap.get("tiers", {}).items():
        rows.append([f"  {tier}", text("md.tier_value", lang, status=str(t["status"]), k=str(t["k"]),
                                       n=str(t["n"]), bar=num(t["bar"], "amount2"))])
    d = c.get("distribution")
    if d:
        rows += [[text("md.nmb_quantiles", lang, average=average),
                  " · ".join(num(d["nmb"][q], "money") for q in ("p10", "p50", "p90"))],
                 [text("md.roi_quantiles", lang), " · ".join(num(d["roi"][q], "amount2") for q in
                                                             ("p10", "p50", "p90"))],
                 [text("md.p_positive", lang), f"{float(d['p_positive']):.0%}"]]
    point = c.get("point", {})
    rows += [[text("md.cost_per_success", lang),
              text("md.cost_per_success_value", lang,
                   cost=num(point.get("cost_per_success"), "money"),
                   max=num(point.get("max_cost_per_success"), "money"))],
             [text("md.break_even", lang),
              text("md.tasks_per_month", lang,
                   tasks=num(point.get("break_even_tasks"), "amount"))]]
    if c.get("excluded"):
        rows.append([text("md.excluded", lang), c["excluded"]])
    rows += [[text("md.warning", lang), w] for w in c.get("warnings", [])]
    return [f"### {md_text(c['model'])}", ""] + _table(["", ""], rows)


def _alternatives(r: dict[str, Any], lang: str) -> list[str]:
    _, average, _ = _growth(r, lang)
    rows = [[named("alt", str(a["name"]), lang), number(a["nmb"], "money", lang),
             number(a.get("roi"), "amount2", lang),
             a.get("note", "")] for a in r["outputs"]["alternatives"]]
    return [f"## {text('md.alternatives', lang)}", ""] + _table(
        [text("md.alternative", lang), text("md.nmb_month", lang, average=average), "ROI",
         text("md.note", lang)], rows)


def _prices(r: dict[str, Any], lang: str) -> list[str]:
    rows = [[p["id"], p.get("currency", ""), number(p.get("input"), "amount4", lang),
             number(p.get("output"), "amount4", lang),
             p.get("effective_from", text("md.undated", lang)), p.get("verified_on", ""),
             p.get("origin", ""), p.get("source", "")] for p in r.get("prices", [])]
    lines = [f"## {text('md.prices', lang)}", "", text("md.per_1m", lang), ""]
    lines += _table(labels(lang, "md.model", "md.currency", "md.input", "md.output",
                            "md.effective_from", "md.verified_on", "md.origin", "md.source"),
                    rows)
    if r.get("fx"):
        lines += _table(["FX", *labels(lang, "md.rate", "md.date", "md.source")],
                        [[f"1 {f['base']} = {f['quote']}", f["rate"], f["date"], f["source"]]
                         for f in r["fx"]])
    return lines


def _evals(r: dict[str, Any], lang: str) -> list[str]:
    e = r.get("evals", {})
    runs = sorted({i for t in e.get("tallies", []) for i in t.get("run_ids", [])})
    rows = [[text("md.source", lang), e.get("source", "")],
            [text("md.suite", lang), e.get("suite", "")],
            [text("md.suite_hash", lang), e.get("suite_hash", "—")],
            [text("md.file_sha256", lang), e.get("sha256", "—")],
            [text("md.runs", lang), ", ".join(runs) or "—"]]
    return [f"## {text('md.evals', lang)}", ""] + _table(["", ""], rows)


def _log(r: dict[str, Any], lang: str) -> list[str]:
    from rubrics.review import flag_text  # the review engine only for a reviewed record

    lines = []
    if r.get("history"):
        lines += [f"## {text('md.history', lang)}", ""] + _table(
            labels(lang, "md.date", "md.from", "md.to", "md.note"),
            [[h.get("date"), h.get("from"), h.get("to"), h.get("note", "")] for h in r["history"]])
    if r.get("reviews"):
        lines += [f"## {text('md.reviews', lang)}", ""] + _table(
            labels(lang, "md.date", "md.engine_column", "md.reproduction", "md.flags"),
            [[v.get("date"), v.get("engine_version", ""),
              named("review.status", str(v.get("reproduction", "")), lang),
              "; ".join(f"{f['kind']}: {flag_text(f, lang)}" for f in v.get("flags", []))
              or text("md.none", lang)]
             for v in r["reviews"]])
    return lines


def _usage(r: dict[str, Any], lang: str) -> list[str]:
    """Forecast vs actual per month from the latest review with usage: a table and a chart."""
    from rubrics.usage.actuals import chart_lines

    latest = next((v for v in reversed(r.get("reviews") or []) if v.get("usage")), None)
    if latest is None:
        return []
    usage = latest["usage"]

    def cell(m: dict[str, Any], name: str, spec: str) -> str:
        c = m.get(name) or {}
        ratio = number(c.get("ratio"), "amount2", lang)
        return (f"{number(c.get('forecast'), spec, lang)} / "
                f"{number(c.get('actual'), spec, lang)} / {ratio}")

    rows = [[m.get("month", ""), cell(m, "calls", "amount"), cell(m, "cost", "money"),
             cell(m, "cost_per_call", "money")] for m in usage.get("months", [])]
    # where a month's actual cost is an invoiced amount (or why cost rows were not used)
    invoice = [f"{m.get('month', '')}: {render(said, lang)}" for m in usage.get("months", [])
               for i in m.get("invoice", []) if (said := from_json(i))]
    return ([f"## {text('md.usage', lang)}", "",
             text("md.usage_note", lang, date=str(latest.get("date", "")),
                  currency=md_text(str(usage.get("currency", "")))), ""]
            + _table(labels(lang, "md.usage_month", "md.usage_calls", "md.usage_cost",
                            "md.usage_per_call"), rows)
            + (_bullets(invoice, "") if invoice else [])
            + ["```", *chart_lines(usage, lang), "```", ""])


def to_markdown(r: dict[str, Any], lang: str = "en") -> str:
    """The record as a Markdown page: verdict, thresholds, drivers, kill criteria, a table per
    candidate, assumptions, and the price rows with their sources. Labels and the core's
    sentences are in `lang` (from the stored messages); user text and ids stay as written."""
    out = r["outputs"]
    said = Said(r, lang)
    currency = r.get("spec", {}).get("currency", "")
    none = text("md.none", lang)
    lines = [f"## {text('md.why', lang)}", ""] + _bullets(said.outputs("reasons"), none)
    if out.get("conditions"):
        lines += [f"## {text('md.conditions', lang)}", ""] + _bullets(said.outputs("conditions"),
                                                                       none)
    if out.get("spike"):
        lines += [f"## {text('md.spike', lang)}", ""] + _table(
            ["", ""], [[named("spike", k, lang), v] for k, v in said.spike().items()])
    lines += _thresholds(r, lang)
    lines += [f"## {text('md.drivers', lang)}", ""] + _bullets(
        said.outputs("drivers"), text("md.no_simulation", lang))
    lines += _kills(r, said)
    _, _, growth_note = _growth(r, lang)
    lines += [f"## {text('md.candidates', lang, currency=md_text(currency))}", "",
              text("md.token_note", lang), ""]
    lines += [growth_note, ""] if growth_note else []
    for c in out.get("candidates", []):
        lines += _candidate(c, currency, r, lang)
    if out.get("alternatives"):
        lines += _alternatives(r, lang)
    lines += [f"## {text('md.assumptions', lang)}", ""] + _bullets(out.get("assumptions", []),
                                                                    none)
    lines += _prices(r, lang) + _evals(r, lang) + _log(r, lang) + _usage(r, lang)
    lines.append("_" + text("md.footer", lang, id=md_code(r.get("id", ""))) + "_")
    # the note goes under the verdict, where the English sentences start
    note = [f"_{text('md.recorded_in_english', lang)}_", ""] if said.english else []
    return "\n".join(_header(r, lang) + note + lines) + "\n"


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
    return data.get("schema") in (SCHEMA, SCHEMA_V1)
