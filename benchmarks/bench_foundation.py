"""Foundation benchmarks, each printed as a ratio against a baseline measured in the same run.

- `scopecard --help` cold start vs `python -c pass` (goal: < 0.3 s absolute)
- token counting throughput (chunked, with progress) vs raw tiktoken on ~1 MB of en+zh text
  (goal: >= 0.9x raw tiktoken)
- 5M characters of one letter vs 5M characters of en+zh prose (goal: within 2x)

Run: python benchmarks/bench_foundation.py
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.timing import median_seconds  # noqa: E402


def _cold(cmd: list[str], runs: int = 15) -> float:
    return median_seconds(lambda: subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True,
                                                 cwd=ROOT), runs)

def bench_help() -> None:
    base = _cold([sys.executable, "-c", "pass"])
    exe = shutil.which("scopecard")
    cmd = [exe, "--help"] if exe else [sys.executable, "-m", "tui.cli", "--help"]
    ours = _cold(cmd)
    name = "scopecard" if exe else "python -m tui.cli"
    print(f"cold start   python -c pass {base * 1000:7.1f} ms | {name} --help {ours * 1000:7.1f} ms | "
          f"ratio {ours / base:4.2f}x | goal < 300 ms: {'ok' if ours < 0.3 else 'MISSED'}")


def sample_text(size: int = 1_000_000, seed: int = 7) -> str:
    """~size characters of mixed English and Chinese prose lines."""
    rng = random.Random(seed)
    en = ("the model answers customer questions about delivery refunds and warranty terms "
          "with short plain sentences while agents handle the rest").split()
    zh = list("模型回答客户关于配送退款和保修条款的问题用简短的句子其余由人工客服处理")
    lines, n = [], 0
    while n < size:
        if rng.random() < 0.5:
            line = " ".join(rng.choice(en) for _ in range(rng.randint(5, 25))) + "."
        else:
            line = "".join(rng.choice(zh) for _ in range(rng.randint(10, 60))) + "。"
        lines.append(line)
        n += len(line) + 1
    return "\n".join(lines)



def bench_tokens() -> None:
    from estimators.tokens import count_encoding, get_encoding

    text = sample_text()
    enc = get_encoding("o200k_base")
    raw_n = len(enc.encode_ordinary(text))
    ours_n = count_encoding(text, "o200k_base", progress=lambda d, t: None)
    assert raw_n == ours_n, (raw_n, ours_n)
    raw = median_seconds(lambda: len(enc.encode_ordinary(text)))
    ours = median_seconds(lambda: count_encoding(text, "o200k_base", progress=lambda d, t: None))
    mb = len(text.encode()) / 1e6
    print(f"tokens       raw tiktoken {mb / raw:6.2f} MB/s | scopecard (chunked, progress) "
          f"{mb / ours:6.2f} MB/s | ratio {raw / ours:4.2f}x | goal >= 0.9x: "
          f"{'ok' if raw / ours >= 0.9 else 'MISSED'}  ({raw_n:,} tokens, {mb:.2f} MB)")


def bench_pathological_tokens(size: int = 5_000_000) -> None:
    """One letter repeated vs prose of the same length: long runs are cut before BPE, so the
    pathological text should count in about the time of normal text (goal: within 2x)."""
    from estimators.tokens import count_encoding

    normal = sample_text(size)
    letter = "a" * len(normal)
    t_normal = median_seconds(lambda: count_encoding(normal, "o200k_base"), runs=3)
    t_letter = median_seconds(lambda: count_encoding(letter, "o200k_base"), runs=3)
    print(f"long run     {len(normal) / 1e6:.0f}M chars of prose {t_normal:6.2f} s | of one letter "
          f"{t_letter:6.2f} s | ratio {t_letter / t_normal:4.2f}x | goal <= 2x: "
          f"{'ok' if t_letter <= 2 * t_normal else 'MISSED'}")


if __name__ == "__main__":
    bench_help()
    bench_tokens()
    bench_pathological_tokens()
