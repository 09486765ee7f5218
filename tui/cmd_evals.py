"""`scopecard evals import | list | show | compare | remove | rebuild | run | suite check |
suite export`, and `scopecard reindex`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.args import probability, probability_open, timeout_seconds, workspace_of
from tui.output import EXIT_BAD_INPUT, print_json, status_line

if TYPE_CHECKING:  # the store is imported by the handlers only: --help stays fast
    from rubrics.evals.store import RunReport


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    evals = sub.add_parser("evals", parents=[common], help="the eval store: import, show, compare")
    esub = evals.add_subparsers(dest="evals_command", metavar="ACTION", required=True)

    p = esub.add_parser("import", parents=[common],
                        help="import results (promptfoo, Inspect, lm-eval, OpenCompass, native CSV)")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    p.add_argument("--format", help="force a format: promptfoo, inspect, lm_eval, opencompass, native")
    p.add_argument("--suite", help="suite name, or a suite TOML file to grade the cases against")
    p.add_argument("--allow-partial", action="store_true",
                   help="also import cancelled or unfinished runs (with a warning)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_import)

    p = esub.add_parser("list", parents=[common], help="stored runs")
    p.add_argument("--suite")
    p.add_argument("--model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = esub.add_parser("show", parents=[common], help="k/n, interval and status per model and tier")
    p.add_argument("--suite")
    p.add_argument("--bar", type=probability, default=0.9,
                   help="required pass rate, 0 to 1 (default 0.9)")
    p.add_argument("--confidence", type=probability_open, default=0.95,
                   help="confidence level, between 0 and 1 (default 0.95)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_show)

    p = esub.add_parser("compare", parents=[common], help="two models on the same cases (McNemar)")
    p.add_argument("model_a")
    p.add_argument("model_b")
    p.add_argument("--suite")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_compare)

    p = esub.add_parser("remove", parents=[common], help="take one run out of the store")
    p.add_argument("run_id", metavar="RUN", help="the run id, as `scopecard evals list` shows it")
    p.add_argument("--yes", action="store_true", help="remove it (without this, only say what "
                                                     "would be removed)")
    p.set_defaults(handler=cmd_remove)

    p = esub.add_parser("rebuild", parents=[common],
                        help="rebuild the eval store (a cache) from the files in evals/; "
                             "the eval half of `scopecard reindex`")
    p.set_defaults(handler=cmd_reindex)

    p = esub.add_parser("run", parents=[common],
                        help="grade a suite's desensitized cases against an OpenAI-compatible API")
    p.add_argument("suite_file", type=Path, metavar="SUITE_FILE", help="the suite TOML file")
    p.add_argument("--model", required=True, help="vendor/model, as results are stored")
    p.add_argument("--base-url", required=True,
                   help="the API root, e.g. http://127.0.0.1:8000/v1 (POSTs to /chat/completions)")
    p.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="NAME",
                   help="environment variable holding the API key (default OPENAI_API_KEY; "
                        "may be unset for a local server)")
    p.add_argument("--remote-model", default="", metavar="ID",
                   help="model id the endpoint expects (default: --model after 'vendor/')")
    p.add_argument("--concurrency", type=int, default=4, help="requests at once (default 4)")
    p.add_argument("--timeout", type=timeout_seconds, default=30.0,
                   help="seconds per attempt, up to 3600 (default 30)")
    p.add_argument("--retries", type=int, default=3,
                   help="retries on 429, 5xx and timeouts (default 3)")
    p.add_argument("--run-id", default="", metavar="ID",
                   help="name the run; the same id again resumes it "
                        "(default <model>-<suite>-<UTC time>)")
    p.set_defaults(handler=cmd_run)

    suite = esub.add_parser("suite", parents=[common], help="case suites (TOML)")
    ssub = suite.add_subparsers(dest="suite_command", metavar="ACTION", required=True)
    p = ssub.add_parser("check", parents=[common], help="warn about undesensitized cases and more")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_suite_check)
    p = ssub.add_parser("export", parents=[common], help="desensitized cases for a vendor to run")
    p.add_argument("file", type=Path, metavar="SUITE", help="the suite TOML file")
    p.add_argument("--to", required=True, choices=["promptfoo", "inspect", "jsonl"])
    p.add_argument("dir", type=Path, metavar="DIR")
    p.set_defaults(handler=cmd_suite_export)


def register_reindex(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`scopecard reindex`: a top-level command, registered by tui.cli."""
    p = sub.add_parser("reindex", parents=[common],
                       help="rebuild every cache (eval store) from the workspace's files")
    p.set_defaults(handler=cmd_reindex)


def _warn(line: str) -> None:
    import sys

    print(f"scopecard: note: {line}", file=sys.stderr)


def _store(args: argparse.Namespace):
    """The workspace's eval store, rebuilt first from evals/ when missing, stale or damaged."""
    from rubrics.evals.files import open_store

    ws = workspace_of(args)
    ws.root.mkdir(parents=True, exist_ok=True)
    return open_store(ws, notify=_warn)


def cmd_import(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from estimators.errors import InputError
    from rubrics.evals.files import import_file
    from tui.render import table

    failed: list[str] = []
    reports = []
    with _store(args) as store:
        store.require_writable()  # one message for a read-only store, not one per file
    ws = workspace_of(args)
    for path in args.files:
        try:
            r = import_file(ws, path, format=args.format, suite=args.suite,
                            allow_partial=args.allow_partial, notify=_warn)
        except InputError as e:
            failed.append(str(e))
            if not args.json:
                print(f"refused  {e}")
            continue
        reports.append(r)
        if args.json:
            continue
        if r.already_imported:
            print(f"skipped  {path}: already imported (sha256 {r.sha256[:12]})")
            continue
        print(f"imported {path} ({r.format}): {r.results:,} case results, "
              f"{r.aggregates} aggregate runs")
        for line in table(None, [_run_cells(run) for run in r.runs]):
            print(f"  {line}")
        for w in r.warnings:
            print(f"  ! {w}")
    if args.json:
        print_json({"imported": [asdict(r) for r in reports], "refused": failed})
    return EXIT_BAD_INPUT if failed else 0


def _run_cells(run: RunReport) -> list[str]:
    """One imported run as table cells: model, suite, and what it holds."""
    dup = f" (same run as {run.duplicate_of})" if run.duplicate_of else ""
    approx = " approximate" if run.approximate else ""
    return [run.model, run.suite, f"{run.k}/{run.n} passed, {run.errors} errors, "
                                  f"{run.metric or 'pass/fail'}{approx}{dup}"]


def cmd_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from tui.render import table

    with _store(args) as store:
        runs = store.runs(model=args.model, suite=args.suite)
    if args.json:
        print_json([asdict(r) for r in runs])
        return 0
    if not runs:
        print("no runs stored; import some with `scopecard evals import FILE`")
        return 0
    cells = [[r.run_id, r.model, r.suite, f"{r.k}/{r.n}", str(r.errors),
              r.tool + (" (approx.)" if r.approximate else "")] for r in runs]
    for line in table(["run", "model", "suite", "k/n", "err", "tool"], cells, right={3, 4}):
        print(line)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from rubrics.capability import check
    from rubrics.evals.stats import score_interval
    from tui.render import table

    rows = []
    with _store(args) as store:
        tallies = store.tallies(suite=args.suite)
        cases: dict[tuple[str, str], list] = {}
        for (model, suite, tier), t in sorted(tallies.items()):
            c = check(t.k, t.n, args.bar, args.confidence, t.errors)
            scores = None
            if t.mean_score is not None:  # continuous scores: their mean with a t-interval
                if (model, suite) not in cases:
                    cases[(model, suite)] = store.results_for(model, suite)
                tier_cases = [r for r in cases[(model, suite)]
                              if tier == "all" or r.difficulty == tier]
                scores = score_interval(tier_cases, args.confidence)
            rows.append({"model": model, "suite": suite, "suite_hash": t.suite_hash,
                         "tier": tier, "k": t.k, "n": t.n, "errors": t.errors, "low": c.low,
                         "high": c.high, "status": c.status.value,
                         "cases_needed": c.cases_needed, "approximate": t.approximate,
                         "metric": t.metric, "mean_score": t.mean_score,
                         "score_interval": asdict(scores) if scores else None,
                         "run_ids": list(t.run_ids)})
    if args.json:
        print_json({"bar": args.bar, "confidence": args.confidence, "rows": rows})
        return 0
    if not rows:
        print("no results stored" + (f" for suite {args.suite!r}" if args.suite else ""))
        return 0
    print(f"bar {args.bar:.0%}, Wilson interval at {args.confidence:.0%}")
    cells = [[r["model"], r["suite"], r["tier"], f"{r['k']}/{r['n']}",
              f"[{r['low']:.2f}, {r['high']:.2f}]", _status(r)] for r in rows]
    for line in table(["model", "suite", "tier", "k/n", "interval", "status"], cells,
                      right={3}):
        print(line)
    return 0


def _status(row: dict[str, Any]) -> str:
    """A row's status with the cases still needed, approximation and mean score."""
    approx = " ~" if row["approximate"] else ""
    need = f" (+{row['cases_needed']} cases)" if row["cases_needed"] else ""
    s = row["score_interval"]
    score = (f"; mean score {s['mean']:.2f} [{s['low']:.2f}, {s['high']:.2f}] t, n={s['n']}"
             if s else "")
    return f"{row['status']}{need}{approx}{score}"


def cmd_compare(args: argparse.Namespace) -> int:
    from rubrics.evals.compare import compare

    with _store(args) as store:
        results = compare(store, args.model_a, args.model_b, args.suite)
    if args.json:
        print_json([{"suite": c.suite, "suite_hash": c.suite_hash, "a": c.model_a,
                     "b": c.model_b, "a_passed": c.a_passed, "b_passed": c.b_passed,
                     "n": c.test.n, "p_value": c.test.p_value, "better": c.test.better(),
                     "a_only": list(c.a_only_cases), "b_only": list(c.b_only_cases),
                     "skipped": c.skipped} for c in results])
        return 0
    if not results:
        print(f"{args.model_a} and {args.model_b} share no case set with per-case results")
        return 0
    for c in results:
        print(f"{c.suite} ({c.suite_hash[:8]}): {c.model_a} {c.a_passed}/{c.test.n} vs "
              f"{c.model_b} {c.b_passed}/{c.test.n} on the same cases; McNemar p = "
              f"{c.test.p_value:.3g}; {_better(c)}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from estimators.errors import InputError
    from rubrics.evals.files import remove_run

    with _store(args) as store:
        r = store.removal(args.run_id)
    what = (f"run {r.run_id}: model {r.model}, suite {r.suite}, {r.results} result(s) "
            f"(from {r.source})")
    if not args.yes:
        print(f"would remove {what}")
        raise InputError("nothing removed; add --yes to remove it", where="evals remove")
    remove_run(workspace_of(args), args.run_id)
    print(f"removed {what}; its file stays in evals/ with a removal note beside it")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    """Rebuild every cache from the workspace's files and say what each holds."""
    from rubrics.evals.files import reindex

    ws = workspace_of(args)
    ws.root.mkdir(parents=True, exist_ok=True)
    for c in reindex(ws).caches:
        for note in c.notes:
            print(f"  {note}")
        held = (f"{c.rows:,} daily row(s)" if c.rows is not None
                else f"{c.runs} run(s), {c.results:,} case results")
        print(f"{c.name}: rebuilt {c.cache} from {c.files} file(s): {held}")
        for skipped in c.skipped:
            print(f"  ! skipped {skipped}")
    return 0


def _better(c) -> str:
    which = c.test.better()
    if which is None:
        return "no significant difference at 5%"
    return f"{c.model_a if which == 'A' else c.model_b} is better (5% level)"


def _listed(ids: list[str], limit: int = 8) -> str:
    return ", ".join(ids[:limit]) + (", …" if len(ids) > limit else "")


def _progress_line(done: int, total: int, errors: int) -> None:
    """Rewrite one status line on the terminal."""

    status_line(f"  {done}/{total} done, {errors} error(s)", "\n" if done == total else "")


def cmd_run(args: argparse.Namespace) -> int:
    import sys

    from rubrics.evals.runner import RunConfig, execute, plain_http_warning, prepare

    ws = workspace_of(args)
    ws.root.mkdir(parents=True, exist_ok=True)
    cfg = RunConfig(args.suite_file, args.model, args.base_url, args.api_key_env,
                    args.remote_model, args.concurrency, args.timeout, args.retries, args.run_id)
    plan = prepare(cfg, ws)
    print(f"run {plan.run_id}: {plan.model} on {plan.suite.name!r}, {len(plan.cases)} case(s), "
          f"{len(plan.cases) - len(plan.todo)} already done")
    if plan.not_desensitized:
        print(f"  skipped {len(plan.not_desensitized)} case(s) not marked desensitized (never "
              f"sent): {_listed(plan.not_desensitized)}")
    if plan.ungradeable:
        print(f"  skipped {len(plan.ungradeable)} case(s) without a prompt or expected phrase: "
              f"{_listed(plan.ungradeable)}")
    for w in plan.checkpoint_warnings + [plain_http_warning(plan)]:
        if w:
            print(f"  ! {w}", file=sys.stderr)
    try:
        s = execute(plan, ws, _progress_line if sys.stderr.isatty() else None)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished cases are kept in {plan.checkpoint}; run the same "
              f"command with --run-id {plan.run_id} to resume", file=sys.stderr)
        return 130
    print(f"{s.model} on {s.suite}: {s.passed}/{s.graded} passed, {s.errors} error(s) "
          f"({s.sent} asked now, {s.resumed} from the checkpoint)")
    print(f"  checkpoint {s.checkpoint}")
    print(f"  results    {s.results_csv}")
    stored = "already in" if s.imported.already_imported else "kept in"
    print(f"  {stored} {ws.evals_dir}")
    for w in s.imported.warnings:
        print(f"  ! {w}")
    if plan.suite_warnings:
        print(f"  {len(plan.suite_warnings)} suite warning(s): see `scopecard evals suite check "
              f"{args.suite_file}`")
    return 0


def cmd_suite_check(args: argparse.Namespace) -> int:
    from rubrics.evals.suites import check_suite

    warnings = check_suite(args.file)
    for w in warnings:
        print(f"warning: {w}")
    print(f"{args.file}: {'ok' if not warnings else f'{len(warnings)} warning(s)'}")
    return 0


def cmd_suite_export(args: argparse.Namespace) -> int:
    from rubrics.evals.suites import load_suite
    from rubrics.suite_export import export_suite

    suite, _ = load_suite(args.file)
    report = export_suite(suite, args.to, args.dir)
    print(f"exported {len(report.exported)} desensitized cases of {suite.name!r} as {args.to}:")
    for f in report.files:
        print(f"  {f}")
    if report.left_out:
        print(f"left out {len(report.left_out)} case(s) not marked desensitized: "
              f"{', '.join(report.left_out)}")
    return 0
