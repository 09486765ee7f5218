"""Two clones of one workspace, shared through plain git (issue #17 part 5): each decides,
both review the same decision, each accepts/deprecates a different one; after sync both list the
same decisions, statuses and reviews, and `git status` is clean. No network: the remote is a
bare repository in a temp folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from estimators.paths import Workspace
from rubrics.record_store import RecordStore
from tests.conftest import TEST_PRICES
from tests.test_records_support import make_record, write_evals
from tui.cli import main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """A committer, and no user or system git config (tests never depend on the machine's)."""
    for k, v in {"GIT_AUTHOR_NAME": "PM", "GIT_AUTHOR_EMAIL": "pm@example.com",
                 "GIT_COMMITTER_NAME": "PM", "GIT_COMMITTER_EMAIL": "pm@example.com",
                 "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(origin), str(seed))
    shutil.copy(TEST_PRICES, seed / "prices.catalogue.toml")
    base_id, _ = make_record(seed, title="Shared base")
    assert main(["--workspace", str(seed), "sync"]) == 0
    a, b = tmp_path / "a", tmp_path / "b"
    for c in (a, b):
        git(tmp_path, "clone", "-q", str(origin), str(c))
    return a, b


def state(ws: Path) -> dict[str, tuple[str, int]]:
    store = RecordStore(Workspace(ws))
    return {s.id: (s.status, len(store.get(s.id).reviews)) for s in store.summaries() or []}


def tallies(ws: Path) -> dict:
    """What the eval store of a workspace answers for the shared suite."""
    from rubrics.evals.files import open_store

    with open_store(Workspace(ws)) as store:
        return store.suite_tallies("shared-suite")[0]


def test_two_clones_merge_without_conflict(clones: tuple[Path, Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    a, b = clones
    (base,) = state(a)
    other_a, _ = make_record(a, title="Only in a")
    other_b, _ = make_record(b, title="Only in b")
    same_title_a, _ = make_record(a, title="Same title")
    same_title_b, _ = make_record(b, title="Same title", commit={"review_after_days": 45})
    for ws in (a, b):
        assert main(["--workspace", str(ws), "review", base, "--as-of", "2026-04-01"]) == 0
    files = a.parent / "eval-files"
    same = write_evals(files, "shared-suite", {"test/alpha": (90, 100)}, run="same")
    only_a = write_evals(files, "shared-suite", {"test/beta": (70, 100)}, run="from-a")
    only_b = write_evals(files, "shared-suite", {"test/yuan": (50, 100)}, run="from-b")
    for ws, paths in ((a, [same, only_a]), (b, [same, only_b])):
        assert main(["--workspace", str(ws), "evals", "import", *map(str, paths)]) == 0
    assert main(["--workspace", str(a), "accept", other_a]) == 0
    assert main(["--workspace", str(b), "accept", base]) == 0
    assert main(["--workspace", str(b), "accept", other_b]) == 0
    assert main(["--workspace", str(b), "deprecate", other_b]) == 0
    for ws in (a, b, a):
        assert main(["--workspace", str(ws), "sync"]) == 0, capsys.readouterr()
    assert state(a) == state(b)
    s = state(a)
    assert s[base] == ("accepted", 2) and s[other_a] == ("accepted", 0)
    assert s[other_b] == ("deprecated", 0)
    assert same_title_a != same_title_b and {same_title_a, same_title_b} <= set(s)
    assert tallies(a) == tallies(b)
    assert {m for m, _, _ in tallies(a)} >= {"test/alpha", "test/beta", "test/yuan"}
    for ws in (a, b):
        assert git(ws, "status", "--porcelain") == ""


def test_sync_says_when_git_or_a_remote_is_missing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    assert main(["--workspace", str(ws), "sync"]) == 2
    assert "not a git repository" in capsys.readouterr().err
    git(ws, "init", "-q")
    (ws / "decisions").mkdir()
    assert main(["--workspace", str(ws), "sync"]) == 0
    assert "no git remote" in capsys.readouterr().out
