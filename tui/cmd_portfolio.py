"""`scopecard portfolio`: accepted decisions, committed vs actual spend by vendor, flags, overdue
reviews and the calibration table of past forecasts (rubrics.portfolio)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.args import iso_date, workspace_of
from tui.cmd_core import lang_option
from tui.output import print_json

if TYPE_CHECKING:
    from rubrics.portfolio import Portfolio


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("portfolio", parents=[common],
                       help="accepted decisions: committed vs actual spend by vendor, flags, "
                            "overdue reviews, calibration of past forecasts")
    p.add_argument("--as-of", type=iso_date, metavar="DATE",
                   help="the date the portfolio is judged on (default today)")
    p.add_argument("--json", action="store_true")
    lang_option(p)
    p.set_defaults(handler=cmd_portfolio)


def cmd_portfolio(args: argparse.Namespace) -> int:
    import datetime as dt

    from rubrics.portfolio import portfolio_summary
    from tui.cmd_core import lang_of

    result = portfolio_summary(workspace_of(args), args.as_of or dt.date.today())
    if args.json:
        print_json(result.to_json())
    else:
        print(portfolio_text(result, lang_of(args)))
    return 0


def _ratio(value: float) -> str:
    return f"x{value:.2f}"


def portfolio_text(p: Portfolio, lang: str = "en") -> str:
    """The portfolio as text tables, every sentence in `lang`."""
    from rubrics.messages import labels, text
    from rubrics.numbers import money
    from tui.render import table

    cur = p.currency
    lines = [text("portfolio.title", lang, date=p.as_of.isoformat(), currency=cur), ""]
    if p.holdings:
        lines.append(text("portfolio.accepted", lang, n=len(p.holdings)))
        lines += ["  " + row for row in table(
            labels(lang, "portfolio.col.decision", "portfolio.col.model",
                   "portfolio.col.committed", "portfolio.col.actual", "portfolio.col.month"),
            [[h.id, h.model or "-", money(h.committed),
              money(h.actual) if h.actual is not None else "-", h.month or "-"]
             for h in p.holdings], right={2, 3})]
        lines += ["", text("portfolio.vendors", lang)]
        rows = [[v.vendor, str(v.decisions), money(v.committed), money(v.actual)]
                for v in p.vendors]
        rows.append([text("portfolio.total", lang), str(len(p.holdings)), money(p.committed),
                     money(p.actual)])
        lines += ["  " + row for row in table(
            labels(lang, "portfolio.col.vendor", "portfolio.col.decisions",
                   "portfolio.col.committed", "portfolio.col.actual"), rows, right={1, 2, 3})]
        lines.append("  " + text("portfolio.actual_note", lang))
        if p.fx:
            lines.append("  " + text("portfolio.fx", lang, date=p.as_of.isoformat(),
                                     rates=list(p.fx)))
    else:
        lines.append(text("portfolio.none_accepted", lang))
    lines.append("")
    if p.flagged:
        lines.append(text("portfolio.flagged", lang))
        lines += [f"  {x.id}: {', '.join(x.flags)}" for x in p.flagged]
    else:
        lines.append(text("portfolio.none_flagged", lang))
    if p.overdue:
        lines.append(text("portfolio.overdue", lang))
        lines += ["  " + text("portfolio.overdue_row", lang, id=x.id, date=x.due,
                              status=text(f"status.{x.status}", lang)) for x in p.overdue]
    else:
        lines.append(text("portfolio.none_overdue", lang))
    lines.append("")
    if p.calibration:
        lines.append(text("portfolio.calibration", lang, n=p.calibrated))
        lines += ["  " + row for row in table(
            labels(lang, "portfolio.col.figure", "portfolio.col.median", "portfolio.col.spread",
                   "portfolio.col.n"),
            [[text(f"portfolio.fig.{name}", lang), _ratio(s.median),
              f"{_ratio(s.p25)}–{_ratio(s.p75)}", str(s.n)]
             for name, s in p.calibration.items()], right={1, 2, 3})]
    else:
        lines.append(text("portfolio.no_calibration", lang))
    lines += ["  ! " + text("portfolio.problem", lang, problem=x) for x in p.problems]
    return "\n".join(lines)
