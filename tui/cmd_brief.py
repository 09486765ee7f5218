"""`scopecard brief ID --for business|vendor`."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.args import workspace_of
from tui.cmd_core import lang_of, lang_option
from tui.output import json_text


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("brief", parents=[common],
                       help="a one-page brief of a decision for the business or for vendors")
    p.add_argument("id", help="record id, e.g. 2026-11-24-support-faq-answers")
    p.add_argument("--for", dest="side", choices=["business", "vendor"], required=True)
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to a file instead of stdout")
    p.add_argument("--force", action="store_true",
                   help="replace FILE if it is a regular file (never a decision record)")
    lang_option(p)
    p.set_defaults(handler=cmd_brief)


def cmd_brief(args: argparse.Namespace) -> int:
    from rubrics.briefs import brief, brief_markdown
    from rubrics.export import write_export
    from rubrics.record_store import RecordStore

    ws = workspace_of(args)
    lang = lang_of(args)
    data = brief(RecordStore(ws).get(args.id).as_dict(), args.side, lang)
    text = json_text(data) if args.format == "json" else brief_markdown(data, lang)
    if args.out:
        write_export(args.out, text, ws.decisions, args.force)
        print(f"written: {args.out}")
    else:
        print(text, end="")
    return 0
