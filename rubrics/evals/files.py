"""Eval files that travel: evals/ holds the truth, the SQLite store is a cache of it (DESIGN §5).

- An import keeps the file as imported, content-addressed: `evals/<sha256>.<ext>` (gzip-ed as
  `<sha256>.<ext>.gz` when over 1 MiB), with a small TOML sidecar `evals/<sha256>.toml` saying
  how to read it again (format, suite, options, original name, date). A suite given as a TOML
  file is kept as `evals/suites/<sha256>.toml`. Two people importing the same file make the
  same names; different files never share one.
- Order of writes: the data file, then the sidecar (each whole: temp + fsync + link), then
  the cache. A kill at any point leaves every file whole; a data file without a sidecar is
  ignored, and a sidecar the cache has not seen makes the cache stale.
- The cache (`<workspace>/.cache/evals.sqlite`, git-ignored) records which sidecars it was
  built from. Opening it for reading compares that set with evals/ and rebuilds it, without
  asking, when it is missing, stale (e.g. after a git pull) or unusable. A rebuild loads the
  sidecars sorted by sha, so every clone builds the same store; a file that fails to load is
  reported with its path and skipped.
- `evals remove` leaves the file alone and writes a tombstone `evals/removed/<sha>.toml`
  (the run id and the file it came from), applied after every rebuild.
- A workspace from before evals/ existed (`<workspace>/evals.sqlite`) is migrated once: each
  stored per-case run is exported as a native CSV into evals/, then the old file is renamed
  `evals.sqlite.migrated`, never deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import shutil
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from estimators.atomic import create_exclusive
from estimators.errors import InputError
from estimators.paths import Workspace, ensure_cache_dir
from estimators.safefile import read_capped, read_toml
from rubrics.evals import health
from rubrics.evals.native_csv import native_csv_bytes
from rubrics.evals.results import EvalResult
from rubrics.evals.safeio import DEFAULT_LIMITS, Limits
from rubrics.evals.store import EvalStore, ImportReport, RunRemoval, RunReport, _move_aside
from rubrics.evals.suites import MAX_SUITE_BYTES
from rubrics.keptfiles import GZIP_OVER as GZIP_OVER  # tests and callers read it here
from rubrics.keptfiles import keep_bytes, keep_data, listing, read_kept_sha, read_sidecar_doc

SIDECAR_SCHEMA = "scopecard.evalfile/1"
TOMBSTONE_SCHEMA = "scopecard.evalremoval/1"
_SIDECAR_BYTES = 64 * 1024
_SHA = r"[0-9a-f]{64}"
_SIDECAR = re.compile(rf"{_SHA}\.toml")
_DATA = re.compile(rf"({_SHA})\.(json|eval|csv)(\.gz)?")
_SUITE_REF = re.compile(rf"suites/{_SHA}\.toml")

Notify = Callable[[str], None]


@dataclass(frozen=True)
class Sidecar:
    """One kept eval file: where its bytes are and how to read them again."""

    path: Path  # evals/<sha>.toml
    sha: str
    data: Path  # evals/<sha>.<ext>[.gz]
    format: str
    suite: str  # a suite name, or "" (the file's own suite names)
    suite_file: Path | None  # evals/suites/<sha>.toml when a suite file was given
    allow_partial: bool
    metric: str


@dataclass
class CacheReport:
    """One cache rebuilt from the files: what it was built from and what was skipped."""

    name: str
    cache: Path
    files: int = 0  # files loaded
    runs: int = 0
    results: int = 0
    skipped: list[str] = field(default_factory=list)  # path: why, per file that failed
    notes: list[str] = field(default_factory=list)  # migration and the like
    rows: int | None = None  # daily rows, for a cache of usage (runs and results are evals')


@dataclass
class ReindexReport:
    """What `scopecard reindex` rebuilt: one CacheReport per cache (evals, and more later)."""

    caches: list[CacheReport] = field(default_factory=list)


# ---- the workspace: folders, .gitignore ----------------------------------------------------


def _ext(data: bytes) -> str:
    """The kept file's extension, from what the format is made of."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "eval"  # an Inspect log archive
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if head[:1] in (b"{", b"[") else "csv"


def _keep_data(ws: Workspace, sha: str, data: bytes) -> Path:
    """Store the bytes as evals/<sha>.<ext>, gzip-ed (deterministically) when large."""
    return keep_data(ws.evals_dir, f"{sha}.{_ext(data)}", data)


# ---- sidecars --------------------------------------------------------------------------------


def present(ws: Workspace) -> set[str]:
    """Names (relative to evals/) of every sidecar and tombstone: what a cache must hold."""
    names = {p.name for p in listing(ws.evals_dir) if _SIDECAR.fullmatch(p.name)}
    names |= {f"removed/{p.name}" for p in listing(ws.evals_dir / "removed")
              if _SIDECAR.fullmatch(p.name)}
    return names


def read_sidecar(ws: Workspace, path: Path) -> Sidecar:
    """A sidecar, checked: it may only point at files of its own sha inside evals/."""
    doc, data = read_sidecar_doc(path, SIDECAR_SCHEMA, _DATA, "<json|eval|csv>[.gz]",
                                 _SIDECAR_BYTES)
    source, sha = str(path), path.stem
    suite_file = doc.get("suite_file", "")
    if suite_file and not (isinstance(suite_file, str) and _SUITE_REF.fullmatch(suite_file)):
        raise InputError(f"suite_file = {suite_file!r}; expected suites/<sha256>.toml",
                         file=source, where="suite_file")
    strings: dict[str, str] = {k: doc.get(k, "") for k in ("format", "suite", "metric")}
    for key, value in strings.items():
        if not isinstance(value, str):
            raise InputError("must be a string", file=source, where=key)
    if not isinstance(doc.get("allow_partial", False), bool):
        raise InputError("must be true or false", file=source, where="allow_partial")
    return Sidecar(path, sha, ws.evals_dir / data, strings["format"], strings["suite"],
                   ws.evals_dir / suite_file if suite_file else None,
                   doc.get("allow_partial", False), strings["metric"])


def _sidecar_bytes(data_name: str, fmt: str, suite: str, suite_file: str, allow_partial: bool,
                   metric: str, note: str) -> bytes:
    doc: dict[str, object] = {
        # nothing here may differ between two people importing the same bytes alike (no
        # time, no local file name): their sidecars are then the same file and git merges
        # them without a conflict
        "schema": SIDECAR_SCHEMA, "file": data_name, "format": fmt, "suite": suite,
        "suite_file": suite_file, "allow_partial": allow_partial, "metric": metric}
    if note:
        doc["note"] = note
    return tomli_w.dumps(doc).encode()


# ---- import ------------------------------------------------------------------------------


def import_file(ws: Workspace, path: Path | str, format: str | None = None,
                suite: str | None = None, *, allow_partial: bool = False,
                metric: str | None = None, limits: Limits = DEFAULT_LIMITS,
                notify: Notify | None = None) -> ImportReport:
    """Import one eval file into the workspace: check it, keep it in evals/, then cache it.

    Bad input raises InputError before anything is written. A file already kept (same
    sha256) changes nothing.
    """
    path = Path(path)
    data = read_capped(path, limits.max_file_bytes)
    sha = hashlib.sha256(data).hexdigest()
    sidecar = ws.evals_dir / f"{sha}.toml"
    restored = sidecar.exists() and _restore(ws, sha)  # the store below is then rebuilt
    with open_store(ws, limits, notify) as store:
        store.require_writable()
        pending = store.plan_import(data, str(path), format, suite, allow_partial=allow_partial,
                                    metric=metric)
        if restored:
            return _restored_report(store, pending.report)
        if sidecar.exists():
            pending.report.already_imported = True
            pending.report.warnings = ["this file was already imported; nothing changed"]
            return pending.report
        suite_ref, suite_name = "", suite or ""
        if pending.declared is not None and suite and suite.endswith(".toml"):
            suite_bytes = read_capped(Path(suite), MAX_SUITE_BYTES)
            suite_ref = f"suites/{hashlib.sha256(suite_bytes).hexdigest()}.toml"
            keep_bytes(ws.evals_dir / suite_ref, suite_bytes)
            suite_name = pending.declared.name
        kept = _keep_data(ws, sha, data)
        created = create_exclusive(sidecar, _sidecar_bytes(
            kept.name, pending.report.format, suite_name, suite_ref, allow_partial,
            metric or "", ""))
        try:
            return store.commit_import(pending, kept=[sidecar.name])
        except BaseException:
            if created:  # the cache refused it (a full disk): the import did not happen
                sidecar.unlink(missing_ok=True)
            raise


def _restored_report(store: EvalStore, report: ImportReport) -> ImportReport:
    """The runs of a kept file brought back by importing it again after `evals remove`."""
    runs = [r for r in store.runs() if r.source_sha256 == report.sha256]
    return ImportReport(
        report.file, report.format, report.sha256,
        runs=[RunReport(r.run_id, r.model, r.suite, r.suite_hash, r.metric, r.k, r.n, r.errors,
                        r.approximate) for r in runs],
        warnings=["this file was imported before and runs of it removed; they are back"],
        results=sum(r.n + r.errors for r in runs if not r.aggregate),
        aggregates=sum(r.aggregate for r in runs))


def _restore(ws: Workspace, sha: str) -> bool:
    """Importing a file again brings back its removed runs: drop its tombstones."""
    found = False
    for p in listing(ws.evals_dir / "removed"):
        if not _SIDECAR.fullmatch(p.name):
            continue
        with suppress(InputError):
            if read_toml(p, _SIDECAR_BYTES).get("source_sha256") == sha:
                p.unlink()
                found = True
    return found


# ---- reading: a fresh cache ------------------------------------------------------------------


def open_store(ws: Workspace, limits: Limits = DEFAULT_LIMITS,
               notify: Notify | None = None) -> EvalStore:
    """The eval store, rebuilt first when missing, stale or unusable (and a legacy store
    migrated). `notify` hears about files skipped on the way."""
    if ws.legacy_evals_db.is_file():
        for line in migrate_legacy(ws, limits):
            _tell(notify, line)
    try:
        store = EvalStore(ws.evals_db, limits) if ws.evals_db.exists() else None
    except health.UnusableStore as e:
        _tell(notify, f"{e.problem}; rebuilding it from {ws.evals_dir}")
        store = None
    if store is not None:
        try:
            if store.kept() == present(ws):
                return store
        except health.UnusableStore as e:
            _tell(notify, f"{e.problem}; rebuilding it from {ws.evals_dir}")
        store.close()
    report = rebuild_cache(ws, limits)
    for line in report.skipped:
        _tell(notify, f"skipped {line}")
    return EvalStore(ws.evals_db, limits)


def _tell(notify: Notify | None, line: str) -> None:
    if notify is not None:
        notify(line)


def rebuild_cache(ws: Workspace, limits: Limits = DEFAULT_LIMITS) -> CacheReport:
    """Build a fresh eval store from every sidecar (sorted by sha) and rename it over the cache.

    Tombstones (evals remove) are applied after every file is loaded. A file that fails to
    load is reported with its path and skipped; it is still recorded as seen, so the cache is
    not rebuilt again until evals/ changes.
    """
    ensure_cache_dir(ws)
    cache = ws.evals_db
    report = CacheReport("evals", cache)
    names = sorted(present(ws))
    fresh = cache.with_name(f".{cache.name}.rebuild-{secrets.token_hex(6)}")
    try:
        with EvalStore(fresh, limits) as store:
            for name in names:
                if name.startswith("removed/"):
                    continue
                _load(ws, store, ws.evals_dir / name, report)
            for name in names:
                if name.startswith("removed/"):
                    _apply_tombstone(store, ws.evals_dir / name, report)
            store.keep(names)
        for p in health.sidecars(cache):  # an old -wal must never be replayed into the new file
            p.unlink(missing_ok=True)
        os.replace(fresh, cache)
    finally:
        for p in (fresh, *health.sidecars(fresh)):
            p.unlink(missing_ok=True)
    return report


def _load(ws: Workspace, store: EvalStore, path: Path, report: CacheReport) -> None:
    """Ingest one kept file into the fresh store, or note why not."""
    try:
        sc = read_sidecar(ws, path)
        data = read_kept_sha(sc.data, sc.sha, store.limits.max_file_bytes)
        suite = str(sc.suite_file) if sc.suite_file else (sc.suite or None)
        if sc.suite_file is not None and not sc.suite_file.is_file():
            raise InputError(f"the suite file it names is missing: {sc.suite_file}",
                             file=str(path))
        pending = store.plan_import(data, str(sc.data), sc.format or None, suite,
                                    allow_partial=sc.allow_partial, metric=sc.metric or None,
                                    name=sc.data.name)
        done = store.commit_import(pending)
    except InputError as e:
        report.skipped.append(str(e) if e.file else f"{path}: {e}")
        return
    report.files += 1
    report.runs += len(done.run_ids)
    report.results += done.results


def _apply_tombstone(store: EvalStore, path: Path, report: CacheReport) -> None:
    """Take out the run a tombstone names, when the cache holds it from that file."""
    try:
        doc = read_toml(path, _SIDECAR_BYTES)
        if doc.get("schema") != TOMBSTONE_SCHEMA:
            raise InputError(f"schema is {doc.get('schema')!r}; expected {TOMBSTONE_SCHEMA!r}",
                             file=str(path), where="schema")
        run_id, source = str(doc.get("run_id", "")), str(doc.get("source_sha256", ""))
    except InputError as e:
        report.skipped.append(str(e))
        return
    if any(r.run_id == run_id and r.source_sha256 == source for r in store.runs()):
        store.remove_run(run_id)
        report.runs -= 1


def reindex(ws: Workspace, limits: Limits = DEFAULT_LIMITS) -> ReindexReport:
    """Rebuild every cache of the workspace from its files (`scopecard reindex`)."""
    notes: list[str] = []
    if ws.legacy_evals_db.is_file():
        notes = migrate_legacy(ws, limits)
    evals = rebuild_cache(ws, limits)
    evals.notes[:0] = notes
    from rubrics.pipeline import catalogue_for  # the usage cache maps models by the catalogue
    from rubrics.usage.files import rebuild_cache as rebuild_usage

    usage = rebuild_usage(ws, catalogue_for(ws))
    return ReindexReport([evals, CacheReport("usage", usage.cache, usage.files,
                                             skipped=usage.skipped, rows=usage.rows)])


# ---- removing a run --------------------------------------------------------------------------


def remove_run(ws: Workspace, run_id: str, limits: Limits = DEFAULT_LIMITS) -> RunRemoval:
    """Take one run out: a tombstone in evals/removed/ (shared), then out of the cache."""
    with open_store(ws, limits) as store:
        store.require_writable()
        store.removal(run_id)  # unknown run: InputError with close matches
        source = next(r.source_sha256 for r in store.runs() if r.run_id == run_id)
        key = hashlib.sha256(f"{source}\n{run_id}".encode()).hexdigest()
        name = f"removed/{key}.toml"
        create_exclusive(ws.evals_dir / name, tomli_w.dumps({
            # no time: two people removing the same run write the same file (no git conflict)
            "schema": TOMBSTONE_SCHEMA, "run_id": run_id, "source_sha256": source}).encode())
        removal = store.remove_run(run_id)
        store.keep([name])
    return removal


# ---- migration from the root evals.sqlite ----------------------------------------------------


def migrate_legacy(ws: Workspace, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Export the old root store's per-case runs into evals/ as native CSVs, then rename it
    `evals.sqlite.migrated`. What cannot be exported is said; the old file is never deleted.

    Safe to repeat after a kill: the CSVs are content-addressed and written whole.
    """
    old = ws.legacy_evals_db
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    ensure_cache_dir(ws)
    copy = ws.cache_dir / f".legacy-{secrets.token_hex(6)}.sqlite"
    notes: list[str] = []
    try:
        for src, dst in zip((old, *health.sidecars(old)), (copy, *health.sidecars(copy)),
                            strict=True):
            if src.is_file():  # the copy is migrated to the new schema, the user's file is not
                shutil.copyfile(src, dst)
        with EvalStore(copy, limits) as store:
            notes = _export(ws, store, stamp, limits)
    except (InputError, sqlite3.Error) as e:
        aside = _move_aside(old, stamp)
        return [f"{old} could not be read ({e}); moved aside to {aside}, not deleted"]
    finally:
        for p in (copy, *health.sidecars(copy)):
            p.unlink(missing_ok=True)
    done = old.with_name(old.name + ".migrated")
    for src, dst in zip((old, *health.sidecars(old)), (done, *health.sidecars(done)),
                        strict=True):
        if src.exists():
            os.replace(src, dst)
    return [*notes, f"{old} was migrated into {ws.evals_dir}; the old file is kept as {done}"]


def _export(ws: Workspace, store: EvalStore, stamp: str, limits: Limits) -> list[str]:
    """One native CSV per imported source file, kept the way an import keeps a file."""
    by_source: dict[str, list[EvalResult]] = defaultdict(list)
    names: dict[str, str] = {}
    notes: list[str] = []
    for run in store.runs():
        if run.aggregate:
            notes.append(f"run {run.run_id} ({run.model} on {run.suite}) holds only a k/n "
                         "aggregate, which a native CSV cannot carry; import its file again")
            continue
        by_source[run.source_sha256].extend(store.run_results(run.run_id))
        names[run.source_sha256] = run.source_name
    note = f"migrated from evals.sqlite on {stamp[:8]}"
    for sha in sorted(by_source):
        data = native_csv_bytes(by_source[sha])
        new_sha = hashlib.sha256(data).hexdigest()
        sidecar = ws.evals_dir / f"{new_sha}.toml"
        if sidecar.exists():
            continue
        kept = _keep_data(ws, new_sha, data)
        create_exclusive(sidecar, _sidecar_bytes(kept.name, "native", "", "", False, "",
                                                 f"{note} (was {names[sha]})"))
    return notes
