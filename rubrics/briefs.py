"""Briefs for both sides of the table, built from a decision record.

- Business brief: the verdict and why, cost ranges, one-time cost, people and time, ROI, break-even,
  payback, kill criteria and the review date, cheapest passing vs best-quality model.
- Vendor brief: capacity and quality requirements only. It is built from an explicit allow-list
  of record fields, never by removing secrets from the whole record, so value figures, prompts and
  confidential need text cannot leak into it by accident.
"""

from __future__ import annotations

from typing import Any

from estimators.cost import CallShape
from rubrics.capacity import (
    UNITS,
    Need,
    capacity,
    capacity_json,
    concurrency_text,
    tier_basis_text,
    tiers_in_record,
)
from rubrics.mdtext import md_text
from rubrics.messages import Message, from_json, labels, named, render, sentences, text
from rubrics.numbers import number
from rubrics.scenarios import routes

BUSINESS, VENDOR = "business", "vendor"


def _likely(x: Any) -> float:
    return float(x["likely"]) if isinstance(x, dict) else float(x or 0.0)


def _chosen(record: dict[str, Any]) -> dict[str, Any] | None:
    name = record["outputs"].get("chosen")
    return next((c for c in record["outputs"]["candidates"] if c["model"] == name), None)


def _best_quality(record: dict[str, Any]) -> dict[str, Any] | None:
    """The candidate with the highest lower bound on its pass rate."""
    graded = [c for c in record["outputs"]["candidates"] if c["capability"]["overall"]["n"]]
    return max(graded, key=lambda c: c["capability"]["overall"]["low"], default=None)


def _in_language(record: dict[str, Any], lang: str) -> tuple[dict[str, Any], bool]:
    """The record's verdict sentences, spike and kill-criteria notes in `lang` (from the
    stored messages), and whether English text had to stand in (an old record)."""
    out = record["outputs"]
    messages = out.get("messages") or {}
    english = False

    def said(stored: list[Any], stored_messages: Any) -> list[str]:
        nonlocal english
        text_, fallback = sentences(stored, stored_messages, lang)
        english |= fallback
        return text_

    spike = out.get("spike") or {}
    spike_messages = messages.get("spike") or {}
    kills = record.get("kill_criteria", [])
    notes = [said([k.get("note", "")], [k.get("note_message")])[0] for k in kills]
    return {
        "why": said(out["reasons"], messages.get("reasons")),
        "conditions": said(out["conditions"], messages.get("conditions")),
        "drivers": said(out["drivers"], messages.get("drivers")),
        "spike": dict(zip(spike, said(list(spike.values()),
                                      [spike_messages.get(k) for k in spike]), strict=True)),
        "kill_criteria": [{**k, "note": n} for k, n in zip(kills, notes, strict=True)],
    }, english


def _route(name: str, lang: str) -> dict[str, str]:
    """A delivery route's label and note: as routes.toml writes them in English, from the
    message tables in another language."""
    route = routes()[name]
    if lang == "en":
        return {"route": route.label, "note": route.note}
    return {"route": named("route", name, lang), "note": named("route_note", name, lang)}


def business_brief(record: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """One page for the budget holder; the core's sentences and the route in `lang`."""
    spec, out = record["spec"], record["outputs"]
    cur = spec.get("currency", "USD")
    costs = spec.get("costs", {})
    route_name = spec.get("constraints", {}).get("route", "prompt")
    chosen, best = _chosen(record), _best_quality(record)
    said, english = _in_language(record, lang)

    def model_view(c: dict[str, Any] | None) -> dict[str, Any] | None:
        if c is None:
            return None
        cap = c["capability"]["overall"]
        dist = c.get("distribution") or {}
        return {"model": c["model"], "status": c["capability"]["status"],
                "pass_rate": f"{cap['k']}/{cap['n']}", "lower_bound": cap["low"],
                "cost_per_call": c["cost_per_call"],
                "monthly_ai_cost": dist.get("monthly_ai_cost", {}),
                "roi": dist.get("roi", {}), "p_positive": dist.get("p_positive")}

    figures = chosen["point"] if chosen else {}
    data = {
        "brief": BUSINESS, "id": record.get("id"), "title": record["title"],
        "verdict": out["verdict"], "why": said["why"], "conditions": said["conditions"],
        "currency": cur,
        "monthly_ai_cost": (chosen or {}).get("distribution", {}).get("monthly_ai_cost", {}),
        "monthly_fixed_cost": _likely(costs.get("monthly_fixed")) + _likely(costs.get("route_monthly")),
        "one_time_cost": _likely(costs.get("one_time")) + _likely(costs.get("route_one_time")),
        "people_and_time": {"route": (r := _route(route_name, lang))["route"],
                            "route_note": r["note"], "research_spike": said["spike"] or None},
        "roi": (chosen or {}).get("distribution", {}).get("roi", {}),
        "p_positive": (chosen or {}).get("distribution", {}).get("p_positive"),
        "break_even_tasks_per_month": figures.get("break_even_tasks"),
        "payback_months": figures.get("payback_months"),
        "target_roi": record["thresholds"]["target_roi"],
        "drivers": said["drivers"],
        "kill_criteria": said["kill_criteria"],
        "review_due": record.get("review_due"),
        "cheapest_passing": model_view(chosen),
        "best_quality": model_view(best),
    }
    if english:  # only then: an English brief's data stays as it was
        data["sentences_recorded_in_english"] = True
    return data


def _said(value: Any, lang: str) -> str | None:
    """A sentence from rubrics.capacity in `lang` when it comes as a message (a Message or its
    JSON form); plain text is shown as written (English), None stays None."""
    if value is None:
        return None
    said = value if isinstance(value, Message) else from_json(value)
    return render(said, lang) if said is not None else str(value)


def _rate_limit(record: dict[str, Any], candidate: dict[str, Any],
                lang: str = "en") -> dict[str, Any]:
    """The candidate's peak need against its rate-limit tier, from what the record stores: the
    load, the price row's published tiers and the tier the spec names; its sentences in `lang`
    where rubrics.capacity gives them as messages."""
    spec, model = record["spec"], candidate["model"]
    row: dict[str, Any] = next((r for r in record.get("prices", []) if r.get("id") == model), {})
    index, named = next(((i, c.get("rate_limit_tier")) for i, c in
                         enumerate(spec.get("candidates", [])) if c.get("model") == model),
                        (0, None))
    need = Need(record["outputs"]["load"]["peak_qps"], candidate["peak_tpm"],
                spec.get("constraints", {}).get("max_p95_latency_ms"))
    cap = capacity(model, tiers_in_record(row), need, str(row.get("source", "")), named,
                   f"spec.candidates[{index}].rate_limit_tier")
    data = capacity_json(cap)
    data["model"] = model
    # a message form of the summary, when capacity_json gives one beside the English text
    data["summary"] = _said(data.pop("summary_message", None) or data["summary"], lang)
    data["tier_basis_text"] = _said(tier_basis_text(cap), lang) if cap.tier else None
    data["concurrency_text"] = _said(concurrency_text(need), lang)
    return data


def vendor_brief(record: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """What a vendor needs to quote and plan capacity, and nothing else; its own words in
    `lang` (the capacity section's sentences too, once rubrics.capacity gives them as
    messages; until then as it writes them)."""
    spec, out = record["spec"], record["outputs"]
    need = spec.get("need", {})
    quality = spec.get("quality", {})
    constraints = spec.get("constraints", {})
    load = out["load"]
    profile = _chosen(record) or out["candidates"][0]
    tokens = {part: t["tokens"] for part, t in profile["tokens"].items()}
    turns = int(spec.get("prompt", {}).get("turns", 1))
    shape = CallShape(system=tokens["system"], user=tokens["user"], context=tokens["context"],
                      output=tokens["output"], reasoning=tokens["reasoning"], turns=turns)
    route_name = constraints.get("route", "prompt")
    tiers = record["evals"].get("tallies", [])
    cases = {t["difficulty"]: t["n"] + t["errors"] for t in tiers
             if t["model"] == profile["model"] and t["difficulty"] != "all"}
    brief: dict[str, Any] = {
        "brief": VENDOR,
        "title": None if need.get("confidential") else record["title"],
        "task": None if need.get("confidential") else need.get("problem") or None,
        "capacity": {
            "average_qps": load["avg_qps"], "peak_qps": load["peak_qps"],
            "calls_per_day": load["calls_per_day"], "calls_per_month": load["calls_per_month"],
            "peak_tpm": profile["peak_tpm"],
            "peak_factor": _likely(spec["load"].get("peak_factor", 1)),
            "rate_limit": _rate_limit(record, profile, lang),
        },
        "tokens_per_call": {
            "input": shape.input_per_call, "output": tokens["output"],
            "reasoning": tokens["reasoning"], "turns": turns,
            "input_by_turn": [shape.turn_input(t) for t in range(1, turns + 1)],
            "basis": text("vendor.basis", lang, model=profile["model"]),
        },
        "context_length_needed": shape.max_prompt + shape.output_per_call,
        "latency_p95_ms": constraints.get("max_p95_latency_ms"),
        "data_residency": constraints.get("data_residency", []),
        "data_retention": constraints.get("data_retention") or text("vendor.not_stated", lang),
        "compliance": constraints.get("compliance", []),
        "custom_work": _route(route_name, lang),
        "quality_bar": {"overall": record["thresholds"]["bar"],
                        "confidence": record["thresholds"]["confidence"],
                        "by_difficulty": quality.get("difficulty_bars", {}),
                        "suite": quality.get("suite"), "cases_by_difficulty": cases},
    }
    return brief


def brief(record: dict[str, Any], side: str, lang: str = "en") -> dict[str, Any]:
    """The brief for `side` (business or vendor); the business brief's sentences in `lang`."""
    return business_brief(record, lang) if side == BUSINESS else vendor_brief(record, lang)


# --- Markdown ---------------------------------------------------------------------------------

def _m(x: Any, cur: str = "", digits: int | None = None) -> str:
    """A figure for Markdown: money gets enough digits for tiny amounts, counts get `digits`;
    text (and the currency) escaped as Markdown."""
    if isinstance(x, str) and x not in ("inf", "-inf", "nan"):
        return md_text(x)
    said = number(x, "money" if digits is None else f"amount{digits}")
    return said + (f" {md_text(cur)}" if cur and x is not None else "")


def _q(d: dict[str, float], cur: str = "") -> str:
    return " / ".join(_m(d.get(k), cur) for k in ("p10", "p50", "p90")) if d else "—"


def _listed(items: list[Any], empty: str) -> str:
    """Items of user text, escaped, joined with commas (`empty` when there are none)."""
    return ", ".join(md_text(i) for i in items) or empty


def business_markdown(b: dict[str, Any], lang: str = "en") -> str:
    """The business brief as Markdown, labels in `lang`; every text that came from the record
    is escaped."""
    cur = b["currency"]
    people = b["people_and_time"]
    lines = [f"# {text('brief.title', lang, title=md_text(b['title']))}", "",
             f"**{text('md.verdict', lang, verdict=md_text(b['verdict']))}**", ""]
    if b.get("sentences_recorded_in_english"):
        lines += [f"_{text('md.recorded_in_english', lang)}_", ""]
    lines += [f"- {md_text(r)}" for r in b["why"]]
    if b["conditions"]:
        lines += ["", text("brief.conditions", lang)] + [f"- {md_text(c)}"
                                                         for c in b["conditions"]]

    def row(key: str, value: str, **args: Any) -> str:
        return f"| {text(key, lang, **args)} | {value} |"

    lines += ["", f"## {text('brief.money', lang)}", "",
              f"| {text('brief.figure', lang)} | {text('md.value', lang)} |", "|---|---|",
              row("brief.monthly_ai_cost", _q(b["monthly_ai_cost"], cur)),
              row("brief.monthly_fixed_cost", _m(b["monthly_fixed_cost"], cur)),
              row("brief.one_time_cost", _m(b["one_time_cost"], cur)),
              row("brief.roi", _q(b["roi"]), target=b["target_roi"]),
              row("brief.p_positive", _m(b["p_positive"], digits=2)),
              row("brief.break_even", text("md.tasks_per_month", lang, tasks=_m(
                  b["break_even_tasks_per_month"], digits=0))),
              row("brief.payback", text("brief.months", lang,
                                        months=_m(b["payback_months"], digits=1))),
              "", f"## {text('brief.people', lang)}", "",
              text("brief.route", lang, route=md_text(people["route"]),
                   note=md_text(people["route_note"]))]
    spike = people["research_spike"]
    if spike:
        lines += ["", text("brief.spike", lang, **{k: md_text(spike[k]) for k in
                                                   ("question", "time_box", "budget_cap",
                                                    "ends_by")})]
    header = labels(lang, "md.model", "brief.status", "brief.pass", "brief.lower_bound",
                     "brief.cost_per_call")
    lines += ["", f"## {text('brief.models', lang)}", "", "| | " + " | ".join(header) + " |",
              "|---|---|---|---|---|---|"]
    for key in ("cheapest_passing", "best_quality"):
        m = b[key]
        if m:
            lines.append(f"| {text('brief.' + key, lang)} | {md_text(m['model'])} | "
                         f"{md_text(m['status'])} | {md_text(m['pass_rate'])} | "
                         f"{m['lower_bound']:.2f} | {_m(m['cost_per_call'], cur)} |")
    lines += ["", f"## {text('md.drivers', lang)}", ""] + [f"- {md_text(d)}"
                                                           for d in b["drivers"]]
    lines += ["", f"## {text('brief.kill_criteria', lang, date=md_text(b['review_due']))}", ""]
    lines += ["- " + text("brief.kill", lang, metric=md_text(k["metric"]),
                          comparator=md_text(k["comparator"]), threshold=k["threshold"],
                          days=md_text(k["window_days"]),
                          action=md_text(named("action", str(k["action"]), lang)),
                          note=md_text(k["note"]))
              for k in b["kill_criteria"]]
    return "\n".join(lines) + "\n"



def vendor_markdown(v: dict[str, Any], lang: str = "en") -> str:
    """The vendor brief as Markdown, labels in `lang`; every text that came from the record is
    escaped."""
    c, t, q = v["capacity"], v["tokens_per_call"], v["quality_bar"]
    work = v["custom_work"]
    title = v["title"] or text("vendor.ai_feature", lang)
    none_stated = text("vendor.none_stated", lang)
    lines = [f"# {text('vendor.title', lang, title=md_text(title))}", ""]
    if v["task"]:
        lines += [text("vendor.task", lang, task=md_text(v["task"])), ""]

    def row(key: str, value: str) -> str:
        return f"| {text(key, lang)} | {value} |"

    lines += [f"## {text('vendor.capacity', lang)}", "",
              f"| {text('brief.figure', lang)} | {text('md.value', lang)} |", "|---|---|",
              row("vendor.average_qps", f"{c['average_qps']:.3f}"),
              row("vendor.peak_qps", f"{c['peak_qps']:.3f}"),
              row("vendor.calls_per_day", f"{c['calls_per_day']:,.0f}"),
              row("vendor.calls_per_month", f"{c['calls_per_month']:,.0f}"),
              row("vendor.peak_tpm", f"{c['peak_tpm']:,.0f}"),
              "", *_rate_limit_markdown(c["rate_limit"], lang),
              "", f"## {text('vendor.tokens', lang)}", "",
              text("vendor.tokens_line", lang, input=t["input"], output=t["output"],
                   reasoning=t["reasoning"], turns=t["turns"], basis=md_text(t["basis"]),
                   by_turn=", ".join(f"{x:,.0f}" for x in t["input_by_turn"])),
              text("vendor.context", lang, tokens=v["context_length_needed"]),
              "", f"## {text('vendor.requirements', lang)}", "",
              "- " + text("vendor.latency", lang, latency=md_text(
                  v["latency_p95_ms"] or text("vendor.not_stated", lang))),
              "- " + text("vendor.residency", lang,
                          value=_listed(v["data_residency"], none_stated)),
              "- " + text("vendor.retention", lang, value=md_text(v["data_retention"])),
              "- " + text("vendor.compliance", lang, value=_listed(v["compliance"], none_stated)),
              "- " + text("vendor.custom_work", lang, route=md_text(work["route"]),
                          note=md_text(work["note"])),
              "", f"## {text('vendor.quality', lang)}", "",
              text("vendor.quality_line", lang, bar=q["overall"], confidence=q["confidence"],
                   suite=md_text(q["suite"]))]
    for tier, bar in q["by_difficulty"].items():
        lines.append("- " + text("vendor.tier_bar", lang, tier=md_text(tier), bar=bar,
                                 cases=q["cases_by_difficulty"].get(tier, 0)))
    return "\n".join(lines) + "\n"


def _rate_limit_markdown(r: dict[str, Any], lang: str) -> list[str]:
    """The capacity section's rate-limit lines: the answer, the tier and its source, and each
    published limit against the need at peak (the sentences as `_rate_limit` gives them)."""
    lines = [text("vendor.rate_limit", lang, model=md_text(r["model"]),
                  summary=md_text(r["summary"])), "", md_text(r["concurrency_text"]) + "."]
    if r["tier"] is None:
        return lines
    lines += ["", text("vendor.tier", lang, tier=md_text(repr(r["tier"])),
                       basis=md_text(r["tier_basis_text"]), source=md_text(r["source"])), "",
              "| " + " | ".join(labels(lang, "vendor.limit", "vendor.need_at_peak",
                                       "vendor.tier_allows", "vendor.use")) + " |",
              "|---|---|---|---|"]
    lines += [f"| {UNITS[k['limit']]} | {k['need']:,.1f} | {k['allowed']:,} | {k['ratio']:.0%} |"
              for k in r["limits"]]
    lines += [f"| {UNITS[u]} | {text('vendor.not_checked', lang)} | "
              f"{text('vendor.published', lang)} | — |" for u in r["unchecked"]]
    return lines


def brief_markdown(b: dict[str, Any], lang: str = "en") -> str:
    """A brief as Markdown, labels in `lang`."""
    return (business_markdown(b, lang) if b["brief"] == BUSINESS
            else vendor_markdown(b, lang))
