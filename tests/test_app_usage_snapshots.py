"""Snapshots of issue #19's views in the app: the portfolio screen and the review screen of a
decision linked to usage (its months and chart, reached with PageDown), at 80x24 and 120x40 in
English and Chinese. Deterministic: the fixed date, seed and prices of test_app_snapshots, the
workspace under the (temporary) home folder, reported in CNY so the dated FX rate is named.

Update after an intended change: pytest tests/test_app_usage_snapshots.py --snapshot-update
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_textual_snapshot

from tests.test_app_snapshots import SNAPSHOTS, SnapshotsFolder
from tests.test_app_usage import linked_workspace, walk
from tests.test_app_workspace import make_app


class UsageSnapshotsFolder(SnapshotsFolder):
    """Keep these SVGs in tests/snapshots/test_app_usage_snapshots/."""

    @classmethod
    def dirname(cls, *, test_location) -> str:  # type: ignore[no-untyped-def]
        return str(SNAPSHOTS / "test_app_usage_snapshots")


@pytest.fixture(autouse=True)
def snapshots_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", UsageSnapshotsFolder)


# keys pressed from the home screen once the list and the portfolio line are in
VIEWS = {
    "home": [],
    "portfolio": ["p"],
    "review_usage": ["r", "pagedown", "pagedown", "pagedown"],  # the months and the chart
}
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", VIEWS)
def test_look(snap_compare, capsys, view: str, size: str, lang: str) -> None:
    root = Path(os.environ["HOME"]) / "ws"
    ws, _ = linked_workspace(root)
    (root / "scopecard.toml").write_text('[workspace]\ncurrency = "CNY"\n', encoding="utf-8")
    capsys.readouterr()
    app = make_app(ws, lang)
    assert snap_compare(app, terminal_size=SIZES[size],
                        run_before=lambda pilot: walk(pilot, *VIEWS[view]))
