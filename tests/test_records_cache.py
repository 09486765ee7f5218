"""The record cache (each record's parse as JSON) and reviews appended as TOML text.

A cache hit must give exactly what tomllib gives for the file: the same values, the same types
(a date is not its ISO string, 1 is not 1.0) and the same key order. Any change to the file, a
damaged cache, and a file whose layout does not allow appending all fall back to the TOML.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest

from estimators.paths import Workspace
from rubrics.lifecycle import set_status
from rubrics.records import (
    MUTABLE_KEYS,
    appended,
    cache_file,
    checked_fragment,
    dump_record,
    frozen_digest,
    key_lines,
    load_record,
    read_record,
    record_path,
    record_view,
    review_fragment,
    same_data,
    view_after_review,
)
from rubrics.review import review_records
from tests.test_records_support import DAY, make_record

LATER = DAY + dt.timedelta(days=40)


def exactly(a: Any, b: Any) -> bool:
    """same_data, and dict keys in the same order at every level."""
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(exactly(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(exactly(x, y) for x, y in zip(a, b, strict=True))
    return same_data(a, b)


def toml_of(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def cached(path: Path) -> dict[str, Any]:
    """The record's data, asserting that it came from the cache."""
    loaded = load_record(path)
    assert loaded.cached
    return loaded.data


def busy_record(home: Path) -> Path:
    """An accepted record with reviews (with actuals, price moves, dates) and history."""
    record_id, _ = make_record(home)
    set_status(home / "decisions", record_id, "accepted", note="ok by the PM")
    ws = Workspace(home)
    review_records(ws, [record_id], LATER, actuals={"pass_rate": 0.91})
    review_records(ws, [record_id], LATER + dt.timedelta(days=1))
    return record_path(home / "decisions", record_id)


# --- the cache ----------------------------------------------------------------------------------

def test_a_cache_hit_is_exactly_the_toml_parse(test_workspace: Path) -> None:
    path = busy_record(test_workspace)
    data = toml_of(path)
    assert len(data["reviews"]) == 2 and data["history"][0]["to"] == "accepted"
    assert isinstance(data["created"], dt.datetime) and data["created"].tzinfo is not None
    hit = cached(path)
    assert exactly(hit, data)
    assert exactly(read_record(path), data)
    assert not exactly({**data, "as_of": data["as_of"].isoformat()}, data)  # the check bites


def test_every_toml_type_round_trips(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    extra = (
        '\n[hand]\nwhen = 2026-01-02T03:04:05.123456+05:30\nzulu = 1979-05-27T07:32:00Z\n'
        'local = 1979-05-27T07:32:00\nday = 1979-05-27\nclock = 07:32:00.5\n'
        'nums = [inf, -inf, -0.0, 1.0, 1, 9223372036854775807, 1e300]\nflag = true\n'
        'text = "tab\\t quote\\" line\\n ünï ☃ \\u2028"\n"dotted.key" = { a = [1979-05-27] }\n'
        '[[hand.rows]]\nat = 00:00:01\n[[hand.rows]]\nat = 1979-05-27\nnan = nan\n')
    path.write_text(path.read_text() + extra)
    data = toml_of(path)
    load_record(path)  # a miss: parsed and cached
    hit = cached(path)
    assert exactly(hit, data)
    assert math.isnan(hit["hand"]["rows"][1]["nan"])
    assert math.copysign(1, hit["hand"]["nums"][2]) == -1


def test_a_hand_edit_invalidates_the_cache(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    cached(path)
    st = path.stat()
    text = path.read_text()
    edited = text.replace('title = "Ticket triage"', 'title = "Ticket triagE"', 1)
    assert edited != text and len(edited) == len(text)
    with open(path, "r+", encoding="utf-8") as f:  # in place: same inode and size
        f.write(edited)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old mtime
    loaded = load_record(path)
    assert loaded.data["title"] == "Ticket triagE"
    assert exactly(loaded.data, toml_of(path))
    assert cached(path)["title"] == "Ticket triagE"  # and the cache was rebuilt


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "extra-line", "bad-chain"])
def test_a_damaged_cache_is_ignored_and_rebuilt(test_workspace: Path, damage: str) -> None:
    path = busy_record(test_workspace)
    cached(path)
    cache = Path(cache_file(path))
    blob = cache.read_bytes()
    lines = blob.splitlines(keepends=True)
    assert len(lines) >= 2  # the full parse, then the reviews appended since
    if damage == "flip":
        at = len(blob) // 3
        blob = blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1:]
    elif damage == "truncate":
        blob = blob[:len(blob) // 2]
    elif damage == "empty":
        blob = b""
    elif damage == "extra-line":
        blob = blob + lines[-1]  # a review applied twice would duplicate it
    else:
        blob = b"".join([lines[0], lines[-1]])  # a line skipped: the chain breaks
    cache.write_bytes(blob)
    loaded = load_record(path)
    assert exactly(loaded.data, toml_of(path))
    assert cache.read_bytes() != blob  # rewritten from the TOML (at the latest when replayed)
    assert exactly(cached(path), toml_of(path))


def test_a_cache_that_cannot_be_written_only_costs_speed(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    folder = Path(cache_file(path)).parent
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.write_text("not a folder")  # the cache folder cannot be created
    loaded = load_record(path)
    assert not loaded.cached and exactly(loaded.data, toml_of(path))
    (rv,) = review_records(Workspace(test_workspace), [record_id], LATER)
    assert rv.saved and len(toml_of(path)["reviews"]) == 1


# --- appending a review as text -----------------------------------------------------------------

ENTRY = {"date": dt.date(2026, 5, 1), "engine_version": "0.1.0",
         "flags": [{"kind": "review_due", "message": 'review was due on "2026-04-01"'}],
         "reproduction": "reproduced", "price_moves": {"test/alpha": -0.5, "test/beta": 0.0},
         "actuals": {"pass_rate": 0.9}, "next_due": dt.date(2026, 5, 31)}
SHORT = {"date": dt.date(2026, 5, 1), "engine_version": "0.1.0", "flags": []}  # tomli_w: inline


@pytest.mark.parametrize("entry", [ENTRY, SHORT])
def test_a_fragment_parses_alone_to_its_entry(entry: dict[str, Any]) -> None:
    text, parsed = checked_fragment(entry)
    assert text.decode().startswith("[[reviews]]\n")
    assert exactly(tomllib.loads(text.decode()), {"reviews": [parsed]})
    assert same_data(parsed, entry)


def layout(data: dict[str, Any]) -> str:
    return record_view(data)["reviews"]


def test_an_appended_review_equals_a_redumped_one(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    raw = path.read_bytes()
    before = toml_of(path)
    assert "reviews" not in before  # a new record has none yet
    text, parsed = checked_fragment(ENTRY)
    suffix, last, hits = appended(raw, layout(before), key_lines(raw), text)
    new = raw + suffix
    assert last and hits == key_lines(new) == []
    after = tomllib.loads(new.decode())
    expected = {**before, "reviews": [parsed]}  # TOML makes it the last key
    assert exactly(after, expected)
    assert exactly(tomllib.loads(dump_record(expected)), expected)  # what a re-dump gives
    assert frozen_digest(after) == frozen_digest(before)
    assert record_view(after) == view_after_review(record_view(before), parsed)

    # a second one lands in the array of tables that the first began
    text2, parsed2 = checked_fragment(SHORT)
    suffix2, last2, hits2 = appended(new, layout(after), hits, text2)
    newer = new + suffix2
    assert not last2 and hits2 == key_lines(newer) == []
    final = tomllib.loads(newer.decode())
    assert exactly(final, {**expected, "reviews": [parsed, parsed2]})
    assert record_view(final) == view_after_review(record_view(after), parsed2)


def test_reviews_need_not_be_contiguous_or_last() -> None:
    raw = (b'schema = "x"\n\n[[reviews]]\ndate = 2026-01-01\nflags = []\n\n[reviews.actuals]\n'
           b'pass_rate = 0.5\n\n[[history]]\nto = "accepted"\n')
    data = tomllib.loads(raw.decode())
    text, parsed = checked_fragment(ENTRY)
    suffix, last, _ = appended(raw, layout(data), key_lines(raw), text)
    assert not last
    after = tomllib.loads((raw + suffix).decode())
    assert list(after) == ["schema", "reviews", "history"]
    assert after["reviews"] == [data["reviews"][0], parsed]


@pytest.mark.parametrize("raw", [
    b'reviews = [{ date = 2026-01-01, flags = [] }]\n',  # a static array cannot grow
    b'reviews = [\n    { date = 2026-01-01 },\n]\n',
    b'reviews = []\n',  # as older versions wrote a new record
    b'"reviews" = []\nx = 1\n',
    b'[[reviews]]\nx = 1\n[a]\ns = """\nreviews = []\n"""\n',  # a candidate line: refuse
    b'reviews.x = 1\n',  # a table, not an array
])
def test_layouts_that_cannot_be_appended_to_are_refused(raw: bytes) -> None:
    data = tomllib.loads(raw.decode())
    text, _ = checked_fragment(ENTRY)
    assert appended(raw, layout(data), key_lines(raw), text) is None


def test_an_escaped_key_in_a_fragment_stops_the_next_append() -> None:
    entry = {**ENTRY, "price_moves": {'odd"model': 0.1}}
    text, parsed = checked_fragment(entry)
    raw = b'schema = "x"\n'
    data = tomllib.loads(raw.decode())
    suffix, _, hits = appended(raw, layout(data), key_lines(raw), text)
    new = raw + suffix
    assert hits == key_lines(new) != []
    after = tomllib.loads(new.decode())
    assert after["reviews"] == [parsed]
    assert appended(new, layout(after), hits, text) is None


@pytest.mark.parametrize("old", [
    "reviews = []\n",  # as older versions wrote a new record
    'reviews = [\n    { date = 2026-03-02, engine_version = "0.0.9", flags = [] },\n]\n',
])
def test_a_record_that_cannot_be_appended_to_is_redumped_then_appended(
        test_workspace: Path, old: str) -> None:
    record_id, _ = make_record(test_workspace)
    path = record_path(test_workspace / "decisions", record_id)
    text = path.read_text()
    path.write_text(text.replace("\n[spec]\n", f"\n{old}\n[spec]\n", 1))
    before = toml_of(path)
    ws = Workspace(test_workspace)
    review_records(ws, [record_id], LATER)
    review_records(ws, [record_id], LATER + dt.timedelta(days=1))
    after = toml_of(path)
    older = [dt.date(2026, 3, 2)] if "flags" in old else []
    assert [r["date"] for r in after["reviews"]] == [*older, LATER, LATER + dt.timedelta(days=1)]
    assert "\n[[reviews]]\n" in path.read_text()  # re-dumped as tables: appendable from now
    assert "reviews = [" not in path.read_text()
    assert frozen_digest(after) == frozen_digest(before)
    assert exactly(cached(path), after)


def test_appending_keeps_an_accepted_record_intact(test_workspace: Path) -> None:
    path = busy_record(test_workspace)
    before = toml_of(path)
    (rv,) = review_records(Workspace(test_workspace), [path.stem], LATER + dt.timedelta(days=9))
    assert "edited" not in {f.kind for f in rv.flags}
    after = toml_of(path)
    assert {k: v for k, v in after.items() if k not in MUTABLE_KEYS} == \
        {k: v for k, v in before.items() if k not in MUTABLE_KEYS}
    assert len(after["reviews"]) == 3 and list(after)[-1] == "reviews"
    assert exactly(cached(path), after)
    assert load_record(path).view == record_view(after)  # the view kept up with the appends


def test_review_fragment_names_sub_tables_from_the_root() -> None:
    text = review_fragment(ENTRY)
    assert "\n[reviews.price_moves]\n" in text and "\n[reviews.actuals]\n" in text
