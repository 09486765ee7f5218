"""`RecordStore`: the one door to the decisions of a workspace (DESIGN §6, §8).

Layout (files are the truth; a team shares them through git):

    decisions/<id>/decision.toml                    written once, never edited
    decisions/<id>/events/<stamp>-<hash>.toml       a status change or a supersede link
    decisions/<id>/reviews/<stamp>-<hash>.toml      one review
    .cache/records.json                             list index, rebuilt from the files

Every write creates a new file under a name no other write can choose (a UTC stamp and a hash
of the content; a decision id ends in a hash of the decision), written whole to a temp file
and linked into place. So concurrent writers never touch the same file, a crash leaves whole
files only, and two clones merge without a conflict. No file is edited and nothing is locked.

The index caches each decision's list entry, keyed by the identity of its files (decision
file size/mtime/inode, the mtimes of its events/ and reviews/ folders): a warm list costs a few
stats per decision; a missing, stale or damaged index is rebuilt from the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from estimators.atomic import create_exclusive
from estimators.errors import InputError, close_names
from estimators.paths import Workspace, read_json_cache, write_json_cache
from estimators.safefile import read_capped
from rubrics.record import (
    ID_PATTERN,
    SCHEMA,
    SCHEMA_V1,
    STATUSES,
    TRANSITIONS,
    DecisionRecord,
    DecisionState,
    ReviewEntry,
    StatusEvent,
    content_digest,
    split_v1,
    toml_safe,
)

MAX_RECORD_BYTES = 20_000_000  # a decision is ~25 KB; inlined prompts may add a few MB
MAX_FACT_BYTES = 1_000_000  # an event or review file
INDEX_VERSION = 2
BATCH = 25  # list entries read from files per `show` call
COMMANDS = {"accepted": "scopecard accept ID", "rejected": "scopecard reject ID",
            "superseded": "scopecard supersede ID NEW", "deprecated": "scopecard deprecate ID"}


@dataclass(frozen=True)
class RecordSummary:
    """What a list of decisions shows; `error` is set for a corrupt or foreign entry.

    `review_due` is when the next review is due: the latest review's `next_due`, else the
    decision's own `review_due`. `flags` are the kinds the latest review raised.
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


def slugify(title: str) -> str:
    """A file-name-safe slug of a title (ASCII; other scripts fall back to a short hash)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:50].strip("-")
    return slug or "decision-" + hashlib.sha1(title.encode()).hexdigest()[:8]


def check_id(record_id: str) -> str:
    """Refuse ids that are not plain decision names (no paths, no `..`)."""
    if not ID_PATTERN.fullmatch(record_id):  # fullmatch: `$` alone lets "id\n" through
        raise InputError(f"invalid record id {record_id!r}; ids look like "
                         "2026-11-24-support-faq-1a2b3c")
    return record_id


def dump_toml(data: dict[str, Any]) -> bytes:
    return tomli_w.dumps(toml_safe(data)).encode()


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _read_toml(path: Path, limit: int) -> dict[str, Any]:
    """A file of the layout, parsed; InputError naming it when unreadable or not TOML."""
    if path.is_symlink():
        raise InputError("a symbolic link; decision files must be regular files", file=str(path))
    raw = read_capped(path, limit)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"TOML syntax error: {e}", file=str(path)) from None


def _validated(model: Any, data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise InputError(f"{first['msg']}{more}", file=str(path),
                         where=where) from None


class _ShownOutputs(BaseModel):
    """The outputs a list shows (the rest of a sealed decision is not validated to list it)."""

    model_config = ConfigDict(extra="ignore")
    verdict: Literal["STOP", "RESEARCH SPIKE", "GO WITH CONDITIONS", "GO"]
    chosen: str | None = None


class _Shown(BaseModel):
    """The fields of a decision a list shows, typed as `DecisionRecord` types them."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(pattern=ID_PATTERN.pattern)
    title: str
    created: dt.datetime
    review_due: dt.date
    outputs: _ShownOutputs


class RecordStore:
    """Create, read, list, review and change the status of the decisions of a workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.root = ws.decisions
        self._migrated = False

    # ---- paths ----------------------------------------------------------------------------

    def folder(self, record_id: str) -> Path:
        return self.root / check_id(record_id)

    def decision_file(self, record_id: str) -> Path:
        return self.folder(record_id) / "decision.toml"

    @property
    def index_file(self) -> Path:
        return self.ws.cache_dir / "records.json"

    def ids(self) -> list[str]:
        """Every decision folder's name, newest first (hidden entries are temp files)."""
        return [name for name, _ in self._scan()[0]]

    def _scan(self) -> tuple[list[tuple[str, os.stat_result | None]], list[str]]:
        """One listing of decisions/: every decision's name with its decision.toml's stat (None
        when unreadable), newest first, and the names of other files left there (`legacy_errors`).

        A folder without its decision.toml is a create that was killed before the rename: not a
        decision (yet); a symbolic link named like a decision is listed, with its error. Names
        are joined as strings and the entry types come from the listing itself: at 10,000
        decisions pathlib and extra stats were most of a warm list's time."""
        self.migrate()
        if not self.root.is_dir():
            return [], []
        root = str(self.root)
        found: list[tuple[str, os.stat_result | None]] = []
        legacy: list[str] = []
        with os.scandir(root) as listing:
            for e in listing:
                if e.name.startswith("."):
                    continue
                linked = e.is_symlink() and bool(ID_PATTERN.fullmatch(e.name))
                if not linked and not e.is_dir():
                    legacy.append(e.name)
                    continue
                st = _stat(os.path.join(root, e.name, "decision.toml"))
                if linked or st is not None:
                    found.append((e.name, st))
        found.sort(key=lambda f: f[0], reverse=True)
        return found, sorted(legacy)

    def resolve(self, record_id: str) -> str:
        """The id of a decision named by its id or a unique prefix of it (`2026-12-02-faq`);
        InputError naming the candidates otherwise."""
        self.migrate()
        if ID_PATTERN.fullmatch(record_id) and (self.decision_file(record_id).exists()
                                                 or self.folder(record_id).is_symlink()):
            return record_id
        if "/" in record_id or record_id.startswith("."):
            check_id(record_id)
        known = self.ids()
        matches = [i for i in known if i.startswith(record_id)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise InputError(f"{record_id!r} names {len(matches)} decisions: "
                             f"{', '.join(matches[:5])}; give more of the id")
        check_id(record_id)
        hint = close_names(record_id, known)
        raise InputError(f"no record {record_id!r}" + (f"; did you mean {', '.join(hint)}?"
                                                       if hint else ""))

    # ---- writing --------------------------------------------------------------------------

    def create(self, record: dict[str, Any], day: dt.date) -> DecisionState:
        """File a new decision as `decisions/<day>-<slug>-<hash>/decision.toml`.

        The id ends in a hash of the decision, so two clones deciding the same title on the same
        day choose different ids (or, for the very same decision, the same file)."""
        base = f"{day.isoformat()}-{slugify(str(record.get('title', '')))}"
        draft = {**record, "schema": SCHEMA, "id": f"{base}-000000"}
        digest = _validated(DecisionRecord, toml_safe(draft), self.root).digest()
        rec = _validated(DecisionRecord, toml_safe({**draft, "id": f"{base}-{digest[:6]}"}),
                         self.root).seal()
        folder = self.folder(rec.id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "decision.toml"
        if not create_exclusive(path, dump_toml(rec.data())):
            existing = self.load_record(path)
            if existing.digest() != rec.digest():
                raise InputError(f"a different decision already has the id {rec.id}",
                                 file=str(path))
        return DecisionState(rec, [], [])

    def _file_fact(self, record_id: str, folder: str, at: dt.datetime, data: dict[str, Any],
                   sync: bool = True) -> Path:
        body = dump_toml(data)
        name = f"{_stamp(at)}-{hashlib.sha256(body).hexdigest()[:8]}.toml"
        path = self.folder(record_id) / folder / name
        path.parent.mkdir(exist_ok=True)
        create_exclusive(path, body, sync=sync)  # the same name is the same content
        return path

    def add_review(self, record_id: str, review: ReviewEntry, at: dt.datetime | None = None,
                   sync: bool = True) -> Path:
        """File one review of a decision."""
        at = at or dt.datetime.now(dt.UTC)
        data = {"schema": "scopecard.review/1", **review.model_dump(mode="python", exclude_unset=True,
                                                                     exclude_none=True)}
        return self._file_fact(record_id, "reviews", at, data, sync)

    def add_reviews(self, reviews: list[tuple[str, ReviewEntry]]) -> None:
        """File many reviews (one sync for the lot) and bring the list index up to date for
        them: an entry made from the same files before its review takes the review's date, flags
        and next due date, so a list after `review --all` does not read every decision again.
        Any other entry is left to be read again at the next list."""
        before = {record_id: self._identity(record_id) for record_id, _ in reviews}
        for record_id, review in reviews:
            self.add_review(record_id, review, sync=False)
        if not reviews:
            return
        os.sync()
        index = self._load_index()
        for record_id, review in reviews:
            entry = index.get(record_id)
            if not entry or entry[0] != before[record_id]:
                continue
            summary = entry[1]
            last = summary.get("last_reviewed")
            if last and last > review.date.isoformat():  # an earlier review filed late
                index.pop(record_id)
                continue
            kept = [f for f in summary.get("flags", []) if f in ("edited", "conflict")]
            summary.update(last_reviewed=review.date.isoformat(),
                           flags=list(dict.fromkeys([f.kind for f in review.flags] + kept)),
                           review_due=(review.next_due.isoformat() if review.next_due
                                       else summary.get("review_due")))
            entry[0] = self._identity(record_id)
        self._save_index(index)

    def _add_event(self, record_id: str, event: StatusEvent) -> Path:
        data = {"schema": "scopecard.event/1", **event.model_dump(mode="python", exclude_unset=True,
                                                                   exclude_none=True)}
        return self._file_fact(record_id, "events", event.at, data)

    def set_status(self, record_id: str, to: str, note: str = "",
                   at: dt.datetime | None = None) -> tuple[str, DecisionState]:
        """Move a decision to `to` (accepted, rejected or deprecated); returns the status it
        left and its new state."""
        if to == "superseded":
            raise InputError("a record is superseded by another one: use "
                             "`scopecard supersede OLD NEW`")
        record_id = self.resolve(record_id)
        state = self.get(record_id)
        check_transition(record_id, state.status, to)
        digest = state.record.digest() if to == "accepted" else None
        self._add_event(record_id, StatusEvent(kind="status", at=at or dt.datetime.now(dt.UTC),
                                               to=to, note=note, digest=digest))
        return state.status, self.get(record_id)

    def link_usage(self, record_id: str, models: list[str], project: str | None = None,
                   key: str | None = None, tag: str | None = None,
                   at: dt.datetime | None = None) -> DecisionState:
        """Link a decision to its usage (models default to its chosen model); a later link
        replaces an earlier one."""
        record_id = self.resolve(record_id)
        state = self.get(record_id)
        chosen = state.record.outputs.chosen
        if not models and not chosen:
            raise InputError(f"{record_id} chose no model: name the usage's model with --model")
        self._add_event(record_id, StatusEvent(
            kind="usage_link", at=at or dt.datetime.now(dt.UTC), models=models or [str(chosen)],
            project=project, key=key, tag=tag))
        return self.get(record_id)

    def supersede(self, old_id: str, new_id: str, note: str = "",
                  at: dt.datetime | None = None) -> tuple[DecisionState, DecisionState]:
        """Mark accepted decision `old_id` superseded by accepted decision `new_id`.

        The newer decision's link is filed first: if the process dies in between, the same
        command again completes the change (the link is not filed twice)."""
        old_id, new_id = self.resolve(old_id), self.resolve(new_id)
        if old_id == new_id:
            raise InputError(f"{old_id} cannot supersede itself")
        at = at or dt.datetime.now(dt.UTC)
        old, new = self.get(old_id), self.get(new_id)
        check_transition(old_id, old.status, "superseded")
        if new.status != "accepted":
            raise InputError(f"{new_id} is {new.status}; only an accepted record can supersede "
                             f"another: accept it first (scopecard accept {new_id})")
        if old_id not in new.supersedes:
            self._add_event(new_id, StatusEvent(kind="supersedes", at=at, id=old_id))
        self._add_event(old_id, StatusEvent(kind="status", at=at, to="superseded", by=new_id,
                                            note=note or f"superseded by {new_id}"))
        return self.get(old_id), self.get(new_id)

    # ---- reading --------------------------------------------------------------------------

    def load_record(self, path: Path) -> DecisionRecord:
        data = _read_toml(path, MAX_RECORD_BYTES)
        if data.get("schema") != SCHEMA:
            raise InputError(f"not a {SCHEMA} decision (schema = {data.get('schema')!r})",
                             file=str(path))
        return _validated(DecisionRecord, data, path)

    def _facts(self, record_id: str, folder: str, model: Any) -> list[Any]:
        where = self.folder(record_id) / folder
        if not where.is_dir():
            return []
        out = []
        for name in sorted(os.listdir(where)):
            if name.endswith(".toml") and not name.startswith("."):
                data = _read_toml(where / name, MAX_FACT_BYTES)
                data.pop("schema", None)
                out.append(_validated(model, data, where / name))
        return out

    def get(self, record_id: str) -> DecisionState:
        """A decision with its events and reviews; InputError when a file of it is bad."""
        record_id = self.resolve(record_id)
        if self.folder(record_id).is_symlink():
            raise InputError("a symbolic link; decisions must be folders of the workspace",
                             file=str(self.folder(record_id)))
        record = self.load_record(self.decision_file(record_id))
        if record.id != record_id:
            raise InputError(f"the decision's id is {record.id!r}, its folder {record_id!r}",
                             file=str(self.decision_file(record_id)), where="id")
        events = sorted(self._facts(record_id, "events", StatusEvent), key=lambda e: e.at)
        return DecisionState(record, events, self._facts(record_id, "reviews", ReviewEntry))

    def _identity(self, record_id: str) -> list[int | None]:
        """What the list index keys a decision's entry by (`_identity_of`)."""
        folder = os.path.join(self.root, record_id)
        return _identity_of(_stat(os.path.join(folder, "decision.toml")), folder)

    def summarize(self, record_id: str) -> RecordSummary:
        """A decision's list entry, or an entry carrying its error (a list never fails whole).

        A decision file exactly as it was sealed is read for the fields the list shows
        (`_summary_quick`); any other is read whole by `get`, which names what is wrong."""
        quick = self._summary_quick(record_id)
        if quick is not None:
            return quick
        path = self.decision_file(record_id)
        try:
            s = self.get(record_id)
        except InputError as e:
            return RecordSummary(id=record_id, path=path, error=e.message if not e.where
                                 else f"{e.where}: {e.message}")
        last = s.reviews[-1].date if s.reviews else None
        return RecordSummary(
            id=record_id, path=path, title=s.record.title, status=s.status,
            verdict=s.record.outputs.verdict, chosen=s.record.outputs.chosen or "",
            created=str(s.record.created), review_due=s.next_review_due(),
            superseded_by=s.superseded_by, last_reviewed=last,
            flags=tuple(s.latest_flags()) + (("edited",) if s.integrity() else ())
            + (("conflict",) if s.conflicts else ()))

    def _summary_quick(self, record_id: str) -> RecordSummary | None:
        """The list entry of a decision whose file holds exactly what was sealed (its content
        digest equals `sealed`, and any acceptance's digest): it was validated whole when it
        was written, so only the fields the list shows are validated here, not the whole
        record. None for any other file (edited, unsealed, unreadable): `get` reads it."""
        folder = self.folder(record_id)
        path = folder / "decision.toml"
        try:
            if folder.is_symlink():
                return None
            data = _read_toml(path, MAX_RECORD_BYTES)
            sealed = data.get("sealed")
            if data.get("schema") != SCHEMA or not isinstance(sealed, str) or sealed != \
                    content_digest({k: v for k, v in data.items() if k != "sealed"}):
                return None
            shown: _Shown = _validated(_Shown, data, path)
            events = sorted(self._facts(record_id, "events", StatusEvent), key=lambda e: e.at)
            reviews = self._facts(record_id, "reviews", ReviewEntry)
        except InputError:
            return None
        accepted = [e.digest for e in events if e.kind == "status" and e.to == "accepted"
                    and e.digest]
        if shown.id != record_id or (accepted and accepted[-1] != sealed):
            return None  # the full read says what is wrong
        # the state needs only the decision's own review_due; the rest stays unvalidated
        s = DecisionState(DecisionRecord.model_construct(id=shown.id,
                                                         review_due=shown.review_due),
                          events, reviews)
        return RecordSummary(
            id=record_id, path=path, title=shown.title, status=s.status,
            verdict=shown.outputs.verdict, chosen=shown.outputs.chosen or "",
            created=str(shown.created), review_due=s.next_review_due(),
            superseded_by=s.superseded_by, last_reviewed=s.reviews[-1].date if s.reviews
            else None, flags=tuple(s.latest_flags()) + (("conflict",) if s.conflicts else ()))

    def summaries(self, show: Callable[[list[RecordSummary], int], None] | None = None,
             cancelled: Callable[[], bool] = lambda: False) -> list[RecordSummary] | None:
        """Every decision, newest first; broken ones listed with their error.

        List entries come from the index where a decision's files have not changed; the rest
        are read (a few ms each: a fresh clone of 10,000 decisions takes a while), and
        `show(batch, total_to_read)` gets them in batches of BATCH as they are read, so an app
        can paint the first rows at once. None when `cancelled()` turned true on the way."""
        index = self._load_index()
        found, legacy = self._scan()
        fresh: dict[str, Any] = {}
        out: list[RecordSummary] = []
        todo: list[tuple[int, str, list[int | None]]] = []
        for record_id, st in found:
            folder = os.path.join(self.root, record_id)
            ident = _identity_of(st, folder)
            hit = index.get(record_id)
            summary = _from_index(hit, ident, folder)
            if summary is None:
                todo.append((len(out), record_id, ident))
            else:
                fresh[record_id] = hit  # made from these very files: kept as it is
            out.append(summary)  # type: ignore[arg-type]  # filled in below
        batch: list[RecordSummary] = []
        for at, record_id, ident in todo:
            if cancelled():
                return None
            out[at] = summary = self.summarize(record_id)
            fresh[record_id] = [ident, _summary_json(summary)]
            batch.append(summary)
            if show is not None and (len(batch) == BATCH or at == todo[-1][0]):
                show(batch, len(todo))
                batch = []
        # every kept entry came from the index: it changed only when an entry was read again
        # or a decision left
        if todo or len(fresh) != len(index):
            self._save_index(fresh)
        return out + self._legacy(legacy)

    def reindex(self) -> int:
        """Rebuild the list index from the files; returns how many decisions it holds."""
        try:
            self.index_file.unlink()
        except OSError:
            pass
        return len(self.summaries() or [])

    def _load_index(self) -> dict[str, Any]:
        return read_json_cache(self.index_file, INDEX_VERSION, self.root)

    def _save_index(self, entries: dict[str, Any]) -> None:
        write_json_cache(self.ws, self.index_file, INDEX_VERSION, self.root, entries)

    # ---- the first layout -----------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Split every `decisions/<id>.toml` of the first layout into the folder layout, then
        remove it once the split reads back as the same document. A file that cannot be read
        stays where it is (listed with its error by `legacy_errors`)."""
        if self._migrated or not self.root.is_dir():
            return []
        self._migrated = True
        done = []
        for name in sorted(os.listdir(self.root)):
            path = self.root / name
            if not name.endswith(".toml") or name.startswith(".") or not path.is_file():
                continue
            try:
                data = _read_toml(path, MAX_RECORD_BYTES)
                if data.get("schema") != SCHEMA_V1 or data.get("id", path.stem) != path.stem:
                    continue
                check_id(path.stem)
                record, events, reviews = split_v1({**data, "id": path.stem})
            except (InputError, ValidationError, KeyError, TypeError, ValueError):
                continue
            folder = self.root / path.stem
            folder.mkdir(exist_ok=True)
            create_exclusive(folder / "decision.toml", dump_toml(record.data()))
            for e in events:
                self._add_event(path.stem, e)
            for i, r in enumerate(reviews):  # the microsecond keeps a day's reviews in order
                self.add_review(path.stem, r, at=dt.datetime.combine(
                    r.date, dt.time(microsecond=i), tzinfo=dt.UTC))
            if self.load_record(folder / "decision.toml").digest() == record.digest():
                path.unlink()
                done.append(path.stem)
        return done

    def legacy_errors(self) -> list[RecordSummary]:
        """Files left in decisions/ that are not decisions of either layout."""
        return self._legacy(self._scan()[1])

    def _legacy(self, names: list[str]) -> list[RecordSummary]:
        return [RecordSummary(id=Path(n).stem, path=self.root / n,
                              error="not a decision of this workspace's layout "
                                    "(decisions/<id>/decision.toml)") for n in names]


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _identity_of(decision: os.stat_result | None, folder: str) -> list[int | None]:
    """The identity of a decision's files that the list index keys its entry by: the decision
    file's size, mtime and inode, and the mtimes of its events/ and reviews/ folders.

    Three stats, not one per file, and this is enough on every OS: adding, renaming or
    removing a file changes its folder's mtime (POSIX, NTFS, APFS alike), while editing a file
    in place does not, and no file of the layout is edited in place: every event and review is a
    new file linked into its folder. The decision file itself is written once, so its own stat
    catches what a hand edit or a checkout does to it."""
    ev, rv = _stat(os.path.join(folder, "events")), _stat(os.path.join(folder, "reviews"))
    return [decision and decision.st_size, decision and decision.st_mtime_ns,
            decision and decision.st_ino, ev and ev.st_mtime_ns, rv and rv.st_mtime_ns]


def check_transition(record_id: str, current: str, to: str) -> None:
    """InputError naming the allowed transitions when `current -> to` is not one of them."""
    allowed = TRANSITIONS.get(current)
    if allowed is None:
        raise InputError(f"{record_id} has an unknown status {current!r}; known: "
                         f"{', '.join(STATUSES)}")
    if to in allowed:
        return
    if not allowed:
        raise InputError(f"{record_id} is {current}, which is final: it cannot become {to}")
    options = "; ".join(f"{s} ({COMMANDS[s]})" for s in allowed)
    raise InputError(f"{record_id} is {current}; it cannot become {to}. Allowed from "
                     f"{current}: {options}")


def _summary_json(s: RecordSummary) -> dict[str, Any]:
    d = asdict(s)
    d.pop("path")
    d.pop("id")
    for k in ("review_due", "last_reviewed"):
        d[k] = d[k] and d[k].isoformat()
    d["flags"] = list(s.flags)
    return d


def _from_index(hit: Any, ident: list[int | None], folder: str) -> RecordSummary | None:
    """The index's entry when it was made from these very files; None to read them."""
    try:
        if not hit or hit[0] != ident:
            return None
        return _summary_from_json(Path(folder, "decision.toml"), hit[1])
    except (KeyError, TypeError, ValueError, IndexError):
        return None  # a damaged entry: read the files


def _summary_from_json(path: Path, d: dict[str, Any]) -> RecordSummary:
    day = dt.date.fromisoformat
    return RecordSummary(
        id=path.parent.name, path=path, title=d["title"], status=d["status"],
        verdict=d["verdict"], chosen=d["chosen"], created=d["created"],
        review_due=d["review_due"] and day(d["review_due"]), error=d["error"],
        superseded_by=d["superseded_by"],
        last_reviewed=d["last_reviewed"] and day(d["last_reviewed"]), flags=tuple(d["flags"]))
