"""What-if analysis: change uncertain inputs of a decided spec and see economics, the chosen model
and the verdict recomputed (issue #18, "What-if, live").

`WhatIf.from_decision` keeps what `decide` used (the estimate with its token counts, the eval
tallies, the catalogue, the seed) and the base Monte Carlo draws. `apply(changes)` then re-draws
only the inputs that changed, recomputes every candidate's figures vectorised over the same draws,
and runs the unchanged verdict rules (`rubrics.verdict.decide`) on them. Nothing is re-tokenized,
no catalogue is reloaded and the eval store is not queried again.

Paths a change may name:
- any uncertain spec input, e.g. `load.daily_active_users`, `value.value_per_success`,
  `value.escape_rate` (`economics.UNCERTAIN_FIELDS`), as a number or a Range;
- `candidates[MODEL].price.FIELD` with FIELD one of `PRICE_FIELDS`, per 1M tokens (the request fee
  per request): the candidate's price row with that one price replaced;
- `candidates[MODEL].pass_rate`: the candidate's overall eval pass rate, as k = round(rate x n)
  passes of the same n graded cases (its difficulty tiers are kept).
Values are checked by the spec's own validation, so a refusal states the field's allowed range.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from estimators.errors import InputError, close_names
from estimators.fx import Conversion
from estimators.prices import Catalogue, PriceRow
from estimators.traffic import traffic
from rubrics.economics import (
    UNCERTAIN_FIELDS,
    distribution,
    draw_inputs,
    draw_range,
    field_value,
    given_distributions,
)
from rubrics.estimate import Estimate, PartCount, load_of, price_candidate
from rubrics.evals.results import Tally
from rubrics.spec import METRIC_RANGES, Range, Spec, likely
from rubrics.verdict import Decision, Verdict, decide

PRICE_FIELDS = ("input", "output", "cache_read", "cache_write", "request_fee")
_CANDIDATE_PATH = re.compile(r"^candidates\[(?P<model>[^\]]+)\]\.(?P<what>pass_rate|price\.\w+)$")
ALLOWED_PATHS = (*UNCERTAIN_FIELDS, *(f"candidates[MODEL].price.{f}" for f in PRICE_FIELDS),
                 "candidates[MODEL].pass_rate")

Value = float | Range


@dataclass(frozen=True)
class Change:
    """One changed input: its path, its value in the decided spec and the what-if value."""

    path: str
    base: Value | None
    new: Value


@dataclass(frozen=True)
class CandidateEconomics:
    """One candidate's Monte Carlo economics (None where a hard constraint excludes it)."""

    model: str
    excluded: str | None
    nmb: dict[str, float] | None  # p10 / p50 / p90
    roi: dict[str, float] | None
    p_positive: float | None  # P(NMB > 0)


@dataclass(frozen=True)
class WhatIfResult:
    verdict: Verdict
    chosen: str | None
    economics: list[CandidateEconomics]
    changes: list[Change]
    decision: Decision  # the whole what-if decision (reasons, conditions, kill criteria)


@dataclass(frozen=True)
class _Parsed:
    """Validated changes: the variant spec, the changes that differ from the base, price
    updates per model and pass rates (k) per model."""

    spec: Spec
    changes: list[Change]
    prices: dict[str, dict[str, float]]
    passes: dict[str, int]


class WhatIf:
    """A decided spec ready for what-if changes.

    Common random numbers: the base draws are exactly those `decide` made (same seed, same
    order), and a change re-draws only the inputs it names. An input whose range keeps its shape
    (shifted or scaled) maps each base draw affinely; any other new range is drawn from its own
    seeded stream and re-ordered to the ranks of the base draws; p under a new pass rate likewise.
    Every other input keeps its very draws, so a what-if differs from the base only because of the
    change, not because of Monte Carlo noise.
    """

    def __init__(self, decision: Decision, tallies: Mapping[tuple[str, str, str], Tally],
                 catalogue: Catalogue, today: dt.date | None = None):
        self.decision = decision
        self.spec = decision.spec
        self.tallies = dict(tallies)
        self.catalogue = catalogue
        self.today = today
        sc = decision.scenario
        self.review_floor = sc.min_review_share if sc.human_review else 0.0
        self.kn = {r.estimate.model: (r.capability.overall.k, r.capability.overall.n)
                   for r in decision.candidates}
        draws = decision.rubric.draws
        self.p: dict[str, np.ndarray] = {}
        self.values: dict[str, Any] = {}
        for model, (k, n) in self.kn.items():  # the same input draws each time; p differs
            self.values, self.p[model] = draw_inputs(self.spec, k, n, self.review_floor,
                                                     decision.seed, draws)

    @classmethod
    def from_decision(cls, decision: Decision, tallies: Mapping[tuple[str, str, str], Tally],
                      catalogue: Catalogue, today: dt.date | None = None) -> WhatIf:
        """A what-if over `decision`, given the tallies and catalogue `decide` was given (and
        its `today`, which dates the kill criteria; default the estimate's date, as decide's)."""
        return cls(decision, tallies, catalogue, today)

    def apply(self, changes: Mapping[str, Any]) -> WhatIfResult:
        """Economics, chosen model and verdict with `changes` (path -> number or Range)."""
        parsed = self._parse(changes)
        spec = parsed.spec
        est = self._estimate(spec, parsed.prices)
        tallies = dict(self.tallies)
        kn = dict(self.kn)
        p = dict(self.p)
        for model, k in parsed.passes.items():
            key = (model, spec.quality.suite, "all")
            tallies[key] = replace(tallies[key], k=k)
            n = kn[model][1]
            kn[model] = (k, n)
            rng = self._rng(len(UNCERTAIN_FIELDS) + list(self.kn).index(model))
            p[model] = _rank_matched(self.p[model], rng.beta(k + 1, n - k + 1, len(p[model])))
        values = self._values(parsed.changes)
        target = spec.commit.target_roi
        dists = {c.model: distribution(spec, c, values, p[c.model], *kn[c.model], target,
                                       self.review_floor)
                 for c in est.candidates if not c.excluded}
        with given_distributions(dists):
            decision = decide(est, tallies, self.catalogue, self.decision.seed, self.today)
        economics = [CandidateEconomics(
            r.estimate.model, r.estimate.excluded,
            r.distribution.nmb if r.distribution else None,
            r.distribution.roi if r.distribution else None,
            r.distribution.p_positive if r.distribution else None) for r in decision.candidates]
        return WhatIfResult(decision.verdict, decision.chosen, economics, parsed.changes, decision)

    def to_spec_text(self, changes: Mapping[str, Any]) -> str:
        """The decided spec as TOML with `changes` applied: a variant to save as a new spec.

        Save it beside the base spec: prompt files are named relative to the spec's folder.
        Route costs filled from the route preset are written out as numbers. A price change on
        a catalogue-priced candidate becomes a `price` override, which holds the row's prices,
        regions and context window but not its long-context tiers, discounts, rate limits,
        latency or compliance, so such a variant decides on those fields alone.
        """
        import tomli_w

        parsed = self._parse(changes)
        head = "".join(f"# what-if variant: {c.path} {_show(c.base)} -> {_show(c.new)}\n"
                       for c in parsed.changes)
        return head + tomli_w.dumps(parsed.spec.to_toml_dict())

    # --- validation -----------------------------------------------------------------------------

    def _parse(self, changes: Mapping[str, Any]) -> _Parsed:
        """Check each change's path and value (InputError naming the path and what is allowed)
        and build the variant spec."""
        data, spec = self.spec.to_toml_dict(), self.spec
        # a change is tried on a copy and kept only when it changes something: an unchanged
        # price must not turn a catalogue row into a spec override in the variant
        listed: list[Change] = []
        prices: dict[str, dict[str, float]] = {}
        passes: dict[str, int] = {}
        for path, raw in changes.items():
            value = raw.model_dump() if isinstance(raw, Range) else raw
            trial, variant = copy.deepcopy(data), spec
            m = _CANDIDATE_PATH.match(path)
            if path in UNCERTAIN_FIELDS:
                section, name = path.split(".")
                trial.setdefault(section, {})[name] = value
                variant = _validated(trial, path)
                new = field_value(variant, path)
                base = field_value(self.spec, path)
            elif m and m["what"] == "pass_rate":
                model = self._model(m["model"], path)
                k, n = self.kn[model]
                new = _checked(METRIC_RANGES["pass_rate"].check, value, path)
                if n == 0:
                    raise InputError(f"{model} has no graded eval cases on suite "
                                     f"{spec.quality.suite!r}: a pass rate needs some; import "
                                     "eval results first", where=path)
                passed = round(new * n)
                base, new = k / n, passed / n  # the rate the same n cases can show
                if passed != k:
                    passes[model] = passed
            elif m and m["what"].removeprefix("price.") in PRICE_FIELDS:
                model = self._model(m["model"], path)
                field = m["what"].removeprefix("price.")
                i = [c.model for c in spec.candidates].index(model)
                row = self._row(model)
                entry = trial["candidates"][i]
                entry["price"] = {**_override_of(row, self.decision.estimate.as_of),
                                  **entry.get("price", {}), field: value}
                variant = _validated(trial, path)
                price = variant.candidates[i].price
                assert price is not None
                base, new = getattr(row, field), getattr(price, field)
                if new != base:
                    prices.setdefault(model, {})[field] = new
            else:
                hint = close_names(path, ALLOWED_PATHS)
                raise InputError("unknown what-if input" + (f"; did you mean {' or '.join(hint)}?"
                                                            if hint else "")
                                 + f"; allowed: {', '.join(ALLOWED_PATHS)}", where=path)
            if new != base:
                listed.append(Change(path, base, new))
                data, spec = trial, variant
        return _Parsed(spec, listed, prices, passes)

    def _model(self, model: str, path: str) -> str:
        """`model` if the spec names it as a candidate, else InputError listing the candidates."""
        if model not in self.kn:
            raise InputError(f"{model!r} is not a candidate; candidates: "
                             f"{', '.join(self.kn)}", where=path)
        return model

    def _row(self, model: str) -> PriceRow:
        return next(c.row for c in self.decision.estimate.candidates if c.model == model)

    # --- recomputation --------------------------------------------------------------------------

    def _rng(self, stream: int) -> np.random.Generator:
        """A seeded generator of its own for one re-drawn input (stream = its index)."""
        return np.random.default_rng([self.decision.seed, stream])

    def _values(self, changes: list[Change]) -> dict[str, Any]:
        """The base draws with the changed spec inputs re-drawn (common random numbers)."""
        values = dict(self.values)
        draws = self.decision.rubric.draws
        for c in changes:
            if c.path not in UNCERTAIN_FIELDS:
                continue
            rng = self._rng(UNCERTAIN_FIELDS.index(c.path))
            values[c.path] = _redraw(self.values[c.path], c.base, c.new, rng, draws)
            if c.path == "value.review_share":  # as draw_inputs and point_values do
                values[c.path] = np.maximum(values[c.path], self.review_floor)
        return values

    def _estimate(self, spec: Spec, prices: dict[str, dict[str, float]]) -> Estimate:
        """The decided estimate re-derived for the variant spec, with the token counts already
        made (only numbers given in the spec are taken anew) and changed prices."""
        base = self.decision.estimate
        t = traffic(load_of(spec))
        out = []
        for i, c in enumerate(base.candidates):
            row = c.row.model_copy(update=prices.get(c.model, {}))
            counts = {part: PartCount(likely(given), "given", "stated in the spec")
                      if (given := getattr(spec.prompt, f"{part}_tokens", None)) is not None
                      else count for part, count in c.counts.items()}

            def convert(amount: float, fx: Conversion = c.fx) -> Conversion:
                return replace(fx, amount=amount * fx.rate)  # the decided rate

            out.append(price_candidate(spec, i, row, counts, t, base.as_of, convert))
        return replace(base, spec=spec, traffic=t, candidates=out)


def _validated(data: dict[str, Any], path: str) -> Spec:
    """The spec from `data`, or InputError naming `path` with pydantic's reason (which states
    the allowed range from the field's bounds)."""
    from pydantic import ValidationError

    try:
        return Spec.model_validate(data)
    except ValidationError as e:
        raise InputError(e.errors()[0]["msg"].removeprefix("Value error, "), where=path) from None


def _checked(check: Any, value: Any, path: str) -> float:
    """`check(value)`, with its ValueError as an InputError naming `path`."""
    try:
        return float(check(value))
    except ValueError as e:
        raise InputError(str(e), where=path) from None


def _override_of(row: PriceRow, as_of: dt.date) -> dict[str, Any]:
    """A spec price override holding what it can of a catalogue row."""
    keep = {"input": row.input, "output": row.output, "currency": row.currency,
            "cache_read": row.cache_read, "cache_write": row.cache_write,
            "request_fee": row.request_fee, "context_window": row.context_window,
            "regions": list(row.regions), "tokenizer": row.tokenizer,
            "source": f"what-if on {row.id}'s price of {as_of} ({row.source})"}
    return {k: v for k, v in keep.items() if v is not None}


def _same_shape(old: Range, new: Range) -> bool:
    """True when `new` is `old` shifted or scaled: the same law over a moved interval."""
    if old.dist != new.dist or old.high <= old.low or new.high <= new.low:
        return False
    return math.isclose((old.likely - old.low) / (old.high - old.low),
                        (new.likely - new.low) / (new.high - new.low), rel_tol=1e-12)


def _rank_matched(base: np.ndarray, fresh: np.ndarray) -> np.ndarray:
    """`fresh` re-ordered so that its ranks are those of `base`: the i-th smallest fresh draw
    goes where the i-th smallest base draw was (the same quantile per draw)."""
    out = np.empty_like(fresh)
    out[np.argsort(base, kind="stable")] = np.sort(fresh)
    return out


def _redraw(base: Any, old: Value | None, new: Value, rng: np.random.Generator,
            draws: int) -> Any:
    """Draws of one input at its new value that keep the base draws' order."""
    if not isinstance(new, Range):
        return new
    if isinstance(old, Range) and _same_shape(old, new):
        return new.low + (new.high - new.low) * (base - old.low) / (old.high - old.low)
    fresh = draw_range(new, rng, draws)
    if isinstance(old, Range) and old.high > old.low:
        return _rank_matched(base, fresh)
    return fresh  # the base had no spread to follow


def _show(x: Value | None) -> str:
    """A value for the variant's header comment."""
    if isinstance(x, Range):
        return f"{{ low = {x.low:g}, likely = {x.likely:g}, high = {x.high:g} }}"
    return "unset" if x is None else f"{x:g}"
