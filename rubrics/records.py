"""Decision records (`scopecard.decision/1`): one TOML file per decision in `decisions/`.

A record holds everything needed to reproduce its result: the full spec (prompt files inlined),
the price and FX rows used, the eval tallies with run ids, the engine version, the Monte Carlo
seed, the outputs and the reviews. Files are created atomically and never overwrite each other;
afterwards only the status fields, the history and the reviews change (`rewrite_record`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tomli_w

from estimators import ENGINE_VERSION
from estimators.atomic import (
    create_exclusive,
    lock_shared,
    recover_appends,
    wait_for_lock,
    write_atomic,
    write_unsynced,
)
from estimators.errors import InputError, close_names
from rubrics.verdict import Decision

SCHEMA = "scopecard.decision/1"
ID_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}-[a-z0-9-]{1,80}$")


def slugify(title: str) -> str:
    """A file-name-safe slug of a title (ASCII; other scripts fall back to a short hash)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "decision-" + hashlib.sha1(title.encode()).hexdigest()[:8]


def check_id(record_id: str) -> str:
    """Refuse ids that are not plain record names (no paths, no `..`)."""
    if not ID_PATTERN.fullmatch(record_id):  # fullmatch: `$` alone lets "id\n" through
        raise InputError(f"invalid record id {record_id!r}; ids look like 2026-11-24-support-faq")
    return record_id


def _clean(value: Any) -> Any:
    """Make data TOML-safe: drop None, turn tuples into lists, non-finite floats into strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value if v is not None]
    if isinstance(value, float):
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


def _check_dict(c: Any) -> dict[str, Any]:
    return {"k": c.k, "n": c.n, "errors": c.errors, "bar": c.bar, "confidence": c.confidence,
            "low": round(c.low, 6), "high": round(c.high, 6), "status": c.status.value,
            "cases_needed": c.cases_needed}


def record_dict(d: Decision, spec_data: dict[str, Any], evals_source: dict[str, Any],
                created: dt.datetime) -> dict[str, Any]:
    """The full record of a decision as plain data."""
    est = d.estimate
    t = est.traffic
    rows = {r.estimate.row.id: r.estimate.row for r in d.candidates}
    fx = {id(row): row for r in d.candidates for row in r.estimate.fx.rows}
    candidates = []
    for r in d.candidates:
        e = r.estimate
        f = r.point
        candidates.append({
            "model": e.model,
            "price_row": f"{e.row.id} @ {e.row.effective_from or 'undated'} ({e.row.origin})",
            "excluded": e.excluded,
            "warnings": e.warnings,
            "tokens": e.counts_json(),
            "tokens_exact": e.tokens_exact,
            "input_tokens_per_call": e.shape.input_per_call,
            "output_tokens_per_call": e.shape.output_per_call,
            "cost_per_call": e.cost_per_call,
            "cost_per_call_native": e.call.per_call,
            "native_currency": e.call.currency,
            "fx_rate": e.fx.rate,
            "monthly_cost": e.monthly_cost,
            "peak_tpm": e.peak_tpm,
            "capability": {
                "suite": r.capability.suite, "status": r.capability.status.value,
                "run_ids": list(r.capability.run_ids),
                "overall": _check_dict(r.capability.overall),
                "tiers": {k: _check_dict(v) for k, v in r.capability.tiers.items()},
            },
            "point": {k: getattr(f, k) for k in (
                "p", "tasks_per_month", "value_per_task", "ai_cost", "fixed_cost", "nmb", "roi",
                "cost_per_task", "cost_per_success", "max_cost_per_success", "break_even_tasks",
                "payback_months", "break_even_p")},
            "distribution": None if r.distribution is None else {
                "nmb": r.distribution.nmb, "roi": r.distribution.roi,
                "monthly_ai_cost": r.distribution.monthly_ai_cost,
                "p_positive": r.distribution.p_positive,
                "tornado": [{"input": n, "nmb_low": lo, "nmb_high": hi}
                            for n, lo, hi in r.distribution.tornado],
            },
        })
    return _clean({
        "schema": SCHEMA,
        "title": d.spec.title,
        "created": created,
        "status": "proposed",
        "engine_version": ENGINE_VERSION,
        "seed": d.seed,
        "as_of": est.as_of,
        "review_due": est.as_of + dt.timedelta(days=d.spec.commit.review_after_days),
        "spec": spec_data,
        "prices": [row.model_dump(mode="json", exclude_none=True) for row in rows.values()],
        "fx": [r.model_dump(mode="json") for r in fx.values()],
        "evals": evals_source,
        "thresholds": {
            "bar": d.bar, "confidence": d.confidence, "target_roi": d.spec.commit.target_roi,
            "interval": d.spec.quality.interval,
            "scenario": d.scenario.name, **asdict(d.rubric), "preset": asdict(d.scenario),
        },
        "outputs": {
            "verdict": d.verdict.value,
            "chosen": d.chosen,
            "reasons": [str(m) for m in d.reasons],
            "conditions": [str(m) for m in d.conditions],
            "drivers": [str(m) for m in d.drivers],
            "spike": {k: str(m) for k, m in d.spike.items()},
            # the same sentences as message keys with arguments, to render in any language
            "messages": {"reasons": [m.to_json() for m in d.reasons],
                         "conditions": [m.to_json() for m in d.conditions],
                         "drivers": [m.to_json() for m in d.drivers],
                         "spike": {k: m.to_json() for k, m in d.spike.items()}},
            "assumptions": est.notes,
            "load": {"tasks_per_day": t.tasks_per_day, "tasks_per_month": t.tasks_per_month,
                     "calls_per_day": t.calls_per_day, "calls_per_month": t.calls_per_month,
                     "avg_qps": t.avg_qps, "peak_qps": t.peak_qps},
            "candidates": candidates,
            "alternatives": [asdict(a) for a in d.alternatives],
        },
        "kill_criteria": [{**asdict(k), "note": str(k.note), "note_message": k.note.to_json()}
                          for k in d.kill_criteria],
    })  # no `reviews = []`: the first review is then appended as `[[reviews]]` text


def write_record(decisions_dir: Path, record: dict[str, Any], day: dt.date) -> Path:
    """Create `decisions/YYYY-MM-DD-slug.toml` (-2, -3... when taken); never overwrites."""
    base = f"{day.isoformat()}-{slugify(record['title'])}"
    for i in range(1, 10_000):
        record_id = base if i == 1 else f"{base}-{i}"
        record["id"] = record_id
        data = tomli_w.dumps(record).encode()
        path = decisions_dir / f"{record_id}.toml"
        if create_exclusive(path, data):
            cache_text(path, data)
            return path
    raise InputError(f"too many records named {base}", file=str(decisions_dir))


# --- reading -----------------------------------------------------------------------------------

MAX_RECORD_BYTES = 20_000_000  # a generated record is ~20 KB; inlined prompts may add a few MB
STATUSES = ("proposed", "accepted", "rejected", "superseded", "deprecated")
LIVE = ("proposed", "accepted")  # statuses that still get reviewed
# The only keys a record may change after it is written; everything else is its inputs and
# outputs, which never change (frozen_digest checks this on every rewrite).
MUTABLE_KEYS = frozenset({"status", "history", "reviews", "supersedes", "superseded_by"})
# What a review can flag (rubrics.review); kept here because the record's schema lists them.
FLAG_KINDS = ("review_due", "price_moved", "cheaper_model", "kill_criterion", "engine_changed",
              "edited")


@dataclass(frozen=True)
class RecordSummary:
    """What a list of decisions shows; `error` is set for a corrupt or foreign file.

    `review_due` is when the next review is due: the latest review's `next_due`, else the
    record's own `review_due`. `flags` are the kinds the latest review raised.
    """

    id: str
    path: Path
    title: str = ""
    status: str = ""
    verdict: str = ""
    chosen: str = ""
    created: str = ""
    review_due: dt.date | None = None
    error: str | None = None
    superseded_by: str = ""
    last_reviewed: dt.date | None = None
    flags: tuple[str, ...] = ()


def parse_record(raw: bytes, path: Path) -> dict[str, Any]:
    """Parse record bytes; InputError when they are not a scopecard.decision/1 record."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"TOML syntax error: {e}", file=str(path)) from None
    if data.get("schema") != SCHEMA:
        raise InputError(f"not a {SCHEMA} record (schema = {data.get('schema')!r})", file=str(path))
    return data


def read_bytes_and_stat(path: Path) -> tuple[bytes, os.stat_result]:
    """A record file's bytes (no more than the size limit) and its stat taken before reading,
    so a later change shows in mtime or ctime; InputError when unreadable.

    The file is locked shared while it is read: a review being appended to it locks it
    (estimators.atomic.append_all), so a read never sees half of one."""
    _recover_if_crashed(path.parent)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            lock_shared(fd, str(path))
            st = os.fstat(fd)
            raw = _read_upto(fd, st.st_size)
        finally:
            os.close(fd)  # and the lock with it
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", file=str(path)) from None
    if len(raw) > MAX_RECORD_BYTES:
        raise InputError(f"file is over {MAX_RECORD_BYTES:,} bytes, the most a record may be",
                         file=str(path))
    return raw, st


def _read_upto(fd: int, size: int) -> bytes:
    """The file's bytes, at most MAX_RECORD_BYTES + 1 (asking for what its stat says is there:
    a read of 20 MB would allocate 20 MB for each 20 KB record)."""
    chunks = []
    left = MAX_RECORD_BYTES + 1
    want = min(size, MAX_RECORD_BYTES) + 1
    while left > 0:
        chunk = os.read(fd, min(want, left))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
        want = 1 << 20  # it grew since the stat (someone else is writing): read on
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_bytes(path: Path) -> bytes:
    """A record file's bytes, reading no more than the size limit; InputError when unreadable."""
    return read_bytes_and_stat(path)[0]


def read_record(path: Path) -> dict[str, Any]:
    """Parse one record file; InputError when it is not a readable scopecard.decision/1 record.

    The parse comes from the record cache when it holds exactly these bytes (see load_record).
    """
    return load_record(path).data


def next_review_due(data: dict[str, Any]) -> dt.date | None:
    """When the next review is due: the latest review's next_due, else the record's review_due."""
    for review in reversed(data.get("reviews") or []):
        if isinstance(review, dict) and isinstance(review.get("next_due"), dt.date):
            return review["next_due"]
    due = data.get("review_due")
    return due if isinstance(due, dt.date) else None


def _iso_day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else None


def _day(iso: str | None) -> dt.date | None:
    """The date `_iso_day` wrote (None stays None)."""
    return dt.date.fromisoformat(iso) if iso else None


def record_view(data: dict[str, Any]) -> dict[str, Any]:
    """What a list entry and a review need of a record, small and JSON-ready, so that neither
    has to load its parse: the summary fields, `key` (the hash of the parts a review recomputes
    from), `edited` (see `integrity`) and `reviews` (the layout appending one depends on).
    KeyError, TypeError or AttributeError for malformed data."""
    outputs = data.get("outputs", {})
    reviews = data.get("reviews")
    latest = ([r for r in reviews if isinstance(r, dict)] or [{}])[-1] \
        if isinstance(reviews, list) else {}
    flags = latest.get("flags")
    return {
        "title": str(data.get("title", "")), "status": str(data.get("status", "")),
        "verdict": str(outputs.get("verdict", "")), "chosen": outputs.get("chosen"),
        "created": str(data.get("created", "")), "review_due": _iso_day(next_review_due(data)),
        "superseded_by": str(data.get("superseded_by", "")),
        "last_reviewed": _iso_day(latest.get("date")),
        "flags": [str(f.get("kind")) for f in flags or [] if isinstance(f, dict) and f.get("kind")],
        "key": inputs_key(data), "edited": integrity(data),
        "reviews": ("absent" if reviews is None else "list" if isinstance(reviews, list) and reviews
                    else "other"),
    }


def view_after_review(view: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The view of a record once `entry` is appended to its reviews (what `record_view` of the
    new data gives; the test suite checks the two agree)."""
    due = entry.get("next_due")
    return {**view, "review_due": _iso_day(due) or view["review_due"],
            "last_reviewed": _iso_day(entry.get("date")),
            "flags": [str(f["kind"]) for f in entry.get("flags", []) if f.get("kind")],
            "reviews": "list"}


def summary_from_view(path: Path, view: dict[str, Any]) -> RecordSummary:
    """The list entry of a record's view (the file name is the id commands accept)."""
    if not ID_PATTERN.fullmatch(path.stem):
        return RecordSummary(id=path.stem, path=path, error="file name is not a record id "
                             "(YYYY-MM-DD-slug.toml); rename it to be addressable")
    chosen = view["chosen"]
    return RecordSummary(
        id=path.stem, path=path, title=view["title"], status=view["status"],
        verdict=view["verdict"], chosen="" if chosen is None else str(chosen),
        created=view["created"], review_due=_day(view["review_due"]),
        superseded_by=view["superseded_by"], last_reviewed=_day(view["last_reviewed"]),
        flags=tuple(view["flags"]))


def summarize(path: Path) -> RecordSummary:
    """A record's list entry, or an entry carrying its error (the list never fails as a whole)."""
    try:
        if path.is_symlink():
            raise InputError("a symbolic link; records must be regular files", file=str(path))
        return summary_from_view(path, load_record(path).view)
    except InputError as e:
        return RecordSummary(id=path.stem, path=path, error=e.message)
    except (KeyError, TypeError, AttributeError) as e:
        return RecordSummary(id=path.stem, path=path, error=f"malformed record: {e}")


def record_files(decisions_dir: Path) -> list[Path]:
    """Every `*.toml` in decisions/, newest first; hidden files (temp files of writes) are not."""
    if not decisions_dir.is_dir():
        return []
    names = [e.name for e in os.scandir(decisions_dir)
             if e.name.endswith(".toml") and not e.name.startswith(".")]
    return [decisions_dir / n for n in sorted(names, reverse=True)]


# --- the list index: summaries cached by file identity ------------------------------------------

INDEX_VERSION = 1


def _cache_dir(decisions_dir: Path) -> Path:
    """Scopecard's own state beside decisions/, never inside it (decisions/ goes into git)."""
    return decisions_dir.parent / ".cache"


def index_path(decisions_dir: Path) -> Path:
    return _cache_dir(decisions_dir) / f"{decisions_dir.name}-index.json"


def _identity(path: Path) -> list[int] | None:
    """What changes whenever a file's content may have: size, mtime, ctime and inode."""
    try:
        return identity_of(path.lstat())
    except OSError:
        return None


def identity_of(st: os.stat_result) -> list[int]:
    """A file's identity (see `_identity`) from its stat."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _summary_json(s: RecordSummary) -> dict[str, Any]:
    return {"title": s.title, "status": s.status, "verdict": s.verdict, "chosen": s.chosen,
            "created": s.created, "review_due": s.review_due and s.review_due.isoformat(),
            "error": s.error, "superseded_by": s.superseded_by,
            "last_reviewed": s.last_reviewed and s.last_reviewed.isoformat(),
            "flags": list(s.flags)}


def _summary_from_json(path: Path, d: dict[str, Any]) -> RecordSummary:
    return RecordSummary(id=path.stem, path=path, title=d["title"], status=d["status"],
                         verdict=d["verdict"], chosen=d["chosen"], created=d["created"],
                         review_due=_day(d["review_due"]), error=d["error"],
                         superseded_by=d["superseded_by"], last_reviewed=_day(d["last_reviewed"]),
                         flags=tuple(d["flags"]))  # an index from before flags: KeyError, re-read


def _load_index(decisions_dir: Path) -> dict[str, Any]:
    """The cached entries, or none when the cache is missing, stale in format or unreadable."""
    try:
        data = json.loads(index_path(decisions_dir).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION \
            or data.get("dir") != str(decisions_dir.resolve()):
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def _save_index(decisions_dir: Path, entries: dict[str, Any]) -> None:
    data = {"version": INDEX_VERSION, "dir": str(decisions_dir.resolve()), "entries": entries}
    try:
        write_atomic(index_path(decisions_dir), json.dumps(data).encode())
    except OSError:
        pass  # a read-only workspace still lists; it only loses the speed-up


def list_records(decisions_dir: Path) -> list[RecordSummary]:
    """Every `*.toml` in decisions/, newest first; broken files are listed with their error.

    Parsing a record costs milliseconds, so summaries are cached beside decisions/ keyed by
    each file's size, mtime, ctime and inode: only new or changed files are parsed again.
    """
    index = _load_index(decisions_dir)
    fresh: dict[str, Any] = {}
    out = []
    for path in record_files(decisions_dir):
        ident = _identity(path)
        hit = index.get(path.name)
        try:
            summary = (_summary_from_json(path, hit[1]) if hit and ident and hit[0] == ident
                       else summarize(path))
        except (KeyError, TypeError, ValueError, IndexError):  # a damaged cache entry
            summary = summarize(path)
        if ident:
            fresh[path.name] = [ident, _summary_json(summary)]
        out.append(summary)
    if fresh != index:
        _save_index(decisions_dir, fresh)
        prune_cache(decisions_dir, {p.name for p in record_files(decisions_dir)})
    return out


def summary_json(path: Path, view: dict[str, Any]) -> dict[str, Any]:
    """The list entry of a record's view, as the index stores it."""
    return _summary_json(summary_from_view(path, view))


def index_entry(path: Path, data: dict[str, Any] | None = None,
                summary: dict[str, Any] | None = None,
                st: os.stat_result | None = None) -> list[Any] | None:
    """The index entry of a file just written with `data` (or its `summary_json`); take it
    while holding the lock, so the identity is that of this content (or pass the stat taken
    just after the write)."""
    ident = _identity(path) if st is None else identity_of(st)
    if summary is None:
        assert data is not None, "index_entry needs the data or its summary"
        summary = summary_json(path, record_view(data))
    return [ident, summary] if ident else None


def index_written(decisions_dir: Path, entries: dict[str, list[Any]]) -> None:
    """Add index entries (by file name) of files just written: the next list need not parse
    them."""
    if entries:
        _save_index(decisions_dir, {**_load_index(decisions_dir), **entries})


def record_path(decisions_dir: Path, record_id: str) -> Path:
    """The file of a record id (checked: no path tricks); InputError when it does not exist."""
    path = decisions_dir / f"{check_id(record_id)}.toml"
    if path.is_symlink():
        raise InputError(f"record {record_id!r} is a symbolic link; records must be regular files")
    if not path.exists():
        known = [p.stem for p in record_files(decisions_dir)]
        hint = close_names(record_id, known)
        raise InputError(f"no record {record_id!r}" + (f"; did you mean {', '.join(hint)}?"
                                                       if hint else ""))
    return path


# --- changing a record: status fields and reviews only -----------------------------------------

def frozen_digest(data: dict[str, Any]) -> str:
    """sha256 over a record's inputs and outputs (everything but MUTABLE_KEYS)."""
    frozen = {k: v for k, v in data.items() if k not in MUTABLE_KEYS}
    text = json.dumps(frozen, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def integrity(data: dict[str, Any]) -> str | None:
    """Why an accepted record's inputs or outputs no longer match its acceptance, if they don't."""
    accepted = [h for h in data.get("history") or []
                if isinstance(h, dict) and h.get("to") == "accepted" and h.get("digest")]
    if accepted and accepted[-1]["digest"] != frozen_digest(data):
        return (f"inputs or outputs were edited after acceptance on {accepted[-1].get('date')}: "
                "the record no longer shows what was accepted (restore it from git)")
    return None


# The parts of a record `scopecard review` recomputes from (rubrics.review hands its
# computations these and nothing else). Changing this tuple changes what the cached views'
# `key` means: raise CACHE_VERSION with it.
REVIEW_INPUTS = ("spec", "prices", "fx", "evals", "as_of", "seed", "outputs", "thresholds",
                 "kill_criteria", "engine_version")


def review_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """The REVIEW_INPUTS of a record."""
    return {k: data[k] for k in REVIEW_INPUTS if k in data}


def inputs_key(data: dict[str, Any]) -> str:
    """A hash of a record's REVIEW_INPUTS. repr, not JSON: it tells a date from a string and 1
    from 1.0. Key order counts, so equal data in another order is only computed again."""
    return hashlib.sha256(repr(review_inputs(data)).encode()).hexdigest()


def journal_paths(decisions_dir: Path) -> tuple[Path, Path]:
    """The undo journals of batches of reviews being appended (estimators.atomic.append_all):
    one for each of the two processes of a review that may append at once."""
    base = _cache_dir(decisions_dir) / f"{decisions_dir.name}.journal"
    return base, base.with_name(base.name + "-2")


@functools.lru_cache(maxsize=64)
def _lock_files(decisions_dir: str) -> tuple[str, tuple[str, ...]]:
    """The lock file and the journals of a decisions folder (strs: every read checks for the
    journals, and pathlib costs ~20 us a call)."""
    d = Path(decisions_dir)
    return str(_cache_dir(d) / f"{d.name}.lock"), tuple(map(str, journal_paths(d)))


def _recover(journals: tuple[str, ...]) -> None:
    for journal in journals:
        if os.path.exists(journal):
            recover_appends(Path(journal))


@contextmanager
def record_lock(decisions_dir: Path) -> Iterator[None]:
    """Serialize changes to records between processes (an flock; none on Windows).

    Creating a record needs no lock (create_exclusive cannot overwrite); changing one does, or
    two processes accepting and rejecting the same record at once could both succeed. Whoever
    takes it first after a crash undoes the batch of appends the crash interrupted. A holder
    that is stuck is waited for a bounded time, saying so (estimators.atomic.wait_for_lock).
    """
    try:
        import fcntl
    except ImportError:  # no flock: changes still land atomically, only unserialized
        yield
        return
    lock, journals = _lock_files(str(decisions_dir))
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    with open(lock, "a+b") as f:
        wait_for_lock(f.fileno(), exclusive=True, name=lock, what="the records lock")
        try:
            _recover(journals)
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _recover_if_crashed(decisions_dir: Path) -> None:
    """Before a read: undo a batch of appends a crash interrupted, if there is one and nobody
    holds the lock (a batch being written locks each file it appends to instead)."""
    lock, journals = _lock_files(str(decisions_dir))
    if not any(map(os.path.exists, journals)):
        return
    try:
        import fcntl

        f = open(lock, "rb")
    except (ImportError, OSError):
        return
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return  # a batch is in progress (or this thread holds the lock)
        try:
            _recover(journals)
        except OSError:
            pass  # a read-only workspace: read what is there
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def rewrite_record(path: Path, change: Callable[[dict[str, Any]], None],
                   known: tuple[bytes, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Apply `change` to a record's data and replace the file atomically; returns the new data.

    Call it under record_lock. `known` is (bytes, data) from an earlier read: while the file
    still holds exactly those bytes that parse is reused (and mutated). A change that touches
    anything but MUTABLE_KEYS is a bug and raises before anything is written.
    """
    if known is not None and known[0] == read_bytes(path):
        data = known[1]
    else:
        data = load_record(path).data
    before = frozen_digest(data)
    if data.get("reviews") == []:  # written by older versions; absent, a review is appended
        del data["reviews"]
    change(data)
    if frozen_digest(data) != before:
        raise RuntimeError(f"refusing to change the inputs or outputs of {path.name}")
    for key in ("history", "reviews"):  # appended logs go last: git diffs stay at the end
        if key in data:
            data[key] = data.pop(key)
    text = dump_record(data)
    parsed = tomllib.loads(text)
    if parsed != data:  # not TOML-exact data (a tuple, say): write it as tomli_w always did
        text = tomli_w.dumps(data)
        parsed = tomllib.loads(text)
    raw = text.encode()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    write_atomic(path, raw)
    # The new file has the default mode (0666 less the umask); the record keeps the one its
    # owner gave it, so a status change never makes a read-only (0444) record writable.
    os.chmod(path, mode)
    if parsed.get("schema") == SCHEMA:
        _cache_write(path, raw, hashlib.sha256(raw).hexdigest().encode(), parsed,
                     _view_or_none(parsed))
    return data


# --- the record cache: each record's parse, as JSON, checked against the file's bytes ----------
#
# tomllib takes ~4 ms for a 20 KB record, json.loads ~0.15 ms, and a review of a record whose
# inputs another record shares needs neither: only the record's view. The cache holds one file
# per record beside decisions/ (never inside: decisions/ goes into git), one line per change:
#
#     <op>\t<head>\t<sha256 of op> <sha256 of the record before> <... after> <sum>
#
# <op> is JSON: on the first line the full parse ({"data", "times"}), on each later line one
# appended review ({"review", "times", "last"}), so a review need not re-dump 20 KB of JSON.
# <head> is JSON {"v", "n", "view", "hits"}: the cache version, the line's number, and the
# record's `record_view` and `key_lines` after this line. <sum> is the sha256 of the op's hash,
# the two record hashes and the head, so the head of the last line can be read from the end of
# the file and checked without reading the ops. (JSON escapes tabs and newlines: the separators
# are unambiguous.) The cache is used only when the last line's "after" is the sha256 of the
# bytes just read; its ops are replayed only when the parse itself is asked for, and then each
# op is checked against its hash and each line's "before" against the previous "after". Any
# edit, torn write or race makes a miss, and a miss parses the TOML and writes the cache anew.
# JSON has no dates, so "times" lists the path and type of every date, datetime and time,
# revived with fromisoformat.

CACHE_VERSION = 3
CACHE_MAX_LINES = 16  # past this many reviews appended, a read writes the cache anew
_FROM_ISO: dict[str, Callable[[str], dt.date | dt.time]] = {
    "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat, "time": dt.time.fromisoformat}
_NO_SHA = b"0" * 64


def cache_file(path: Path) -> str:
    """The cache file of the record at `path` (a str: pathlib costs ~20 us a call)."""
    folder, name = os.path.split(path)
    return _cache_folder(folder) + os.sep + name + ".jsonl"


@functools.lru_cache(maxsize=64)
def _cache_folder(decisions_dir: str) -> str:
    d = Path(decisions_dir)
    return str(_cache_dir(d) / f"{d.name}-records")


def _time_paths(value: Any, path: tuple[Any, ...] = ()) -> list[list[Any]]:
    """[*keys, type] of every date, datetime and time in parsed TOML data."""
    out: list[list[Any]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for k, v in items:
        if isinstance(v, (dict, list)):
            out.extend(_time_paths(v, (*path, k)))
        elif isinstance(v, (dt.date, dt.time)):  # datetime is a date: test it first
            kind = ("datetime" if isinstance(v, dt.datetime)
                    else "date" if isinstance(v, dt.date) else "time")
            out.append([*path, k, kind])
    return out


def _iso(value: Any) -> str:
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not TOML data")


def _revive(value: Any, times: list[list[Any]]) -> Any:
    """JSON-decoded data with its dates, datetimes and times restored."""
    for *keys, kind in times:
        at = value
        for k in keys[:-1]:
            at = at[k]
        at[keys[-1]] = _FROM_ISO[kind](at[keys[-1]])
    return value


def _json(value: Any) -> bytes:
    return json.dumps(value, default=_iso, ensure_ascii=False, separators=(",", ":")).encode()


_TRAILER = 4 * 64 + 3  # "<op sha> <before> <after> <sum>"
_TAIL = 4096  # bytes read from a cache's end: its last head (~1 KB) and trailer


def _cache_line(before: bytes, after: bytes, n: int, view: dict[str, Any] | None,
                hits: list[int], op: bytes) -> bytes:
    head = _json({"v": CACHE_VERSION, "n": n, "view": view, "hits": hits})
    shas = hashlib.sha256(op).hexdigest().encode() + b" " + before + b" " + after
    total = hashlib.sha256(shas + b" " + head).hexdigest().encode()
    return op + b"\t" + head + b"\t" + shas + b" " + total + b"\n"


def _split_line(line: bytes) -> tuple[bytes, dict[str, Any], bytes, bytes, bytes]:
    """op, decoded head, op sha, before and after of one cache line (without its newline, or
    the tail of one: from anywhere before its head); ValueError when its sum does not check."""
    trailer = line[-_TRAILER:]
    if len(trailer) != _TRAILER or line[-_TRAILER - 1:-_TRAILER] != b"\t":
        raise ValueError("damaged")
    shas, total = trailer[:-65], trailer[-64:]
    start = line.rfind(b"\t", 0, len(line) - _TRAILER - 1)
    if start < 0:
        raise ValueError("no head")
    head = line[start + 1:-_TRAILER - 1]
    if hashlib.sha256(shas + b" " + head).hexdigest().encode() != total:
        raise ValueError("damaged")
    decoded = json.loads(head)
    if not isinstance(decoded, dict) or decoded.get("v") != CACHE_VERSION:
        raise ValueError("another version")
    return line[:start], decoded, shas[:64], shas[65:129], shas[130:194]


def _cache_head(path: Path, sha: bytes) -> dict[str, Any]:
    """The last head of the cache of the record whose bytes hash to `sha`, read from the end
    of the file; ValueError (or another error of decoding) when missing, stale or damaged."""
    fd = os.open(cache_file(path), os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        size = os.fstat(fd).st_size
        tail = os.pread(fd, _TAIL, max(0, size - _TAIL))
        if b"\t" not in tail[:-_TRAILER - 2] and size > _TAIL:  # a long head: read it all
            tail = os.pread(fd, size, 0)
    finally:
        os.close(fd)
    if not tail.endswith(b"\n"):
        raise ValueError("torn")
    _, head, _, _, after = _split_line(tail[:-1])
    if after != sha:
        raise ValueError("stale")
    if not isinstance(head["hits"], list) or not isinstance(head["view"], (dict, type(None))) \
            or not isinstance(head["n"], int):
        raise ValueError("damaged")
    return head


def _replay(path: Path, sha: bytes) -> dict[str, Any]:
    """The parse the cache of the record whose bytes hash to `sha` holds, every line checked;
    ValueError (or another error of decoding) when it does not hold one."""
    with open(cache_file(path), "rb") as f:
        blob = f.read()
    if not blob.endswith(b"\n"):
        raise ValueError("torn")
    data: Any = None
    state = _NO_SHA
    for line in blob[:-1].split(b"\n"):
        op, _, op_sha, before, after = _split_line(line)
        if before != state or hashlib.sha256(op).hexdigest().encode() != op_sha:
            raise ValueError("damaged")
        state = after
        decoded = json.loads(op)
        if data is None:
            data = _revive(decoded["data"], decoded["times"])
        else:
            apply_review(data, _revive(decoded["review"], decoded["times"]), decoded["last"])
    if state != sha or not isinstance(data, dict):
        raise ValueError("stale")
    return data


def apply_review(data: dict[str, Any], entry: dict[str, Any], last: bool) -> None:
    """Append a review entry as TOML would read the appended [[reviews]] table: into the array
    of tables where it stays, or as a new last key where there was none."""
    if last:
        data["reviews"] = data.pop("reviews", [])
    data["reviews"].append(entry)


def _view_or_none(data: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return record_view(data)
    except (KeyError, TypeError, AttributeError, ValueError):
        return None  # malformed: whoever asks for the view gets the error then


def _cache_write(path: Path, raw: bytes, sha: bytes, data: dict[str, Any],
                 view: dict[str, Any] | None) -> list[int] | None:
    """Cache a record's full parse, view and key lines; returns the key lines, or None when the
    cache cannot be written (a read-only workspace still works, only slower)."""
    hits = key_lines(raw)
    try:
        line = _cache_line(_NO_SHA, sha, 1, view, hits,
                           _json({"data": data, "times": _time_paths(data)}))
        target = Path(cache_file(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        write_unsynced(target, line)
        return hits
    except (OSError, TypeError, ValueError):
        return None


def cache_text(path: Path, text: bytes) -> None:
    """Cache the parse of a record just written as `text` (parsed here: the data that was
    dumped may differ from its parse in key order and types)."""
    try:
        data = parse_record(text, path)
    except InputError:
        return
    _cache_write(path, text, hashlib.sha256(text).hexdigest().encode(), data,
                 _view_or_none(data))


class Loaded:
    """A record as read: its bytes, their sha256 (hex, as bytes, and the running hash), the
    file's identity when read, its key lines (`key_lines`), the number of lines its cache holds
    (0: the cache does not hold these bytes, so a review is not appended to it), its view and
    its parse. A cached record's parse is decoded only when asked for: a review of a record
    whose inputs were already recomputed needs only the view."""

    def __init__(self, path: Path, raw: bytes, hasher: Any, identity: list[int],
                 hits: list[int], lines: int, view: dict[str, Any] | None,
                 data: dict[str, Any] | None = None):
        self.path, self.raw, self.hasher, self.identity = path, raw, hasher, identity
        self.sha = hasher.hexdigest().encode()
        self.hits, self.lines = hits, lines
        self._view, self._data = view, data

    @property
    def cached(self) -> bool:
        return self.lines > 0

    @property
    def data(self) -> dict[str, Any]:
        """The record's parse (what tomllib gives for its bytes)."""
        if self._data is None:
            try:
                self._data = _replay(self.path, self.sha)
            except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
                self._data = parse_record(self.raw, self.path)  # the cache's ops do not check
                self.lines = 1 if _cache_write(self.path, self.raw, self.sha, self._data,
                                               self._view) is not None else 0
        return self._data

    @property
    def view(self) -> dict[str, Any]:
        """The record's `record_view` (KeyError, TypeError or AttributeError when malformed)."""
        if self._view is None:
            self._view = record_view(self.data)
        return self._view


def load_record(path: Path) -> Loaded:
    """Read a record; from the cache when it holds these very bytes, else parsed and cached.
    InputError when the file is not a readable scopecard.decision/1 record."""
    raw, st = read_bytes_and_stat(path)
    identity = identity_of(st)
    hasher = hashlib.sha256(raw)
    sha = hasher.hexdigest().encode()
    try:
        head = _cache_head(path, sha)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        data = parse_record(raw, path)
        view = _view_or_none(data)
        hits = _cache_write(path, raw, sha, data, view)
        return Loaded(path, raw, hasher, identity, key_lines(raw) if hits is None else hits,
                      0 if hits is None else 1, view, data=data)
    loaded = Loaded(path, raw, hasher, identity, head["hits"], head["n"], head["view"])
    if loaded.lines >= CACHE_MAX_LINES:  # compact: one line again (written before it is changed)
        data = loaded.data
        loaded.lines = 1 if _cache_write(path, raw, sha, data, head["view"]) is not None else 0
    return loaded


def unchanged(path: Path, identity: list[int]) -> bool:
    """Whether the file is still the one read with `identity` (size, mtime, ctime, inode)."""
    return _identity(path) == identity


def prune_cache(decisions_dir: Path, names: set[str]) -> None:
    """Remove cache files of records no longer in decisions/ (`names`: the file names there)."""
    folder = _cache_dir(decisions_dir) / f"{decisions_dir.name}-records"
    try:
        for e in os.scandir(folder):
            if e.name.endswith(".jsonl") and e.name[:-6] not in names:
                os.unlink(e.path)
    except OSError:
        pass


# --- appending a review as text ---------------------------------------------------------------

# Lines that might define the top-level key `reviews` by `key = value` or a dotted key: bare,
# quoted, or any quoted key with an escape (which could spell it). A key/value pair always
# starts a line; a line inside a multi-line string that looks like one only makes the check
# refuse, and a refusal costs a full re-dump, never a wrong file.
# (A leading "\n" instead of ^ with re.M: 34 us instead of 120 us on a 20 KB record.)
_REVIEWS_KEY = re.compile(
    rb'\n[ \t]*(?:reviews|"reviews"|\'reviews\'|"(?:[^"\\\r\n]*\\.)+[^"\\\r\n]*")[ \t]*[=.]')
def review_fragment(entry: dict[str, Any]) -> str:
    """`[[reviews]]` and one entry: the text that appends a review to a record.

    tomli_w writes a short table inline, so the entry is dumped as a document of its own and
    its table headers renamed from the root ([x] -> [reviews.x]). tomli_w writes no multi-line
    strings, so every line starting with "[" is a header. Check the result with
    `checked_fragment`.
    """
    body = tomli_w.dumps(entry)
    return "[[reviews]]\n" + re.sub(r"^\[(\[?)", r"[\1reviews.", body, flags=re.M)


def same_data(a: Any, b: Any) -> bool:
    """Equal, and of the same types throughout (1 == 1.0 == True in Python; not here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_data(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same_data(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN is NaN


def checked_fragment(entry: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """The fragment of a review entry and its parse, checked: parsed alone, it must give
    exactly {"reviews": [entry]}. The parse (in TOML's key order) is what a reader of the
    appended file gets. ValueError when the entry is not TOML data."""
    text = review_fragment(entry)
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"a review fragment does not parse: {e}") from None
    if not same_data(parsed, {"reviews": [entry]}):
        raise ValueError("a review fragment does not parse back to its entry")
    return text.encode(), parsed["reviews"][0]


def key_lines(raw: bytes) -> list[int]:
    """Offsets of the lines of `raw` that might define the top-level `reviews` (the cache keeps
    them with the parse: they are a function of the same bytes)."""
    return [m.start() for m in _REVIEWS_KEY.finditer(b"\n" + raw)]


def appended(raw: bytes, layout: str, hits: list[int],
             fragment: bytes) -> tuple[bytes, bool, list[int]] | None:
    """What to append to a record's bytes to add a checked review fragment, whether `reviews`
    is then the last key (TOML creates a key where it is first defined), and the key lines of
    the bytes with it appended; None when the file's layout does not allow it (then re-dump
    the record instead). `layout` is the view's "reviews", `hits` the record's `key_lines`.

    Appending `[[reviews]]` at the end is valid, and changes nothing but `reviews`, when the
    top-level `reviews` is absent or an array of tables: TOML headers are absolute and tables
    of one array need not be contiguous. A static array (`reviews = [...]`) cannot be extended.
    Everything before is left byte for byte, so the inputs and outputs (the frozen digest)
    cannot change.
    """
    sep = b"\n" if raw.endswith(b"\n") else b"\n\n"
    if layout == "absent":
        last = True
    elif layout == "list" and not hits:  # no `reviews = ...` anywhere: an array of tables
        last = False
    else:
        return None
    # the fragment's own key lines (a price_moves key with an escape, say) stop the next append
    at = len(raw) + len(sep)
    return sep + fragment, last, hits + [at + h for h in key_lines(fragment)]


def review_op(entry: dict[str, Any], last: bool) -> bytes:
    """The op of a cache line that appends `entry` to the reviews (`last` as `appended` said)."""
    return _json({"review": entry, "times": _time_paths(entry), "last": last})


def review_cache_line(loaded: Loaded, new_sha: bytes, view: dict[str, Any], hits: list[int],
                      op: bytes) -> bytes:
    """The cache line that turns `loaded`'s cache into that of its bytes with a review
    appended: `view` and `hits` after it (`view_after_review`, `appended`), `op` its
    `review_op`."""
    return _cache_line(loaded.sha, new_sha, loaded.lines + 1, view, hits, op)


def cache_append(path: Path, line: bytes) -> None:
    """Append a line to a record's cache (a failure only costs a parse on the next read; a
    torn or racing append is refused by the checksums and the sha chain)."""
    try:
        with open(cache_file(path), "ab") as f:
            f.write(line)
    except OSError:
        pass


def dump_record(data: dict[str, Any]) -> str:
    """A record as TOML, its reviews last as [[reviews]] tables so that the next review can be
    appended as text (tomli_w alone writes short tables inline, `reviews = [{...}]`)."""
    reviews = data.get("reviews")
    if not reviews or list(data)[-1] != "reviews" \
            or not all(isinstance(r, dict) for r in reviews):
        return tomli_w.dumps(data)
    text = tomli_w.dumps({k: v for k, v in data.items() if k != "reviews"})
    return text + "".join("\n" + review_fragment(r) for r in reviews)


# --- JSON Schema of a record (as exported to JSON: dates are ISO strings) ----------------------

def _obj(props: dict[str, Any], required: tuple[str, ...] = (), extra: bool = True,
         **more: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": extra, **more}


def _arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


_STR, _INT, _DATE = {"type": "string"}, {"type": "integer"}, {"type": "string", "format": "date"}
_STRS = _arr(_STR)
_ID = {"type": "string", "pattern": ID_PATTERN.pattern}
_QUANTILES = _obj({q: _ref("Number") for q in ("p10", "p50", "p90")}, ("p10", "p50", "p90"))


def _outputs_schema() -> dict[str, Any]:
    check = _obj({"k": _INT, "n": _INT, "errors": _INT, "bar": _ref("Number"),
                  "confidence": _ref("Number"), "low": _ref("Number"), "high": _ref("Number"),
                  "status": {"enum": ["MEETS", "FAILS", "INCONCLUSIVE", "NO DATA"]},
                  "cases_needed": _INT}, ("k", "n", "errors", "bar", "status"))
    candidate = _obj({
        "model": _STR, "price_row": _STR, "excluded": _STR, "warnings": _STRS,
        "tokens": {"type": "object", "additionalProperties": _obj(
            {"tokens": _ref("Number"), "basis": {"enum": ["given", "exact", "estimated"]},
             "method": _STR}, ("tokens", "basis"))},
        "tokens_exact": {"type": "boolean"},
        **{k: _ref("Number") for k in ("input_tokens_per_call", "output_tokens_per_call",
                                       "cost_per_call", "cost_per_call_native", "fx_rate",
                                       "monthly_cost", "peak_tpm")},
        "native_currency": _STR,
        "capability": _obj({"suite": _STR, "status": _STR, "run_ids": _STRS,
                            "overall": check, "tiers": {"type": "object",
                                                        "additionalProperties": check}},
                           ("status", "overall")),
        "point": {"type": "object", "additionalProperties": _ref("Number")},
        "distribution": _obj({"nmb": _QUANTILES, "roi": _QUANTILES,
                              "monthly_ai_cost": _QUANTILES, "p_positive": _ref("Number"),
                              "tornado": _arr(_obj({"input": _STR, "nmb_low": _ref("Number"),
                                                    "nmb_high": _ref("Number")}))},
                             ("nmb", "roi", "p_positive")),
    }, ("model", "cost_per_call", "monthly_cost", "capability", "point"))
    return _obj({
        "verdict": {"enum": ["STOP", "RESEARCH SPIKE", "GO WITH CONDITIONS", "GO"]},
        "chosen": _STR, "reasons": _STRS, "conditions": _STRS, "drivers": _STRS,
        "assumptions": _STRS, "spike": {"type": "object", "additionalProperties": _STR},
        "messages": {"type": "object", "description": "reasons, conditions, drivers and spike "
                     "as message keys with arguments (rubrics/messages.py)"},
        "load": {"type": "object", "additionalProperties": _ref("Number")},
        "candidates": _arr(candidate),
        "alternatives": _arr(_obj({"name": _STR, "nmb": _ref("Number"), "roi": _ref("Number"),
                                   "monthly_cost": _ref("Number"), "one_time": _ref("Number"),
                                   "note": _STR}, ("name", "nmb"))),
    }, ("verdict", "reasons", "candidates"))


def _review_schema() -> dict[str, Any]:
    return _obj({
        "date": _DATE, "engine_version": _STR, "reproduced": {"type": "boolean"},
        "next_due": _DATE,
        "flags": _arr(_obj({"kind": {"enum": list(FLAG_KINDS)}, "message": _STR},
                           ("kind", "message"))),
        "actuals": {"type": "object", "additionalProperties": _ref("Number")},
        "price_moves": {"type": "object", "additionalProperties": _ref("Number")},
    }, ("date", "flags"))


def json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of a decision record as exported to JSON (dates as ISO strings)."""
    from estimators.prices import FxRate, PriceRow
    from rubrics.spec import Spec

    template = "#/$defs/{model}"
    spec = Spec.model_json_schema(by_alias=True, ref_template=template)
    row = PriceRow.model_json_schema(ref_template=template)
    fx = FxRate.model_json_schema(ref_template=template)
    defs: dict[str, Any] = {"Number": {"anyOf": [{"type": "number"}, {"enum": ["inf", "-inf"]}],
                                       "description": "a number; infinities are written as text"}}
    for part in (spec, row):
        for name, schema in part.pop("$defs", {}).items():
            if name in defs:
                raise RuntimeError(f"schema definition {name!r} defined twice")
            defs[name] = schema
    # the record's spec also keeps the hash of each inlined prompt file
    defs["PromptSpec"]["patternProperties"] = {
        "^(system|user|context|output|reasoning)_file_sha256$": {"type": "string",
                                                                "pattern": "^[0-9a-f]{64}$"}}
    defs["Spec"], defs["PriceRow"], defs["FxRate"] = spec, row, fx
    kill = _obj({"metric": _STR, "comparator": {"enum": [">", ">=", "<", "<="]},
                 "threshold": _ref("Number"), "window_days": _INT, "deadline": _DATE,
                 "action": _STR, "note": _STR}, ("metric", "comparator", "threshold", "action"))
    history = _obj({"date": _DATE, "from": {"enum": list(STATUSES)},
                    "to": {"enum": list(STATUSES)}, "note": _STR, "digest": _STR},
                   ("date", "from", "to"))
    tally = _obj({"model": _STR, "difficulty": _STR, "k": _INT, "n": _INT, "errors": _INT,
                  "run_ids": _STRS}, ("model", "difficulty", "k", "n"))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"scopecard decision record ({SCHEMA})",
        **_obj({
            "schema": {"const": SCHEMA}, "id": _ID, "title": _STR,
            "created": {"type": "string", "format": "date-time"},
            "status": {"enum": list(STATUSES)}, "engine_version": _STR, "seed": _INT,
            "as_of": _DATE, "review_due": _DATE, "spec": _ref("Spec"),
            "prices": _arr(_ref("PriceRow")), "fx": _arr(_ref("FxRate")),
            "evals": _obj({"source": _STR, "sha256": _STR, "suite": _STR, "suite_hash": _STR,
                           "tallies": _arr(tally)}, ("source", "suite")),
            "thresholds": _obj({"bar": _ref("Number"), "confidence": _ref("Number"),
                                "target_roi": _ref("Number"), "scenario": _STR,
                                "version": _STR}, ("bar", "confidence", "target_roi")),
            "outputs": _outputs_schema(), "kill_criteria": _arr(kill),
            "reviews": _arr(_review_schema()), "history": _arr(history),
            "supersedes": _arr(_ID), "superseded_by": _ID,
        }, ("schema", "id", "title", "created", "status", "engine_version", "seed", "as_of",
            "review_due", "spec", "prices", "fx", "evals", "thresholds", "outputs",
            "kill_criteria"), extra=False),  # `reviews` comes with the first review
        "$defs": defs,
    }
