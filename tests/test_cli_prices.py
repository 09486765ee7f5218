"""`scopecard prices list | show` on the bundled catalogue."""

from __future__ import annotations

import json

from tui.cli import main


def test_list_json_filters_by_vendor(capsys):
    assert main(["prices", "list", "--vendor", "deepseek", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["models"] and all(m["id"].startswith("deepseek/") for m in out["models"])
    assert all(m["source"] and m["verified_on"] for m in out["models"])


def test_list_text_and_unknown_vendor(capsys):
    assert main(["prices", "list"]) == 0
    assert "openai/gpt-4o-mini" in capsys.readouterr().out
    assert main(["prices", "list", "--vendor", "nobody"]) == 2
    assert "vendors:" in capsys.readouterr().err


def test_show_history_and_unknown_model(capsys):
    assert main(["prices", "show", "mistral/mistral-large-4", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert len(rows) >= 2 and rows[0]["effective_from"] < rows[-1]["effective_from"]
    assert main(["prices", "show", "openai/gpt-4o-mnii"]) == 2
    assert "openai/gpt-4o-mini" in capsys.readouterr().err


def test_local_prices_override_and_are_marked(isolated, capsys):
    isolated.mkdir(parents=True)
    (isolated / "prices.local.toml").write_text(
        'schema = "scopecard.prices/1"\n[[models]]\nid = "openai/gpt-4o-mini"\ncurrency = "USD"\n'
        'input = 0.01\noutput = 0.02\nsource = "negotiated 2026 contract"\nverified_on = 2026-11-01\n')
    assert main(["prices", "list", "--vendor", "openai", "--json"]) == 0
    row = next(m for m in json.loads(capsys.readouterr().out)["models"]
               if m["id"] == "openai/gpt-4o-mini")
    assert row["origin"] == "local" and row["input"] == 0.01


def test_malformed_local_prices_name_file_and_field(isolated, capsys):
    isolated.mkdir(parents=True)
    (isolated / "prices.local.toml").write_text(
        'schema = "scopecard.prices/1"\n[[models]]\nid = "openai/gpt-4o-mini"\ncurrency = "USD"\n'
        'input = "cheap"\noutput = 0.02\nsource = "x"\nverified_on = 2026-11-01\n')
    assert main(["prices", "list"]) == 2
    err = capsys.readouterr().err
    assert "prices.local.toml" in err and "input" in err
