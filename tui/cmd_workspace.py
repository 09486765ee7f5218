"""Workspace commands: `sync` (share it through git)."""

from __future__ import annotations

import argparse

from tui.args import workspace_of


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sync", parents=[common],
                       help="share the workspace through git: commit its new files, pull "
                            "(rebase), push")
    p.add_argument("-m", "--message", default="scopecard sync", help="commit message")
    p.set_defaults(handler=cmd_sync)


def cmd_sync(args: argparse.Namespace) -> int:
    from rubrics.sync import sync

    report = sync(workspace_of(args), args.message)
    print(f"committed {report.committed} file(s)" if report.committed else "nothing to commit")
    if report.pulled:
        print("pulled (rebase)")
    if report.pushed:
        print("pushed")
    for note in report.notes:
        print(note)
    return 0
