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


def ratio(value: float) -> str:
    """An actual / forecast ratio as people read it: x1.05."""
    return f"x{value:.2f}"


def spend_ratio(actual: float, committed: float) -> str:
    """Actual over committed spend ("-" when nothing is committed)."""
    return ratio(actual / committed) if committed else "-"


def vendor_lines(p: Portfolio, lang: str = "en") -> list[str]:
    """Committed vs actual monthly spend by vendor and in total, with the ratio, the note on
    what the two columns are and the FX rates used (named with their date)."""
    from rubrics.messages import labels, text
    from rubrics.numbers import money
    from tui.render import table

    rows = [[v.vendor, str(v.decisions), money(v.committed), money(v.actual),
             spend_ratio(v.actual, v.committed)] for v in p.vendors]
    rows.append([text("portfolio.total", lang), str(len(p.holdings)), money(p.committed),
                 money(p.actual), spend_ratio(p.actual, p.committed)])
    lines = [text("portfolio.vendors", lang)]
    lines += ["  " + row for row in table(
        labels(lang, "portfolio.col.vendor", "portfolio.col.decisions", "portfolio.col.committed",
               "portfolio.col.actual", "portfolio.col.ratio"), rows, right={1, 2, 3, 4})]
    lines.append("  " + text("portfolio.actual_note", lang))
    if p.fx:
        lines.append("  " + text("portfolio.fx", lang, date=p.as_of.isoformat(),
                                 rates=list(p.fx)))
    return lines


def calibration_lines(p: Portfolio, lang: str = "en") -> list[str]:
    """The calibration table (median and P25-P75 of actual / forecast), or why there is none."""
    from rubrics.messages import labels, text
    from tui.render import table

    if not p.calibration:
        return [text("portfolio.no_calibration", lang)]
    return [text("portfolio.calibration", lang, n=p.calibrated)] + ["  " + row for row in table(
        labels(lang, "portfolio.col.figure", "portfolio.col.median", "portfolio.col.spread",
               "portfolio.col.n"),
        [[text(f"portfolio.fig.{name}", lang), ratio(s.median),
          f"{ratio(s.p25)}–{ratio(s.p75)}", str(s.n)]
         for name, s in p.calibration.items()], right={1, 2, 3})]


def portfolio_text(p: Portfolio, lang: str = "en") -> str:
    """The portfolio as text tables, every sentence in `lang`."""
    from rubrics.messages import labels, text
    from rubrics.numbers import money
    from tui.render import table

    lines = [text("portfolio.title", lang, date=p.as_of.isoformat(), currency=p.currency), ""]
    if p.holdings:
        lines.append(text("portfolio.accepted", lang, n=len(p.holdings)))
        lines += ["  " + row for row in table(
            labels(lang, "portfolio.col.decision", "portfolio.col.model",
                   "portfolio.col.committed", "portfolio.col.actual", "portfolio.col.month"),
            [[h.id, h.model or "-", money(h.committed),
              money(h.actual) if h.actual is not None else "-", h.month or "-"]
             for h in p.holdings], right={2, 3})]
        lines += ["", *vendor_lines(p, lang)]
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
    lines += ["", *calibration_lines(p, lang)]
    lines += ["  ! " + text("portfolio.problem", lang, problem=x) for x in p.problems]
    return "\n".join(lines)
