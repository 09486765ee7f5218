"""Decision record commands: list, show, export, accept, reject, supersede, deprecate, review,
record-schema and paths."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.args import iso_date, workspace_of
from tui.cmd_core import lang_of, lang_option
from tui.output import print_json

STATUSES = ("proposed", "accepted", "rejected", "superseded", "deprecated")  # rubrics.record
EXIT_FLAG = 3  # review --fail-on-flag: a kill criterion fired (tui.cli's epilog)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("list", parents=[common], help="decision records, newest first")
    p.add_argument("--status", choices=STATUSES, help="only records with this status")
    p.add_argument("--due", action="store_true",
                   help="only proposed or accepted records whose review is due")
    p.add_argument("--as-of", metavar="DATE", type=iso_date,
                   help="date --due is judged on (default today)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    lang_option(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", parents=[common], help="one decision record")
    p.add_argument("id", help="record id, e.g. 2026-11-24-support-faq-answers")
    p.add_argument("--json", action="store_true", help="the whole record as JSON")
    lang_option(p)
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("export", parents=[common],
                       help="a record as Markdown (for a PR or wiki) or JSON")
    p.add_argument("id", help="record id")
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write to FILE (atomically) and print its path; default stdout")
    p.add_argument("--force", action="store_true",
                   help="replace FILE if it is a regular file (never a decision record)")
    lang_option(p)
    p.set_defaults(handler=cmd_export)

    for name, status, text in (("accept", "accepted", "accept a proposed record"),
                               ("reject", "rejected", "reject a proposed record"),
                               ("deprecate", "deprecated", "deprecate an accepted record")):
        p = sub.add_parser(name, parents=[common], help=text)
        p.add_argument("id", help="record id")
        p.add_argument("--note", default="", help="why (kept in the record's history)")
        lang_option(p)
        p.set_defaults(handler=cmd_status, status=status)

    p = sub.add_parser("supersede", parents=[common],
                       help="mark accepted record OLD superseded by accepted record NEW")
    p.add_argument("old", help="the record being replaced")
    p.add_argument("new", help="the accepted record that replaces it")
    p.add_argument("--note", default="", help="why (kept in the record's history)")
    lang_option(p)
    p.set_defaults(handler=cmd_supersede)

    p = sub.add_parser("review", parents=[common],
                       help="recompute records with their own inputs, today's prices, the newest "
                            "evals and actuals; flag what needs attention")
    p.add_argument("id", nargs="?", help="record id (or --all)")
    p.add_argument("--all", action="store_true", help="every proposed and accepted record")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--actual", action="append", default=[], metavar="KEY=VALUE",
                   help="an observed figure: monthly_spend (or monthly_cost), cost_per_call, "
                        "cost_per_success, calls_vs_forecast, pass_rate, resolution_rate, "
                        "p95_latency_ms (repeatable)")
    p.add_argument("--actuals", type=Path, metavar="FILE.toml", help="actuals as a TOML file")
    p.add_argument("--as-of", metavar="DATE", type=iso_date, help="review date (default today)")
    p.add_argument("--dry-run", action="store_true", help="do not append the review entry")
    p.add_argument("--fail-on-flag", action="store_true",
                   help=f"exit {EXIT_FLAG} when any kill criterion fires (typed actuals or "
                        "linked usage), for cron or CI")
    lang_option(p)
    p.set_defaults(handler=cmd_review)

    p = sub.add_parser("record-schema", parents=[common],
                       help="print the JSON Schema of decision records (as exported to JSON)")
    p.set_defaults(handler=cmd_record_schema)

    p = sub.add_parser("paths", parents=[common], help="where scopecard keeps its files")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_paths)


def _today(args: argparse.Namespace):
    import datetime as dt

    return args.as_of or dt.date.today()


def _load(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The decision `args.id` names (its id or a unique prefix): its id and its document."""
    from rubrics.record_store import RecordStore

    state = RecordStore(workspace_of(args)).get(args.id)
    return state.id, state.as_dict()


def cmd_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from rubrics.messages import named, text
    from rubrics.record import LIVE
    from rubrics.record_store import RecordStore

    lang = lang_of(args)
    today = _today(args)
    rows = RecordStore(workspace_of(args)).summaries() or []
    if args.status:
        rows = [r for r in rows if r.status == args.status]
    if args.due:
        rows = [r for r in rows if r.status in LIVE and r.review_due and r.review_due <= today]
    if args.json:
        print_json([{**asdict(r), "path": str(r.path)} for r in rows])
        return 0
    if not rows:
        print(text("records.none_match" if args.status or args.due else "records.none_yet",
                   lang))
        return 0
    width = max(len(r.id) for r in rows)
    for r in rows:
        if r.error:
            print(f"{r.id:<{width}}  {text('records.error', lang, error=r.error)}")
            continue
        due = text("records.review_on", lang, date=str(r.review_due)) + (
            text("records.due", lang) if r.status in LIVE and r.review_due
            and r.review_due <= today else "")
        flags = f"  {text('records.flags', lang, kinds=', '.join(r.flags))}" if r.flags else ""
        status = named("status", r.status, lang)
        print(f"{r.id:<{width}}  {status:<10}  {r.verdict:<18}  {r.chosen or '-':<28}  {due}"
              f"{flags}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from rubrics.export import plain

    record_id, r = _load(args)
    if args.json:
        print_json(plain(r))
        return 0
    print("\n".join(show_lines(r, record_id, lang_of(args))))
    return 0


def show_lines(r: dict[str, Any], record_id: str, lang: str = "en") -> list[str]:
    """A record for the terminal, in `lang`: its sentences from the stored messages (an old
    record's English as stored); titles, notes, ids and metric names as written."""
    from rubrics.messages import named, sentences, text

    out = r["outputs"]
    messages = out.get("messages") or {}
    lines = [f"{r['title']}  [{named('status', r['status'], lang)}]  {record_id}",
             text("records.verdict", lang, verdict=out["verdict"])
             + (f" — {out['chosen']}" if out.get("chosen") else "")]
    lines += [f"  - {s}" for s in sentences(out.get("reasons", []), messages.get("reasons"),
                                            lang)[0]]
    lines += ["  " + text("records.condition", lang, text=s)
              for s in sentences(out.get("conditions", []), messages.get("conditions"), lang)[0]]
    lines.append(text("records.facts", lang, created=str(r["created"]), as_of=str(r["as_of"]),
                      engine=str(r["engine_version"]), seed=str(r["seed"]),
                      due=str(r["next_review_due"])))
    for c in out.get("candidates", []):
        cap = c["capability"]
        lines.append(f"  {c['model']:<32} {text('records.per_call', lang, cost=c['cost_per_call'])}"
                     f"  {text('records.per_month', lang, cost=c['monthly_cost'])}"
                     f"  {cap['status']} {cap['overall']['k']}/{cap['overall']['n']}")
    lines += ["  " + text("records.kill", lang, metric=k["metric"], comparator=k["comparator"],
                          threshold=k["threshold"], days=k["window_days"],
                          action=named("action", k["action"], lang))
              for k in r.get("kill_criteria", [])]
    lines += [text(f"records.{link}", lang, id=str(r[link]))
              for link in ("supersedes", "superseded_by") if r.get(link)]
    lines += ["  " + text("records.history_note" if h.get("note") else "records.history", lang,
                          date=str(h["date"]), then=named("status", str(h["from"]), lang),
                          now=named("status", str(h["to"]), lang), note=h.get("note", ""))
              for h in r.get("history", [])]
    for v in r.get("reviews", []):
        kinds = ", ".join(f["kind"] for f in v.get("flags", [])) or text("review.no_flags", lang)
        lines.append("  " + text("records.reviewed", lang, date=str(v["date"]), flags=kinds,
                                 reproduction=named("review.status",
                                                    str(v.get("reproduction", "?")), lang)))
    if r.get("integrity"):  # rubrics.record's own sentence
        lines.append(text("records.warning", lang, problem=r["integrity"]))
    return lines


def cmd_export(args: argparse.Namespace) -> int:
    from rubrics.export import to_json, to_markdown, write_export

    _, r = _load(args)
    text = to_json(r) if args.format == "json" else to_markdown(r, lang_of(args))
    if args.out is None:
        print(text, end="")
        return 0
    write_export(args.out, text, workspace_of(args).decisions, args.force)
    print(args.out)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from rubrics.messages import named, text
    from rubrics.record_store import RecordStore

    lang = lang_of(args)
    then, state = RecordStore(workspace_of(args)).set_status(args.id, args.status, args.note)
    print(text("records.status_changed", lang, id=state.id, then=named("status", then, lang),
               now=named("status", state.status, lang)))
    return 0


def cmd_supersede(args: argparse.Namespace) -> int:
    from rubrics.messages import text
    from rubrics.record_store import RecordStore

    old, new = RecordStore(workspace_of(args)).supersede(args.old, args.new, args.note)
    print(text("records.superseded", lang_of(args), old=old.id, new=new.id))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from estimators.errors import InputError
    from rubrics.review import parse_actuals, review_records

    if bool(args.id) == bool(args.all):
        raise InputError("name one record ID or give --all")
    actuals = parse_actuals(args.actual, args.actuals)
    reviews = review_records(workspace_of(args), None if args.all else [args.id], _today(args),
                             actuals, save=not args.dry_run)
    fired = args.fail_on_flag and any(rv.firings for rv in reviews)
    if args.json:
        print_json([asdict(rv) for rv in reviews])
        return EXIT_FLAG if fired else 0
    lang = lang_of(args)
    if not reviews:
        from rubrics.messages import text

        print(text("review.none", lang))
    for rv in reviews:
        print(review_text(rv, lang))
    return EXIT_FLAG if fired else 0


def review_text(rv: Any, lang: str = "en") -> str:
    """One review for the terminal, in `lang`."""
    from rubrics.review import review_lines

    return "\n".join(review_lines(rv, lang)) + "\n"


def cmd_record_schema(args: argparse.Namespace) -> int:
    from rubrics.record import record_schema

    print_json(record_schema())
    return 0


def cmd_paths(args: argparse.Namespace) -> int:
    from estimators.tokens import tiktoken_cache_dir

    ws = workspace_of(args)
    paths = {"workspace": ws.root, "decisions": ws.decisions, "eval files": ws.evals_dir,
             "usage files": ws.usage_dir, "local prices": ws.local_prices,
             "catalogue": ws.catalogue, "drafts": ws.drafts, "exports": ws.exports,
             "caches": ws.cache_dir, "eval cache": ws.evals_db,
             "records index": ws.cache_dir / "records.json",
             "tiktoken cache": tiktoken_cache_dir()}
    if args.json:
        print_json({k: str(v) for k, v in paths.items()})
        return 0
    for name, path in paths.items():
        note = "" if path.exists() else "  (not created yet)"
        if name == "catalogue" and not path.exists():
            note = "  (not refreshed: the bundled catalogue is used)"
        print(f"{name + ':':<16}{path}{note}")
    return 0
