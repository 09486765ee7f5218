"""`scopecard doctor` says what is wrong and how to fix it."""

from __future__ import annotations

import json
from pathlib import Path

from tui.cli import main


def _findings(capsys) -> dict[str, dict]:
    return {f["check"]: f for f in json.loads(capsys.readouterr().out)}


def test_a_fresh_workspace_is_healthy(isolated: Path, capsys):
    assert main(["doctor", "--json"]) == 0
    found = _findings(capsys)
    assert {f["level"] for f in found.values()} == {"ok"}
    assert {"workspace", "decisions", "price catalogue", "offline tokenizers", "eval store"} <= set(found)


def test_broken_things_are_named_with_a_fix(isolated: Path, capsys):
    (isolated / "decisions" / "2026-01-01-bad-000000").mkdir(parents=True)
    (isolated / "decisions" / "2026-01-01-bad-000000" / "decision.toml").write_text("not = [toml")
    (isolated / "prices.local.toml").write_text('schema = "scopecard.prices/1"\n[[models]]\nid = 3\n')
    (isolated / "evals.sqlite").write_bytes(b"this is not a database" * 100)
    assert main(["doctor", "--json"]) == 2
    found = _findings(capsys)
    assert found["decisions"]["level"] == "warn" and "2026-01-01-bad-000000" in found["decisions"]["detail"]
    assert found["local prices"]["level"] == "fail" and "prices.local.toml" in found["local prices"]["detail"]
    assert found["eval store"]["level"] == "fail" and found["eval store"]["fix"]


def test_a_stale_refreshed_catalogue_is_flagged(isolated: Path, capsys):
    isolated.mkdir(parents=True)
    (isolated / "prices.catalogue.toml").write_text(
        'schema = "scopecard.prices/1"\n[[models]]\nid = "a/b"\ncurrency = "USD"\ninput = 1\n'
        'source = "x"\nverified_on = 2020-01-01\n')
    main(["doctor", "--json"])
    found = _findings(capsys)
    assert found["price catalogue"]["level"] == "warn" and "refresh" in found["price catalogue"]["fix"]


def test_text_output(isolated: Path, capsys):
    assert main(["doctor"]) == 0
    assert "[ok  ] workspace" in capsys.readouterr().out


def test_a_zero_byte_eval_store_is_named(tmp_path: Path) -> None:
    """SQLite opens a 0-byte file as an empty database; doctor asks the store's own check,
    which says it is 0 bytes. The store is now a cache of evals/ (rebuilt without asking), so
    a 0-byte cache is a warning; an old root store, which still holds the only copy, fails."""
    from estimators.paths import Workspace
    from rubrics.doctor import _eval_store

    ws = Workspace(tmp_path)
    ws.evals_db.parent.mkdir(parents=True, exist_ok=True)
    ws.evals_db.write_bytes(b"")
    finding = _eval_store(ws)
    assert finding.level == "warn" and "0 bytes" in finding.detail and "reindex" in finding.fix
    ws.legacy_evals_db.write_bytes(b"")
    finding = _eval_store(ws)
    assert finding.level == "fail" and "0 bytes" in finding.detail
