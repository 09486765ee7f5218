"""From a spec to per-candidate token counts, traffic and cost (point estimates, `likely` values)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from estimators.cost import CallCost, CallShape, context_problem, cost_per_call
from estimators.errors import InputError
from estimators.fx import STALE_AFTER_DAYS, Conversion, RateSet
from estimators.prices import Catalogue, PriceRow, lifecycle_state
from estimators.tokens import TokenCount, Tokenizer, count_tokens, tokenizer_for
from estimators.traffic import Load, Traffic, peak_tpm, traffic
from rubrics.capacity import Capacity, Need, capacity, raise_limit_text, tiers_of
from rubrics.messages import Message, Sentence, msg, plain, sentence
from rubrics.spec import PROMPT_PARTS, Spec, likely, prompt_texts

Progress = Callable[[str, int, int], None]  # (label, done, total)


@dataclass(frozen=True)
class PartCount:
    tokens: float
    basis: str  # "given" (a number in the spec), "exact" or "estimated"
    method: str


@dataclass
class CandidateEstimate:
    model: str
    row: PriceRow
    counts: dict[str, PartCount]
    shape: CallShape
    call: CallCost  # in the row's native currency
    fx: Conversion  # native -> reporting currency
    currency: str  # reporting currency
    cost_per_call: float  # reporting currency
    monthly_cost: float
    peak_tpm: float
    capacity: Capacity  # peak need against the vendor's rate-limit tier
    warnings: list[str] = field(default_factory=list)  # `Sentence`s, stored as English text
    excluded: str | None = None  # why a hard constraint rules this candidate out

    @property
    def tokens_exact(self) -> bool:
        """True only when every prompt part was counted from text with the model's own tokenizer."""
        return all(c.basis == "exact" for c in self.counts.values())

    @property
    def tokens_basis(self) -> str:
        return tokens_basis(self.counts)

    def counts_json(self) -> dict[str, dict[str, Any]]:
        """Tokens per prompt part with how each was obtained, as plain data."""
        return {part: {"tokens": c.tokens, "basis": c.basis, "method": c.method}
                for part, c in self.counts.items()}


def tokens_basis(counts: dict[str, PartCount]) -> str:
    """exact when every part was counted exactly; estimated when any was; else given."""
    bases = {c.basis for c in counts.values()}
    return "exact" if bases == {"exact"} else "estimated" if "estimated" in bases else "given"


@dataclass
class Estimate:
    spec: Spec
    as_of: dt.date
    traffic: Traffic
    candidates: list[CandidateEstimate]
    texts: dict[str, str] = field(default_factory=dict)  # prompt parts given as text or files
    notes: list[str] = field(default_factory=list)  # assumptions filled in from presets

    @property
    def fx_warnings(self) -> list[str]:
        """Stale-rate warnings of the candidates' conversions, once each. They are shown, never
        made verdict conditions: a USD report that needs no conversion would otherwise judge
        differently from a EUR one."""
        said = [stale_fx_message(c.fx) for c in self.candidates if c.fx.warning]
        return list(dict.fromkeys(said))


def load_of(spec: Spec) -> Load:
    """The spec's load as point estimates."""
    s = spec.load
    return Load(
        daily_active_users=likely(s.daily_active_users),
        tasks_per_user_per_day=likely(s.tasks_per_user_per_day),
        days_per_month=s.days_per_month,
        calls_per_task=likely(s.calls_per_task),
        retry_rate=likely(s.retry_rate),
        peak_factor=likely(s.peak_factor),
        turns=spec.prompt.turns,
    )


def spec_price_row(spec: Spec, index: int, as_of: dt.date) -> PriceRow:
    """A candidate's negotiated price from the spec as a price row marked origin "spec"."""
    cand = spec.candidates[index]
    assert cand.price is not None
    p = cand.price
    return PriceRow(
        id=cand.model, currency=p.currency, input=p.input, output=p.output,
        cache_read=p.cache_read, cache_write=p.cache_write, request_fee=p.request_fee,
        context_window=p.context_window, regions=tuple(p.regions), tokenizer=p.tokenizer,
        source=f"{p.source} (candidates[{index}].price)", verified_on=as_of, origin="spec",
    )


def rows_for(spec: Spec, catalogue: Catalogue, as_of: dt.date) -> list[PriceRow]:
    """The price row of each candidate: the spec's override, else the catalogue's row in force."""
    rows = []
    for i, cand in enumerate(spec.candidates):
        try:
            rows.append(spec_price_row(spec, i, as_of) if cand.price
                        else catalogue.lookup(cand.model, as_of))
        except InputError as e:
            raise InputError(e.message, where=f"candidates[{i}].model") from None
    return rows


_COUNTS: ContextVar[dict[str, TokenCount] | None] = ContextVar("token_counts", default=None)


@contextmanager
def counts_kept(kept: dict[str, TokenCount] | None = None) -> Iterator[None]:
    """Within the block, a text counted once with a tokenizer (and language) is not counted
    again (the counts go to `kept`, so a caller can keep them over several blocks): a review
    estimates the same inlined prompts on the record's and on today's prices."""
    token = _COUNTS.set({} if kept is None else kept)
    try:
        yield
    finally:
        _COUNTS.reset(token)


def _count(text: str, tok: Tokenizer, language: str,
           progress: Callable[[int, int], None] | None) -> TokenCount:
    """count_tokens, from the counts kept by `counts_kept` when it is active (a count is a
    function of the text, the tokenizer and the language alone)."""
    kept = _COUNTS.get()
    if kept is None:
        return count_tokens(text, tok, language, progress)
    key = repr((hashlib.sha256(text.encode()).hexdigest(), tok, language))
    if key not in kept:
        kept[key] = count_tokens(text, tok, language, progress)
    return kept[key]


def count_parts(spec: Spec, texts: dict[str, str], row: PriceRow,
                progress: Progress | None = None) -> dict[str, PartCount]:
    """Tokens per prompt part for one model: given numbers, or counted from text."""
    tok = tokenizer_for(row.id, row.tokenizer)
    counts: dict[str, PartCount] = {}
    for part in PROMPT_PARTS:
        if part in texts:
            cb = (lambda d, t, part=part: progress(f"{row.id} {part}", d, t)) if progress else None
            c = _count(texts[part], tok, spec.prompt.language, cb)
            counts[part] = PartCount(c.tokens, "exact" if c.exact else "estimated", c.method)
        elif (given := getattr(spec.prompt, f"{part}_tokens", None)) is not None:
            counts[part] = PartCount(likely(given), "given", "stated in the spec")
        else:  # a part the call does not have is exactly 0 tokens, not a number someone gave
            counts[part] = PartCount(0.0, "exact", "not in the spec")
    return counts


def shape_of(spec: Spec, counts: dict[str, PartCount]) -> CallShape:
    p = spec.prompt
    return CallShape(
        system=counts["system"].tokens, user=counts["user"].tokens,
        context=counts["context"].tokens, output=counts["output"].tokens,
        reasoning=counts["reasoning"].tokens, turns=p.turns,
        cache_hit_rate=likely(p.cache_hit_rate), batch_share=likely(p.batch_share),
        off_peak_share=likely(p.off_peak_share),
    )


def hard_constraint_problem(spec: Spec, row: PriceRow, shape: CallShape) -> str | None:
    """Why a candidate is ruled out by residency, latency or context length, if it is (a
    `Sentence`, except the context check's English text from estimators.cost)."""
    need = spec.constraints.data_residency
    if need and row.regions and not set(need) & set(row.regions):
        return sentence("excl.residency", need=", ".join(need), model=row.id,
                        regions=", ".join(row.regions))
    if need and not row.regions:
        return sentence("excl.residency_unknown", need=", ".join(need), model=row.id)
    limit = spec.constraints.max_p95_latency_ms
    if limit and row.p95_latency_ms and row.p95_latency_ms > limit:
        return sentence("excl.latency", latency=row.p95_latency_ms, limit=limit)
    return context_problem(shape, row)


def lifecycle_message(row: PriceRow, as_of: dt.date) -> Sentence | None:
    """What a candidate's user must know about its end of life on `as_of`, if anything."""
    if (state := lifecycle_state(row, as_of)) is None:
        return None
    kind, day = state
    said = msg(f"life.{kind}", date=str(day), model=row.id)
    return Sentence(msg("life.successor", warning=said, successor=row.successor)
                    if row.successor else said)


def stale_fx_message(conv: Conversion) -> Sentence:
    """The warning when a conversion uses a rate older than STALE_AFTER_DAYS."""
    assert conv.date is not None
    return sentence("fx.stale", frm=conv.frm, to=conv.to, date=str(conv.date),
                    days=(conv.as_of - conv.date).days, as_of=str(conv.as_of),
                    limit=STALE_AFTER_DAYS)


def fx_message(conv: Conversion) -> Message:
    """The rate of a conversion, its path, date and origin, e.g. for a price note."""
    if not conv.rows:
        return msg("fx.none", frm=conv.frm)
    path = plain(conv.path)
    for prefix, key in (("cross via ", "fx.cross_via"), ("via ", "fx.via")):
        if conv.path.startswith(prefix):
            path = msg(key, via=conv.path.removeprefix(prefix))
    if conv.path in ("direct", "inverse"):
        path = msg(f"fx.{conv.path}")
    return msg("fx.local" if conv.local else "fx.rate", frm=conv.frm, to=conv.to,
               rate=conv.rate, path=path, date=str(conv.date))


def price_candidate(spec: Spec, i: int, row: PriceRow, counts: dict[str, PartCount],
                    t: Traffic, as_of: dt.date, convert: Callable[[float], Conversion],
                    source: str | None = None) -> CandidateEstimate:
    """Candidate `i` priced on `row` from its token `counts`: cost per call (`convert` takes it
    into the spec's currency), monthly cost, capacity against its rate-limit tier, warnings and
    the hard constraint that rules it out, if one does."""
    shape = shape_of(spec, counts)
    call = cost_per_call(shape, row)
    fx = convert(call.per_call)
    tpm = peak_tpm(t.peak_qps, shape.input_per_call + shape.output_per_call)
    latency = spec.constraints.max_p95_latency_ms  # Little's law for requests in flight
    cap = capacity(row.id, tiers_of(row), Need(t.peak_qps, tpm, latency), row.source,
                   spec.candidates[i].rate_limit_tier, f"candidates[{i}].rate_limit_tier", source)
    warnings: list[str] = [raise_limit_text(cap)] if cap.status == "over" else []
    if end_of_life := lifecycle_message(row, as_of):
        warnings.append(end_of_life)
    return CandidateEstimate(
        model=spec.candidates[i].model, row=row, counts=counts, shape=shape, call=call, fx=fx,
        currency=spec.currency, cost_per_call=fx.amount,
        monthly_cost=fx.amount * t.calls_per_month, peak_tpm=tpm, capacity=cap,
        warnings=warnings, excluded=hard_constraint_problem(spec, row, shape))


def estimate(spec: Spec, base_dir: Path, catalogue: Catalogue, as_of: dt.date | None = None,
             progress: Progress | None = None, prompt_roots: Sequence[Path] = (),
             source: str | None = None) -> Estimate:
    """Per-candidate tokens, cost per call and monthly cost in the spec's currency.

    Prompt files are read from the spec's folder `base_dir` or `prompt_roots`; `source` (the
    spec file) is named in errors about them.
    """
    as_of = as_of or dt.date.today()
    texts = prompt_texts(spec, base_dir, prompt_roots, source)
    t = traffic(load_of(spec))
    rates = RateSet(catalogue.fx, as_of)
    out: list[CandidateEstimate] = []
    for i, row in enumerate(rows_for(spec, catalogue, as_of)):
        counts = count_parts(spec, texts, row, progress)

        def convert(amount: float, i: int = i, row: PriceRow = row) -> Conversion:
            try:
                return rates.convert(amount, row.currency, spec.currency)
            except InputError as e:
                raise InputError(e.message, where=f"candidates[{i}] / currency") from None

        out.append(price_candidate(spec, i, row, counts, t, as_of, convert, source))
    return Estimate(spec=spec, as_of=as_of, traffic=t, candidates=out, texts=texts)


@dataclass(frozen=True)
class CatalogueCost:
    row: PriceRow
    cost_per_call: float  # reporting currency
    monthly_cost: float
    tokens_basis: str
    problem: str | None  # context window, residency...
    counts: dict[str, PartCount]  # per prompt part, for the token marks


def catalogue_costs(est: Estimate, catalogue: Catalogue) -> list[CatalogueCost]:
    """The estimated spec's cost on every chat model in force, cheapest first, in one
    vectorized pass (the prompt texts already read are counted once per tokenizer family)."""
    from estimators.price_arrays import costs_per_call, price_arrays

    spec, as_of, texts = est.spec, est.as_of, est.texts
    named = {c.model for c in spec.candidates}
    rows = []
    for model_id in catalogue.model_ids():
        try:
            row = catalogue.lookup(model_id, as_of)
        except InputError:
            continue  # not in force yet
        # a retired model is no option, unless the spec names it (its own line must compare)
        if row.kind == "chat" and (not row.retired(as_of) or model_id in named):
            rows.append(row)
    by_family: dict[str, dict[str, PartCount]] = {}
    shapes = []
    for row in rows:
        family = tokenizer_for(row.id, row.tokenizer).family
        if family not in by_family:  # count each text once per tokenizer family
            by_family[family] = count_parts(spec, texts, row)
        shapes.append(shape_of(spec, by_family[family]))
    stacked = CallShape(**{f: np.array([getattr(s, f) for s in shapes]) for f in _TOKEN_FIELDS},
                        turns=spec.prompt.turns, cache_hit_rate=shapes[0].cache_hit_rate,
                        batch_share=shapes[0].batch_share, off_peak_share=shapes[0].off_peak_share)
    native = costs_per_call(stacked, price_arrays(rows))
    calls = traffic(load_of(spec)).calls_per_month
    rates = RateSet(catalogue.fx, as_of)
    out = []
    for row, shape, cost in zip(rows, shapes, native, strict=True):
        rate = rates.convert(1.0, row.currency, spec.currency).rate
        counts = by_family[tokenizer_for(row.id, row.tokenizer).family]
        basis = tokens_basis(counts)
        out.append(CatalogueCost(row, float(cost) * rate, float(cost) * rate * calls, basis,
                                 hard_constraint_problem(spec, row, shape), counts))
    return sorted(out, key=lambda c: c.cost_per_call)


_TOKEN_FIELDS = ("system", "user", "context", "output", "reasoning")
