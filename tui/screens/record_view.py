"""Read a decision record's data for display (pure functions, no Textual).

The results screen shows a record, whether it was just decided or opened from the list, so a
past decision looks exactly like a new one. Non-finite numbers are stored as "inf" strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


def display_path(path: Path) -> str:
    """A path as people read it: under the home folder as ~/..."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def num(x: Any) -> float:
    """A record number as a float ("inf"/"-inf" strings included; missing -> nan)."""
    if x is None:
        return float("nan")
    return float(x)


def tokens_basis(candidate: dict[str, Any]) -> str:
    """exact when every prompt part was counted exactly, estimated when any was, else given."""
    bases = {p.get("basis") for p in candidate.get("tokens", {}).values()}
    return "exact" if bases == {"exact"} else "estimated" if "estimated" in bases else "given"


def price_row(record: dict[str, Any], candidate: dict[str, Any]) -> dict[str, Any]:
    """The price row a candidate used (its `price_row` reads "id @ date (origin)")."""
    row_id = str(candidate.get("price_row", "")).split(" @ ")[0]
    return next((r for r in record.get("prices", []) if r.get("id") == row_id), {})


@dataclass(frozen=True)
class PeakVsLimit:
    peak_qps: float
    limit_qps: float | None  # from the price row's requests-per-minute limit, when known
    tier: str

    @property
    def exceeded(self) -> bool:
        return self.limit_qps is not None and self.peak_qps > self.limit_qps


def peak_vs_limit(record: dict[str, Any], candidate: dict[str, Any]) -> PeakVsLimit:
    peak = num(record.get("outputs", {}).get("load", {}).get("peak_qps"))
    limit = price_row(record, candidate).get("rate_limit") or {}
    rpm = limit.get("rpm")
    return PeakVsLimit(peak, rpm / 60 if rpm else None, str(limit.get("tier", "")))


def currency(record: dict[str, Any]) -> str:
    return str(record.get("spec", {}).get("currency", ""))


def candidates(record: dict[str, Any]) -> list[dict[str, Any]]:
    return list(record.get("outputs", {}).get("candidates", []))


def plotted_candidate(record: dict[str, Any]) -> int:
    """Index of the candidate to plot first: the chosen one, else the first with a distribution."""
    cands = candidates(record)
    chosen = record.get("outputs", {}).get("chosen")
    for i, c in enumerate(cands):
        if c.get("model") == chosen:
            return i
    return next((i for i, c in enumerate(cands) if c.get("distribution")), 0)


USAGE_FIGURES = (("calls", "amount"), ("input_per_call", "amount"),
                 ("cached_per_call", "amount"), ("output_per_call", "amount"),
                 ("cost", "money"), ("cost_per_call", "money"))


def latest_usage(record: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The date and usage entry of the record's latest review that compared usage, if any."""
    for review in reversed(record.get("reviews") or []):
        if isinstance(review, dict) and isinstance(review.get("usage"), dict):
            return str(review.get("date", "")), review["usage"]
    return None


def usage_section(title: str, entry: dict[str, Any]) -> Any:
    """A usage entry's month-by-month section as shown on a screen: the bold title, then
    `usage_month_lines` in the app's language (a rich Text; every line made safe)."""
    from rich.text import Text

    from tui.i18n import language
    from tui.plain import clean

    text = Text(clean(title, one_line=True) + "\n", style="bold")
    for line in usage_month_lines(entry, language()):
        text.append(clean(line) + "\n")
    return text


def usage_month_lines(entry: dict[str, Any], lang: str) -> list[str]:
    """A review's usage (`UsageReview.entry()`, as a stored review keeps it) month by month:
    for each month a table of calls, tokens per call, cost and cost per call (forecast,
    actual, ratio) and how its cost was found, then the chart of forecast vs actual cost."""
    from rubrics.messages import from_json, msg, render
    from rubrics.numbers import number
    from rubrics.usage.actuals import chart_lines
    from tui.cmd_portfolio import ratio
    from tui.i18n import t
    from tui.render import table

    lines: list[str] = []
    for m in entry.get("months", []):
        if not isinstance(m, dict):
            continue
        state = (t("usage.state.full") if m.get("full")
                 else t("usage.state.partial", days=m.get("days", 0)))
        rows = []
        for name, spec in USAGE_FIGURES:
            found = m.get(name)
            cell: dict[str, Any] = found if isinstance(found, dict) else {}
            rows.append([t(f"usage.fig.{name}"), number(cell.get("forecast"), spec, lang),
                         number(cell.get("actual"), spec, lang),
                         ratio(float(cell["ratio"])) if "ratio" in cell else "—"])
        lines += table([t("usage.col.month", month=m.get("month", ""), state=state),
                        t("usage.col.forecast"), t("usage.col.actual"), t("usage.col.ratio")],
                       rows, right={1, 2, 3})
        if basis := [said for b in m.get("basis", []) if (said := from_json(b))]:
            lines.append("  " + render(msg("usage.basis", basis=basis), lang))
        lines.append("")
    return lines + chart_lines(entry, lang)
