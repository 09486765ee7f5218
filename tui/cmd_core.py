"""Core commands: estimate, decide, schema, scenarios, example."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tui.args import iso_date, seed, workspace_of
from tui.output import EXIT_STOP, print_json, status_line

if TYPE_CHECKING:  # annotations only: keep `scopecard --help` cheap
    from rubrics.spec import Spec


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("estimate", parents=[common], help="token volume and cost per candidate for a spec")
    p.add_argument("spec", type=Path, nargs="?", help="feature spec (TOML, scopecard.spec/1)")
    p.add_argument("--example", action="store_true", help="use the bundled example spec")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--as-of", metavar="DATE", type=iso_date, help="price date (default today)")
    p.add_argument("--all-models", action="store_true",
                   help="also price the spec on every chat model in the catalogue")
    _prompt_root_option(p)
    lang_option(p)
    p.set_defaults(handler=cmd_estimate)

    p = sub.add_parser("decide", parents=[common],
                       help="estimate, check capability and economics, write a record")
    p.add_argument("spec", type=Path, nargs="?", help="feature spec (TOML, scopecard.spec/1)")
    p.add_argument("--example", action="store_true",
                   help="use the bundled example spec and its eval results")
    p.add_argument("--evals", type=Path, metavar="FILE", action="append",
                   help="eval results to import into the store first (any supported format; "
                        "repeatable); without it the store's results are used")
    p.add_argument("--seed", type=seed, help="Monte Carlo seed (default: from the spec's bytes)")
    p.add_argument("--json", action="store_true", help="print the record as JSON")
    p.add_argument("--dry-run", action="store_true", help="do not write the record")
    p.add_argument("--fail-on-stop", action="store_true", help="exit 1 when the verdict is STOP")
    _prompt_root_option(p)
    lang_option(p)
    p.set_defaults(handler=cmd_decide)

    p = sub.add_parser("schema", parents=[common], help="print the JSON Schema of spec files")
    p.set_defaults(handler=cmd_schema)

    p = sub.add_parser("scenarios", parents=[common], help="list the scenario presets")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_scenarios)

    p = sub.add_parser("example", parents=[common],
                       help="print the path of the bundled example spec and evals")
    p.set_defaults(handler=cmd_example)


def lang_option(p: argparse.ArgumentParser) -> None:
    """--lang after the command: the language of the sentences it prints (SUPPRESS keeps a
    top-level `scopecard --lang zh` when it is not given here)."""
    p.add_argument("--lang", choices=["en", "zh"], default=argparse.SUPPRESS,
                   help="language of the output (default: the locale, LC_ALL/LC_MESSAGES/LANG)")


def lang_of(args: argparse.Namespace, spec: Spec | None = None) -> str:
    """The output language: --lang, else the spec's `[output] lang`, else the locale, else
    English."""
    from rubrics.messages import detect_language

    preferred = spec.output.lang if spec is not None and spec.output is not None else None
    return detect_language(getattr(args, "lang", None), preferred=preferred)


def _prompt_root_option(p: argparse.ArgumentParser) -> None:
    """--prompt-root: a folder besides the spec's own that prompt files may be read from."""
    p.add_argument("--prompt-root", type=Path, metavar="DIR", action="append", default=[],
                   help="also read prompt files (prompt.*_file) from this folder; by default "
                        "they must be inside the spec's folder (repeatable)")


def _spec_and_evals(args: argparse.Namespace) -> tuple[Path, list[Path], Path | None]:
    """The spec, eval files and suite file named on the command line, or the example's."""
    from estimators.errors import InputError
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC, EXAMPLE_SUITE

    evals = getattr(args, "evals", None) or []
    if args.example:
        if args.spec:
            raise InputError("give a SPEC or --example, not both")
        return EXAMPLE_SPEC, evals or [EXAMPLE_EVALS], None if evals else EXAMPLE_SUITE
    if args.spec is None:
        raise InputError("no spec given; name a SPEC file or use --example")
    return args.spec, evals, None


def _progress():
    """A progress line on stderr for long token counts (only on a terminal)."""
    if not sys.stderr.isatty():
        return None

    def show(label: str, done: int, total: int) -> None:

        status_line(f"counting tokens: {label} {done / total:4.0%}", "\n" if done >= total else "")
    return show


def cmd_estimate(args: argparse.Namespace) -> int:
    import datetime as dt

    from rubrics.estimate import catalogue_costs
    from rubrics.messages import say, text
    from rubrics.pipeline import catalogue_for, estimate_spec
    from rubrics.portfolio import workspace_hints
    from rubrics.report import estimate_json
    from tui import render

    spec_path, _, _ = _spec_and_evals(args)
    ws = workspace_of(args)
    catalogue = catalogue_for(ws)
    est = estimate_spec(spec_path, ws, args.as_of, _progress(), catalogue, args.prompt_root,
                        lang_of(args))  # the spec's own [output] lang is unknown until it parses
    every = catalogue_costs(est, catalogue) if args.all_models else None
    hints = workspace_hints(ws, est, args.as_of or dt.date.today())  # shown, never applied
    if args.json:
        data = estimate_json(est)
        if hints:
            data["calibration_hints"] = [str(h) for h in hints]
        if every is not None:
            data["all_models"] = [
                {"model": c.row.id, "cost_per_call": c.cost_per_call,
                 "monthly_cost": c.monthly_cost, "currency": est.spec.currency,
                 "tokens_basis": c.tokens_basis, "excluded": c.problem,
                 "price_source": c.row.source, "verified_on": c.row.verified_on.isoformat()}
                for c in every]
        print_json(data)
    else:
        lang = lang_of(args, est.spec)
        print(render.estimate_text(est, lang))
        if hints:
            print("\n" + "\n  ".join([text("portfolio.hints", lang),
                                        *(say(h, lang) for h in hints)]))
        if every is not None:
            print("\n" + render.catalogue_costs_text(every, est.spec.currency, lang))
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from rubrics.messages import text
    from rubrics.pipeline import decide_spec, save_record
    from tui import render

    ws = workspace_of(args)
    spec, evals, suite_file = _spec_and_evals(args)
    decision, record = decide_spec(spec, ws, evals, args.seed, progress=_progress(),
                                   suite_file=suite_file, prompt_roots=args.prompt_root,
                                   lang=lang_of(args))
    path = None if args.dry_run else save_record(ws, record)
    if args.json:
        print_json({**record, "fx_warnings": decision.estimate.fx_warnings,
                    "path": str(path) if path else None})
    else:
        lang = lang_of(args, decision.spec)
        print(render.decision_text(decision, record.get("evals"), lang))
        print("\n" + (text("dec.record", lang, path=str(path)) if path
                      else text("dec.no_record", lang)))
    return EXIT_STOP if args.fail_on_stop and decision.verdict.value == "STOP" else 0


def cmd_schema(args: argparse.Namespace) -> int:
    from rubrics.spec import json_schema

    print_json(json_schema())
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from rubrics.scenarios import scenarios

    presets = scenarios()
    if args.json:
        print_json({name: asdict(s) for name, s in presets.items()})
        return 0
    print(f"{'scenario':<24}{'bar':>6}{'conf':>6}{'escape':>8}  review  note")
    for s in presets.values():
        review = f"{s.min_review_share:.0%}" if s.human_review else "-"
        print(f"{s.name:<24}{s.bar:>6.0%}{s.confidence:>6.0%}{s.max_escape_rate:>8.0%}  "
              f"{review:<6}  {s.note}")
    return 0


def cmd_example(args: argparse.Namespace) -> int:
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC

    print(f"spec:  {EXAMPLE_SPEC}\nevals: {EXAMPLE_EVALS}")
    print("try:   scopecard decide --example")
    return 0
