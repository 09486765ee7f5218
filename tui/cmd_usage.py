"""`scopecard usage import | link | show`: real usage exports kept in the workspace and linked
to decisions, so `review` can set actual usage next to the forecast."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from tui.args import workspace_of
from tui.output import print_json


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    usage = sub.add_parser("usage", parents=[common],
                           help="usage exports (OpenAI, Anthropic, LiteLLM, plain CSV): import, "
                                "link to a decision, show")
    usub = usage.add_subparsers(dest="usage_command", metavar="ACTION", required=True)

    p = usub.add_parser("import", parents=[common],
                        help="keep usage files in the workspace (all of them or none)")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE",
                   help="usage exports; API pages of one chain may be given as several files")
    p.add_argument("--decision", metavar="ID", help="also link this decision to the usage")
    _link_options(p)
    p.add_argument("--model-map", type=Path, metavar="FILE",
                   help='TOML: [models] "name in the file" = "vendor/model" (kept with the files)')
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)

    p = usub.add_parser("link", parents=[common],
                        help="link a decision to its usage (a later link replaces an earlier one)")
    p.add_argument("id", help="decision id")
    p.add_argument("--model", action="append", default=[], metavar="M",
                   help="catalogue id of the usage's model (repeatable; default: the decision's "
                        "chosen model)")
    _link_options(p)
    p.set_defaults(handler=cmd_link)

    p = usub.add_parser("show", parents=[common], help="what usage is stored: models, months, rows")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)


def _link_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", help="only usage of this project")
    p.add_argument("--key", help="only usage of this API key id")
    p.add_argument("--tag", help="only usage with this tag")


def _link(args: argparse.Namespace, record_id: str, models: list[str]) -> Any:
    """File the usage_link event; returns the decision's state."""
    from rubrics.pipeline import catalogue_for
    from rubrics.record_store import RecordStore
    from rubrics.usage.actuals import check_link_models

    ws = workspace_of(args)
    check_link_models(models, catalogue_for(ws))
    return RecordStore(ws).link_usage(record_id, models, args.project, args.key, args.tag)


def _link_line(state: Any) -> str:
    from rubrics.usage.actuals import link_data

    link = link_data(state.usage_link)
    extra = "".join(f", {k} {link[k]}" for k in ("project", "key", "tag") if k in link)
    return f"{state.id}: linked to the usage of {', '.join(link['models'])}{extra}"


def cmd_import(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from estimators.errors import InputError
    from rubrics.pipeline import catalogue_for
    from rubrics.record_store import RecordStore
    from rubrics.usage.files import import_usage

    ws = workspace_of(args)
    if args.decision is None and (args.project or args.key or args.tag):
        raise InputError("--project, --key and --tag narrow a link: give --decision ID too")
    if args.decision is not None:
        RecordStore(ws).resolve(args.decision)  # a bad id is refused before anything is kept
    ws.usage_dir.mkdir(parents=True, exist_ok=True)
    report = import_usage(ws, args.files, catalogue_for(ws), args.model_map)
    state = _link(args, args.decision, []) if args.decision else None
    if args.json:
        print_json({**asdict(report), "linked": state.id if state else None})
        return 0
    for f in report.files:
        if not f.already_imported:
            models = ", ".join(f"{k} -> {v}" if k != v else k for k, v in f.models.items())
            print(f"{f.file}: {f.format}, {f.rows:,} row(s), kept as usage/{f.sha[:12]}…"
                  + (f"; models {models}" if models else ""))
    for w in report.warnings:
        print(f"  ! {w}")
    if state is not None:
        print(_link_line(state))
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    print(_link_line(_link(args, args.id, args.model)))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from rubrics.pipeline import catalogue_for
    from rubrics.usage.files import daily_usage, present

    ws = workspace_of(args)
    daily = daily_usage(ws, catalogue_for(ws))
    summary: dict[str, dict[str, Any]] = {}
    for d in daily:
        s = summary.setdefault(d.model, {"months": set(), "rows": 0, "requests": 0})
        s["months"].add(d.day.strftime("%Y-%m"))
        s["rows"] += 1
        s["requests"] += d.requests
    models = {m: {**s, "months": sorted(s["months"])} for m, s in sorted(summary.items())}
    files = len(present(ws))
    if args.json:
        print_json({"files": files, "daily_rows": len(daily), "models": models})
        return 0
    print(f"{files} usage file(s), {len(daily):,} daily row(s)")
    for model, s in models.items():
        print(f"  {model:<32} {s['requests']:>12,} request(s)  {s['rows']:>6,} row(s)  "
              f"{', '.join(s['months'])}")
    return 0
