"""Every path scopecard uses, in one place, each overridable.

The workspace is `--workspace DIR`, else `$SCOPECARD_HOME`, else the platform's user data folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estimators.atomic import create_exclusive, write_unsynced
from estimators.errors import InputError
from estimators.safefile import read_capped

PACKAGE_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def decisions(self) -> Path:
        return self.root / "decisions"

    @property
    def evals_dir(self) -> Path:
        """Imported eval files and their sidecars: the truth, shared (e.g. through git)."""
        return self.root / "evals"

    @property
    def cache_dir(self) -> Path:
        """Caches rebuilt from the files; never shared (the workspace .gitignore names it)."""
        return self.root / ".cache"

    @property
    def evals_db(self) -> Path:
        """The SQLite eval store: a cache of evals/, rebuilt when missing, stale or damaged."""
        return self.cache_dir / "evals.sqlite"

    @property
    def legacy_evals_db(self) -> Path:
        """Where the eval store was before evals/ existed; migrated into evals/ once."""
        return self.root / "evals.sqlite"

    @property
    def usage_dir(self) -> Path:
        """Imported usage exports (shared, like evals/)."""
        return self.root / "usage"

    @property
    def exports(self) -> Path:
        """Exports and briefs written from the app."""
        return self.root / "exports"

    @property
    def local_prices(self) -> Path:
        return self.root / "prices.local.toml"

    @property
    def drafts(self) -> Path:
        return self.root / "drafts"

    @property
    def catalogue(self) -> Path:
        """A refreshed price catalogue; the bundled one is used while this does not exist."""
        return self.root / "prices.catalogue.toml"


def resolve_workspace(explicit: str | os.PathLike[str] | None = None) -> Workspace:
    """The workspace from the flag, the environment or the platform default (not created here)."""
    if explicit:
        return Workspace(Path(explicit).expanduser())
    env = os.environ.get("SCOPECARD_HOME")
    if env:
        return Workspace(Path(env).expanduser())
    import platformdirs  # lazily: only needed when nothing else names the workspace

    return Workspace(Path(platformdirs.user_data_dir("scopecard", appauthor=False)))


GITIGNORE_LINE = ".cache/"


def ensure_cache_dir(ws: Workspace) -> Path:
    """Create the cache folder and make sure the workspace .gitignore names it.

    A user's .gitignore is never rewritten: the line is appended when it is missing.
    """
    ws.cache_dir.mkdir(parents=True, exist_ok=True)
    ignore = ws.root / ".gitignore"
    try:
        text = read_capped(ignore, 1024 * 1024).decode("utf-8", "replace")
    except InputError:  # absent (or not a regular file, which is then left alone)
        if not ignore.exists():
            create_exclusive(ignore, f"{GITIGNORE_LINE}\n".encode())
        return ws.cache_dir
    lines = {line.strip() for line in text.splitlines()}
    if not lines & {".cache", ".cache/", "/.cache", "/.cache/"}:
        sep = "" if not text or text.endswith("\n") else "\n"
        with ignore.open("a", encoding="utf-8") as f:
            f.write(f"{sep}{GITIGNORE_LINE}\n")
    return ws.cache_dir


def read_json_cache(path: Path, version: int, root: Path) -> dict[str, Any]:
    """The entries of a JSON cache file; {} when it is missing, damaged, of another version or
    made for another folder (a cache is only ever a speed-up)."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != version \
            or data.get("root") != str(root.resolve()):
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_json_cache(ws: Workspace, path: Path, version: int, root: Path,
                     entries: dict[str, Any]) -> None:
    """Replace a JSON cache file (unsynced: readers check what they read); a workspace that
    cannot be written still works, only without the speed-up."""
    data = {"version": version, "root": str(root.resolve()), "entries": entries}
    try:
        ensure_cache_dir(ws)
        write_unsynced(path, json.dumps(data).encode())
    except OSError:
        pass

