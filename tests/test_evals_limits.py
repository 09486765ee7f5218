"""Bad inputs: each is an InputError naming the file and the reason; the store is unchanged."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from estimators.errors import InputError
from rubrics.evals.safeio import Limits, MiB
from rubrics.evals.store import EvalStore

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "evals"
EXAMPLE = REPO / "rubrics" / "data" / "examples" / "support-faq-results.csv"

HEADER = {"version": 2, "status": "success",
          "eval": {"task": "t", "model": "openai/gpt-4o", "run_id": "r", "created": "2026-01-01T00:00:00Z"},
          "results": {"total_samples": 1, "completed_samples": 1, "scores": []}}


@pytest.fixture
def store(tmp_path: Path) -> EvalStore:
    with EvalStore(tmp_path / "evals.sqlite") as s:
        s.import_file(EXAMPLE)  # something to stay unchanged
        yield s


def refused(store: EvalStore, path: Path, match: str, **kw) -> InputError:
    before = store.counts()
    with pytest.raises(InputError, match=match) as e:
        store.import_file(path, **kw)
    assert e.value.file is not None and str(path) in e.value.file
    assert store.counts() == before
    return e.value


def eval_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_truncated_json(store: EvalStore, tmp_path: Path) -> None:
    data = (FIXTURES / "promptfoo" / "bookshop_v3_one-assertion-failure.json").read_bytes()
    bad = tmp_path / "cut.json"
    bad.write_bytes(data[: len(data) // 2])
    err = refused(store, bad, "not valid JSON.*truncated")
    assert err.where and err.where.startswith("line ")


def test_zip_bomb_member_declaring_huge_size(store: EvalStore, tmp_path: Path) -> None:
    # 80 MiB of spaces compresses to ~80 KB: refused from the declared size, before inflating.
    body = b"{" + b" " * (80 * MiB) + b"}"
    bomb = tmp_path / "bomb.eval"
    bomb.write_bytes(eval_zip({"header.json": body}))
    assert bomb.stat().st_size < 1 * MiB
    refused(store, bomb, "possible zip bomb")


def test_zip_bomb_ratio(tmp_path: Path) -> None:
    # Under the size cap but compressed far beyond any real log: refused on the ratio.
    body = b"[" + b"0," * (2 * MiB) + b"0]"
    bomb = tmp_path / "ratio.eval"
    bomb.write_bytes(eval_zip({"header.json": json.dumps(HEADER).encode(), "summaries.json": body}))
    with EvalStore(tmp_path / "e.sqlite", limits=Limits(max_ratio=100)) as s:
        with pytest.raises(InputError, match="compression ratio"):
            s.import_file(bomb)


def test_zip_total_cap(tmp_path: Path) -> None:
    samples = {f"samples/{i}_epoch_1.json": json.dumps({"id": i, "epoch": 1, "scores": {"m": {"value": "C"}},
                                                        "pad": "x" * 4000}).encode() for i in range(20)}
    z = tmp_path / "many.eval"
    z.write_bytes(eval_zip({"header.json": json.dumps(HEADER).encode(), **samples}))
    with EvalStore(tmp_path / "e.sqlite", limits=Limits(max_total_member_bytes=30_000)) as s:
        with pytest.raises(InputError, match="would exceed"):
            s.import_file(z)
    with EvalStore(tmp_path / "f.sqlite") as s:  # within the default limits it imports
        assert s.import_file(z).passed == 20


def test_eval_zip_never_follows_member_paths(store: EvalStore, tmp_path: Path) -> None:
    z = tmp_path / "evil.eval"
    z.write_bytes(eval_zip({"../header.json": json.dumps(HEADER).encode(),
                            "/etc/passwd": b"x"}))
    refused(store, z, "no header.json")
    assert not (tmp_path.parent / "header.json").exists()


def test_unfinished_eval_zip(store: EvalStore, tmp_path: Path) -> None:
    z = tmp_path / "running.eval"
    z.write_bytes(eval_zip({"_journal/start.json": json.dumps({"version": 2}).encode()}))
    refused(store, z, "has not finished")


def test_corrupt_zip(store: EvalStore, tmp_path: Path) -> None:
    z = tmp_path / "corrupt.eval"
    z.write_bytes(b"PK\x03\x04" + os.urandom(200))
    refused(store, z, "zip")


def test_huge_file_refused_before_reading(store: EvalStore, tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(200 * MiB + 1)  # sparse: no disk used, nothing read
    refused(store, huge, "the limit is")


def test_not_a_regular_file(store: EvalStore, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    refused(store, fifo, "not a regular file")
    refused(store, tmp_path / "missing.json", "no such file")


def test_csv_with_a_missing_column(store: EvalStore, tmp_path: Path) -> None:
    bad = tmp_path / "short.csv"
    bad.write_text("case_id,suite,model,vendor,difficulty,kind,score,run_id,timestamp\n"
                   "c1,s,m,v,easy,single,,r,t\n", encoding="utf-8")
    err = refused(store, bad, "missing column.*passed")
    assert err.where == "line 1"


def test_file_of_another_tool(store: EvalStore, tmp_path: Path) -> None:
    pkg = tmp_path / "package.json"
    pkg.write_text(json.dumps({"name": "x", "version": "1.0.0", "dependencies": {}}), encoding="utf-8")
    refused(store, pkg, "unrecognized tool")
    junit = tmp_path / "junit.xml"
    junit.write_text('<?xml version="1.0"?><testsuite tests="1"></testsuite>', encoding="utf-8")
    refused(store, junit, "unrecognized file")
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    refused(store, png, "binary file|not UTF-8")


def test_forced_format_mismatch(store: EvalStore, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text(EXAMPLE.read_text(encoding="utf-8").replace("2026-11-20", "2026-11-21"),
                     encoding="utf-8")
    refused(store, other, "not a promptfoo file", format="promptfoo")
    with pytest.raises(InputError, match="unknown format"):
        store.import_file(EXAMPLE, format="excel")


def test_deeply_nested_and_jsonl(store: EvalStore, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    refused(store, deep, "nested too deeply")
    lines = tmp_path / "samples.jsonl"
    lines.write_text('{"doc_id": 0, "acc": 1.0}\n{"doc_id": 1, "acc": 0.0}\n', encoding="utf-8")
    refused(store, lines, "JSON Lines")


def test_empty_and_header_only(store: EvalStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    refused(store, empty, "empty file")
    header = tmp_path / "header.csv"
    header.write_text(EXAMPLE.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    refused(store, header, "no results")


def test_unreadable_score_value(tmp_path: Path) -> None:
    log = dict(HEADER, samples=[{"id": 1, "epoch": 1, "scores": {"m": {"value": [1, 2]}}},
                                {"id": 2, "epoch": 1, "scores": {"m": {"value": "C"}},
                                 "error": {"message": "boom\ntrace"}},
                                {"id": 3, "epoch": 1, "scores": {"m": {"value": 0.5}}}])
    p = tmp_path / "log.json"
    p.write_text(json.dumps(log), encoding="utf-8")
    with EvalStore(tmp_path / "e.sqlite") as s:
        rep = s.import_file(p)
        got = {r.case_id: (r.passed, r.score) for r in s.results_for("openai/gpt-4o", "t")}
    assert got == {"t:1": (None, None), "t:2": (None, None), "t:3": (False, 0.5)}  # task "t"
    assert rep.errors == 2 and any("partial-credit" in w for w in rep.warnings)
