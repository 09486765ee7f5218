"""`scopecard evals run` against a fake OpenAI-compatible server on 127.0.0.1.

The server answers from a table keyed by prompt: some answers right, some wrong, one 500 twice
before answering, one 429 (Retry-After: 0) once, one too slow, one malformed, one 400 that
echoes the Authorization header back. Nothing here reaches the network.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics.evals import runner
from rubrics.evals.runner import RunConfig, execute, grade, prepare
from rubrics.evals.store import EvalStore
from rubrics.evals.suites import SuiteCase, load_suite
from rubrics.examples import EXAMPLE_SUITE
from tui.cli import main

KEY_ENV = "SCOPECARD_TEST_API_KEY"
TIMEOUT = 0.4  # client seconds per attempt; the slow route sleeps well past it
SLOW = 3.0

Route = Callable[["Handler", int], None]  # (handler, how many times this prompt was asked)


def chat(text: str) -> bytes:
    return json.dumps({"id": "x", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text},
         "finish_reason": "stop"}]}).encode()


class Handler(BaseHTTPRequestHandler):
    server: FakeAPI

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def reply(self, status: int, body: bytes, **headers: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k.replace("_", "-"), v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the slow route)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        prompt = json.loads(body)["messages"][0]["content"]
        count = self.server.record(self.path, dict(self.headers.items()), body, prompt)
        if self.path != "/v1/chat/completions":
            self.reply(404, b'{"error": "no such route"}')
        elif self.server.key is not None and \
                self.headers.get("Authorization") != f"Bearer {self.server.key}":
            # echo what arrived, as some servers do: the client must scrub it
            self.reply(401, f"bad key: {self.headers.get('Authorization')}".encode())
        else:
            self.server.routes[prompt](self, count)


class FakeAPI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route], key: str | None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes, self.key = routes, key
        self.lock = threading.Lock()
        self.asked: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/v1"

    def record(self, path: str, headers: dict[str, str], body: bytes, prompt: str) -> int:
        with self.lock:
            self.requests.append((path, headers, body))
            self.asked[prompt] += 1
            return self.asked[prompt]


def answer(text: str) -> Route:
    return lambda h, n: h.reply(200, chat(text))


def fail_first(times: int, status: int, then: str, **headers: str) -> Route:
    return lambda h, n: h.reply(status, b'{"error": "busy"}', **headers) if n <= times \
        else h.reply(200, chat(then))


def slow(h: Handler, n: int) -> None:
    time.sleep(SLOW)
    h.reply(200, chat("too late"))


def garbled(h: Handler, n: int) -> None:
    h.reply(200, b'{"choices": [')


def echo_400(h: Handler, n: int) -> None:
    h.reply(400, f"bad request from {h.headers['Authorization']}".encode())


# (id, difficulty, prompt, expected, desensitized, route)
CASES = [
    ("right-1", "easy", "Q right 1", "alpha\nbeta", True, answer("ALPHA, then Beta.")),
    ("right-2", "medium", "Q right 2", "gamma", True, answer("gamma")),
    ("wrong-1", "hard", "Q wrong 1", "delta\nkappa", True, answer("only delta here")),
    ("flaky", "medium", "Q flaky", "omega", True, fail_first(2, 500, "Omega")),
    ("limited", "easy", "Q limited", "zeta", True, fail_first(1, 429, "zeta", Retry_After="0")),
    ("slow", "hard", "Q slow", "eta", True, slow),
    ("garbled", "easy", "Q garbled", "theta", True, garbled),
    ("echo", "medium", "Q echo", "iota", True, echo_400),
    ("secret", "easy", "Q secret: Jane Roe, 12 High St", "lambda", False, answer("lambda")),
]
FAST = {"right-1", "right-2", "wrong-1", "garbled"}


def suite_toml(path: Path, cases: list[tuple]) -> Path:
    lines = ['schema = "scopecard.suite/1"', 'name = "runner-test"', ""]
    for cid, diff, prompt, expected, desens, _ in cases:
        lines += ["[[cases]]", f'id = "{cid}"', f'difficulty = "{diff}"',
                  f"desensitized = {str(desens).lower()}", f"prompt = {json.dumps(prompt)}",
                  f"expected = {json.dumps(expected)}", ""]
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(autouse=True)
def quick_and_local(monkeypatch: pytest.MonkeyPatch) -> str:
    """Near-zero backoff, no proxy in the way, and a planted key unique to this test."""
    monkeypatch.setattr(runner, "MAX_BACKOFF", 0.01)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    key = f"sk-planted-{uuid.uuid4().hex}"
    monkeypatch.setenv(KEY_ENV, key)
    return key


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeAPI]]:
    servers: list[FakeAPI] = []

    def start(routes: dict[str, Route], key: str | None = None) -> FakeAPI:
        api = FakeAPI(routes, key)
        threading.Thread(target=api.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        servers.append(api)
        return api

    yield start
    for api in servers:
        api.shutdown()
        api.server_close()


def routes_for(cases: list[tuple]) -> dict[str, Route]:
    return {c[2]: c[5] for c in cases}


def workspace_bytes(root: Path) -> Iterator[tuple[Path, bytes]]:
    for p in root.rglob("*"):
        if p.is_file():
            yield p, p.read_bytes()


def cli_run(suite: Path, api: FakeAPI, *extra: str) -> int:
    return main(["evals", "run", str(suite), "--model", "acme/tiny-1", "--base-url",
                 api.base_url, "--api-key-env", KEY_ENV, "--timeout", str(TIMEOUT),
                 "--retries", "2", *extra])


def _ws() -> Workspace:
    """The test's workspace (conftest points SCOPECARD_HOME at a temp folder)."""
    return Workspace(Path(os.environ["SCOPECARD_HOME"]))


def stored(model: str = "acme/tiny-1") -> tuple[int, int, int]:
    """k, n, errors of the model's latest run in the workspace store."""
    with EvalStore(_ws().evals_db) as store:
        latest = store.runs(model=model)[-1]
    return latest.k, latest.n, latest.errors


def test_run_grades_retries_and_keeps_the_key_secret(tmp_path: Path, serve, capsys,
                                                     quick_and_local: str):
    key = quick_and_local
    api = serve(routes_for(CASES), key=key)
    suite = suite_toml(tmp_path / "suite.toml", CASES)

    assert cli_run(suite, api, "--run-id", "r1", "--concurrency", "4") == 0
    out = capsys.readouterr()
    assert "acme/tiny-1 on runner-test: 4/5 passed, 3 error(s)" in out.out
    assert "skipped 1 case(s) not marked desensitized (never sent): secret" in out.out

    # errors (timeout, malformed, 400) are counted apart from failures (wrong-1)
    assert stored() == (4, 5, 3)
    ws = _ws()
    lines = [json.loads(x) for x in (ws.root / "runs" / "r1.jsonl").read_text().splitlines()]
    by_id = {x["case_id"]: x for x in lines}
    assert len(lines) == 8 and "secret" not in by_id
    assert by_id["wrong-1"]["passed"] is False and by_id["wrong-1"]["missing"] == ["kappa"]
    assert by_id["slow"]["passed"] is None and "timed out" in by_id["slow"]["error"]
    assert "malformed" in by_id["garbled"]["error"]
    assert "[redacted]" in by_id["echo"]["error"]  # the echoed key was scrubbed
    csv_rows = (ws.root / "runs" / "r1.csv").read_text().splitlines()
    assert csv_rows[0] == "case_id,suite,model,vendor,difficulty,kind,passed,score,run_id,timestamp"
    assert sum(r.split(",")[6] == "error" for r in csv_rows[1:]) == 3
    # the results are kept in evals/ like any import (issue #17), with the suite file
    kept = list(ws.evals_dir.glob("*.csv"))
    assert [p.read_bytes() for p in kept] == [(ws.root / "runs" / "r1.csv").read_bytes()]
    assert len(list((ws.evals_dir / "suites").glob("*.toml"))) == 1

    # retries: 500 twice then 200; 429 once; timeouts retried; 400 and malformed are not
    assert api.asked["Q flaky"] == 3 and api.asked["Q limited"] == 2
    assert api.asked["Q slow"] == 3 and api.asked["Q garbled"] == 1 and api.asked["Q echo"] == 1
    # the undesensitized case never left the machine
    assert not any(b"Jane Roe" in body for _, _, body in api.requests)

    # the key went out only in the Authorization header ...
    for path, headers, body in api.requests:
        assert path == "/v1/chat/completions"
        assert headers["Authorization"] == f"Bearer {key}"
        assert json.loads(body)["model"] == "tiny-1"
        assert key not in body.decode()
        assert not [k for k, v in headers.items() if key in v and k != "Authorization"]
    # ... and is in no output and no file of the workspace
    assert key not in out.out + out.err
    for path, data in workspace_bytes(ws.root):
        assert key.encode() not in data, path


def test_a_rerun_asks_only_what_is_not_done(tmp_path: Path, serve, capsys):
    cases = [c for c in CASES if c[0] in FAST]
    api = serve(routes_for(cases))
    suite = suite_toml(tmp_path / "suite.toml", cases)
    assert cli_run(suite, api, "--run-id", "again") == 0
    first = api.asked.copy()
    assert stored() == (2, 3, 1)

    assert cli_run(suite, api, "--run-id", "again") == 0
    assert "(1 asked now, 3 from the checkpoint)" in capsys.readouterr().out
    # passed and failed cases are not asked again; the errored one is
    assert [p for p in api.asked if api.asked[p] != first[p]] == ["Q garbled"]
    assert stored() == (2, 3, 1)


def test_an_interrupted_run_resumes_from_the_checkpoint(tmp_path: Path, serve):
    cases = [c for c in CASES if c[0] in FAST]
    api = serve(routes_for(cases))
    suite = suite_toml(tmp_path / "suite.toml", cases)
    ws = _ws()
    cfg = RunConfig(suite, "acme/tiny-1", api.base_url, KEY_ENV, concurrency=1,
                    timeout=TIMEOUT, run_id="ctrl-c")

    def ctrl_c_after_two(done: int, total: int, errors: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(prepare(cfg, ws), ws, ctrl_c_after_two)
    checkpoint = ws.root / "runs" / "ctrl-c.jsonl"
    done = [json.loads(x)["case_id"] for x in checkpoint.read_text().splitlines()]
    assert done == ["right-1", "right-2"]
    assert not (ws.root / "runs" / "ctrl-c.csv").exists()

    plan = prepare(cfg, ws)
    assert [c.id for c in plan.todo] == ["wrong-1", "garbled"]
    summary = execute(plan, ws)
    assert (summary.sent, summary.resumed, summary.passed, summary.graded) == (2, 2, 2, 3)
    assert api.asked["Q right 1"] == 1 and api.asked["Q right 2"] == 1


def test_the_bundled_suite_runs_and_is_filed_under_its_hash(serve):
    suite, _ = load_suite(EXAMPLE_SUITE)
    # answer every case right except the hard ones, which get an empty answer
    api = serve({c.prompt: answer("" if c.difficulty == "hard" else " / ".join(
        runner.phrases(c.expected))) for c in suite.cases})
    ws = _ws()
    summary = execute(prepare(RunConfig(EXAMPLE_SUITE, "acme/tiny-1", api.base_url, KEY_ENV,
                                        concurrency=8, timeout=5), ws), ws)
    hard = sum(c.difficulty == "hard" for c in suite.cases)
    assert (summary.passed, summary.graded, summary.errors) == (120 - hard, 120, 0)
    assert sum(api.asked.values()) == 120
    assert summary.imported.runs[0].suite_hash == suite.hash  # filed under the declared suite


def test_a_refused_key_stops_the_run_without_leaking_it(tmp_path: Path, serve, capsys,
                                                         quick_and_local: str):
    api = serve(routes_for(CASES), key="the-right-key")
    suite = suite_toml(tmp_path / "suite.toml", CASES)
    assert cli_run(suite, api, "--run-id", "nokey", "--concurrency", "1") == 2
    out = capsys.readouterr()
    assert "HTTP 401" in out.err and "[redacted]" in out.err
    assert sum(api.asked.values()) == 1  # stopped at the first refusal
    assert quick_and_local not in out.out + out.err
    for path, data in workspace_bytes(_ws().root):
        assert quick_and_local.encode() not in data, path
    with EvalStore(_ws().evals_db) as store:
        assert store.runs() == []


def test_nothing_listening_stops_the_run(tmp_path: Path, capsys):
    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    suite = suite_toml(tmp_path / "suite.toml", CASES[:1])
    assert main(["evals", "run", str(suite), "--model", "acme/tiny-1", "--base-url",
                 f"http://127.0.0.1:{port}/v1", "--retries", "1"]) == 2
    assert "cannot connect" in capsys.readouterr().err


@pytest.mark.parametrize("change, message", [
    ({"suite": "missing.toml"}, "missing.toml: no such file"),
    ({"suite": "private.toml"}, "desensitized"),
    ({"url": "ftp://127.0.0.1/v1"}, "not an http(s) URL"),
    ({"url": "not a url"}, "not an http(s) URL"),
    ({"url": "http://me:pw@127.0.0.1/v1"}, "credentials"),
    ({"model": "gpt-4o"}, "vendor/model"),
    ({"run_id": "../escape"}, "run id"),
    ({"concurrency": "0"}, "at least 1"),
])
def test_bad_input_exits_2_before_any_request(tmp_path: Path, capsys, change, message):
    suite_toml(tmp_path / "ok.toml", CASES[:2])
    suite_toml(tmp_path / "private.toml", [c for c in CASES if not c[4]])
    args = {"suite": "ok.toml", "url": "http://127.0.0.1:9/v1", "model": "acme/tiny-1",
            "run_id": "x", "concurrency": "2"} | change
    assert main(["evals", "run", str(tmp_path / args["suite"]), "--model", args["model"],
                 "--base-url", args["url"], "--run-id", args["run_id"],
                 "--concurrency", args["concurrency"]]) == 2
    assert message in capsys.readouterr().err
    assert not (_ws().root / "runs").exists()


def test_a_checkpoint_of_another_model_is_refused(tmp_path: Path, serve):
    cases = [c for c in CASES if c[0] == "right-1"]
    api = serve(routes_for(cases))
    suite = suite_toml(tmp_path / "suite.toml", cases)
    ws = _ws()
    execute(prepare(RunConfig(suite, "acme/tiny-1", api.base_url, run_id="shared"), ws), ws)
    with pytest.raises(InputError, match="choose another --run-id"):
        prepare(RunConfig(suite, "acme/tiny-2", api.base_url, run_id="shared"), ws)


def test_grading_is_case_insensitive_and_needs_every_phrase():
    case = SuiteCase("c", "easy", "single", "c", expected="Refund\n 30 days \n")
    assert grade(case, "a REFUND within 30 Days").passed is True
    missed = grade(case, "a refund, soon")
    assert (missed.passed, missed.score, missed.missing) == (False, 0.5, ("30 days",))
