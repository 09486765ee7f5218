"""What-if benchmark: one `apply` after one change, three candidates, 10,000 draws (goal <= 150 ms).

Baseline measured in the same run: `simulate` (draws, figures and tornado) of the same three
candidates, what `decide` would spend on a fresh Monte Carlo. `apply` adds the verdict rules
(`decide` on the drawn distributions) on top of re-drawing one input and recomputing the figures.

Run: python benchmarks/bench_whatif.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.timing import median_seconds  # noqa: E402
from estimators.prices import load_catalogue  # noqa: E402
from rubrics.economics import simulate  # noqa: E402
from rubrics.estimate import estimate  # noqa: E402
from rubrics.evals.results import Tally  # noqa: E402
from rubrics.examples import EXAMPLE_SPEC  # noqa: E402
from rubrics.scenarios import rubric, scenario  # noqa: E402
from rubrics.spec import parse_spec  # noqa: E402
from rubrics.verdict import decide  # noqa: E402
from rubrics.whatif import WhatIf  # noqa: E402

SEED, GOAL = 7, 0.150


def main() -> None:
    text = EXAMPLE_SPEC.read_text().replace('system_file = "support-faq-system.md"',
                                            "system_tokens = 300")
    spec = parse_spec(text)
    catalogue = load_catalogue()
    est = estimate(spec, EXAMPLE_SPEC.parent, catalogue)
    kn = [(116 + i, 120) for i in range(len(est.candidates))]
    tallies = {(c.model, spec.quality.suite, "all"): Tally(k, n, 0, ())
               for c, (k, n) in zip(est.candidates, kn, strict=True)}
    draws = rubric().draws
    sc = scenario(spec.scenario)
    floor = sc.min_review_share if sc.human_review else 0.0
    whatif = WhatIf.from_decision(decide(est, tallies, catalogue, SEED), tallies, catalogue)

    def full() -> None:
        for c, (k, n) in zip(est.candidates, kn, strict=True):
            simulate(spec, c, k, n, spec.commit.target_roi, floor, SEED, draws)

    def one_change() -> None:
        whatif.apply({"load.daily_active_users": 80_000})

    t_full, t_apply = median_seconds(full, 7), median_seconds(one_change, 7)
    print(f"what-if  {draws:,} draws x {len(est.candidates)} candidates, one change (DAU)")
    print(f"  baseline: simulate of the candidates   {t_full * 1000:7.1f} ms")
    print(f"  scopecard what-if apply (with verdict) {t_apply * 1000:7.1f} ms | ratio "
          f"{t_apply / t_full:4.2f}x | goal <= {GOAL * 1000:.0f} ms: "
          f"{'ok' if t_apply <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
