"""Token counting: offline exact counts, safe chunking, calibrated estimates."""

from __future__ import annotations

import hashlib
import os
import random
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimators import tokens
from estimators.tokens import (
    BPE_FILES,
    bpe_pieces,
    count_encoding,
    count_tokens,
    safe_cut,
    seed_tiktoken_cache,
    tokenizer_for,
)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_seeding_writes_the_file_tiktoken_expects(tmp_path):
    for name, (url, sha) in BPE_FILES.items():
        path = seed_tiktoken_cache(name, tmp_path)
        assert path.name == hashlib.sha1(url.encode()).hexdigest()
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha


def test_corrupt_cache_is_replaced(tmp_path):
    path = seed_tiktoken_cache("cl100k_base", tmp_path)
    path.write_bytes(b"garbage")
    seed_tiktoken_cache("cl100k_base", tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == BPE_FILES["cl100k_base"][1]


def test_exact_counts_work_offline(no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "fresh"))
    tokens.get_encoding.cache_clear()
    try:
        assert count_encoding("hello world", "o200k_base") == 2
        assert count_encoding("hello world", "cl100k_base") == 2
        assert count_encoding("你好，世界", "o200k_base") > 0
    finally:
        tokens.get_encoding.cache_clear()


def test_openai_exact_other_vendors_estimated():
    text = "The quick brown fox jumps over the lazy dog. " * 20
    exact = count_tokens(text, tokenizer_for("openai/gpt-4o-mini"), "en")
    assert exact.exact and exact.method == "tiktoken o200k_base"
    est = count_tokens(text, tokenizer_for("anthropic/claude-haiku-4-5"), "en")
    assert not est.exact
    assert est.tokens == round(exact.tokens * 1.20)
    assert "anthropic" in est.method and "1.20" in est.method
    zh = count_tokens("今天天气很好。" * 50, tokenizer_for("moonshot/kimi-k3"), "zh")
    assert not zh.exact and "zh" in zh.method


def test_unknown_vendor_uses_generic_estimate():
    assert tokenizer_for("acme/internal-7b").family == "generic"


def _mixed_text(n_lines: int, seed: int) -> str:
    rng = random.Random(seed)
    words = ["hello", "world", "数据", "模型", "42", "x/y", "...", "  ", "Über", "🙂", "\t", "a.b"]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(0, 12))) for _ in range(n_lines)]
    return "\n".join(lines) + rng.choice(["", "\n", "\n\n"])


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_chunked_count_equals_whole_count(encoding):
    text = _mixed_text(20_000, 1)
    seen = []
    whole = len(tokens.get_encoding(encoding).encode_ordinary(text))
    chunked = count_encoding(text, encoding, progress=lambda d, t: seen.append((d, t)))
    assert chunked == whole
    assert len(seen) > 1 and seen[-1][0] == seen[-1][1] == len(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abA 1\n/.!中文\t，'s\u0301")), max_size=400),
       st.sampled_from(["o200k_base", "cl100k_base"]))
def test_safe_cuts_never_change_the_count(text, encoding):
    enc = tokens.get_encoding(encoding)
    whole = len(enc.encode_ordinary(text))
    cut = safe_cut(text, 0, len(text))
    while cut is not None:
        assert len(enc.encode_ordinary(text[:cut])) + len(enc.encode_ordinary(text[cut:])) == whole
        cut = safe_cut(text, cut, len(text))


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 1\n/.!中文\t")), max_size=400),
       st.integers(min_value=2, max_value=50))
def test_pieces_cover_the_text_and_stay_short(text, size):
    pieces = list(bpe_pieces(text, size))
    assert "".join(pieces) == text
    assert all(len(p) <= size for p in pieces)


def test_cache_dir_defaults_outside_home_when_env_unset(monkeypatch):
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR")
    assert "scopecard" in str(tokens.tiktoken_cache_dir())
    assert os.environ.get("TIKTOKEN_CACHE_DIR") is None
