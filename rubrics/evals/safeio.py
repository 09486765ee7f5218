"""Reading untrusted eval files safely: size limits, JSON with clear errors, zip-bomb guards.

Every failure here is an InputError naming the file and the reason, so a caller never sees a
raw JSONDecodeError, BadZipFile or MemoryError from a hostile or broken file.
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from estimators.errors import InputError
from estimators.safefile import decode_text

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps on what an import may read. Defaults suit real eval logs with room to spare."""

    max_file_bytes: int = 200 * MiB  # refused from the file size, before reading a byte
    max_member_bytes: int = 64 * MiB  # one member of a zip (.eval) once decompressed
    max_total_member_bytes: int = 256 * MiB  # all members read from one zip
    max_ratio: float = 200.0  # decompressed / compressed, for members above 1 MiB
    max_zip_entries: int = 100_000


DEFAULT_LIMITS = Limits()


def _no_constants(name: str) -> None:
    # NaN / Infinity are not JSON; Python's writer emits them anyway. Treat them as missing.
    return None


def load_json(data: bytes | str, source: str) -> Any:
    """Parse JSON with errors that say where and whether the file looks truncated."""
    text = decode_text(data, source) if isinstance(data, bytes) else data
    try:
        return json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        # the text ran out mid-document, or inside a string that never closes
        cut = not text[e.pos:].strip() or e.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if cut else ""
        raise InputError(f"not valid JSON: {e.msg}{hint}", file=source,
                         where=f"line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise InputError("JSON is nested too deeply to be an eval result", file=source) from None
    except ValueError as e:  # e.g. an integer literal with more digits than Python allows
        raise InputError(f"not valid JSON: {e}", file=source) from None


# ---- small typed accessors for parsed JSON -------------------------------------------------

def as_dict(value: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"expected an object, found {type_name(value)}", file=source, where=where)
    return value


def as_list(value: Any, source: str, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"expected a list, found {type_name(value)}", file=source, where=where)
    return value


def dict_at(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """parent[key] when it is an object, else {}: an optional block absent or malformed."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def list_at(parent: dict[str, Any], key: str) -> list[Any]:
    """parent[key] when it is a list, else []: an optional list absent or malformed."""
    value = parent.get(key)
    return value if isinstance(value, list) else []


def number(value: Any) -> float | None:
    """A finite number (bools and numeric strings like "0.5" too), else None ("N/A", null…)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        try:
            f = float(value)
        except OverflowError:
            return None
        return f if math.isfinite(f) else None
    if isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            return None
        return f if math.isfinite(f) else None
    return None


def text(value: Any, default: str = "") -> str:
    """A string field; numbers are formatted, anything else gives the default."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)) and math.isfinite(value):
        return str(value)
    return default


def type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


# ---- zip (.eval) ---------------------------------------------------------------------------

_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
               NotImplementedError, RuntimeError, struct.error, KeyError, IndexError,
               OverflowError, zlib.error)


def _declared_entries(data: bytes) -> int | None:
    """Entry count from the end-of-central-directory record, read before zipfile parses it."""
    pos = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if pos < 0 or pos + 22 > len(data):
        return None
    return struct.unpack_from("<H", data, pos + 10)[0]


class SafeZip:
    """Read named members of an in-memory zip with size, ratio and total caps.

    Nothing is ever extracted to disk and member names are only looked up, never joined to a
    path, so a name like ../../etc/passwd cannot escape anywhere.
    """

    def __init__(self, data: bytes, source: str, limits: Limits = DEFAULT_LIMITS):
        self.source = source
        self.limits = limits
        self._read_total = 0
        declared = _declared_entries(data)
        if declared is not None and declared > limits.max_zip_entries:
            raise InputError(f"zip declares {declared:,} entries; the limit is "
                             f"{limits.max_zip_entries:,}", file=source)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except _ZIP_ERRORS as e:
            raise InputError(f"not a readable zip archive ({e})", file=source) from None
        if len(infos) > limits.max_zip_entries:
            raise InputError(f"zip has {len(infos):,} entries; the limit is "
                             f"{limits.max_zip_entries:,}", file=source)
        # Later duplicates win in zipfile; keep the first so a crafted second copy is ignored.
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            self._infos.setdefault(info.filename, info)

    def names(self) -> list[str]:
        return [n for n in self._infos if _safe_name(n)]

    def has(self, name: str) -> bool:
        return name in self._infos and _safe_name(name)

    def read(self, name: str) -> bytes:
        """One member's bytes, refusing declared sizes, ratios or totals over the limits."""
        info = self._infos.get(name)
        if info is None or not _safe_name(name):
            raise InputError(f"zip member {name!r} is missing", file=self.source)
        lim = self.limits
        where = f"member {name}"
        if info.file_size > lim.max_member_bytes:
            raise InputError(f"declares {info.file_size:,} bytes uncompressed; the limit is "
                             f"{lim.max_member_bytes:,} (possible zip bomb)",
                             file=self.source, where=where)
        if info.file_size > MiB and info.file_size > lim.max_ratio * max(info.compress_size, 1):
            raise InputError(f"compression ratio {info.file_size / max(info.compress_size, 1):,.0f}:1 "
                             f"is over {lim.max_ratio:,.0f}:1 (possible zip bomb)",
                             file=self.source, where=where)
        if self._read_total + info.file_size > lim.max_total_member_bytes:
            raise InputError(f"members read would exceed {lim.max_total_member_bytes:,} bytes "
                             "(possible zip bomb)", file=self.source, where=where)
        try:
            with self._zip.open(info) as f:
                # zipfile stops at the declared size and checks the CRC, so a member that lies
                # about its size fails instead of inflating without bound; the cap is belt and
                # braces.
                data = f.read(lim.max_member_bytes + 1)
        except _ZIP_ERRORS as e:
            raise InputError(f"cannot decompress ({e})", file=self.source, where=where) from None
        if len(data) > lim.max_member_bytes:
            raise InputError("decompresses past the member limit (possible zip bomb)",
                             file=self.source, where=where)
        self._read_total += len(data)
        return data


def _safe_name(name: str) -> bool:
    return not (name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/")
                or ":" in name.split("/")[0])
