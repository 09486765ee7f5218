"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Whole files are written to a temp file in the same folder and renamed (or linked, to never
replace an existing one) into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _named(error: OSError, path: Path, operation: str) -> OSError:
    """`error` naming the real target and what failed: the temp file's name means nothing to
    the reader, and some errors (a full disk at fsync) carry no name at all."""
    return OSError(error.errno, f"cannot {operation}: {error.strerror or error}", str(path))


def _discard(tmp: str) -> None:
    """Remove a temp file; a failure here must not hide the error that brought us here."""
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _write_temp(path: Path, data: bytes, sync: bool = True) -> str:
    """A new temp file beside `path` holding `data`; OSErrors name `path`, not the temp file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _named(e, path, "create its folder") from e
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _named(e, path, "write") from e
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a record is an ordinary file
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
    except BaseException as e:
        _discard(tmp)
        if isinstance(e, OSError):
            raise _named(e, path, "write") from e
        raise
    return tmp


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically (temp file in the same folder, fsync, rename)."""
    tmp = _write_temp(path, data)
    try:
        os.replace(tmp, path)
    except BaseException as e:
        _discard(tmp)
        if isinstance(e, OSError):
            raise _named(e, path, "replace") from e
        raise


def create_exclusive(path: Path, data: bytes, sync: bool = True) -> bool:
    """Write `path` atomically only if it does not exist yet; False when it already does
    (whatever it is: a file, a folder, a link, a pipe).

    os.link refuses an existing target, so two writers racing for one name cannot both win
    and neither can overwrite the other. `sync=False` leaves the flush to the caller (one
    `os.sync()` after a batch): a killed process loses nothing either way.
    """
    tmp = _write_temp(path, data, sync)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError as e:
        raise _named(e, path, "create") from e
    finally:
        _discard(tmp)


def write_unsynced(path: Path, data: bytes) -> None:
    """Replace `path` atomically but without fsync: for caches, whose readers check what they
    read (after a crash the file may be old, new, empty or torn, never another file's)."""
    tmp = _write_temp(path, data, sync=False)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def create_numbered(folder: Path, base: str, data: bytes, suffix: str = ".toml") -> Path:
    """Write `data` as a new file `base.toml`, else `base-2.toml`, `base-3.toml`... (never over
    another file); FileExistsError when all 9,999 names are taken."""
    for i in range(1, 10_000):
        path = folder / (f"{base}{suffix}" if i == 1 else f"{base}-{i}{suffix}")
        if create_exclusive(path, data):
            return path
    raise FileExistsError(f"too many files named {base} in {folder}")

