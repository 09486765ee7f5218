"""The eval store: an embedded SQLite database of suites, cases, runs and results (DESIGN §5).

- One transaction per import; a file already imported (same sha256) changes nothing.
- A run is one model on one suite from one file. The suite it is filed under is identified by
  its name *and* the hash of the cases the run covered (or the declared suite's cases), so
  results are only ever compared on the same cases.
- Per-run tallies (k, n, errors per difficulty) are written with the run, in the same
  transaction. Results are never edited afterwards, so the capability query reads those small
  rows instead of re-counting millions of result rows.
- When a model has several runs on the same suite, the latest graded run counts: repeats of
  the same cases are not independent evidence (`all_runs=True` pools them anyway).
- Every score is on the 0..1 scale. A score that is not (nan, inf, 1e308, 85 on a 0..100 scale)
  is dropped at import with a count in the warnings, and the case keeps its pass/fail: the
  capability check reads pass/fail, so one bad cell must not cost a whole run, and sums of 0..1
  scores cannot overflow.
- A file is checked on open (0 bytes, not SQLite, `PRAGMA quick_check`); a query that still hits
  a damaged page runs the full integrity check. Each problem has its own message (see
  rubrics.evals.health). In a workspace the store is a cache of the files under evals/
  (rubrics.evals.files), rebuilt from them when it is missing, stale or damaged.
  A store this process may not write is opened read-only: reads work, writes are refused.
"""

from __future__ import annotations

import datetime as dt
import errno
import functools
import hashlib
import json
import os
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

from estimators.errors import InputError, close_names
from estimators.safefile import read_capped
from rubrics.capability import wilson
from rubrics.evals import health
from rubrics.evals.detect import normalize_format, parse_bytes
from rubrics.evals.results import EvalResult, Parsed, Tally
from rubrics.evals.safeio import DEFAULT_LIMITS, Limits
from rubrics.evals.suites import Suite, SuiteCase, load_suite, suite_hash

SCHEMA_VERSION = 2
_MIGRATIONS: list[list[str]] = [
    [  # 0 -> 1
        """CREATE TABLE sources (
            sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, format TEXT NOT NULL,
            size INTEGER NOT NULL, imported_at TEXT NOT NULL)""",
        """CREATE TABLE suites (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL DEFAULT '',
            hash TEXT NOT NULL, n_cases INTEGER NOT NULL, declared INTEGER NOT NULL DEFAULT 0,
            aggregate INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
            UNIQUE (name, hash))""",
        """CREATE TABLE cases (
            suite_id INTEGER NOT NULL REFERENCES suites(id), case_id TEXT NOT NULL,
            difficulty TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT '',
            combines TEXT NOT NULL DEFAULT '[]', tags TEXT NOT NULL DEFAULT '[]',
            desensitized INTEGER, PRIMARY KEY (suite_id, case_id)) WITHOUT ROWID""",
        """CREATE TABLE runs (
            seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
            source_sha256 TEXT NOT NULL REFERENCES sources(sha256), tool TEXT NOT NULL,
            model TEXT NOT NULL, vendor TEXT NOT NULL, date TEXT NOT NULL, metric TEXT NOT NULL,
            suite_id INTEGER NOT NULL REFERENCES suites(id), approximate INTEGER NOT NULL,
            aggregate INTEGER NOT NULL, mean REAL, stderr REAL, fingerprint TEXT NOT NULL,
            first_result INTEGER, n_results INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX runs_model_suite ON runs (model, suite_id)",
        """CREATE TABLE run_tallies (
            run_seq INTEGER NOT NULL REFERENCES runs(seq), difficulty TEXT NOT NULL,
            k INTEGER NOT NULL, n INTEGER NOT NULL, errors INTEGER NOT NULL,
            score_sum REAL NOT NULL, score_n INTEGER NOT NULL,
            PRIMARY KEY (run_seq, difficulty)) WITHOUT ROWID""",
        # A run's results get consecutive ids (first_result .. first_result + n_results - 1),
        # so reading one run is a range scan on the primary key and needs no extra index.
        """CREATE TABLE results (
            id INTEGER PRIMARY KEY, run_seq INTEGER NOT NULL REFERENCES runs(seq),
            case_id TEXT NOT NULL, passed INTEGER, score REAL, error TEXT)""",
    ],
    [  # 1 -> 2: the files under <workspace>/evals/ this cache was built from (see files.py)
        "CREATE TABLE kept (name TEXT PRIMARY KEY) WITHOUT ROWID",
    ],
]


@dataclass(frozen=True)
class RunReport:
    run_id: str
    model: str
    suite: str
    suite_hash: str
    metric: str
    k: int
    n: int
    errors: int
    approximate: bool
    duplicate_of: str = ""  # set when the same run was already stored from another file


@dataclass
class ImportReport:
    file: str
    format: str
    sha256: str
    already_imported: bool = False
    runs: list[RunReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: int = 0  # per-case rows stored
    aggregates: int = 0  # aggregate (k of n) runs stored

    @property
    def run_ids(self) -> list[str]:
        return [r.run_id for r in self.runs if not r.duplicate_of]

    @property
    def passed(self) -> int:
        return sum(r.k for r in self.runs if not r.duplicate_of)

    @property
    def graded(self) -> int:
        return sum(r.n for r in self.runs if not r.duplicate_of)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs if not r.duplicate_of)


@dataclass
class PendingImport:
    """A parsed, checked import not yet written: `EvalStore.commit_import` stores it."""

    report: ImportReport
    name: str  # the file name recorded as the source
    size: int
    declared: Suite | None
    runs: list[_Run]


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    tool: str
    model: str
    vendor: str
    date: str
    metric: str
    suite: str
    suite_hash: str
    source_sha256: str
    source_name: str
    approximate: bool
    aggregate: bool
    k: int
    n: int
    errors: int


@dataclass(frozen=True)
class SuiteInfo:
    name: str
    version: str
    hash: str
    n_cases: int
    declared: bool
    aggregate: bool
    runs: int
    models: tuple[str, ...]


@dataclass
class _Cases:
    """A run's cases: identity triples, plus metadata only for cases that have any."""

    keys: list[tuple[str, str, str]]
    extra: dict[str, tuple[str, str, int | None]]

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self) -> Iterator[tuple[str, str, str, str, str, int | None]]:
        default = ("[]", "[]", None)
        for cid, diff, kind in self.keys:
            yield (cid, diff, kind, *self.extra.get(cid, default))


@dataclass
class _Run:
    """One run ready to insert: computed in Python before the transaction opens."""

    run_id: str
    tool: str
    model: str
    vendor: str
    date: str
    metric: str
    suite: str
    version: str
    aggregate: bool
    approximate: bool
    mean: float | None
    stderr: float | None
    hash: str
    cases: _Cases
    rows: list[tuple[str, int | None, float | None, str | None]]
    tallies: dict[str, list[float]]  # difficulty -> k, n, errors, score_sum, score_n
    fingerprint: str


def _no_duplicates(suite: Suite) -> None:
    dupes = len(suite.cases) - len({c.id for c in suite.cases})
    if dupes:
        raise InputError(f"suite {suite.name!r} has {dupes} duplicate case id(s); fix them "
                         "before using it", file=suite.path or None)


def _inserted_id(cur: sqlite3.Cursor) -> int:
    """The rowid of the row an INSERT just made (sqlite3 gives None only when none was)."""
    if cur.lastrowid is None:
        raise RuntimeError("the INSERT made no row")
    return cur.lastrowid


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_ALREADY = "this file was already imported; nothing changed"
_P = ParamSpec("_P")
_T = TypeVar("_T")
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def _guarded(method: Callable[Concatenate[EvalStore, _P], _T]
             ) -> Callable[Concatenate[EvalStore, _P], _T]:
    """A store method whose SQLite errors become an InputError saying what is wrong."""

    @functools.wraps(method)
    def wrapper(self: EvalStore, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            raise self._error(e) from None

    return wrapper


def _writable(path: Path) -> bool:
    """Whether this process may write the store; SQLite also writes -wal and -shm beside it."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _on_scale(x: float | None) -> bool:
    """A score on the 0..1 scale; False for nan, inf and anything off the scale."""
    return x is not None and 0.0 <= x <= 1.0


class EvalStore:
    """The eval database at `path` (created on first use; WAL mode; checked and migrated on
    open; read-only when this process may not write it)."""

    def __init__(self, path: Path | str, limits: Limits = DEFAULT_LIMITS):
        self.path = Path(path) if str(path) != ":memory:" else path
        self.limits = limits
        self.read_only = False
        self._db: sqlite3.Connection | None = None
        try:
            self._open()
        except sqlite3.Error as e:
            error = self._error(e)
            self._abandon()
            raise error from None
        except BaseException:
            self._abandon()
            raise

    def _open(self) -> None:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            health.check_file(self.path)
            if not self.path.exists():
                self._create()
            self.read_only = not _writable(self.path)
        self._db = self._connect()
        if isinstance(self.path, Path):
            problems = health.integrity_problems(self._db, "quick_check")
            if problems:
                raise health.damaged(self.path, problems, "quick check")
        self._migrate()
        if not self.read_only:
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute("PRAGMA foreign_keys = ON")

    @property
    def _conn(self) -> sqlite3.Connection:
        """The open connection; a query on a closed store is a programming error."""
        if self._db is None:
            raise RuntimeError(f"the eval store {self.path} is closed")
        return self._db

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:  # SQLite itself then refuses every write on this connection
            target = f"file:{quote(str(Path(self.path).resolve()))}?mode=ro"
            db = sqlite3.connect(target, timeout=30.0, isolation_level=None, uri=True)
        else:
            db = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        return db

    def _create(self) -> None:
        """Make a new store under a temporary name and link it into place, so no reader ever
        finds a half-made (0-byte) store; when another process made one first, theirs wins."""
        path = Path(self.path)
        tmp = path.with_name(f".{path.name}.new-{secrets.token_hex(6)}")
        try:
            self._db = sqlite3.connect(str(tmp), isolation_level=None)
            self._migrate()
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.close()
            self._db = None
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            except OSError as e:
                if e.errno not in _NO_HARD_LINKS:
                    raise
                if not path.exists():  # a filesystem without hard links: a narrow race remains
                    os.replace(tmp, path)
        finally:
            self._abandon()
            for p in (tmp, *health.sidecars(tmp)):
                p.unlink(missing_ok=True)

    def _error(self, e: sqlite3.Error) -> InputError:
        """What a SQLite error means for this store; damage is confirmed by integrity_check."""
        if not health.is_damage(e):
            return health.explain(e, self.path)
        problems = health.integrity_problems(self._db, "integrity_check") if self._db else []
        if problems or self._db is None:
            return health.damaged(Path(self.path), problems or [str(e)], "integrity check")
        return InputError(f"a query failed ({e}), but SQLite's integrity check found no damage; "
                          "run the command again", file=str(self.path))

    # ---- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._abandon()

    def _abandon(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> EvalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def require_writable(self) -> None:
        """Refuse (InputError) when this process may not write the store."""
        if self.read_only:
            raise health.read_only(Path(self.path))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE so two importers queue instead of failing.

        Anything that fails, COMMIT included (a full disk), rolls the whole transaction back.
        """
        self.require_writable()
        db = self._conn
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                with suppress(sqlite3.Error):  # a failed rollback must not hide the cause
                    db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise InputError(f"eval store schema {version} is newer than this scopecard "
                             f"understands ({SCHEMA_VERSION}); upgrade scopecard",
                             file=str(self.path))
        if version == 0:
            tables = self._conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            if tables:
                raise health.UnusableStore(
                    "foreign", "a SQLite database that is not a scopecard eval store",
                    Path(self.path))
        if version == SCHEMA_VERSION:
            return
        with self._tx() as db:
            for step in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[step]:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # ---- suites ------------------------------------------------------------------------

    @_guarded
    def add_suite(self, suite: Suite | Path | str) -> SuiteInfo:
        """Register a declared suite (a Suite or a suite TOML path); idempotent."""
        if not isinstance(suite, Suite):
            suite, _ = load_suite(Path(suite))
        _no_duplicates(suite)
        with self._tx() as db:
            self._declare(db, suite)
        return next(s for s in self.suites() if s.name == suite.name and s.hash == suite.hash)

    def _declare(self, db: sqlite3.Connection, suite: Suite) -> int:
        row = db.execute("SELECT id, declared FROM suites WHERE name=? AND hash=?",
                         (suite.name, suite.hash)).fetchone()
        cases = [(c.id, c.difficulty, c.kind, json.dumps(list(c.combines)),
                  json.dumps(list(c.tags)), int(c.desensitized)) for c in suite.cases]
        if row:
            if not row[1]:  # seen in results first: now the declaration adds its metadata
                db.execute("UPDATE suites SET declared=1, version=? WHERE id=?",
                           (suite.version, row[0]))
                db.executemany(
                    "UPDATE cases SET combines=?, tags=?, desensitized=? "
                    "WHERE suite_id=? AND case_id=?",
                    [(c[3], c[4], c[5], row[0], c[0]) for c in cases])
            return row[0]
        cur = db.execute(
            "INSERT INTO suites (name, version, hash, n_cases, declared, aggregate, created_at) "
            "VALUES (?, ?, ?, ?, 1, 0, ?)", (suite.name, suite.version, suite.hash,
                                             len(cases), _now()))
        sid = _inserted_id(cur)
        db.executemany("INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(sid, *c) for c in cases])
        return sid

    def _declared(self, name: str) -> Suite | None:
        """The most recently declared suite of that name, rebuilt from the store."""
        row = self._conn.execute(
            "SELECT id, version FROM suites WHERE name=? AND declared=1 ORDER BY id DESC LIMIT 1",
            (name,)).fetchone()
        if not row:
            return None
        cases = tuple(
            SuiteCase(cid, diff, kind, cid, tuple(json.loads(comb)), tuple(json.loads(tags)),
                      bool(des))
            for cid, diff, kind, comb, tags, des in self._conn.execute(
                "SELECT case_id, difficulty, kind, combines, tags, desensitized FROM cases "
                "WHERE suite_id=?", (row[0],)))
        return Suite(name, row[1], "", cases)

    # ---- import ------------------------------------------------------------------------

    @_guarded
    def import_file(self, path: Path | str, format: str | None = None, suite: str | None = None,
                    *, allow_partial: bool = False, metric: str | None = None) -> ImportReport:
        """Import one results file. Refusals raise InputError and leave the store unchanged.

        `suite` names the suite the results belong to. When it is a suite TOML file, or the
        name of a suite registered with add_suite, its cases supply difficulty and kind and
        the run is filed under that suite when it covers exactly its cases.
        """
        self.require_writable()  # before reading and parsing a file that cannot be stored
        path = Path(path)
        data = read_capped(path, self.limits.max_file_bytes)
        pending = self.plan_import(data, str(path), format, suite, allow_partial=allow_partial,
                                   metric=metric)
        return self.commit_import(pending)

    @_guarded
    def plan_import(self, data: bytes, source: str, format: str | None = None,
                    suite: str | None = None, *, allow_partial: bool = False,
                    metric: str | None = None, name: str = "") -> PendingImport:
        """Parse and check `data` (read from `source`, recorded as `name` or the source's file
        name) without writing: InputError on bad input.

        A file already stored (same sha256) gives a pending import that changes nothing.
        """
        fmt = normalize_format(format)
        sha = hashlib.sha256(data).hexdigest()
        name = name or Path(source).name
        known = self._conn.execute("SELECT format FROM sources WHERE sha256=?", (sha,)).fetchone()
        if known:
            return PendingImport(ImportReport(source, known[0], sha, already_imported=True,
                                              warnings=[_ALREADY]), name, len(data), None, [])
        declared: Suite | None = None
        suite_name = suite
        if suite and suite.endswith(".toml") and Path(suite).is_file():
            declared, _ = load_suite(Path(suite))
            _no_duplicates(declared)
            suite_name = declared.name
        elif suite:
            declared = self._declared(suite)
        parsed = parse_bytes(data, source, sha=sha, format=fmt, suite=suite_name,
                             allow_partial=allow_partial, metric=metric, limits=self.limits)
        report = ImportReport(source, parsed.format, sha, warnings=list(parsed.warnings))
        runs = self._plan(parsed, declared, report)
        return PendingImport(report, name, len(data), declared, runs)

    @_guarded
    def commit_import(self, pending: PendingImport, kept: Iterable[str] = ()) -> ImportReport:
        """Store a planned import in one transaction, recording the `kept` file names with it."""
        report = pending.report
        with self._tx() as db:
            self._keep(db, kept)
            if report.already_imported:
                return report
            if db.execute("SELECT 1 FROM sources WHERE sha256=?", (report.sha256,)).fetchone():
                return ImportReport(report.file, report.format, report.sha256,
                                    already_imported=True, warnings=[_ALREADY])
            db.execute("INSERT INTO sources VALUES (?, ?, ?, ?, ?)",
                       (report.sha256, pending.name, report.format, pending.size, _now()))
            if pending.declared is not None:
                self._declare(db, pending.declared)
            for run in pending.runs:
                report.runs.append(self._insert_run(db, run, report.sha256, report))
        for r in report.runs:
            if 0 < r.n < 30 and not r.duplicate_of:
                low, high = wilson(r.k, r.n, 0.95)
                report.warnings.append(
                    f"{r.model} on {r.suite}: only {r.n} graded case(s), {r.k}/{r.n}; the 95% "
                    f"interval is {low:.2f}–{high:.2f}, too wide to decide much")
        return report

    @staticmethod
    def _keep(db: sqlite3.Connection, names: Iterable[str]) -> None:
        db.executemany("INSERT OR IGNORE INTO kept VALUES (?)", ((n,) for n in names))

    @_guarded
    def keep(self, names: Iterable[str]) -> None:
        """Record files under evals/ as held by this cache (one whose content failed too)."""
        with self._tx() as db:
            self._keep(db, names)

    @_guarded
    def kept(self) -> set[str]:
        """The names of the files under evals/ this cache was built from."""
        return {r[0] for r in self._conn.execute("SELECT name FROM kept")}

    def _plan(self, parsed: Parsed, declared: Suite | None, report: ImportReport) -> list[_Run]:
        groups: dict[tuple[str, str, str], list[EvalResult]] = defaultdict(list)
        for r in parsed.results:
            groups[(r.run_id, r.model, r.suite)].append(r)
        ids_per_run: dict[str, int] = defaultdict(int)
        for run_id, _, _ in groups:
            ids_per_run[run_id] += 1
        meta = declared.by_id() if declared else {}
        versions = parsed.suite_versions or {}
        runs: list[_Run] = []
        counters = {"outside": 0, "conflicts": 0, "off_scale": 0}
        hash_cache: dict[tuple[tuple[str, str, str], ...], str] = {}
        for (run_id, model, suite_name), rows in groups.items():
            first = rows[0]
            if ids_per_run[run_id] > 1:  # one id for several models or suites: keep them apart
                run_id = f"{run_id}|{model}|{suite_name}"
            aggregate = first.aggregate
            if aggregate:
                if len(rows) != 1:
                    raise InputError(f"run {run_id} has {len(rows)} aggregate rows",
                                     file=report.file)
                version = versions.get(suite_name, "")
                mean = first.score if _on_scale(first.score) else None
                counters["off_scale"] += first.score is not None and mean is None
                stderr = first.stderr if _on_scale(first.stderr) else None  # of a 0..1 mean
                h = hashlib.sha256(f"aggregate\n{suite_name}\n{version}\n{first.metric}\n"
                                   f"{first.n}".encode()).hexdigest()
                runs.append(_Run(
                    run_id, parsed.format, model, first.vendor, first.timestamp, first.metric,
                    suite_name, version, True, True, mean, stderr, h,
                    _Cases([], {}), [],
                    {"all": [first.k or 0, first.n, 0, 0.0, 0]},
                    hashlib.sha256(f"{first.k}/{first.n}/{first.score}".encode()).hexdigest()))
                continue
            runs.append(self._plan_cases(run_id, model, suite_name, rows, parsed, meta,
                                         versions, counters, hash_cache, report.file))
        outside, conflicts = counters["outside"], counters["conflicts"]
        if counters["off_scale"]:
            report.warnings.append(f"{counters['off_scale']} score(s) not a finite number in "
                                   "0..1 (nan, inf or another scale) were dropped; pass/fail "
                                   "kept")
        if declared is not None:
            if outside:
                report.warnings.append(f"{outside} result(s) are for cases not in the declared "
                                       f"suite {declared.name!r}; filed under their own hash")
            if conflicts:
                report.warnings.append(f"{conflicts} result(s) disagree with the declared "
                                       "difficulty/kind; the declaration wins")
            for run in runs:
                if run.hash != declared.hash and not run.aggregate:
                    report.warnings.append(
                        f"run {run.run_id} covers {len(run.cases)} case(s), not exactly the "
                        f"{len(declared.cases)} declared in {declared.name!r}: it is filed as a "
                        "different suite (hash) and not compared with full runs")
        return runs

    @staticmethod
    def _plan_cases(run_id: str, model: str, suite_name: str, rows: list[EvalResult],
                    parsed: Parsed, meta: dict[str, SuiteCase], versions: dict[str, str],
                    counters: dict[str, int],
                    hash_cache: dict[tuple[tuple[str, str, str], ...], str], source: str) -> _Run:
        """A per-case run: rows, case metadata, tallies and hash, in one pass (hot loop)."""
        first = rows[0]
        keys: list[tuple[str, str, str]] = []  # (case id, difficulty, kind): the suite identity
        extra: dict[str, tuple[str, str, int | None]] = {}  # combines, tags, desensitized
        out_rows: list[tuple[str, int | None, float | None, str | None]] = []
        tallies: dict[str, list[float]] = {"all": [0, 0, 0, 0.0, 0]}
        total = tallies["all"]
        approximate = False
        add_key, add_row = keys.append, out_rows.append
        for r in rows:
            cid, diff, kind = r.case_id, r.difficulty, r.kind
            if meta:
                m = meta.get(cid)
                if m is not None:
                    if (diff and diff != m.difficulty) or (kind and kind != m.kind):
                        counters["conflicts"] += 1
                    diff, kind = m.difficulty, m.kind
                    extra[cid] = (json.dumps(list(m.combines)),
                                  json.dumps(sorted(set(m.tags) | set(r.tags))),
                                  int(m.desensitized))
                else:
                    counters["outside"] += 1
            if r.tags and cid not in extra:
                extra[cid] = ("[]", json.dumps(list(r.tags)), None)
            add_key((cid, diff, kind))
            p = r.passed
            score = r.score
            if score is not None and not 0.0 <= score <= 1.0:  # nan fails both comparisons
                counters["off_scale"] += 1
                score = None
            if r.approximate:
                approximate = True
            if p is None:
                add_row((cid, None, score, r.error or None))
                total[2] += 1
                if diff:
                    tallies.setdefault(diff, [0, 0, 0, 0.0, 0])[2] += 1
                continue
            passed = 1 if p else 0
            add_row((cid, passed, score, r.error or None))
            for t in (total, tallies.setdefault(diff, [0, 0, 0, 0.0, 0])) if diff else (total,):
                t[0] += passed
                t[1] += 1
                if score is not None:
                    t[3] += score
                    t[4] += 1
        if len({k[0] for k in keys}) != len(keys):  # rare: then find the first repeated case
            seen: set[str] = set()
            for case, _, _ in keys:
                if case in seen:
                    raise InputError(f"case {case!r} appears more than once in run {run_id!r} "
                                     f"(model {model}, suite {suite_name}); give repeated passes "
                                     "their own run_id", file=source)
                seen.add(case)
        # Runs on the same cases (every model of a suite) share one hash computation.
        key = tuple(keys)
        h = hash_cache.get(key)
        if h is None:
            h = hash_cache[key] = suite_hash(key)
        fingerprint = hashlib.sha256(repr(out_rows).encode()).hexdigest()
        cases = _Cases(keys, extra)
        return _Run(run_id, parsed.format, model, first.vendor, first.timestamp, first.metric,
                    suite_name, versions.get(suite_name, ""), False, approximate, None, None, h,
                    cases, out_rows, tallies, fingerprint)

    def _suite_id(self, db: sqlite3.Connection, run: _Run) -> int:
        row = db.execute("SELECT id FROM suites WHERE name=? AND hash=?",
                         (run.suite, run.hash)).fetchone()
        if row:
            return int(row[0])
        n_cases = run.tallies["all"][1] if run.aggregate else len(run.cases)
        cur = db.execute(
            "INSERT INTO suites (name, version, hash, n_cases, declared, aggregate, created_at) "
            "VALUES (?, ?, ?, ?, 0, ?, ?)",
            (run.suite, run.version, run.hash, int(n_cases), int(run.aggregate), _now()))
        sid = _inserted_id(cur)
        if len(run.cases):
            db.executemany("INSERT OR IGNORE INTO cases VALUES (?, ?, ?, ?, ?, ?, ?)",
                           ((sid, *c) for c in run.cases.rows()))
        return sid

    def _insert_run(self, db: sqlite3.Connection, run: _Run, sha: str,
                    report: ImportReport) -> RunReport:
        t = run.tallies["all"]
        run_id = run.run_id
        existing = db.execute("SELECT r.fingerprint, s.name FROM runs r JOIN sources s "
                              "ON s.sha256 = r.source_sha256 WHERE r.id=?", (run_id,)).fetchone()
        if existing and existing[0] == run.fingerprint:
            report.warnings.append(f"run {run_id} is already stored (from {existing[1]}); "
                                   "not added again")
            return RunReport(run_id, run.model, run.suite, run.hash, run.metric, int(t[0]),
                             int(t[1]), int(t[2]), run.approximate, duplicate_of=existing[1])
        if existing:  # same id, different content: keep both, told apart by this file's hash
            run_id = f"{run_id}~{sha[:8]}"
            report.warnings.append(f"run id {run.run_id} already exists with other results; "
                                   f"stored as {run_id}")
        sid = self._suite_id(db, run)
        cur = db.execute(
            "INSERT INTO runs (id, source_sha256, tool, model, vendor, date, metric, suite_id, "
            "approximate, aggregate, mean, stderr, fingerprint) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, sha, run.tool, run.model, run.vendor, run.date, run.metric, sid,
             int(run.approximate), int(run.aggregate), run.mean, run.stderr, run.fingerprint))
        seq = cur.lastrowid
        db.executemany("INSERT INTO run_tallies VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [(seq, d, int(v[0]), int(v[1]), int(v[2]), float(v[3]), int(v[4]))
                        for d, v in run.tallies.items()])
        if run.rows:
            first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM results").fetchone()[0]
            db.executemany("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?)",
                           ((first + i, seq, *row) for i, row in enumerate(run.rows)))
            db.execute("UPDATE runs SET first_result=?, n_results=? WHERE seq=?",
                       (first, len(run.rows), seq))
            report.results += len(run.rows)
        else:
            report.aggregates += 1
        return RunReport(run_id, run.model, run.suite, run.hash, run.metric, int(t[0]),
                         int(t[1]), int(t[2]), run.approximate)

    # ---- queries -----------------------------------------------------------------------

    def _run_rows(self, models: Iterable[str] | None = None) -> list[sqlite3.Row]:
        sql = ("SELECT r.seq, r.id, r.tool, r.model, r.vendor, r.date, r.metric, r.approximate, "
               "r.aggregate, r.mean, r.stderr, r.source_sha256, so.name AS source_name, "
               "r.first_result, r.n_results, "
               "s.id AS suite_id, s.name AS suite, s.hash AS suite_hash, "
               "t.k, t.n, t.errors FROM runs r JOIN suites s ON s.id = r.suite_id "
               "JOIN sources so ON so.sha256 = r.source_sha256 "
               "LEFT JOIN run_tallies t ON t.run_seq = r.seq AND t.difficulty = 'all'")
        params: list[str] = []
        if models is not None:
            models = list(models)
            sql += f" WHERE r.model IN ({','.join('?' * len(models))})"
            params = models
        self._conn.row_factory = sqlite3.Row
        try:
            return self._conn.execute(sql + " ORDER BY r.seq", params).fetchall()
        finally:
            self._conn.row_factory = None

    @staticmethod
    def _matches(row: sqlite3.Row, suite: str | None) -> bool:
        if not suite:
            return True
        name, h = row["suite"], row["suite_hash"]
        if suite == name:
            return True
        if "@" in suite:
            n, _, prefix = suite.rpartition("@")
            return n == name and len(prefix) >= 4 and h.startswith(prefix)
        return len(suite) >= 8 and h.startswith(suite)

    def _selected(self, suite: str | None, models: Iterable[str] | None,
                  all_runs: bool) -> list[tuple[tuple[str, int], list[sqlite3.Row]]]:
        """Runs that count, grouped by (model, suite id): the latest graded one, or all."""
        grouped: dict[tuple[str, int], list[sqlite3.Row]] = defaultdict(list)
        for row in self._run_rows(models):
            if self._matches(row, suite):
                grouped[(row["model"], row["suite_id"])].append(row)
        out = []
        for key, rows in grouped.items():
            if not all_runs:
                # Latest by run date, then import order; a run with no graded case (all
                # errors) only counts when nothing else exists.
                rows = [max(rows, key=lambda r: ((r["n"] or 0) > 0, r["date"] or "", r["seq"]))]
            out.append((key, rows))
        return out

    def _labels(self, rows: Iterable[sqlite3.Row]) -> dict[int, str]:
        """Suite label per suite id: the name, or name@hash8 when a name has several hashes."""
        hashes: dict[str, set[str]] = defaultdict(set)
        rows = list(rows)
        for r in rows:
            hashes[r["suite"]].add(r["suite_hash"])
        return {r["suite_id"]: (r["suite"] if len(hashes[r["suite"]]) == 1
                                else f"{r['suite']}@{r['suite_hash'][:8]}") for r in rows}

    @_guarded
    def tallies(self, suite: str | None = None, models: Iterable[str] | None = None, *,
                all_runs: bool = False) -> dict[tuple[str, str, str], Tally]:
        """Tallies keyed (model, suite, difficulty) like results.tally; "all" is the total.

        The suite in the key is its name, or name@hash8 when results exist for several case
        sets under one name; Tally.suite_hash always holds the full hash.
        """
        selected = self._selected(suite, models, all_runs)
        labels = self._labels(r for _, rows in selected for r in rows)
        seqs = {r["seq"]: r for _, rows in selected for r in rows}
        per_run: dict[int, list[tuple]] = defaultdict(list)
        if seqs:
            for row in self._conn.execute(
                    "SELECT run_seq, difficulty, k, n, errors, score_sum, score_n FROM run_tallies "
                    "WHERE run_seq IN (SELECT value FROM json_each(?))", (json.dumps(list(seqs)),)):
                per_run[row[0]].append(row[1:])
        out: dict[tuple[str, str, str], Tally] = {}
        for (model, suite_id), rows in selected:
            acc: dict[str, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0, [], False, set(), []])
            for r in rows:
                for diff, k, n, errors, ssum, sn in per_run[r["seq"]]:
                    a = acc[diff]
                    a[0] += k
                    a[1] += n
                    a[2] += errors
                    a[3] += ssum
                    a[4] += sn
                    a[5].append(r["id"])
                    a[6] = a[6] or bool(r["approximate"])
                    a[7].add(r["metric"])
                    if r["aggregate"] and r["mean"] is not None:
                        a[8].append((r["mean"], n))
            label = labels[suite_id]
            h = rows[0]["suite_hash"]
            for diff, a in acc.items():
                if a[4]:
                    mean = a[3] / a[4]
                elif a[8]:
                    total = sum(w for _, w in a[8])
                    mean = (sum(m * w for m, w in a[8]) / total if total
                            else sum(m for m, _ in a[8]) / len(a[8]))
                else:
                    mean = None
                if not _on_scale(mean):  # only stores written before imports checked scores
                    mean = None
                out[(model, label, diff)] = Tally(
                    int(a[0]), int(a[1]), int(a[2]), tuple(sorted(set(a[5]))), suite_hash=h,
                    approximate=a[6], metric=", ".join(sorted(a[7])), mean_score=mean)
        return out

    def suite_tallies(self, suite: str) -> tuple[dict[tuple[str, str, str], Tally], str]:
        """Tallies of one case set of `suite`, keyed by `suite` as given, and its hash.

        Results are only compared on one suite hash: when several case sets share the name,
        the one with the most graded results is used (`name@hash` picks one explicitly).
        """
        by_hash: dict[str, dict[tuple[str, str, str], Tally]] = defaultdict(dict)
        for (model, _, diff), t in self.tallies(suite=suite).items():
            by_hash[t.suite_hash][(model, suite, diff)] = t
        if not by_hash:
            return {}, ""
        best = max(by_hash, key=lambda h: (sum(t.n for (_, _, d), t in by_hash[h].items()
                                               if d == "all"), h))
        return by_hash[best], best

    @_guarded
    def runs(self, model: str | None = None, suite: str | None = None) -> list[RunInfo]:
        """Every stored run (optionally one model / suite), in import order."""
        rows = [r for r in self._run_rows([model] if model else None) if self._matches(r, suite)]
        return [RunInfo(r["id"], r["tool"], r["model"], r["vendor"], r["date"], r["metric"],
                        r["suite"], r["suite_hash"], r["source_sha256"], r["source_name"],
                        bool(r["approximate"]), bool(r["aggregate"]), r["k"] or 0, r["n"] or 0,
                        r["errors"] or 0) for r in rows]

    @_guarded
    def suites(self) -> list[SuiteInfo]:
        """Every suite (name + case-set hash) with how many runs and which models it has."""
        rows = self._conn.execute(
            "SELECT s.id, s.name, s.version, s.hash, s.n_cases, s.declared, s.aggregate, "
            "count(r.seq), group_concat(DISTINCT r.model) FROM suites s "
            "LEFT JOIN runs r ON r.suite_id = s.id GROUP BY s.id ORDER BY s.name, s.id").fetchall()
        return [SuiteInfo(name, version, h, n, bool(decl), bool(agg), runs,
                          tuple(sorted(models.split(","))) if models else ())
                for _, name, version, h, n, decl, agg, runs, models in rows]

    @_guarded
    def results_for(self, model: str, suite: str) -> list[EvalResult]:
        """Per-case results of the model's latest graded run on `suite` (for paired tests).

        `suite` is a name, name@hash-prefix or hash prefix. Aggregate-only runs have no
        per-case results and give an empty list.
        """
        selected = self._selected(suite, [model], all_runs=False)
        if not selected:
            return []
        # Several case sets under one name: take the most recent run among them.
        _, rows = max(selected, key=lambda kr: (kr[1][0]["date"] or "", kr[1][0]["seq"]))
        return self._results_of(rows[0])

    @_guarded
    def run_results(self, run_id: str) -> list[EvalResult]:
        """Per-case results of one stored run, in stored order ([] for an aggregate run)."""
        return [r for row in self._run_rows() if row["id"] == run_id
                for r in self._results_of(row)]

    def _results_of(self, r: sqlite3.Row) -> list[EvalResult]:
        diff = {cid: (d, k) for cid, d, k in self._conn.execute(
            "SELECT case_id, difficulty, kind FROM cases WHERE suite_id=?", (r["suite_id"],))}
        out = []
        first, count = r["first_result"] or 0, r["n_results"]
        for cid, passed, score, error in self._conn.execute(
                "SELECT case_id, passed, score, error FROM results WHERE id BETWEEN ? AND ? "
                "ORDER BY id", (first, first + count - 1)):
            d, k = diff.get(cid, ("", ""))
            out.append(EvalResult(
                case_id=cid, suite=r["suite"], model=r["model"], vendor=r["vendor"],
                difficulty=d, kind=k, passed=None if passed is None else bool(passed),
                score=score, run_id=r["id"], timestamp=r["date"], metric=r["metric"],
                error=error or "", approximate=bool(r["approximate"])))
        return out

    @_guarded
    def counts(self) -> dict[str, int]:
        """Row counts per table (for `evals list` and tests)."""
        return {t: self._conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("sources", "suites", "cases", "runs", "run_tallies", "results")}

    # ---- removing a run ----------------------------------------------------------------

    def _removal(self, db: sqlite3.Connection,
                 run_id: str) -> tuple[RunRemoval, tuple[int, int, str, int, int]]:
        row = db.execute(
            "SELECT r.seq, r.model, s.name, r.first_result, r.n_results, r.source_sha256, "
            "r.suite_id, s.declared, so.name FROM runs r JOIN suites s ON s.id = r.suite_id "
            "JOIN sources so ON so.sha256 = r.source_sha256 WHERE r.id=?", (run_id,)).fetchone()
        if row is None:
            close = close_names(run_id, [r[0] for r in db.execute("SELECT id FROM runs")])
            hint = (f"did you mean {', '.join(close)}?" if close
                    else "`scopecard evals list` shows the stored runs")
            raise InputError(f"no run {run_id!r}; {hint}", file=str(self.path), where="RUN")
        seq, model, suite, first, count, sha, suite_id, declared, source = row
        return RunRemoval(run_id, model, suite, count, source), (seq, first, sha, suite_id,
                                                                 declared)

    @_guarded
    def removal(self, run_id: str) -> RunRemoval:
        """What `remove_run(run_id)` would take out; InputError with close matches if unknown."""
        return self._removal(self._conn, run_id)[0]

    @_guarded
    def remove_run(self, run_id: str) -> RunRemoval:
        """Delete one run with its results and tallies, in one transaction.

        The source file's record goes too once no run of it is left, so the file can be
        imported again; so does a suite that was never declared and now has no run.
        """
        with self._tx() as db:
            removal, (seq, first, sha, suite_id, declared) = self._removal(db, run_id)
            if removal.results:
                db.execute("DELETE FROM results WHERE id BETWEEN ? AND ? AND run_seq=?",
                           (first, first + removal.results - 1, seq))
            db.execute("DELETE FROM run_tallies WHERE run_seq=?", (seq,))
            db.execute("DELETE FROM runs WHERE seq=?", (seq,))
            db.execute("DELETE FROM sources WHERE sha256=? AND NOT EXISTS "
                       "(SELECT 1 FROM runs WHERE source_sha256=?)", (sha, sha))
            if not declared and not db.execute("SELECT 1 FROM runs WHERE suite_id=?",
                                               (suite_id,)).fetchone():
                db.execute("DELETE FROM cases WHERE suite_id=?", (suite_id,))
                db.execute("DELETE FROM suites WHERE id=?", (suite_id,))
        return removal


@dataclass(frozen=True)
class RunRemoval:
    """A run `evals remove` takes out: its id, model, suite and per-case result rows."""

    run_id: str
    model: str
    suite: str
    results: int
    source: str  # the name of the file it was imported from


def _move_aside(path: Path, stamp: str) -> Path:
    """Rename the store (with its -wal and -shm) to `<name>.damaged-<stamp>`; never delete."""
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    for old, new in zip((path, *health.sidecars(path)), (aside, *health.sidecars(aside)), strict=True):
        if old.exists():
            os.replace(old, new)
    return aside
