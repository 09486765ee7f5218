"""Any bytes into auto-detecting import: results or an InputError, never another exception."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimators.errors import InputError
from rubrics.evals.detect import parse_bytes
from rubrics.evals.native_csv import COLUMNS
from rubrics.evals.results import Parsed

LOCAL = Path(__file__).parent / "fixtures" / "evals"
SEEDS = sorted(p.read_bytes() for p in LOCAL.rglob("*") if p.is_file() and p.suffix != ".md")
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])

# Keys every importer looks for, so generated documents reach deep into the parsers.
KEYS = ["results", "version", "evalId", "prompts", "stats", "successes", "eval", "status",
        "samples", "task", "model", "scores", "value", "id", "epoch", "error", "config",
        "model_args", "model_name", "versions", "n-samples", "higher_is_better", "groups",
        "group_subtasks", "acc,none", "acc_stderr,none", "acc", "acc_stderr", "testIdx",
        "gradingResult", "success", "failureReason", "provider", "testCase", "description",
        "pass", "score", "origin_prompt", "prediction", "gold", "answer1", "answer2", "0", "1",
        "reductions", "sample_id", "completed_samples", "total_samples", "metrics", "accuracy",
        "stderr", "date", "effective", "promptId", "label", "dataset", "limit", "created"]
LEAVES = (st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=True)
          | st.sampled_from(["C", "I", "P", "N/A", "success", "cancelled", "openai:chat:x",
                             "pretrained=a/b,x=1", "选择：A", "", "1e999", "-"])
          | st.text(max_size=20))
JSONISH = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=6),
    max_leaves=40)


def check(data: bytes) -> None:
    try:
        out = parse_bytes(data, "fuzz.bin", sha="0" * 64)
    except InputError as e:
        assert e.file == "fuzz.bin" and e.message
        return
    assert isinstance(out, Parsed) and out.results


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(JSONISH)
def test_any_json_shaped_like_an_eval_file(doc: object) -> None:
    check(json.dumps(doc).encode())


@FUZZ
@given(st.dictionaries(st.sampled_from(KEYS), JSONISH, max_size=8), st.sampled_from(
    [{"results": {"results": []}}, {"eval": {"task": "t"}, "status": "success"},
     {"results": {"t": {}}, "versions": {}}]))
def test_json_with_a_real_skeleton(extra: dict, skeleton: dict) -> None:
    doc = {**skeleton, **extra}
    check(json.dumps(doc).encode())


@FUZZ
@given(st.data())
def test_mutated_real_files(data: st.DataObject) -> None:
    if not SEEDS:
        return
    seed = data.draw(st.sampled_from(SEEDS))
    cut = data.draw(st.integers(0, len(seed)))
    pos = data.draw(st.integers(0, max(0, len(seed) - 1)))
    byte = data.draw(st.integers(0, 255))
    check(seed[:cut])
    mutated = bytearray(seed)
    if mutated:
        mutated[pos] = byte
    check(bytes(mutated))


@FUZZ
@given(st.lists(st.lists(st.text(max_size=12), min_size=10, max_size=10), max_size=6),
       st.permutations(list(COLUMNS)))
def test_any_native_csv(rows: list[list[str]], header: list[str]) -> None:
    buf = io.StringIO()
    import csv

    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    check(buf.getvalue().encode())


@FUZZ
@given(st.dictionaries(st.sampled_from(["header.json", "summaries.json", "reductions.json",
                                        "_journal/start.json", "_journal/summaries/1.json",
                                        "samples/1_epoch_1.json", "../x.json"]),
                       JSONISH | st.binary(max_size=50).map(lambda b: b.hex()), max_size=5))
def test_any_eval_zip(members: dict[str, object]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, value in members.items():
            z.writestr(name, json.dumps(value))
    check(buf.getvalue())
