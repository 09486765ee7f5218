"""`scopecard sync`: share a workspace through git (DESIGN §8: git is the team's engine).

Commit what this workspace added (decisions and their facts, eval files, usage files, local
prices), `git pull --rebase`, then `git push`. Every write scopecard makes is a new file under a
name no other clone can choose, so the rebase never stops on a conflict in those files; caches
(.cache/) are not shared and rebuild themselves from what the pull brought.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from estimators.errors import InputError
from estimators.paths import Workspace, ensure_cache_dir

SHARED = ("decisions", "evals", "usage", "prices.local.toml", "prices.catalogue.toml",
          ".gitignore")
TIMEOUT = 300  # seconds for one git command (a pull over a slow link)


@dataclass
class SyncReport:
    committed: int = 0  # files committed from this workspace
    pulled: bool = False
    pushed: bool = False
    notes: list[str] = field(default_factory=list)


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise InputError(f"git {args[0]} took more than {TIMEOUT} s; try again or run it "
                         "by hand", file=str(root)) from None
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise InputError(f"git {' '.join(args)} failed: {detail[-1] if detail else 'no output'}",
                         file=str(root))
    return done


def sync(ws: Workspace, message: str = "scopecard sync") -> SyncReport:
    """Commit this workspace's new files, pull (rebase) and push; InputError saying plainly
    when git, the repository or a remote is missing."""
    if shutil.which("git") is None:
        raise InputError("git is not installed; install it to share the workspace "
                         "(https://git-scm.com)")
    root = ws.root
    if not root.is_dir():
        raise InputError("the workspace does not exist yet; make a decision first",
                         file=str(root))
    inside = _git(root, "rev-parse", "--show-toplevel", check=False)
    if inside.returncode != 0:
        raise InputError("the workspace is not a git repository; share it with `git init` "
                         "and `git remote add origin URL` (or clone a shared one)",
                         file=str(root))
    report = SyncReport()
    ensure_cache_dir(ws)  # and the .gitignore that keeps it out of git
    present = [p for p in SHARED if (root / p).exists()]
    if present:
        _git(root, "add", "--", *present)
    staged = _git(root, "diff", "--cached", "--name-only").stdout.split()
    if staged:
        _git(root, "commit", "-q", "-m", f"{message}: {len(staged)} file(s)")
        report.committed = len(staged)
    if not _git(root, "remote").stdout.strip():
        report.notes.append("no git remote: committed locally only (add one with "
                            "`git remote add origin URL`)")
        return report
    upstream = _git(root, "rev-parse", "--abbrev-ref", "@{upstream}", check=False)
    if upstream.returncode == 0:
        _git(root, "pull", "-q", "--rebase", "--autostash")
        report.pulled = True
        _git(root, "push", "-q")
    else:  # a first push of this branch
        _git(root, "push", "-q", "-u", "origin", "HEAD")
    report.pushed = True
    return report
