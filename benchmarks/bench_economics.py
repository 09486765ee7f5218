"""Monte Carlo benchmark: 10,000 draws x 20 candidates (goal < 200 ms).

Baseline measured in the same run: the irreducible numpy work for the same draws (sampling every
ranged input and p, and taking the quantiles) without the formulas. The ratio shows what the
economics add on top of drawing the numbers at all.

Run: python benchmarks/bench_economics.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.timing import median_seconds  # noqa: E402
from estimators.prices import load_catalogue  # noqa: E402
from rubrics.economics import ranged_fields, simulate  # noqa: E402
from rubrics.estimate import estimate  # noqa: E402
from rubrics.examples import EXAMPLE_SPEC  # noqa: E402
from rubrics.spec import parse_spec  # noqa: E402

DRAWS, CANDIDATES = 10_000, 20


def spec_with_candidates() -> str:
    cat = load_catalogue()
    chat = [m for m in cat.model_ids() if cat.history(m)[-1].kind == "chat"][:CANDIDATES]
    text = EXAMPLE_SPEC.read_text().split("[[candidates]]")[0]
    text = text.replace('system_file = "support-faq-system.md"', "system_tokens = 300")
    text += "".join(f'[[candidates]]\nmodel = "{m}"\n' for m in chat)
    return text + "[commit]\ntarget_roi = 0.5\n"



def main() -> None:
    spec = parse_spec(spec_with_candidates())
    est = estimate(spec, EXAMPLE_SPEC.parent, load_catalogue())
    cands = est.candidates
    assert len(cands) == CANDIDATES
    n_ranged = len(ranged_fields(spec))

    def ours() -> None:
        for i, c in enumerate(cands):
            simulate(spec, c, 100 + i, 110 + i, 0.5, 0.0, seed=i, draws=DRAWS)

    def baseline() -> None:
        for i in range(CANDIDATES):
            rng = np.random.default_rng(i)
            for _ in range(n_ranged):
                rng.beta(2, 3, DRAWS)
            x = rng.beta(101 + i, 11, DRAWS)
            np.percentile(x, [10, 50, 90])
            np.percentile(x, [10, 50, 90])

    t_ours, t_base = median_seconds(ours, 7), median_seconds(baseline, 7)
    print(f"monte carlo  {DRAWS:,} draws x {CANDIDATES} candidates, {n_ranged} ranged inputs + p")
    print(f"  baseline (draws + quantiles only) {t_base * 1000:7.1f} ms")
    print(f"  scopecard simulate (with tornado) {t_ours * 1000:7.1f} ms | ratio {t_ours / t_base:4.1f}x"
          f" | goal < 200 ms: {'ok' if t_ours < 0.2 else 'MISSED'}")


if __name__ == "__main__":
    main()
