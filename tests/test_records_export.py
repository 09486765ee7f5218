"""Export (Markdown and JSON) of every kind of record, the record schema, list/show/paths."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from estimators.paths import Workspace
from rubrics.export import to_json, to_markdown
from rubrics.record import record_schema as json_schema
from rubrics.record_store import RecordStore
from rubrics.review import review_records
from tests.test_records_lifecycle import reach
from tests.test_records_support import DAY, KINDS, make_record
from tui.cli import main

VERDICTS = list(KINDS)
STATUSES = ["proposed", "accepted", "rejected", "superseded", "deprecated"]


def conforms(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "$") -> None:
    """A small JSON Schema check (the keywords record-schema uses); AssertionError names where."""
    if "$ref" in schema:
        conforms(value, root["$defs"][schema["$ref"].rsplit("/", 1)[1]], root, at)
        return
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                conforms(value, option, root, at)
                return
            except AssertionError as e:
                errors.append(str(e))
        raise AssertionError(f"{at}: matches no option: {errors}")
    if "const" in schema:
        assert value == schema["const"], f"{at}: {value!r} != {schema['const']!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{at}: {value!r} not in {schema['enum']}"
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    kind = schema.get("type")
    if kind in ("number", "integer"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{at}: {value!r}"
        assert kind == "number" or isinstance(value, int), f"{at}: {value!r} is not an integer"
        if "minimum" in schema:
            assert value >= schema["minimum"], f"{at}: {value} < minimum"
    elif kind:
        assert isinstance(value, kinds[kind]), f"{at}: {value!r} is not {kind}"
    if isinstance(value, str) and "pattern" in schema:
        assert re.search(schema["pattern"], value), f"{at}: {value!r} !~ {schema['pattern']}"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            conforms(item, schema["items"], root, f"{at}[{i}]")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{at}: {key} is required"
        props, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
        for key, item in value.items():
            if key in props:
                conforms(item, props[key], root, f"{at}.{key}")
                continue
            pattern = next((p for p in patterns if re.search(p, key)), None)
            if pattern:
                conforms(item, patterns[pattern], root, f"{at}.{key}")
                continue
            extra = schema.get("additionalProperties", True)
            assert extra is not False, f"{at}: unexpected key {key!r}"
            if isinstance(extra, dict):
                conforms(item, extra, root, f"{at}.{key}")


def document(home: Path, record_id: str) -> dict[str, Any]:
    return RecordStore(Workspace(home)).get(record_id).as_dict()


def exported(home: Path, record_id: str) -> dict[str, Any]:
    return json.loads(to_json(document(home, record_id)))


@pytest.mark.parametrize("verdict", VERDICTS)
def test_every_verdict_exports_to_markdown_and_json(test_workspace: Path, verdict: str) -> None:
    record_id, record = make_record(test_workspace, verdict)
    md = to_markdown(record)
    assert f"**Verdict: {verdict}**" in md
    for heading in ("## Why", "## Thresholds", "## Top drivers", "## Kill criteria",
                    "## Candidates (USD)", "### test/alpha", "### test/beta", "## Assumptions",
                    "## Prices used", "## Evals"):
        assert heading in md, heading
    assert "| test/alpha | USD | 1.0000 | 2.0000 | undated | 2026-01-01 | bundled | test |" in md
    assert ("## Research spike" in md) == (verdict == "RESEARCH SPIKE")
    assert ("## Conditions" in md) == (verdict == "GO WITH CONDITIONS")
    data = exported(test_workspace, record_id)
    assert data["outputs"]["verdict"] == verdict and data["as_of"] == DAY.isoformat()
    schema = json_schema()
    conforms(data, schema, schema)


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_exports(test_workspace: Path, status: str) -> None:
    record_id, _ = make_record(test_workspace)
    reach(test_workspace, record_id, status)
    review_records(Workspace(test_workspace), [record_id], DAY + dt.timedelta(days=40),
                   {"pass_rate": 0.5})
    data = document(test_workspace, record_id)
    md = to_markdown(data)
    assert f"| Status | {status} |" in md
    assert "## Reviews" in md and "kill_criterion" in md
    assert ("## History" in md) == (status != "proposed")
    if status == "superseded":
        assert f"| Superseded by | `{data['superseded_by']}` |" in md
    schema = json_schema()
    conforms(exported(test_workspace, record_id), schema, schema)


def test_the_schema_rejects_what_it_should(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    schema = json_schema()
    data = exported(test_workspace, record_id)
    # (keys a newer version adds are allowed: a record made by it still validates here)
    for broken in ({**data, "status": "maybe"}, {**data, "id": "../x"},
                   {k: v for k, v in data.items() if k != "seed"},
                   {**data, "outputs": {**data["outputs"], "verdict": "MAYBE"}},
                   {**data, "seed": "7"}):
        with pytest.raises(AssertionError):
            conforms(broken, schema, schema)


def test_markdown_table_cells_are_escaped(test_workspace: Path) -> None:
    _, record = make_record(test_workspace)
    record["outputs"]["alternatives"][0]["note"] = "a | b\nc"
    assert "a \\| b c" in to_markdown(record)


def test_cli_export_show_list_paths_schema(test_workspace: Path, tmp_path: Path,
                                           capsys) -> None:
    record_id, _ = make_record(test_workspace)
    ws = ["--workspace", str(test_workspace)]
    out = tmp_path / "decision.md"
    assert main([*ws, "export", record_id, "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_text().startswith("# Decision: Ticket triage")
    assert main([*ws, "export", record_id, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == record_id

    assert main([*ws, "show", record_id]) == 0
    assert "VERDICT: GO — test/alpha" in capsys.readouterr().out
    assert main([*ws, "show", record_id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"].endswith("+00:00")

    RecordStore(Workspace(test_workspace)).set_status(record_id, "accepted")
    other, _ = make_record(test_workspace, title="Other")
    assert main([*ws, "list", "--status", "accepted", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [record_id]
    assert main([*ws, "list", "--due", "--as-of", str(DAY)]) == 0
    assert capsys.readouterr().out.strip() == "no records match"
    assert main([*ws, "list", "--due", "--as-of", str(DAY + dt.timedelta(days=30))]) == 0
    due = capsys.readouterr().out
    assert record_id in due and other in due and "(due)" in due
    with pytest.raises(SystemExit) as exit_info:  # argparse refuses an unknown status
        main([*ws, "list", "--status", "nonsense"])
    assert exit_info.value.code == 2

    assert main([*ws, "paths"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "workspace", "decisions", "eval files", "usage files", "local prices", "catalogue",
        "drafts", "exports", "caches", "eval cache", "records index", "tiktoken cache"]
    assert main([*ws, "paths", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["decisions"] == str(test_workspace / "decisions")

    assert main([*ws, "record-schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].endswith("2020-12/schema") and "Spec" in schema["$defs"]


def test_list_of_an_empty_workspace(isolated: Path, capsys) -> None:
    assert main(["list"]) == 0
    assert "no records" in capsys.readouterr().out
