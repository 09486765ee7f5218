"""Benchmark: cost of one typical call on every catalogue model, scopecard vs genai-prices.

    PYTHONPATH=. python benchmarks/bench_prices.py [--repeat 2000]

For each model in force today, times `estimators.cost.cost_per_call` and, where genai-prices
knows the model (the row's source names it), `genai_prices.calc_price` for the same usage in
the same run, and checks that both give the same USD figure. Prints per-model times, the
ratio, and the time to cost the whole catalogue. Goals: >= 100x faster per model-cost, whole
catalogue < 10 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import time
from collections.abc import Callable
from functools import partial

from estimators.cost import CallShape, cost_per_call
from estimators.price_arrays import costs_per_call, price_arrays
from estimators.prices import PriceRow, load_catalogue

# A typical RAG-style call: 1.5k system + 2k retrieved context + 500 user tokens in, 400 out.
# No cache, batch or off-peak share, so both engines price exactly the same tokens.
SHAPE = CallShape(system=1_500, context=2_000, user=500, output=400)
PROMPT, OUTPUT = 4_000, 400
SOURCE = re.compile(r"via genai-prices [\d.]+ \((?P<provider>[^:()]+):(?P<model>[^()]+)\)")
PEAK = dt.time(2, 0, tzinfo=dt.UTC)  # inside DeepSeek's list-price hours, like the catalogue


def per_call_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median over 5 runs of the mean time of one call."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        runs.append((time.perf_counter() - start) / repeat)
    return statistics.median(runs)


def in_force(rows: list[PriceRow], as_of: dt.date) -> list[PriceRow]:
    """Each model's row in force on `as_of`, in one pass (what a catalogue-wide view needs)."""
    best: dict[str, PriceRow] = {}
    for r in rows:
        eff = r.effective_from or dt.date.min
        if eff <= as_of and (r.id not in best or eff >= (best[r.id].effective_from or dt.date.min)):
            best[r.id] = r
    return list(best.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2000, help="calls per timing run")
    args = ap.parse_args()
    today = dt.date.today()
    cat = load_catalogue()
    rows = sorted(in_force(cat.rows, today), key=lambda r: r.id)
    try:
        import genai_prices

        upstream = True
    except ImportError:
        upstream = False
        print("genai-prices not installed: timing scopecard only")

    when = dt.datetime.combine(today, PEAK)
    ratios = []
    theirs_times = []
    mismatches = []
    print(f"{'model':48} {'scopecard':>10} {'genai':>10} {'ratio':>7}  USD/call")
    for row in rows:
        ours = per_call_seconds(partial(cost_per_call, SHAPE, row), args.repeat)
        usd = cat.convert(cost_per_call(SHAPE, row).per_call, row.currency, "USD", today).amount
        m = SOURCE.search(row.source)
        theirs_text, ratio_text = "-", "-"
        if upstream and m:
            usage = genai_prices.Usage(input_tokens=PROMPT, output_tokens=OUTPUT)

            def theirs_call(m: re.Match[str] = m, usage: genai_prices.Usage = usage
                            ) -> genai_prices.types.PriceCalculation:
                return genai_prices.calc_price(
                    usage, m["model"], provider_id=m["provider"], genai_request_timestamp=when
                )

            theirs = per_call_seconds(theirs_call, max(1, args.repeat // 10))
            upstream_usd = float(theirs_call().total_price)
            if abs(upstream_usd - usd) > 1e-9 + 0.0005 * (PROMPT + OUTPUT) / 1e6:
                mismatches.append(f"{row.id}: scopecard {usd:.8f} vs genai-prices {upstream_usd:.8f}")
            ratios.append(theirs / ours)
            theirs_times.append(theirs)
            theirs_text, ratio_text = f"{theirs * 1e6:8.1f}us", f"{theirs / ours:6.0f}x"
        print(f"{row.id:48} {ours * 1e6:8.2f}us {theirs_text:>10} {ratio_text:>7}  {usd:.6f}")

    def whole_catalogue() -> None:
        for r in in_force(cat.rows, today):
            cost_per_call(SHAPE, r)

    whole = per_call_seconds(whole_catalogue, 50)
    costing_only = per_call_seconds(lambda: [cost_per_call(SHAPE, r) for r in rows], 50)
    print()
    print(f"models costed: {len(rows)} ({len(ratios)} also priced by genai-prices)")
    if ratios:
        print(
            f"speed-up per model-cost: median {statistics.median(ratios):.0f}x, "
            f"min {min(ratios):.0f}x, max {max(ratios):.0f}x (goal >= 100x)"
        )
    print(f"whole catalogue (pick rows in force + cost): {whole * 1e3:.3f} ms (goal < 10 ms)")
    print(f"whole catalogue (cost only): {costing_only * 1e3:.3f} ms")
    arrays = price_arrays(rows)
    build = per_call_seconds(lambda: price_arrays(rows), 20)
    vec = per_call_seconds(lambda: costs_per_call(SHAPE, arrays), 200)
    vec_usd = costs_per_call(SHAPE, arrays)
    scalar_usd = [cost_per_call(SHAPE, r).per_call for r in rows]
    assert all(abs(a - b) <= 1e-12 for a, b in zip(vec_usd, scalar_usd, strict=True))
    per_model = vec / len(rows)
    print(f"vectorized (estimators.price_arrays): whole catalogue {vec * 1e3:.3f} ms "
          f"(+ {build * 1e3:.2f} ms to stack the rows once), {per_model * 1e6:.3f} us per model")
    if theirs_times:
        genai = statistics.median(theirs_times)
        print(f"speed-up per model-cost, vectorized vs genai-prices median {genai * 1e6:.1f} us: "
              f"{genai / per_model:.0f}x (goal >= 100x)")
    print(f"price mismatches vs genai-prices: {len(mismatches)}")
    for line in mismatches:
        print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
