"""Files kept by content in the workspace (evals/, usage/): written whole, named by sha256.

Shared by rubrics.evals.files and rubrics.usage.files: two people keeping the same bytes make
the same file, a large file is gzip-ed deterministically, and reading one back is bounded.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from estimators.atomic import create_exclusive, write_atomic
from estimators.errors import InputError
from estimators.safefile import read_capped, read_toml

GZIP_OVER = 1024 * 1024  # bytes; larger files are kept gzip-ed
# zlib's fastest level: ~35x faster than 9 on a year of usage CSV (0.1 s vs 3.9 s for 22 MB),
# for a file ~40 % larger (3.1 vs 2.2 MB). Still deterministic (mtime=0, no file name).
GZIP_LEVEL = 1


def keep_bytes(path: Path, data: bytes) -> None:
    """Write `path` whole unless it already exists holding `data` (idempotent)."""
    if create_exclusive(path, data):
        return
    with suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    write_atomic(path, data)  # a stray file under our name (not ours): replace it whole


def keep_data(folder: Path, name: str, data: bytes) -> Path:
    """Store the bytes as folder/<name>, gzip-ed (deterministically, as <name>.gz) when large."""
    if len(data) > GZIP_OVER:
        path = folder / f"{name}.gz"
        with suppress(InputError, OSError):  # kept already (another zlib may pack it apart)
            if read_kept(path, len(data)) == data:
                return path
        keep_bytes(path, gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))
        return path
    path = folder / name
    keep_bytes(path, data)
    return path


def read_kept(path: Path, limit: int) -> bytes:
    """A kept file's bytes, gunzip-ed within `limit` bytes (a bomb is refused, not expanded)."""
    raw = read_capped(path, limit)
    if path.suffix != ".gz":
        return raw
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as e:
        raise InputError(f"not a readable gzip file ({e})", file=str(path)) from None
    if len(out) > limit or not inflater.eof:
        raise InputError(f"expands past {limit:,} bytes, or is cut short", file=str(path))
    return out


def listing(folder: Path) -> Iterator[Path]:
    """The regular files of `folder` (none when it does not exist)."""
    try:
        yield from (p for p in folder.iterdir() if p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return


def read_kept_sha(path: Path, sha: str, limit: int) -> bytes:
    """A kept file's bytes, checked against the sha256 its name promises."""
    data = read_kept(path, limit)
    if hashlib.sha256(data).hexdigest() != sha:
        raise InputError("its content does not match its sha256 name (edited by hand?)",
                         file=str(path))
    return data


def read_sidecar_doc(path: Path, schema: str, data_name: re.Pattern[str], shape: str,
                     limit: int) -> tuple[dict[str, Any], str]:
    """A sidecar's TOML and the name of the data file beside it, checked: the schema is
    `schema` and the file is `<sha>.<shape>` of the sidecar's own sha (never a path outside)."""
    doc = read_toml(path, limit)
    source = str(path)
    if doc.get("schema") != schema:
        raise InputError(f"schema is {doc.get('schema')!r}; expected {schema!r}",
                         file=source, where="schema")
    sha = path.stem
    data = doc.get("file")
    m = data_name.fullmatch(data) if isinstance(data, str) else None
    if m is None or m.group(1) != sha or not isinstance(data, str):
        raise InputError(f"file = {data!r}; expected {sha}.{shape} beside it",
                         file=source, where="file")
    return doc, data
