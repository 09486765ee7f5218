"""`scopecard doctor`."""

from __future__ import annotations

import argparse

from tui.args import workspace_of
from tui.output import EXIT_BAD_INPUT, print_json

MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("doctor", parents=[common],
                       help="check the workspace, catalogue, eval store and offline tokenizers")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from rubrics.doctor import diagnose

    findings = diagnose(workspace_of(args))
    if args.json:
        print_json([asdict(f) for f in findings])
    else:
        for f in findings:
            print(f"[{MARK[f.level]}] {f.check}: {f.detail}" + (f"\n       fix: {f.fix}" if f.fix else ""))
    return EXIT_BAD_INPUT if any(f.level == "fail" for f in findings) else 0
