"""Fault catalogue, every CLI entry under generated hostile input (issue #14's property test).

For each command that takes a file or a value, hypothesis feeds hostile strings and numbers
(control and escape sequences, Rich markup, path tricks, key-shaped strings, NaN, infinities,
huge and negative numbers, deep nesting). Each run must end with exit 0 or 2 — never a
traceback, never a hang (an alarm bounds every call) — and must write nothing outside the
workspace.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from tui.cli import main

CALL_SECONDS = 30  # far above any honest run here; a hang trips it
FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

HOSTILE_TEXT = [
    "[/]", "[bold]x", "Refund bot [beta] for [EU] users", "\x1b]0;owned\x07", "\x1b[2J\x1b[H",
    "\x9b31m", "\u202eevil", "../../etc/passwd", "/proc/self/environ", "/dev/zero",
    "sk-test-SECRET1234567890", "OPENAI_API_KEY=sk-abcdefghijklmnop", "<script>x</script>",
    "[x](http://example.invalid)", "a\nb\r\nc", "\x00", "#", "acme/model#2", "", " ", "..",
    "9" * 400, "-0", "nan", "inf", "1e308", "-1", "9999-12-31", "0000-00-00", "%s%n", "{}",
    "A" * 5000, "模型", "\ud7ff",
]
HOSTILE_NUMBERS = ["nan", "inf", "-inf", "+inf", "1e308", "-1e308", "-0.0", "0", "-1", "1e-320",
                   "9" * 400, "1.5", "-5", "1e15", "2147483648", "true", '"x"', "[]", "{}",
                   "{ low = nan, likely = 1, high = 2 }", "{ low = 1, likely = inf, high = 2 }"]

hostile_text = st.one_of(st.sampled_from(HOSTILE_TEXT),
                         st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                                 max_size=60))
hostile_number = st.one_of(st.sampled_from(HOSTILE_NUMBERS),
                           st.floats(allow_nan=True, allow_infinity=True).map(repr),
                           st.integers(min_value=-(10**30), max_value=10**30).map(str))


class Hang(Exception):
    """A call ran past CALL_SECONDS."""


@contextlib.contextmanager
def bounded(seconds: int = CALL_SECONDS) -> Iterator[None]:
    def ring(signum: int, frame: object) -> None:
        raise Hang(f"a CLI call ran past {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def tree(folder: Path, skip: Path) -> dict[str, int]:
    """Every file below `folder` (except under `skip`) with its size."""
    out: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        if Path(dirpath) == skip:
            dirnames[:] = []
            continue
        for name in filenames:
            p = Path(dirpath, name)
            with contextlib.suppress(OSError):
                out[str(p)] = p.lstat().st_size
    return out


def run(args: list[str], root: Path, workspace: Path) -> tuple[int, str]:
    """Run the CLI in-process; exit code and stderr. Fails on a traceback or a write outside."""
    before = tree(root, workspace)
    out, err = io.StringIO(), io.StringIO()
    try:
        with bounded(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([*args, "--workspace", str(workspace)])
            except SystemExit as e:  # argparse refuses a bad value with exit 2
                code = int(e.code or 0)
    finally:
        after = tree(root, workspace)
    assert code in (0, 2), f"{args!r}: exit {code}\n{err.getvalue()}"
    assert "Traceback" not in err.getvalue()
    assert after == before, f"{args!r} wrote outside the workspace: {set(after) ^ set(before)}"
    assert CANARY not in out.getvalue() + err.getvalue(), f"{args!r} showed a secret"
    for path in workspace.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert CANARY.encode() not in path.read_bytes(), f"{args!r} wrote a secret to {path}"
    return code, err.getvalue()


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the example spec, its prompt file and evals, and a workspace with a record."""
    monkeypatch.setenv("SCOPECARD_FUZZ_API_KEY", CANARY)
    (tmp_path / "secret.txt").write_text(f"OPENAI_API_KEY={CANARY}\n")  # outside the spec folder
    here = tmp_path / "here"
    here.mkdir()
    (here / "linked.md").symlink_to(tmp_path / "secret.txt")
    for f in EXAMPLE_SPEC.parent.iterdir():
        shutil.copy(f, here / f.name)
    ws = here / "ws"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["decide", str(here / EXAMPLE_SPEC.name), "--evals",
                     str(here / EXAMPLE_EVALS.name), "--workspace", str(ws)]) == 0
    return here


def record_id(ws: Path) -> str:
    return next((ws / "decisions").glob("*/decision.toml")).parent.name


SPEC_TEXT_FIELDS = ['title = "Support FAQ answers"',
                    'problem = "Agents answer the same 200 questions all day"',
                    'model = "qwen/qwen-plus"', 'suite = "support-faq"', 'currency = "USD"',
                    'scenario = "customer-service"', 'system_file = "support-faq-system.md"']
SPEC_NUMBER_FIELDS = ["tasks_per_user_per_day = 0.3", "retry_rate = 0.02", "peak_factor = 3.0",
                      "context_tokens = 800", "cache_hit_rate = 0.5", "escape_rate = 0.2",
                      "loss_per_escape = 2.0", "one_time = 30000", "amortize_months = 12",
                      "bar = 0.90", "confidence = 0.95", "target_roi = 0.5",
                      "max_monthly_spend = 5000", "review_after_days = 90", "turns = 1",
                      "threshold = 0.05", "input = 0.05", "output = 0.10", "window_days = 7"]
# A spec with an edited kill criterion and a priced candidate, so their numbers are fuzzed too.
EXTRA = """
[[candidates]]
model = "acme/internal-7b"
price = { input = 0.05, output = 0.10, currency = "USD", unit = "1M tokens" }

[[kill_criteria]]
metric = "cost_per_success"
comparator = ">"
threshold = 0.05
window_days = 7
action = "switch model"
"""
CANARY = "sk-canary-0123456789abcdefSECRET"  # in the environment; must never be written or shown


def spec_with(place: Path, old: str, new: str) -> Path:
    text = EXAMPLE_SPEC.read_text(encoding="utf-8").replace("[commit]", EXTRA + "\n[commit]")
    assert old in text, old
    path = place / "fuzzed.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def toml_string(value: str) -> str:
    """A TOML basic string holding exactly `value` (every character escaped as needed)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\U{ord(c):08x}"
                         for c in value) + '"'


@FUZZ
@given(field=st.sampled_from(SPEC_TEXT_FIELDS), value=hostile_text,
       command=st.sampled_from(["estimate", "decide"]))
def test_spec_text_fields(place: Path, field: str, value: str, command: str) -> None:
    key = field.split(" = ")[0]
    spec = spec_with(place, field, f"{key} = {toml_string(value)}")
    run([command, str(spec)], place, place / "ws")


@FUZZ
@given(field=st.sampled_from(SPEC_NUMBER_FIELDS), value=hostile_number,
       command=st.sampled_from(["estimate", "decide"]))
def test_spec_number_fields(place: Path, field: str, value: str, command: str) -> None:
    key = field.split(" = ")[0]
    spec = spec_with(place, field, f"{key} = {value}")
    run([command, str(spec)], place, place / "ws")


@FUZZ
@given(depth=st.integers(min_value=1, max_value=2000), kind=st.sampled_from("[{"))
def test_deeply_nested_spec(place: Path, depth: int, kind: str) -> None:
    close = "]" if kind == "[" else "}"
    inner = "x = 1" if kind == "{" else "1"
    spec = spec_with(place, "turns = 1", "turns = " + kind * depth + inner + close * depth)
    code, _ = run(["estimate", str(spec)], place, place / "ws")
    assert code == 2


@FUZZ
@given(content=st.one_of(st.binary(max_size=300),
                         st.sampled_from([b'{"results": ' * 3000, b"[" * 100_000,
                                          b'{"version": 3, "results": {"results": [{"score": NaN}]}}',
                                          b"case_id,suite,model,vendor,difficulty,kind,passed,score,"
                                          b"run_id,timestamp\nc,s,\x1b]0;x\x07,v,easy,single,1,1e308,"
                                          b"r,2026-01-01\n"])),
       suffix=st.sampled_from([".json", ".csv", ".eval", ".toml"]))
def test_eval_and_suite_files(place: Path, content: bytes, suffix: str) -> None:
    path = place / f"hostile{suffix}"
    path.write_bytes(content)
    run(["evals", "import", str(path)], place, place / "ws")
    run(["evals", "suite", "check", str(path)], place, place / "ws")


@FUZZ
@given(name=st.sampled_from(["monthly_spend", "monthly_cost", "pass_rate", "x", "", "[/]"]),
       value=st.one_of(hostile_number, hostile_text))
def test_review_actuals(place: Path, name: str, value: str) -> None:
    rid = record_id(place / "ws")
    run(["review", rid, "--dry-run", "--actual", f"{name}={value}"], place, place / "ws")
    actuals = place / "actuals.toml"
    actuals.write_text(f"{name or 'x'} = {value}\n", encoding="utf-8")
    run(["review", rid, "--dry-run", "--actuals", str(actuals)], place, place / "ws")


@FUZZ
@given(ident=hostile_text)
def test_record_ids(place: Path, ident: str) -> None:
    for args in (["show", ident], ["export", ident, "--format", "md"],
                 ["brief", ident, "--for", "business"], ["review", ident, "--dry-run"],
                 ["accept", ident], ["prices", "show", ident], ["list", "--status", ident]):
        run(args, place, place / "ws")


@FUZZ
@given(value=st.one_of(hostile_number, hostile_text))
def test_option_values(place: Path, value: str) -> None:
    spec = str(place / EXAMPLE_SPEC.name)
    for args in (["estimate", spec, "--as-of", value], ["decide", spec, "--seed", value],
                 ["evals", "show", "--confidence", value], ["evals", "show", "--bar", value],
                 ["review", "--all", "--dry-run", "--as-of", value],
                 ["prices", "refresh", "--from", "http://127.0.0.1:9/", "--timeout", value]):
        run(args, place, place / "ws")


@pytest.mark.parametrize("value", [v for v in HOSTILE_TEXT if "/" in v or v in ("", "..", "#")]
                         + ["../secret.txt", "linked.md", "ws", "."])
def test_prompt_file_paths(place: Path, value: str) -> None:
    """Every path trick in `system_file`, through decide (which writes a record)."""
    spec = spec_with(place, 'system_file = "support-faq-system.md"',
                     f"system_file = {toml_string(value)}")
    run(["decide", str(spec)], place, place / "ws")
