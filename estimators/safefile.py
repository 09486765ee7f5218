"""Reading files that other people wrote: bounded, regular files only, TOML with clear errors.

Every file scopecard reads from a user, a teammate, a vendor or a feed goes through here, so a
FIFO never hangs a command, `/dev/zero` is never read, and a hostile TOML document (deeply nested,
huge integers) ends in an InputError naming the file, never in a traceback.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from estimators.errors import InputError


def read_capped(path: Path | str, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (checked before reading a byte).

    The file is opened non-blocking and checked on the open descriptor, so a FIFO or device put
    in its place between a check and the open cannot block or stream forever.
    """
    source = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError:
        raise InputError("is a folder, not a file", file=source) from None
    except FileNotFoundError:
        raise InputError("no such file", file=source) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", file=source) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a folder, not a file", file=source)
        if not stat.S_ISREG(st.st_mode):
            # A FIFO, socket or device (/dev/zero) would block forever or never end.
            raise InputError("not a regular file (a pipe, device or socket is not read)",
                             file=source)
        if st.st_size > limit:
            raise InputError(f"file is {st.st_size:,} bytes; the limit is {limit:,} bytes "
                             "(refused before reading)", file=source)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", file=source) from None
    finally:
        os.close(fd)
    if total > limit:  # the file grew while we read it
        raise InputError(f"file is over the limit of {limit:,} bytes", file=source)
    return b"".join(chunks)


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped), or an InputError naming the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start}); save it as UTF-8",
                         file=source) from None


def read_text(path: Path | str, limit: int) -> str:
    """A bounded, regular UTF-8 text file; every failure is an InputError naming the file."""
    return decode_text(read_capped(path, limit), str(path))


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """A TOML document as a dict; syntax errors name the line and column.

    Documents nested deeper than Python's recursion allows, and integers with more digits than
    Python converts, are refused with a message instead of a RecursionError or ValueError.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = _TOML_WHERE.search(str(e))
        where = f"line {m.group(1)}, column {m.group(2)}" if m else None
        raise InputError(f"TOML syntax error: {_TOML_WHERE.sub('', str(e))}",
                         file=source, where=where) from None
    except RecursionError:
        raise InputError("TOML is nested too deeply (tables or arrays inside each other "
                         "hundreds of levels down)", file=source) from None
    except ValueError as e:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"TOML value cannot be read: {e}", file=source) from None


def read_toml(path: Path | str, limit: int) -> dict[str, Any]:
    """A bounded TOML file parsed with clear errors (see read_text and parse_toml)."""
    return parse_toml(read_text(path, limit), str(path))
