"""Fault catalogue, inputs side (issue #14, defects 1, 4, 11, 14 and part of 15): what a spec and
the files it names can make scopecard read.

Every refusal is checked at the command line, in process: exit 2, a message naming the file and
the field, no traceback, no key echoed, and no record written.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from estimators import tokens
from estimators.tokens import PIECE_CHARS, bpe_pieces, count_encoding
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from tui.cli import main

BASE = EXAMPLE_SPEC.read_text()
PROMPT = (EXAMPLE_SPEC.parent / "support-faq-system.md").read_text()
KEY = "sk-proj-" + "Q7x" * 12  # key-shaped, not a real key
NESTED = "x = " + "{ a = " * 400 + "1" + " }" * 400 + "\n"  # a 400-level nested table
linux_only = pytest.mark.skipif(not Path("/proc/self/environ").exists()
                                or not Path("/dev/zero").exists(), reason="needs /proc and /dev")


def write_spec(folder: Path, system_file: str | None = None, text: str = BASE) -> Path:
    """The bundled example in `folder`, its system prompt file named `system_file`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "support-faq-system.md").write_text(PROMPT)
    if system_file is not None:
        text = text.replace('"support-faq-system.md"', f'"{system_file}"', 1)
    spec = folder / "spec.toml"
    spec.write_text(text)
    return spec


def refused(args: list[str], capsys, isolated: Path, *expected: str) -> str:
    """Run the CLI; it must exit 2 with every `expected` text, no traceback and no record."""
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("scopecard: error: ") and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    decisions = isolated / "decisions"
    assert not decisions.exists() or not any(decisions.iterdir())
    return err


def decide(spec: Path, *extra: str) -> list[str]:
    return ["decide", str(spec), "--evals", str(EXAMPLE_EVALS), *extra]


# --- defect 1: a prompt file path reads any file into the record --------------------------------

@linux_only
def test_proc_self_environ_is_refused(tmp_path, capsys, isolated, monkeypatch):
    """Defect 1: `system_file = "/proc/self/environ"` put OPENAI_API_KEY into the record."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    spec = write_spec(tmp_path / "specs", "/proc/self/environ")
    err = refused(decide(spec), capsys, isolated,
                  f"{spec}: prompt.system_file: /proc/self/environ is ", "outside",
                  "--prompt-root")
    assert KEY not in err


@linux_only
def test_environ_under_an_allowed_root_is_still_refused_for_its_key(tmp_path, isolated):
    """Defect 1: even inside a named root, a text holding a key never reaches the record.

    Run as a child process: /proc/self/environ shows the environment a process started with.
    """
    spec = write_spec(tmp_path / "specs", "/proc/self/environ")
    run = subprocess.run([sys.executable, "-m", "tui.cli", *decide(spec, "--prompt-root", "/proc")],
                         env={**os.environ, "OPENAI_API_KEY": KEY}, capture_output=True, check=False,
                         text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert run.returncode == 2, run.stderr
    assert "prompt.system_file: /proc/self/environ: holds what looks like" in run.stderr
    assert KEY not in run.stderr + run.stdout
    assert not (isolated / "decisions").exists() or not any((isolated / "decisions").iterdir())


def test_dotdot_escape_is_refused(tmp_path, capsys, isolated):
    """Defect 1: `../` took /etc/shadow and /etc/passwd into the record."""
    (tmp_path / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    spec = write_spec(tmp_path / "specs", "../secret.txt")
    refused(decide(spec), capsys, isolated, "prompt.system_file: ../secret.txt is ",
            "outside the allowed folders", "inside the spec's folder")


def test_deep_dotdot_to_etc_passwd_is_refused(tmp_path, capsys, isolated):
    """Defect 1: `../../../../etc/passwd` resolved out of the spec's folder."""
    spec = write_spec(tmp_path / "specs", "../" * 30 + "etc/passwd")
    refused(["estimate", str(spec)], capsys, isolated, "prompt.system_file", "outside")


def test_symlink_escape_is_refused(tmp_path, capsys, isolated):
    """Defect 1: a symlink in the spec's folder pointing outside brought a file in."""
    outside = tmp_path / "outside" / "shadow"
    outside.parent.mkdir()
    outside.write_text("not a prompt\n")
    folder = tmp_path / "specs"
    spec = write_spec(folder, "prompt.md")
    (folder / "prompt.md").symlink_to(outside)
    refused(decide(spec), capsys, isolated, "prompt.system_file: prompt.md is ",
            str(outside.resolve()), "outside")


def test_absolute_path_outside_is_refused(tmp_path, capsys, isolated):
    """Defect 1: absolute paths were accepted for prompt files."""
    outside = tmp_path / "elsewhere" / "prompt.md"
    outside.parent.mkdir()
    outside.write_text(PROMPT)
    spec = write_spec(tmp_path / "specs", str(outside))
    refused(["estimate", str(spec)], capsys, isolated, "prompt.system_file", "outside")


def test_prompt_root_allows_a_named_folder(tmp_path, capsys, isolated):
    """Defect 1: `--prompt-root DIR` (repeatable) is how a user allows a folder outside."""
    shared = tmp_path / "shared-prompts"
    shared.mkdir()
    (shared / "prompt.md").write_text(PROMPT)
    spec = write_spec(tmp_path / "specs", str(shared / "prompt.md"))
    other = tmp_path / "other"
    other.mkdir()
    assert main(["estimate", str(spec), "--prompt-root", str(other),
                 "--prompt-root", str(shared)]) == 0, capsys.readouterr().err
    assert main(decide(spec, "--prompt-root", str(shared), "--dry-run")) == 0


def test_links_and_dotdot_inside_the_folder_still_work(tmp_path, capsys, isolated):
    """Defect 1: the rule is where a file resolves, so links and `..` that stay inside are fine."""
    folder = tmp_path / "specs"
    (folder / "prompts").mkdir(parents=True)
    spec = write_spec(folder, "prompts/../prompts/link.md")
    (folder / "prompts" / "link.md").symlink_to(folder / "support-faq-system.md")
    assert main(["estimate", str(spec)]) == 0, capsys.readouterr().err


def test_missing_prompt_root_is_refused(tmp_path, capsys, isolated):
    """Defect 1: a --prompt-root that is not a folder is named, not ignored."""
    spec = write_spec(tmp_path / "specs")
    refused(["estimate", str(spec), "--prompt-root", str(tmp_path / "nope")], capsys, isolated,
            "--prompt-root: no such folder")


def test_prompt_file_holding_a_key_is_refused(tmp_path, capsys, isolated):
    """Defect 1: a prompt file's text is checked for keys, naming the field; the key is not shown."""
    folder = tmp_path / "specs"
    spec = write_spec(folder, "leaky.md")
    (folder / "leaky.md").write_text(f"You are helpful.\nUse the key {KEY} for the API.\n")
    err = refused(decide(spec), capsys, isolated,
                  f"{spec}: prompt.system_file: leaky.md: holds what looks like an API key (sk-…)",
                  "remove it")
    assert KEY not in err


def test_inline_prompt_text_holding_a_key_is_refused(tmp_path, capsys, isolated):
    """Defect 1: inline `*_text` prompts are checked too."""
    text = BASE.replace("user_tokens = { low = 40, likely = 60, high = 150 }",
                        f'user_text = "call with {KEY}"')
    spec = write_spec(tmp_path / "specs", text=text)
    err = refused(decide(spec), capsys, isolated, "prompt.user_text (line ",
                  "holds what looks like an API key")
    assert KEY not in err


@pytest.mark.parametrize(("old", "new", "field"), [
    ('title = "Support FAQ answers"', f'title = "FAQ bot {KEY}"', "title (line 5)"),
    ('problem = "Agents answer the same 200 questions all day"',
     f'problem = "ANTHROPIC_API_KEY={KEY}"', "need.problem (line 10)"),
    ('success_metric = "Share of questions resolved without an agent"',
     'success_metric = "AKIAIOSFODNN7EXAMPLE"', "need.success_metric (line 12)"),
])
def test_key_in_title_or_need_is_refused(old, new, field, tmp_path, capsys, isolated):
    """Defect 15: a key typed into a title or problem text went into the record and both briefs."""
    assert old in BASE
    spec = write_spec(tmp_path / "specs", text=BASE.replace(old, new))
    err = refused(decide(spec), capsys, isolated, f"{spec}: {field}: holds what looks like")
    assert KEY not in err


def test_missing_prompt_file_names_the_field(tmp_path, capsys, isolated):
    """Defect 15: prompt-file errors named the path, not the field."""
    spec = write_spec(tmp_path / "specs", "nowhere.md")
    refused(["estimate", str(spec)], capsys, isolated,
            f"{spec}: prompt.system_file: nowhere.md: no such file")


# --- defect 4: unbounded reads and FIFOs ---------------------------------------------------------

def test_fifo_prompt_file_is_refused(tmp_path, capsys, isolated):
    """Defect 4: a FIFO named as a prompt file hung forever."""
    folder = tmp_path / "specs"
    spec = write_spec(folder, "pipe.md")
    os.mkfifo(folder / "pipe.md")
    refused(decide(spec), capsys, isolated, "prompt.system_file: pipe.md: not a regular file")


@linux_only
def test_dev_zero_prompt_file_is_refused(tmp_path, capsys, isolated):
    """Defect 4: /dev/zero as a prompt file was read to gigabytes (here even under a root)."""
    spec = write_spec(tmp_path / "specs", "/dev/zero")
    refused(["estimate", str(spec), "--prompt-root", "/dev"], capsys, isolated,
            "prompt.system_file: /dev/zero: not a regular file")


def test_oversized_prompt_file_is_refused_unread(tmp_path, capsys, isolated):
    """Defect 4/14: a prompt file over the limit is refused from its size, naming the field."""
    folder = tmp_path / "specs"
    spec = write_spec(folder, "huge.md")
    with open(folder / "huge.md", "wb") as f:
        f.truncate(9_000_000)  # sparse: no 9 MB written
    refused(["estimate", str(spec)], capsys, isolated,
            "prompt.system_file: huge.md: file is 9,000,000 bytes; the limit is 8,000,000")


READERS = {  # a command that reads a file the user names, given that file
    "spec": lambda path: ["estimate", str(path)],
    "actuals": lambda path: ["review", "--all", "--actuals", str(path)],
    "suite": lambda path: ["evals", "suite", "check", str(path)],
}


@linux_only
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
@pytest.mark.parametrize("reader", list(READERS))
def test_fifo_or_device_is_refused(reader, kind, tmp_path, capsys, isolated):
    """Defect 4: the spec path, `review --actuals` and `evals suite check` read /dev/zero to
    gigabytes before being killed, and hung forever on a FIFO."""
    path = Path(kind)
    if kind == "fifo":
        path = tmp_path / f"{reader}.toml"
        os.mkfifo(path)
    refused(READERS[reader](path), capsys, isolated, f"{path}: not a regular file")


def test_local_prices_fifo_is_refused(tmp_path, capsys, isolated):
    """Defect 4: a FIFO in place of prices.local.toml hung every command that prices."""
    isolated.mkdir(parents=True)
    os.mkfifo(isolated / "prices.local.toml")
    spec = write_spec(tmp_path / "specs")
    refused(["estimate", str(spec)], capsys, isolated,
            f"{isolated / 'prices.local.toml'}: not a regular file")


def test_oversized_actuals_are_refused_unread(tmp_path, capsys, isolated):
    """Defect 4: the actuals file is bounded before it is read."""
    path = tmp_path / "actuals.toml"
    with open(path, "wb") as f:
        f.truncate(50_000_000)
    refused(["review", "--all", "--actuals", str(path)], capsys, isolated,
            f"{path}: file is 50,000,000 bytes; the limit is 100,000")


# --- defect 11: deeply nested TOML ---------------------------------------------------------------

def test_nested_spec(tmp_path, capsys, isolated):
    """Defect 11: a 400-level nested table in a spec gave a traceback."""
    spec = write_spec(tmp_path / "specs", text=NESTED)
    refused(["estimate", str(spec)], capsys, isolated, f"{spec}: TOML is nested too deeply")


def test_nested_suite(tmp_path, capsys, isolated):
    """Defect 11: a 400-level nested table in a suite file gave a traceback."""
    suite = tmp_path / "suite.toml"
    suite.write_text('schema = "scopecard.suite/1"\nname = "x"\n' + NESTED)
    refused(["evals", "suite", "check", str(suite)], capsys, isolated,
            f"{suite}: TOML is nested too deeply")


def test_nested_actuals(tmp_path, capsys, isolated):
    """Defect 11: a 400-level nested table in an actuals file gave a traceback."""
    actuals = tmp_path / "actuals.toml"
    actuals.write_text(NESTED)
    refused(["review", "--all", "--actuals", str(actuals)], capsys, isolated,
            f"{actuals}: TOML is nested too deeply")


def test_actuals_that_are_not_a_table(tmp_path, capsys, isolated):
    """Defect 11: `actuals = "x"` is refused with a message, not a traceback."""
    actuals = tmp_path / "actuals.toml"
    actuals.write_text('actuals = "lots"\n')
    refused(["review", "--all", "--actuals", str(actuals)], capsys, isolated,
            f"{actuals}: actuals: [actuals] must be a table")


@pytest.mark.parametrize("command", ["decide", "estimate", "prices list"])
def test_nested_local_prices(command, tmp_path, capsys, isolated):
    """Defect 11: a nested prices.local.toml broke decide and prices list for the workspace."""
    isolated.mkdir(parents=True)
    local = isolated / "prices.local.toml"
    local.write_text('schema = "scopecard.prices/1"\n' + NESTED)
    spec = write_spec(tmp_path / "specs")
    args = {"decide": decide(spec), "estimate": ["estimate", str(spec)],
            "prices list": ["prices", "list"]}[command]
    refused(args, capsys, isolated, f"{local}: TOML is nested too deeply")


def test_broken_local_prices_names_line_and_file(tmp_path, capsys, isolated):
    """Defect 11: a syntax error in prices.local.toml names the file and line, exit 2."""
    isolated.mkdir(parents=True)
    local = isolated / "prices.local.toml"
    local.write_text('schema = "scopecard.prices/1"\n[[models]\n')
    refused(["prices", "list"], capsys, isolated, f"{local}: line 2, column", "TOML syntax error")


# --- defect 14: slow or crashing token counts on pathological text --------------------------------

def _normal_text(size: int, seed: int) -> str:
    """Prose lines of English and Chinese, plus one long Chinese line and one long English line."""
    rng = random.Random(seed)
    en = "the model answers customer questions about refunds, it's short and plain".split()
    zh = list("模型回答客户关于配送退款和保修条款的问题用简短的句子其余由人工客服处理")
    lines = [" ".join(rng.choice(en) for _ in range(40)) * 200,  # one 60k-character line
             "".join(rng.choice(zh) + ("，" if rng.random() < 0.05 else "")
                     for _ in range(30_000)) + "。"]
    while sum(map(len, lines)) < size:
        if rng.random() < 0.5:
            lines.append(" ".join(rng.choice(en) for _ in range(rng.randint(5, 25))) + ".")
        else:
            lines.append("".join(rng.choice(zh) for _ in range(rng.randint(10, 60))) + "。")
    return "\n".join(lines)


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_counts_of_normal_text_are_unchanged(encoding):
    """Defect 14: cutting pathological runs must leave counts of normal en/zh text exact."""
    text = _normal_text(300_000, 3)
    assert count_encoding(text, encoding) == len(tokens.get_encoding(encoding).encode_ordinary(text))


@pytest.mark.parametrize("text", ["a" * 3_000_000, " " * 2_000_000, "\t" * 2_000_000,
                                  "!" * 1_000_000, "你" * 1_000_000],
                         ids=["letter", "spaces", "tabs", "punctuation", "han"])
def test_pathological_runs_are_counted_in_bounded_pieces(text):
    """Defect 14: one long run went to BPE whole (slow), and ~1 MB of spaces or tabs crashed
    tiktoken's pre-tokenizer (a Rust stack overflow, PanicException)."""
    assert count_encoding(text, "o200k_base") > 0
    pieces = list(bpe_pieces(text))
    assert "".join(pieces) == text and max(map(len, pieces)) <= PIECE_CHARS


def test_huge_whitespace_prompt_estimates(tmp_path, capsys, isolated):
    """Defect 14: a prompt file of 2 MB of tabs crashed `estimate` with a Rust panic."""
    folder = tmp_path / "specs"
    spec = write_spec(folder, "tabs.md")
    (folder / "tabs.md").write_text("\t" * 2_000_000)
    assert main(["estimate", str(spec), "--json"]) == 0, capsys.readouterr().err


def test_example_spec_copied_elsewhere_still_works(tmp_path, capsys, isolated):
    """The rule keeps the ordinary case working: a spec beside its prompt file, any cwd."""
    folder = tmp_path / "specs"
    shutil.copytree(EXAMPLE_SPEC.parent, folder)
    assert main(decide(folder / EXAMPLE_SPEC.name, "--dry-run")) == 0, capsys.readouterr().err
