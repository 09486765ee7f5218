"""What is wrong with an eval store file, said plainly, and what the user can do about it.

The store (rubrics.evals.store) asks here before it opens a file and whenever SQLite raises:
a 0-byte file, a file that is not SQLite, a damaged one (malformed pages), a read-only one, a
full disk or an I/O error each get their own message, and the unusable kinds name the way
out. The store is a cache of the files kept under the workspace's evals/ folder
(rubrics.evals.files): an unusable one is rebuilt from them, on the next read or with
`scopecard reindex`.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from estimators.errors import InputError

SQLITE_HEADER = b"SQLite format 3\x00"
REBUILD_HINT = ("it is a cache of the workspace's evals/ files: `scopecard reindex` rebuilds it "
                "(scopecard also does so on its next read)")
_DAMAGED_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


class UnusableStore(InputError):
    """A store file that cannot be used as it is: `kind` is empty, foreign or damaged.

    Only these are rebuilt without asking; a read-only or busy store is not unusable.
    """

    def __init__(self, kind: str, problem: str, path: Path):
        super().__init__(f"{problem}; {REBUILD_HINT}", file=str(path))
        self.kind = kind
        self.problem = problem  # what is wrong, without the way out


def sidecars(path: Path) -> tuple[Path, Path]:
    """SQLite's write-ahead log and shared-memory index beside `path`."""
    return path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")


def check_file(path: Path) -> None:
    """Refuse, before SQLite sees it, a store that is 0 bytes, not SQLite, or not a file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as e:
        raise InputError(f"cannot read the eval store: {e.strerror}", file=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError("the eval store is not a regular file (a folder, pipe or device); "
                         "move it away or choose another workspace with --workspace",
                         file=str(path))
    wal = sidecars(path)[0]
    if st.st_size == 0 and not (wal.is_file() and wal.stat().st_size):
        raise UnusableStore("empty", "the eval store is 0 bytes (a full disk or an interrupted "
                            "copy empties a file)", path)
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except PermissionError:
        raise InputError("cannot read the eval store (permission denied); choose another "
                         "workspace with --workspace", file=str(path)) from None
    if head != SQLITE_HEADER:
        raise UnusableStore("foreign", f"not a SQLite database (it starts with {head[:8]!r}), "
                            "so not a scopecard eval store", path)


def integrity_problems(db: sqlite3.Connection, pragma: str) -> list[str]:
    """What SQLite's quick_check or integrity_check finds (at most 5); [] when the file is ok."""
    try:
        rows = [str(r[0]) for r in db.execute(f"PRAGMA {pragma}(5)")]
    except sqlite3.DatabaseError as e:  # too damaged to even walk the pages
        return [str(e)]
    lines = [line for row in rows for line in row.splitlines()
             if line and not line.startswith("*** in database")]
    return [] if lines == ["ok"] else lines


def damaged(path: Path, problems: list[str], check: str) -> UnusableStore:
    """The damaged-store error, naming the first problem SQLite found."""
    more = f", and {len(problems) - 1} more" if len(problems) > 1 else ""
    return UnusableStore("damaged", f"the eval store is damaged: SQLite's {check} found "
                         f"malformed pages ({problems[0]}{more})", path)


def read_only(path: Path) -> InputError:
    """Imports and removals refused on a store this process may not write."""
    return InputError("the eval store is read-only (no permission to write it or its folder): "
                      "results can be read, but not imported or removed; make it writable or "
                      "choose another workspace with --workspace", file=str(path))


def is_damage(e: sqlite3.Error) -> bool:
    """True when SQLite says the file is malformed (rather than locked, full or read-only)."""
    code = getattr(e, "sqlite_errorcode", None)
    return type(e) is sqlite3.DatabaseError or (code is not None and code & 0xFF in _DAMAGED_CODES)


def explain(e: sqlite3.Error, path: Path | str) -> InputError:
    """An InputError naming the store for a SQLite error that is not damage (see is_damage)."""
    code = (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
    where = str(path)
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return read_only(Path(path))
    if code == sqlite3.SQLITE_FULL:
        return InputError("the disk is full: nothing was written (SQLite rolled the change "
                          "back); free some space and run the command again", file=where)
    if code == sqlite3.SQLITE_IOERR:
        return InputError(f"I/O error on the eval store ({e}): nothing was written (SQLite "
                          "rolled the change back); check the disk and run the command again",
                          file=where)
    if code == sqlite3.SQLITE_CANTOPEN:
        return InputError(f"cannot open the eval store ({e}); check that it and its folder "
                          "can be read and written, or choose another workspace with "
                          "--workspace", file=where)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return InputError("the eval store stayed locked by another scopecard for 30 s; run "
                          "the command again when it has finished", file=where)
    return InputError(f"eval store error: {e}", file=where)
