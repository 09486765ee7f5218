"""`prices refresh` against a local HTTP server that misbehaves in every way we guard against.

The server binds 127.0.0.1 on an ephemeral port; nothing here reaches the network. Every failure
case checks that the installed catalogue is byte-identical afterwards.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from estimators.errors import InputError
from estimators.prices import parse_catalogue_bytes
from estimators.refresh import format_diff, redirect_allowed, refresh_catalogue

ROW = """
[[models]]
id = "{id}"
currency = "USD"
input = {input}
output = {output}
source = "test"
verified_on = 2026-11-24
"""


def catalogue(*rows: tuple[str, float, float], version: str = "test") -> bytes:
    body = f'schema = "scopecard.prices/1"\nversion = "{version}"\n'
    body += "".join(ROW.format(id=i, input=a, output=b) for i, a, b in rows)
    return body.encode()


OLD = catalogue(("acme/keep", 1.0, 2.0), ("acme/cheaper", 3.0, 6.0), ("acme/gone", 1.0, 1.0), version="old")
NEW = catalogue(("acme/keep", 1.0, 2.0), ("acme/cheaper", 2.5, 6.0), ("acme/fresh", 0.1, 0.2), version="new")
INVALID = catalogue(("acme/keep", 1.0, 2.0)).replace(b"input = 1.0", b'input = "cheap"')
CHUNK = b"#" * 65536


class Handler(BaseHTTPRequestHandler):
    """Routes by path; each one misbehaves in one way."""

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _head(self, status: int = 200, length: int | None = None, **headers: str) -> None:
        self.send_response(status)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        route = ROUTES.get(self.path)
        if route is None:
            self.send_error(404)
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up, as it should for the bad routes


def ok(h: Handler) -> None:
    h._head(200, len(NEW))
    h.wfile.write(NEW)


def slow(h: Handler) -> None:
    time.sleep(2)  # longer than the client's 0.5 s timeout
    ok(h)


def error_500(h: Handler) -> None:
    h.send_error(500)


def truncated(h: Handler) -> None:
    h._head(200, len(NEW) + 1000)  # promises more than it sends, then hangs up
    h.wfile.write(NEW)
    h.wfile.flush()
    h.close_connection = True


def invalid(h: Handler) -> None:
    h._head(200, len(INVALID))
    h.wfile.write(INVALID)


def empty(h: Handler) -> None:
    body = b'schema = "scopecard.prices/1"\n'
    h._head(200, len(body))
    h.wfile.write(body)


def huge(h: Handler) -> None:
    """200 MB, generated lazily and with no Content-Length: the client must count for itself."""
    h._head(200)
    for _ in range(200 * 2**20 // len(CHUNK)):
        h.wfile.write(CHUNK)


def huge_declared(h: Handler) -> None:
    h._head(200, 200 * 2**20)
    for _ in range(200 * 2**20 // len(CHUNK)):
        h.wfile.write(CHUNK)


def loop(h: Handler) -> None:
    h._head(302, 0, Location="/loop")


def redirect_ok(h: Handler) -> None:
    h._head(302, 0, Location="/ok")


def redirect_to(location: str) -> Callable[[Handler], None]:
    """A route answering 302 to `location`, where {port} is this server's port."""
    def route(h: Handler) -> None:
        h._head(302, 0, Location=location.format(port=h.server.server_address[1]))
    return route


def body(data: bytes) -> Callable[[Handler], None]:
    def route(h: Handler) -> None:
        h._head(200, len(data))
        h.wfile.write(data)
    return route


NESTED = b'schema = "scopecard.prices/1"\nx = ' + b"{a = " * 400 + b"1" + b"}" * 400 + b"\n"
BIG_INT = b'schema = "scopecard.prices/1"\nx = ' + b"7" * 5000 + b"\n"


def trickle(h: Handler) -> None:
    """Slow loris: a byte every 50 ms, so no single read ever times out."""
    h._head(200, 100_000)
    for _ in range(100_000):
        h.wfile.write(b"#")
        h.wfile.flush()
        time.sleep(0.05)


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/ok": ok, "/slow": slow, "/500": error_500, "/truncated": truncated, "/invalid": invalid,
    "/empty": empty, "/huge": huge, "/huge-declared": huge_declared, "/loop": loop,
    "/redirect-ok": redirect_ok, "/trickle": trickle,
    "/redirect-twice": redirect_to("/redirect-ok"),
    "/redirect-away": redirect_to("http://localhost:{port}/ok"),
    "/redirect-away-creds": redirect_to("http://admin:hunter2@evil.invalid/prices.toml"),
    "/redirect-creds": redirect_to("http://admin:hunter2@127.0.0.1:{port}/ok"),
    "/nested": body(NESTED), "/big-int": body(BIG_INT),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True  # handlers still sleeping must not hold up the test run
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    target = tmp_path / "prices.catalogue.toml"
    target.write_bytes(OLD)
    return target


def test_ok_installs_and_diffs(server: str, installed: Path) -> None:
    result = refresh_catalogue(f"{server}/ok", installed, timeout=2)
    assert installed.read_bytes() == NEW
    assert [r.id for r in result.added] == ["acme/fresh"]
    assert [r.id for r in result.removed] == ["acme/gone"]
    assert [(c.id, c.fields, c.old.input, c.new.input) for c in result.changed] == [
        ("acme/cheaper", ("input",), 3.0, 2.5)
    ]
    assert (result.models_before, result.models_after, result.version) == (3, 3, "new")
    text = format_diff(result)
    assert "+ acme/fresh" in text and "- acme/gone" in text
    assert "~ acme/cheaper: input 3 -> 2.5" in text
    assert not list(installed.parent.glob("*.tmp"))  # no temp file left behind


def test_follows_a_few_redirects(server: str, installed: Path) -> None:
    result = refresh_catalogue(f"{server}/redirect-twice", installed, timeout=2)
    assert installed.read_bytes() == NEW
    # the output names where the catalogue came from, not only the URL asked for
    assert result.url == f"{server}/ok" and result.requested == f"{server}/redirect-twice"
    assert f"from {server}/ok (redirected from {server}/redirect-twice)" in format_diff(result)


@pytest.mark.parametrize(
    ("path", "names", "hidden"),
    [
        ("/redirect-away", "localhost", "/ok"),  # same server, but another host name
        ("/redirect-away-creds", "evil.invalid", "hunter2"),
        ("/redirect-creds", "user name or password", "hunter2"),
    ],
)
def test_redirects_leave_the_host_only_with_a_refusal(
        server: str, installed: Path, path: str, names: str, hidden: str) -> None:
    """Defect 13: a redirect to another host was followed silently; one to a URL holding a
    password was followed too. Both are refused, naming where it went, never the password."""
    with pytest.raises(InputError) as err:
        refresh_catalogue(f"{server}{path}", installed, timeout=2)
    message = str(err.value)
    assert names in message and "hunter2" not in message and "admin:" not in message
    assert err.value.file == f"{server}{path}"
    assert installed.read_bytes() == OLD


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("https://p.example/a", "https://p.example/b", True),
        ("http://p.example/a", "https://p.example/b", True),  # an upgrade to TLS
        ("http://p.example:8080/a", "https://p.example:8443/b", True),
        ("https://p.example/a", "http://p.example/b", False),  # a downgrade
        ("https://p.example/a", "https://p.example:8443/b", False),  # another service
        ("https://p.example/a", "https://cdn.example/b", False),
        ("https://p.example/a", "https://p.example.evil/b", False),
        ("https://p.example/a", "ftp://p.example/b", False),
    ],
)
def test_which_redirects_are_followed(source: str, target: str, allowed: bool) -> None:
    """Defect 13: only the same scheme and host (and port), or http to https on that host."""
    assert redirect_allowed(httpx.URL(source), httpx.URL(target)) is allowed


def test_a_url_with_a_password_is_refused_without_printing_it(
        server: str, installed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Defect 13: `user:password@` URLs were accepted and the password printed."""
    url = server.replace("http://", "http://admin:hunter2@") + "/ok"
    with pytest.raises(InputError, match="user name or password") as err:
        refresh_catalogue(url, installed, timeout=2)
    assert "hunter2" not in str(err.value)
    assert installed.read_bytes() == OLD
    from tui.cli import main

    assert main(["prices", "refresh", "--from", url, "--timeout", "2"]) == 2
    captured = capsys.readouterr()
    assert "hunter2" not in captured.err + captured.out and "user name or password" in captured.err


@pytest.mark.parametrize(("path", "reason"), [("/nested", "nested too deeply"),
                                              ("/big-int", "cannot be read")])
def test_a_hostile_catalogue_is_refused_naming_the_url(
        server: str, installed: Path, path: str, reason: str) -> None:
    """Defect 11 (feeds): a catalogue nested 400 levels deep or holding a 5,000-digit integer
    gave a traceback; it is an input error naming the URL, and the last good copy stays."""
    with pytest.raises(InputError, match=reason) as err:
        refresh_catalogue(f"{server}{path}", installed, timeout=2)
    assert err.value.file == f"{server}{path}"
    assert installed.read_bytes() == OLD


@pytest.mark.parametrize("timeout", [-1, 0, math.nan, math.inf, -math.inf])
def test_a_timeout_must_be_a_positive_number_of_seconds(installed: Path, timeout: float) -> None:
    """Defect 12 (defence in depth): refresh_catalogue itself refuses a timeout that is not a
    finite positive number, before connecting anywhere (the CLI checks --timeout too)."""
    with pytest.raises(InputError, match="timeout"):
        refresh_catalogue("http://127.0.0.1:9/prices.toml", installed, timeout=timeout)
    assert installed.read_bytes() == OLD


def test_missing_target_is_created_and_diffed_against_bundled(server: str, tmp_path: Path) -> None:
    target = tmp_path / "new" / "prices.catalogue.toml"
    result = refresh_catalogue(f"{server}/ok", target, timeout=2)
    assert target.read_bytes() == NEW
    assert result.models_before >= 60 and len(result.removed) >= 57


def test_damaged_installed_copy_is_repaired(server: str, installed: Path) -> None:
    installed.write_bytes(b"not [toml")
    result = refresh_catalogue(f"{server}/ok", installed, timeout=2)
    assert installed.read_bytes() == NEW
    assert result.warnings and len(result.added) == 3


@pytest.mark.parametrize(
    ("path", "reason", "kwargs"),
    [
        ("/slow", "timeout", {"timeout": 0.5}),
        ("/500", "HTTP 500", {}),
        ("/truncated", "truncated", {}),
        ("/invalid", "models[0] (acme/keep).input", {}),
        ("/empty", "no models", {}),
        ("/huge", "over the 2,000,000-byte limit", {"max_bytes": 2_000_000}),
        ("/huge-declared", "over the 2,000,000-byte limit", {"max_bytes": 2_000_000}),
        ("/loop", "redirects", {}),
        ("/trickle", "longer than 0.5 s", {"timeout": 0.5}),
    ],
)
def test_failure_keeps_installed_copy(
    server: str, installed: Path, path: str, reason: str, kwargs: dict[str, float]
) -> None:
    kwargs = {"timeout": 2, **kwargs}
    started = time.monotonic()
    with pytest.raises(InputError) as err:
        refresh_catalogue(f"{server}{path}", installed, **kwargs)  # type: ignore[arg-type]
    assert reason in str(err.value)
    assert installed.read_bytes() == OLD
    assert not list(installed.parent.glob("*.tmp"))
    # Bounded: even the trickle and the 200 MB body end within about the timeout.
    assert time.monotonic() - started < 2 * kwargs["timeout"] + 1


def test_connection_refused(installed: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InputError, match="cannot connect"):
        refresh_catalogue(f"http://127.0.0.1:{port}/prices.toml", installed, timeout=1)
    assert installed.read_bytes() == OLD


def test_fixture_catalogues_are_valid() -> None:
    assert len(parse_catalogue_bytes(OLD, "old").models) == 3
    assert len(parse_catalogue_bytes(NEW, "new").models) == 3


def test_cli_refresh_installs_into_the_workspace(server: str, isolated: Path, capsys) -> None:
    from tui.cli import main

    assert main(["prices", "refresh", "--from", f"{server}/ok", "--timeout", "2"]) == 0
    assert (isolated / "prices.catalogue.toml").read_bytes() == NEW
    assert "+ acme/fresh" in capsys.readouterr().out


def test_cli_refresh_failure_exits_2_and_keeps_the_copy(server: str, isolated: Path,
                                                          capsys) -> None:
    from tui.cli import main

    isolated.mkdir(parents=True, exist_ok=True)
    (isolated / "prices.catalogue.toml").write_bytes(OLD)
    assert main(["prices", "refresh", "--from", f"{server}/500", "--timeout", "2"]) == 2
    assert (isolated / "prices.catalogue.toml").read_bytes() == OLD
    err = capsys.readouterr().err
    assert err.startswith("scopecard: error:") and "Traceback" not in err
