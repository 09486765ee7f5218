"""`scopecard prices refresh`: replace the workspace's price catalogue with an upstream one.

The download is bounded in every way a server could misbehave: a connect/read timeout, a total
deadline (so a server trickling one byte at a time cannot hold us), a size limit enforced while
reading (the body is never buffered past it), at most 5 redirects, each to the same server
(another host, a downgrade to http or a URL with credentials is refused, naming where it
went). The body must parse as a scopecard catalogue before anything is written, and the target
is replaced atomically, so on any failure the last good copy stays byte-identical.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from estimators.atomic import write_atomic
from estimators.errors import InputError
from estimators.prices import (
    BUNDLED_CATALOGUE,
    CatalogueFile,
    PriceRow,
    parse_catalogue_bytes,
    read_catalogue_file,
)
from estimators.redact import mask_secrets

MAX_REDIRECTS = 5
# Fields whose change alters what a call costs; other fields (notes, sources) are not a "change".
PRICE_FIELDS = (
    "currency", "input", "output", "cache_read", "cache_write", "tiers", "batch_discount",
    "off_peak", "request_fee",
)


@dataclass(frozen=True)
class PriceChange:
    """One model whose row in force differs between the old and the new catalogue."""

    id: str
    old: PriceRow
    new: PriceRow
    fields: tuple[str, ...]


@dataclass(frozen=True)
class RefreshResult:
    url: str  # where the catalogue came from, after redirects (credentials never included)
    requested: str  # the URL asked for
    target: Path
    bytes_read: int
    version: str | None
    compared_with: str  # the catalogue the diff is against
    models_before: int
    models_after: int
    added: tuple[PriceRow, ...] = ()
    removed: tuple[PriceRow, ...] = ()
    changed: tuple[PriceChange, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _public(url: httpx.URL) -> str:
    """A URL fit to print: no user name or password, key-shaped parts masked."""
    return mask_secrets(str(url.copy_with(userinfo=b"")))


def _default_port(url: httpx.URL) -> int | None:
    return url.port or {"http": 80, "https": 443}.get(url.scheme)


def redirect_allowed(source: httpx.URL, target: httpx.URL) -> bool:
    """Whether a redirect from `source` to `target` stays with the same server: the same host
    with the same scheme and port, or the same host moving from http to https (any port: the
    upgrade changes the default one). Anything else is another party's say on our prices."""
    if target.host != source.host:  # httpx lower-cases hosts
        return False
    if (source.scheme, target.scheme) == ("http", "https"):
        return True
    return target.scheme == source.scheme and _default_port(target) == _default_port(source)


def _checked_url(url: str) -> httpx.URL:
    """`url` parsed, or InputError: only http(s), and no credentials (they end up printed)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as e:
        raise InputError(f"not a valid URL: {e}") from None
    if parsed.userinfo:
        raise InputError("the URL holds a user name or password; scopecard neither sends nor "
                         "prints credentials in a URL: give the catalogue's URL without them",
                         file=_public(parsed))
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError("only http:// and https:// URLs are fetched", file=_public(parsed))
    return parsed


def _next_url(current: httpx.URL, target: httpx.URL) -> httpx.URL:
    """Where a redirect from `current` may go, or InputError naming where it tried to go."""
    if target.userinfo:
        raise InputError(f"the server redirected to a URL with a user name or password "
                         f"({_public(target)}, on {target.host}); not followed",
                         file=_public(current))
    if not redirect_allowed(current, target):
        raise InputError(f"the server redirected to another host or scheme ({_public(target)}, "
                         f"on {target.host}); only redirects within {current.scheme}://"
                         f"{current.host} (or on to https) are followed. If you trust it, "
                         f"pass that URL with --from", file=_public(current))
    return target


def _fetch(url: httpx.URL, timeout: float, max_bytes: int) -> tuple[bytes, httpx.URL]:
    """The body of a 200 response and the URL it came from (after redirects on the same
    server, at most MAX_REDIRECTS), or InputError saying why not and at which URL."""
    deadline = time.monotonic() + timeout
    current = url
    try:
        # Redirects are followed here, not by httpx, to check each one before it is requested.
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current) as resp:
                    if resp.next_request is not None:  # a redirect with a Location
                        current = _next_url(current, resp.next_request.url)
                        continue
                    return _body(resp, timeout, max_bytes, deadline), current
            raise InputError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)",
                             file=_public(url))
    except httpx.TimeoutException:
        raise InputError(f"no answer within {timeout:g} s (timeout)",
                         file=_public(current)) from None
    except httpx.ConnectError as e:
        raise InputError(f"cannot connect: {e}", file=_public(current)) from None
    except httpx.RemoteProtocolError as e:
        raise InputError(f"connection broke off (truncated body?): {e}",
                         file=_public(current)) from None
    except httpx.HTTPError as e:
        raise InputError(f"download failed: {type(e).__name__}: {e}",
                         file=_public(current)) from None


def _body(resp: httpx.Response, timeout: float, max_bytes: int, deadline: float) -> bytes:
    """The body of a 200 response, read within the size limit and the deadline."""
    where = _public(resp.url)
    if resp.status_code != 200:
        raise InputError(f"server answered HTTP {resp.status_code} {resp.reason_phrase}".rstrip(),
                         file=where)
    declared = resp.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise InputError(f"body of {int(declared):,} bytes is over the {max_bytes:,}-byte limit",
                         file=where)
    body = bytearray()
    # iter_bytes yields decoded bytes, so the limit also caps a compressed bomb.
    for chunk in resp.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise InputError(f"body is over the {max_bytes:,}-byte limit; stopped reading",
                             file=where)
        if time.monotonic() > deadline:
            raise InputError(f"download took longer than {timeout:g} s; stopped reading",
                             file=where)
    encoded = resp.headers.get("content-encoding", "identity") != "identity"
    if declared and declared.isdigit() and not encoded and len(body) != int(declared):
        raise InputError(f"truncated body: got {len(body):,} of {int(declared):,} bytes",
                         file=where)
    return bytes(body)


def _in_force(rows: list[PriceRow], as_of: dt.date) -> dict[str, PriceRow]:
    """Each model's row in force on `as_of` (the latest effective_from not after it)."""
    out: dict[str, PriceRow] = {}
    for r in sorted(rows, key=lambda r: r.effective_from or dt.date.min):
        if (r.effective_from or dt.date.min) <= as_of or r.id not in out:
            out[r.id] = r
    return out


def diff_catalogues(
    old: CatalogueFile | None, new: CatalogueFile, as_of: dt.date | None = None
) -> tuple[tuple[PriceRow, ...], tuple[PriceRow, ...], tuple[PriceChange, ...]]:
    """Models added, removed and changed (in their row in force on `as_of`)."""
    as_of = as_of or dt.date.today()
    before = _in_force(old.models if old else [], as_of)
    after = _in_force(new.models, as_of)
    added = tuple(after[k] for k in sorted(after.keys() - before.keys()))
    removed = tuple(before[k] for k in sorted(before.keys() - after.keys()))
    changed = []
    for k in sorted(before.keys() & after.keys()):
        fields = tuple(f for f in PRICE_FIELDS if getattr(before[k], f) != getattr(after[k], f))
        if fields:
            changed.append(PriceChange(k, before[k], after[k], fields))
    return added, removed, tuple(changed)


def refresh_catalogue(
    url: str,
    target: Path,
    *,
    timeout: float = 10,
    max_bytes: int = 20_000_000,
    as_of: dt.date | None = None,
) -> RefreshResult:
    """Download the catalogue at `url`, check it, and atomically install it at `target`.

    The diff is against `target` if it exists, else the bundled catalogue. Any failure raises
    InputError and leaves `target` untouched. `timeout` bounds each wait and the whole download.
    """
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise InputError(f"timeout must be a positive number of seconds (got {timeout!r})")
    requested = _checked_url(url)
    raw, final = _fetch(requested, timeout, max_bytes)
    source = _public(final)
    new = parse_catalogue_bytes(raw, source)  # nesting and huge integers are InputErrors there
    if not new.models:
        raise InputError("the downloaded catalogue has no models; refusing to install it",
                         file=source)
    warnings: list[str] = []
    current = target if target.exists() else BUNDLED_CATALOGUE
    try:
        old: CatalogueFile | None = read_catalogue_file(current)
    except InputError as e:
        # A damaged installed copy must not block the repair: diff against nothing.
        old = None
        warnings.append(f"the installed catalogue could not be read ({e}); every model counts as added")
    added, removed, changed = diff_catalogues(old, new, as_of)
    write_atomic(target, raw)
    return RefreshResult(
        url=source,
        requested=_public(requested),
        target=target,
        bytes_read=len(raw),
        version=new.version,
        compared_with=str(current),
        models_before=len({r.id for r in old.models}) if old else 0,
        models_after=len({r.id for r in new.models}),
        added=added,
        removed=removed,
        changed=changed,
        warnings=tuple(warnings),
    )


def _price(row: PriceRow) -> str:
    out = f"{row.currency} {row.input:g} in"
    if row.kind == "chat":
        out += f" / {row.output:g} out"
    return out + " per 1M"


def _value(row: PriceRow, name: str) -> str:
    v = getattr(row, name)
    if name == "tiers":
        return ", ".join(f">{t.above_tokens:,}: {t.input:g}/{t.output:g}" for t in v) or "none"
    if name == "off_peak":
        return ", ".join(f"{w.start}-{w.end} {w.tz} -{w.discount:.0%}" for w in v) or "none"
    if name == "batch_discount":
        return f"{v:.0%}"
    return "none" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))


def format_diff(result: RefreshResult) -> str:
    """What changed, one model per line, for the terminal."""
    lines = [
        f"Installed {result.target} from {result.url}"
        + (f" (redirected from {result.requested})" if result.requested != result.url else "")
        + (f" (version {result.version})" if result.version else ""),
        (f"{result.models_after} models (was {result.models_before} in {result.compared_with}); "
         f"{len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed"),
    ]
    lines += [f"warning: {w}" for w in result.warnings]
    lines += [f"  + {r.id}: {_price(r)}" for r in result.added]
    lines += [f"  - {r.id}: {_price(r)}" for r in result.removed]
    for c in result.changed:
        parts = [f"{f} {_value(c.old, f)} -> {_value(c.new, f)}" for f in c.fields]
        lines.append(f"  ~ {c.id}: " + "; ".join(parts))
    if not (result.added or result.removed or result.changed):
        lines.append("  no price changes")
    return "\n".join(lines)
