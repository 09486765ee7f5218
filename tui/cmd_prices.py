"""`scopecard prices list | show | fx | refresh`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from typing import TYPE_CHECKING

from tui.args import iso_date, timeout_seconds, workspace_of
from tui.output import print_json

if TYPE_CHECKING:
    from estimators.prices import RateLimit

PRICES_URL_ENV = "SCOPECARD_PRICES_URL"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    prices = sub.add_parser("prices", parents=[common], help="the price catalogue")
    psub = prices.add_subparsers(dest="prices_command", metavar="ACTION", required=True)

    p = psub.add_parser("list", parents=[common], help="models in force today")
    p.add_argument("--vendor", help="only this vendor (the part of the id before /)")
    p.add_argument("--all", action="store_true",
                   help="also list models the vendor has retired (hidden by default)")
    p.add_argument("--as-of", metavar="DATE", type=iso_date,
                   help="prices in force on this date (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = psub.add_parser("show", parents=[common], help="every row of one model, with its history")
    p.add_argument("model", help="vendor/model, e.g. openai/gpt-4o-mini")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = psub.add_parser("fx", parents=[common],
                        help="the FX rate every conversion uses, per currency, with its date")
    p.add_argument("--base", default="EUR", help="rates for 1 of this currency (default EUR)")
    p.add_argument("--as-of", metavar="DATE", type=iso_date,
                   help="rates in force on this date (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_fx)

    p = psub.add_parser("refresh", parents=[common],
                        help="install an upstream catalogue (keeps the last good copy on failure)")
    p.add_argument("--from", dest="url", metavar="URL",
                   help=f"catalogue URL (scopecard.prices/1 TOML; default ${PRICES_URL_ENV})")
    p.add_argument("--timeout", type=timeout_seconds, default=10.0,
                   help="seconds, up to 3600 (default 10)")
    p.set_defaults(handler=cmd_refresh)


def _catalogue(args: argparse.Namespace):
    from rubrics.pipeline import catalogue_for

    return catalogue_for(workspace_of(args))


def _row_json(row) -> dict:
    return row.model_dump(mode="json", exclude_none=True)


def cmd_list(args: argparse.Namespace) -> int:
    from estimators.errors import InputError
    from tui.render import table

    cat = _catalogue(args)
    as_of = args.as_of or dt.date.today()
    rows = []
    hidden = 0
    for model_id in cat.model_ids():
        if args.vendor and model_id.split("/", 1)[0] != args.vendor:
            continue
        try:
            row = cat.lookup(model_id, as_of)
        except InputError:
            continue  # not yet in force on that date
        if row.retired(as_of) and not args.all:
            hidden += 1
            continue
        rows.append(row)
    if args.vendor and not rows:
        vendors = sorted({m.split("/", 1)[0] for m in cat.model_ids()})
        raise InputError(f"no models for vendor {args.vendor!r}; vendors: {', '.join(vendors)}")
    if args.json:
        print_json({"sources": cat.sources, "models": [_row_json(r) for r in rows]})
        return 0
    cells = [[r.id + (" (retired)" if r.retired(as_of) else ""), r.currency, f"{r.input:g}",
              f"{r.output:g}", f"{r.cache_read:g}" if r.cache_read is not None else "-",
              f"{r.context_window:,}" if r.context_window else "-", str(r.verified_on), r.origin]
             for r in rows]
    for line in table(["model", "cur", "input", "output", "cache rd", "context", "verified",
                       "origin"], cells, right={2, 3, 4, 5}):
        print(line)
    more = f"; {hidden} retired models hidden (--all shows them)" if hidden else ""
    print(f"\n{len(rows)} models{more}; prices per 1M tokens in each row's native currency; "
          f"catalogue: {', '.join(cat.sources)}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from estimators.errors import InputError, close_names
    from estimators.prices import lifecycle_warning
    from tui.render import table

    cat = _catalogue(args)
    rows = cat.history(args.model)
    if not rows:
        hint = close_names(args.model, cat.model_ids())
        raise InputError(f"unknown model {args.model!r}"
                         + (f"; did you mean {', '.join(hint)}?" if hint else ""))
    if args.json:
        print_json({"model": args.model, "rows": [_row_json(r) for r in rows]})
        return 0
    try:
        current = cat.lookup(args.model)
    except InputError:
        current = None  # every row starts in the future
    for r in rows:
        mark = "  <- in force today" if r is current else ""
        print(f"{r.id}  effective {r.effective_from or 'undated'}  [{r.origin}]{mark}")
        if end_of_life := lifecycle_warning(r, dt.date.today()):
            print(f"    warning: {end_of_life}")
        fields = [[key, str(value)] for key, value in _row_json(r).items()
                  if key not in ("id", "effective_from", "origin", "rate_limits")]
        for line in table(None, fields):
            print(f"    {line}")
        if r.rate_limits:
            print("    rate limits:")
            for line in table(["tier", "rpm", "tpm", "concurrency", "source"],
                              [_limit_cells(t, r.source) for t in r.rate_limits],
                              right={1, 2, 3}):
                print(f"      {line}")
    return 0


def _limit_cells(tier: RateLimit, row_source: str) -> list[str]:
    """One rate-limit tier as table cells; '-' where the vendor publishes no figure."""
    def fmt(n: int | None) -> str:
        return f"{n:,}" if n is not None else "-"

    return [tier.tier, fmt(tier.rpm), fmt(tier.tpm), fmt(tier.concurrency),
            tier.source or row_source]


def cmd_fx(args: argparse.Namespace) -> int:
    import datetime as dt

    from estimators.fx import RateSet
    from tui.render import table

    rates = RateSet(_catalogue(args).fx, args.as_of or dt.date.today()).listing(args.base)
    if args.json:
        print_json({"base": args.base, "rates": [c.to_json() for c in rates]})
        return 0
    cells = [[c.to, f"{c.rate:.6g}", str(c.date), c.path, "local" if c.local else "bundled"]
             for c in rates]
    for line in table([f"1 {args.base} =", "rate", "date", "path", "origin"], cells, right={1}):
        print(line)
    print("\nsources:")
    for source in dict.fromkeys(r.source for c in rates for r in c.rows):
        print(f"  {source}")
    for c in rates:
        if c.warning:
            print(f"! {c.warning}")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from estimators.errors import InputError
    from estimators.refresh import format_diff, refresh_catalogue

    url = args.url or os.environ.get(PRICES_URL_ENV)
    if not url:
        raise InputError(f"no catalogue URL: pass --from URL or set ${PRICES_URL_ENV} "
                         "(a scopecard.prices/1 TOML file)")
    ws = workspace_of(args)
    result = refresh_catalogue(url, ws.catalogue, timeout=args.timeout)
    print(format_diff(result))
    return 0
