"""`scopecard evals run`: grade a suite's desensitized cases against an OpenAI-compatible endpoint.

- Only cases marked desensitized are sent; the others are listed and skipped, as are cases with
  no prompt or no expected phrase (they could not be graded).
- A case passes when the answer contains every expected phrase (one per line of `expected`,
  case-insensitive). HTTP errors left after the retries, timeouts and malformed responses are
  *errors* (passed = error in the CSV), never failures: they say nothing about the model.
- 429, 5xx, timeouts and transport errors are retried with exponential backoff and full jitter;
  a small Retry-After (in seconds) is honoured. 401/403/404, or a server that cannot be reached
  at all, stop the run: every further case would end the same way.
- Each finished case is appended to `<workspace>/runs/<run_id>.jsonl` and flushed, so an
  interrupted run resumes with the same run id. Passed and failed cases are not asked again;
  errored cases are, since errors are usually transient.
- At the end the native results CSV is written atomically next to the checkpoint and imported
  into the workspace like any eval file (kept in evals/, then cached in the eval store) with
  the suite file, which supplies difficulty, kind and the suite hash.
- The API key comes only from an environment variable, goes only into the Authorization header,
  and is masked (with every other key-shaped string) in every error text before it is cut short,
  stored, printed or raised: a cut first could leave a key's prefix that no mask recognises.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from estimators.atomic import write_atomic
from estimators.errors import InputError
from estimators.paths import Workspace
from estimators.redact import mask_secrets
from rubrics.evals.files import import_file, open_store
from rubrics.evals.native_csv import native_csv_bytes
from rubrics.evals.results import fast_result
from rubrics.evals.store import ImportReport
from rubrics.evals.suites import Suite, SuiteCase, load_suite

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # a chat answer is far smaller; stop a runaway server
MAX_RETRY_AFTER = 30.0  # seconds; a longer Retry-After falls back to our own backoff
MAX_BACKOFF = 20.0
_RETRY_STATUS = {429, 500, 502, 503, 504}
_FATAL_STATUS = {401: "the server refused the API key", 403: "access denied",
                 404: "no such endpoint or model"}
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_BODY_SNIPPET = 200  # characters of an error response kept in the error text

ProgressFn = Callable[[int, int, int], None]  # (done, total, errors)


@dataclass(frozen=True)
class RunConfig:
    """What `scopecard evals run` was asked to do (validated by `prepare`)."""

    suite_file: Path
    model: str  # vendor/model, as stored and priced
    base_url: str
    api_key_env: str = DEFAULT_KEY_ENV
    remote_model: str = ""  # the id the endpoint expects; default: model after "vendor/"
    concurrency: int = 4
    timeout: float = 30.0  # seconds per attempt, connect to last byte
    retries: int = 3  # further attempts after the first
    run_id: str = ""
    backoff: float = 0.5  # seconds before the first retry, doubled for each further one


@dataclass(frozen=True)
class CaseOutcome:
    """One graded (or errored) case: a line of the checkpoint and a row of the CSV."""

    case_id: str
    passed: bool | None  # None: errored, not graded
    score: float | None  # share of expected phrases found
    timestamp: str
    missing: tuple[str, ...] = ()  # expected phrases the answer lacked
    error: str = ""


@dataclass
class RunPlan:
    """A validated run: which cases go out, which are skipped, and what is already done."""

    config: RunConfig
    suite: Suite
    suite_warnings: list[str]
    model: str  # vendor/model
    vendor: str
    remote_model: str
    url: str  # the chat completions endpoint
    run_id: str
    checkpoint: Path
    results_csv: Path
    cases: list[SuiteCase]  # to send (desensitized and gradeable)
    not_desensitized: list[str]
    ungradeable: list[str]
    done: dict[str, CaseOutcome] = field(default_factory=dict)  # checkpoint + this run
    checkpoint_warnings: list[str] = field(default_factory=list)

    @property
    def todo(self) -> list[SuiteCase]:
        """Cases still to send: not in the checkpoint, or errored there."""
        return [c for c in self.cases
                if c.id not in self.done or self.done[c.id].passed is None]


@dataclass(frozen=True)
class RunSummary:
    """What a finished run printed: k of n graded, errors apart, and where the files are."""

    run_id: str
    model: str
    suite: str
    passed: int
    graded: int
    errors: int
    sent: int  # cases asked in this invocation
    resumed: int  # cases taken from the checkpoint
    checkpoint: Path
    results_csv: Path
    imported: ImportReport


class _CaseError(Exception):
    """This case errored (after any retries); the run goes on."""


class _Fatal(Exception):
    """Every case would fail the same way (bad key, wrong URL): stop the run."""


class _Retryable(Exception):
    """A transient failure worth another attempt; `wait` is the server's Retry-After."""

    def __init__(self, message: str, wait: float | None = None, connect: bool = False):
        super().__init__(message)
        self.wait = wait
        self.connect = connect


# ---- preparing -------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def phrases(expected: str) -> list[str]:
    """The phrases a passing answer must contain: the non-empty lines of `expected`."""
    return [line.strip() for line in expected.splitlines() if line.strip()]


def _split_model(model: str, remote: str) -> tuple[str, str]:
    """(vendor, model id sent to the endpoint) from vendor/model."""
    vendor, sep, rest = model.partition("/")
    if not sep or not vendor or not rest or model != model.strip():
        raise InputError(f"model {model!r} is not vendor/model, e.g. openai/gpt-4o-mini",
                         where="--model")
    return vendor, remote.strip() or rest


def _endpoint(base_url: str) -> str:
    """{base_url}/chat/completions, after checking the URL is a plain http(s) address."""
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, TypeError) as e:
        raise InputError(f"not a URL: {e}", where="--base-url") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise InputError(f"{base_url!r} is not an http(s) URL such as "
                         "http://127.0.0.1:8000/v1", where="--base-url")
    if url.userinfo:  # it would be printed and stored with the URL; keys go in the env var
        raise InputError("the URL holds credentials; pass the key with --api-key-env instead",
                         where="--base-url")
    if url.query or url.fragment:
        raise InputError("the base URL takes no query or fragment", where="--base-url")
    return str(url).rstrip("/") + "/chat/completions"


def _is_loopback(url: str) -> bool:
    host = httpx.URL(url).host
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _sanitize(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:128]


def _run_id(requested: str, model: str, suite: str) -> str:
    """The requested run id (checked: it names files) or <model>-<suite>-<UTC time>."""
    if requested:
        if not _RUN_ID.fullmatch(requested):
            raise InputError(f"run id {requested!r}: letters, digits, '.', '_' and '-' only "
                             "(up to 128), starting with a letter or digit", where="--run-id")
        return requested
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return _sanitize(f"{model}-{suite}-{stamp}")


def _check_numbers(cfg: RunConfig) -> None:
    if cfg.concurrency < 1:
        raise InputError("must be at least 1", where="--concurrency")
    if not cfg.timeout > 0:
        raise InputError("must be more than 0 seconds", where="--timeout")
    if cfg.retries < 0:
        raise InputError("must be 0 or more", where="--retries")


def prepare(cfg: RunConfig, workspace: Workspace) -> RunPlan:
    """Validate everything and read the checkpoint; nothing is sent yet."""
    _check_numbers(cfg)
    vendor, remote = _split_model(cfg.model, cfg.remote_model)
    url = _endpoint(cfg.base_url)
    suite_file = cfg.suite_file.expanduser().resolve()
    if suite_file.suffix.lower() != ".toml":
        # the store only reads a suite *file* (for difficulty, kind, hash) when it is .toml
        raise InputError("a suite file is TOML (*.toml)", file=str(cfg.suite_file))
    suite, warnings = load_suite(suite_file)
    ids = [c.id for c in suite.cases]
    if len(set(ids)) != len(ids):  # the store would refuse the results after every call was made
        raise InputError("the suite has duplicate case ids; `scopecard evals suite check` "
                         "lists them", file=str(cfg.suite_file))
    not_desens = [c.id for c in suite.cases if not c.desensitized]
    desens = [c for c in suite.cases if c.desensitized]
    if not desens:
        raise InputError("no case is marked desensitized = true; only desensitized cases are "
                         "sent to an endpoint", file=str(cfg.suite_file))
    cases = [c for c in desens if c.prompt.strip() and phrases(c.expected)]
    sent = {c.id for c in cases}
    ungradeable = [c.id for c in desens if c.id not in sent]
    if not cases:
        raise InputError("no desensitized case has both a prompt and an expected phrase",
                         file=str(cfg.suite_file))
    run_id = _run_id(cfg.run_id.strip(), cfg.model, suite.name)
    runs = workspace.root / "runs"
    plan = RunPlan(cfg, suite, warnings, cfg.model, vendor, remote, url, run_id,
                   runs / f"{run_id}.jsonl", runs / f"{run_id}.csv", cases, not_desens,
                   ungradeable)
    plan.done = _load_checkpoint(plan)
    return plan


# ---- checkpoint ------------------------------------------------------------------------


def _parse_line(line: str) -> tuple[tuple[str, str], CaseOutcome] | None:
    """((model, suite hash), outcome) from a checkpoint line; None when it is not one."""
    try:
        rec = json.loads(line)
        owner = (str(rec["model"]), str(rec["suite_hash"]))
        passed, score = rec["passed"], rec["score"]
        outcome = CaseOutcome(str(rec["case_id"]), passed, score, str(rec["timestamp"]),
                              tuple(map(str, rec.get("missing", ()))), str(rec.get("error", "")))
    except (ValueError, KeyError, TypeError):
        return None
    if passed is not None and not isinstance(passed, bool):
        return None
    if score is not None and not isinstance(score, (int, float)):
        return None
    return owner, outcome


def _load_checkpoint(plan: RunPlan) -> dict[str, CaseOutcome]:
    """Outcomes already in the checkpoint (the last line per case wins).

    A torn last line (the process died mid-write) is skipped; a checkpoint written for another
    model or another set of cases is refused, since mixing them would corrupt the run.
    """
    path = plan.checkpoint
    if not path.exists():
        return {}
    wanted = {c.id for c in plan.cases}
    done: dict[str, CaseOutcome] = {}
    bad = 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            parsed = _parse_line(line)
            if parsed is None:
                bad += 1
                continue
            owner, outcome = parsed
            if owner != (plan.model, plan.suite.hash):
                raise InputError(f"run {plan.run_id} was started for {owner[0]} on suite hash "
                                 f"{owner[1][:12]}, not {plan.model} on {plan.suite.hash[:12]}; "
                                 "choose another --run-id", file=str(path))
            if outcome.case_id in wanted:
                done[outcome.case_id] = outcome
    if bad:
        plan.checkpoint_warnings.append(f"{bad} unreadable line(s) in the checkpoint skipped; "
                                        "those cases are asked again")
    return done


def _checkpoint_line(outcome: CaseOutcome, model: str, suite_hash: str) -> str:
    rec: dict[str, Any] = {"case_id": outcome.case_id, "passed": outcome.passed,
                           "score": outcome.score, "timestamp": outcome.timestamp,
                           "missing": list(outcome.missing), "error": outcome.error,
                           "model": model, "suite_hash": suite_hash}
    return json.dumps(rec, ensure_ascii=False) + "\n"


# ---- asking and grading ----------------------------------------------------------------


def grade(case: SuiteCase, answer: str) -> CaseOutcome:
    """Pass when the answer contains every expected phrase, ignoring case."""
    wanted = phrases(case.expected)
    folded = answer.casefold()
    missing = tuple(p for p in wanted if p.casefold() not in folded)
    score = round((len(wanted) - len(missing)) / len(wanted), 4)
    return CaseOutcome(case.id, not missing, score, _now(), missing)


def _answer(body: bytes) -> str:
    """The assistant's text from a chat completions response body."""
    try:
        doc = json.loads(body)
    except ValueError:
        raise _CaseError("malformed response: not JSON") from None
    try:
        content = doc["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise _CaseError("malformed response: no choices[0].message.content") from None
    if content is None:  # a refusal or a tool call: no text, so nothing can match
        return ""
    if not isinstance(content, str):
        raise _CaseError("malformed response: message content is not text")
    return content


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds when it is small enough to wait for (HTTP dates are ignored)."""
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return max(0.0, seconds) if seconds <= MAX_RETRY_AFTER else None


async def _read_capped(resp: httpx.Response) -> bytes:
    body = bytearray()
    async for chunk in resp.aiter_bytes():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise _CaseError(f"response over {MAX_RESPONSE_BYTES:,} bytes; stopped reading")
    return bytes(body)


def _snippet(body: bytes, key: str | None) -> str:
    """The start of an error body for a message: keys masked first, then cut (a server may
    echo the key it was sent, and a cut through it would leave a prefix no mask matches)."""
    return mask_secrets(body.decode("utf-8", "replace"), key)[:_BODY_SNIPPET].strip()


async def _attempt(client: httpx.AsyncClient, url: str, payload: dict[str, Any],
                   timeout: float, key: str | None) -> bytes:
    """One POST; the body of a 200, or the exception that classifies the failure."""
    try:
        # one deadline for the whole exchange, so a server trickling bytes cannot hold a slot
        async with asyncio.timeout(timeout):
            async with client.stream("POST", url, json=payload) as resp:
                body = await _read_capped(resp)
    except TimeoutError:
        raise _Retryable(f"timed out after {timeout:g} s") from None
    except httpx.ConnectError as e:
        raise _Retryable(f"cannot connect: {e}", connect=True) from None
    except httpx.TransportError as e:
        raise _Retryable(f"{type(e).__name__}: {e}") from None
    status = resp.status_code
    if status == 200:
        return body
    snippet = _snippet(body, key)
    message = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if status in _RETRY_STATUS:
        raise _Retryable(message, _retry_after(resp.headers.get("retry-after")))
    if status in _FATAL_STATUS:
        raise _Fatal(f"{message} ({_FATAL_STATUS[status]})")
    raise _CaseError(message)


async def _post(client: httpx.AsyncClient, url: str, payload: dict[str, Any],
                cfg: RunConfig, key: str | None) -> bytes:
    """POST with retries: exponential backoff with full jitter, or the server's Retry-After."""
    attempt = 0
    while True:
        try:
            return await _attempt(client, url, payload, cfg.timeout, key)
        except _Retryable as e:
            if attempt == cfg.retries:
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                if e.connect:  # nothing answers at that address: no case can succeed
                    raise _Fatal(f"{e} ({tries})") from None
                raise _CaseError(f"{e} ({tries})") from None
            wait = e.wait
            if wait is None:
                wait = random.uniform(0, min(MAX_BACKOFF, cfg.backoff * 2 ** attempt))
            await asyncio.sleep(wait)
            attempt += 1


async def _ask(client: httpx.AsyncClient, plan: RunPlan, case: SuiteCase,
               key: str | None) -> CaseOutcome:
    """Send one case and grade the answer; a case error becomes an errored outcome."""
    payload = {"model": plan.remote_model, "temperature": 0,
               "messages": [{"role": "user", "content": case.prompt}]}
    try:
        return grade(case, _answer(await _post(client, plan.url, payload, plan.config, key)))
    except _CaseError as e:  # transport errors can quote what was sent: mask them too
        return CaseOutcome(case.id, None, None, _now(), error=mask_secrets(str(e), key))


@dataclass
class _Progress:
    total: int
    done: int = 0
    errors: int = 0
    fatal: str = ""


async def _worker(queue: list[SuiteCase], client: httpx.AsyncClient, plan: RunPlan,
                  out: IO[str], state: _Progress, key: str | None,
                  progress: ProgressFn | None) -> None:
    """Take cases until none are left or the run is stopped; checkpoint each one."""
    while queue and not state.fatal:
        case = queue.pop()
        try:
            outcome = await _ask(client, plan, case, key)
        except _Fatal as e:
            state.fatal = mask_secrets(str(e), key)
            return
        out.write(_checkpoint_line(outcome, plan.model, plan.suite.hash))
        out.flush()  # a Ctrl-C or crash after this line keeps the case
        plan.done[case.id] = outcome
        state.done += 1
        state.errors += outcome.passed is None
        if progress:
            progress(state.done, state.total, state.errors)


async def _run_cases(plan: RunPlan, key: str | None,
                     progress: ProgressFn | None) -> int:
    """Ask every case still to do, `concurrency` at a time; the number sent."""
    todo = plan.todo
    queue = list(reversed(todo))  # pop() from the end keeps the suite's order
    state = _Progress(len(todo))
    headers = {"User-Agent": "scopecard-evals"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    cfg = plan.config
    plan.checkpoint.parent.mkdir(parents=True, exist_ok=True)
    limits = httpx.Limits(max_connections=cfg.concurrency)
    # redirects are not followed: an answer from elsewhere is not the endpoint we were given
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=cfg.timeout,
                                 follow_redirects=False) as client:
        with plan.checkpoint.open("a", encoding="utf-8") as out:
            await asyncio.gather(*(
                _worker(queue, client, plan, out, state, key, progress)
                for _ in range(min(cfg.concurrency, len(todo)))))
    if state.fatal:
        raise InputError(f"run stopped: {state.fatal}; {state.done} case(s) finished are kept "
                         f"in the checkpoint", file=plan.url)
    return len(todo)


# ---- results ---------------------------------------------------------------------------


def results_csv(plan: RunPlan) -> bytes:
    """The native results CSV of every finished case, in suite order."""
    return native_csv_bytes(
        fast_result(case.id, plan.suite.name, plan.model, plan.vendor, case.difficulty,
                    case.kind, o.passed, o.score, plan.run_id, o.timestamp)
        for case in plan.cases if (o := plan.done.get(case.id)) is not None)


def execute(plan: RunPlan, workspace: Workspace, progress: ProgressFn | None = None) -> RunSummary:
    """Send the cases still to do, then write the results CSV and import it into the store.

    The key is read here, not in `prepare`, so it is held only while requests are made.
    """
    with open_store(workspace) as store:  # read-only: say so before asking
        store.require_writable()
    key = os.environ.get(plan.config.api_key_env) or None
    resumed = len(plan.cases) - len(plan.todo)
    sent = asyncio.run(_run_cases(plan, key, progress)) if plan.todo else 0
    write_atomic(plan.results_csv, results_csv(plan))
    report = import_file(workspace, plan.results_csv, format="native", suite=plan.suite.path)
    outcomes = [plan.done[c.id] for c in plan.cases if c.id in plan.done]
    errors = sum(o.passed is None for o in outcomes)
    return RunSummary(plan.run_id, plan.model, plan.suite.name, sum(o.passed is True for o in outcomes),
                      len(outcomes) - errors, errors, sent, resumed, plan.checkpoint,
                      plan.results_csv, report)


def plain_http_warning(plan: RunPlan) -> str:
    """A warning when a key would travel unencrypted to another machine, else ""."""
    if plan.url.startswith("http://") and os.environ.get(plan.config.api_key_env) \
            and not _is_loopback(plan.url):
        return (f"the API key from ${plan.config.api_key_env} is sent over plain http to "
                f"{httpx.URL(plan.url).host}")
    return ""
