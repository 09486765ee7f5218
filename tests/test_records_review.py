"""`scopecard review`: reproduction, today's prices, newest evals, actuals, and each flag."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from estimators.errors import InputError
from estimators.paths import Workspace
from rubrics import economics
from rubrics.evals.results import Tally
from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
from rubrics.pipeline import decide_spec, save_record
from rubrics.record_store import RecordStore
from rubrics.review import Newest, Reviewer, parse_actuals, review_records
from tests.test_records_support import (
    DAY,
    make_record,
    spec_data,
    write_evals,
    write_spec,
)
from tui.cli import main

LATER = DAY + dt.timedelta(days=1)


def store_of(home: Path) -> RecordStore:
    return RecordStore(Workspace(home))


def decision_file(home: Path, record_id: str) -> Path:
    return home / "decisions" / record_id / "decision.toml"


def flags(rv) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in rv.flags:
        out.setdefault(f.kind, []).append(f.message)
    return out


def only(home: Path, record_id: str, today: dt.date = LATER, **kw):
    (rv,) = review_records(Workspace(home), [record_id], today, **kw)
    return rv


def set_catalogue_price(home: Path, model: str, field: str, old: str, new: str) -> None:
    """Edit one price in the workspace's catalogue (the first row of `model`)."""
    path = home / "prices.catalogue.toml"
    text = path.read_text()
    at = text.index(f'id = "{model}"')
    end = text.index(f"{field} = {old}\n", at)
    path.write_text(text[:end] + f"{field} = {new}\n" + text[end + len(f"{field} = {old}\n"):])


@pytest.mark.parametrize("verdict", ["GO", "GO WITH CONDITIONS", "STOP", "RESEARCH SPIKE"])
def test_every_verdict_reproduces_from_the_record_alone(test_workspace: Path,
                                                         verdict: str) -> None:
    record_id, _ = make_record(test_workspace, verdict)
    shutil.rmtree(test_workspace.parent / "inputs")  # the spec and evals files are gone
    rv = only(test_workspace, record_id)
    assert rv.reproduction.status == "reproduced", rv.reproduction
    assert "engine_changed" not in flags(rv)


def test_the_bundled_example_reproduces_with_its_inlined_prompt(isolated: Path) -> None:
    ws = Workspace(isolated)
    _, record = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS)
    record_id = save_record(ws, record).parent.name
    assert "system_text" in store_of(isolated).get(record_id).record.spec["prompt"]
    rv = only(isolated, record_id, dt.date.today())
    assert rv.reproduction.status == "reproduced", rv.reproduction
    assert not rv.flags


def test_a_catalogue_change_moves_todays_prices_but_not_the_original(
        test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    set_catalogue_price(test_workspace, "test/beta", "input", "3.00", "6.00")
    rv = only(test_workspace, record_id)
    assert rv.reproduction.status == "reproduced"
    moves = {m.model: m.change for m in rv.today.moves}
    assert moves["test/alpha"] == pytest.approx(0.0)
    assert moves["test/beta"] > 0.10
    (message,) = flags(rv)["price_moved"]
    assert message.startswith("test/beta cost per call +")
    assert rv.today.verdict == "GO"  # re-judged under today's prices


def test_a_dated_price_cut_shows_on_the_review_date(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    rv = only(test_workspace, record_id, dt.date(2026, 6, 2))  # test/alpha halves on 06-01
    moves = {m.model: m.change for m in rv.today.moves}
    assert moves["test/alpha"] == pytest.approx(-0.5)
    assert any(m.startswith("test/alpha cost per call -50.0%") for m in flags(rv)["price_moved"])
    assert rv.reproduction.status == "reproduced"


def test_small_moves_are_not_flagged(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    set_catalogue_price(test_workspace, "test/beta", "input", "3.00", "3.05")
    rv = only(test_workspace, record_id)
    assert 0 < {m.model: m.change for m in rv.today.moves}["test/beta"] < 0.10
    assert "price_moved" not in flags(rv)


def test_a_model_gone_from_the_catalogue_is_flagged(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    path = test_workspace / "prices.catalogue.toml"
    path.write_text(path.read_text().replace('id = "test/beta"', 'id = "test/gamma"'))
    rv = only(test_workspace, record_id)
    assert rv.reproduction.status == "reproduced"
    assert any("test/beta has no price today" in m for m in flags(rv)["price_moved"])


def test_an_engine_change_is_reported_with_the_figures_that_moved(
        test_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record_id, _ = make_record(test_workspace)
    real = economics.value_per_task
    monkeypatch.setattr(economics, "value_per_task", lambda p, v: real(p, v) * 1.01)
    rv = only(test_workspace, record_id)
    assert rv.reproduction.status == "engine changed"
    assert any(d.startswith("test/alpha net monthly benefit P50") for d in rv.reproduction.differences)
    assert not any("cost_per_call" in d for d in rv.reproduction.differences)
    assert "engine 0.1.0" in rv.reproduction.note
    assert "net monthly benefit" in flags(rv)["engine_changed"][0]


def test_a_price_row_the_engine_now_refuses_is_an_engine_change(test_workspace: Path) -> None:
    record_id, record = make_record(test_workspace)
    path = decision_file(test_workspace, record_id)
    path.write_text(path.read_text().replace('unit = "1M tokens"', 'unit = "1K tokens"', 1))
    rv = only(test_workspace, record_id)
    assert rv.reproduction.status == "engine changed"
    assert "engine_changed" in flags(rv)


def test_review_due_is_flagged_and_the_next_due_date_moves_on(test_workspace: Path) -> None:
    record_id, record = make_record(test_workspace)
    due = record["review_due"]
    assert due == DAY + dt.timedelta(days=30)
    early = only(test_workspace, record_id, due - dt.timedelta(days=1), save=False)
    assert "review_due" not in flags(early)
    rv = only(test_workspace, record_id, due + dt.timedelta(days=3))
    assert flags(rv)["review_due"] == [f"review was due on {due}"]
    assert rv.next_due == due + dt.timedelta(days=33)
    (summary,) = store_of(test_workspace).summaries() or []
    assert summary.review_due == rv.next_due
    assert summary.last_reviewed == due + dt.timedelta(days=3)


def test_kill_criteria_are_checked_against_actuals(test_workspace: Path) -> None:
    record_id, record = make_record(test_workspace)
    kills = {k["metric"]: k for k in record["kill_criteria"]}
    limit = kills["cost_per_success"]["threshold"]
    actuals = parse_actuals([f"cost_per_success={limit * 2}", "pass_rate=0.99"])
    rv = only(test_workspace, record_id, actuals=actuals)
    (message,) = flags(rv)["kill_criterion"]
    assert message.startswith("cost_per_success") and message.endswith(
        kills["cost_per_success"]["action"])
    checked = {k.metric: k.met for k in rv.kills if k.actual is not None}
    assert checked == {"cost_per_success": True, "pass_rate": False}
    saved = store_of(test_workspace).get(record_id).reviews[-1]
    assert saved.actuals == actuals


def test_actuals_from_a_file_with_aliases(tmp_path: Path) -> None:
    path = tmp_path / "actuals.toml"
    path.write_text("monthly_cost = 1234\npass_rate = 0.87\n")
    assert parse_actuals(["pass_rate=0.9"], path) == {"monthly_spend": 1234.0, "pass_rate": 0.9}
    path.write_text("[actuals]\nresolution_rate = 0.5\n")
    assert parse_actuals([], path) == {"resolution_rate": 0.5}


@pytest.mark.parametrize("pair", ["pass_rate", "pass_rate=abc", "pass_rate=nan", "colour=3",
                                  "monthly_cost=inf"])
def test_bad_actuals_are_refused(pair: str) -> None:
    with pytest.raises(InputError):
        parse_actuals([pair])


def test_no_eval_store_is_said_not_failed(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    for path in test_workspace.glob("evals.sqlite*"):  # decide may have filled one
        path.unlink()
    shutil.rmtree(test_workspace / "evals", ignore_errors=True)  # ... and kept its files
    rv = only(test_workspace, record_id)
    assert rv.evals.note == "no eval store"
    assert "cheaper_model" not in flags(rv)


def test_a_model_that_now_meets_the_bar_more_cheaply_is_flagged(test_workspace: Path) -> None:
    record_id, _ = _beta_chosen(test_workspace)
    suite = "beta-chosen"
    newest = {("test/alpha", suite, "all"): Tally(200, 200, 0, ("r2",)),
              ("test/alpha", suite, "easy"): Tally(200, 200, 0, ("r2",)),
              ("test/beta", suite, "all"): Tally(150, 200, 0, ("r2",))}
    rv = only(test_workspace, record_id, tallies_source=lambda suite: Newest(newest))
    (message,) = flags(rv)["cheaper_model"]
    assert message.startswith("test/alpha now MEETS the bar (200/200)")
    assert "cheaper than test/beta" in message
    now = {m.model: (m.status_then, m.status_now) for m in rv.evals.candidates}
    assert now == {"test/alpha": ("FAILS", "MEETS"), "test/beta": ("MEETS", "FAILS")}


def _beta_chosen(home: Path) -> tuple[str, dict]:
    """A record where test/alpha FAILS, so the dearer test/beta is chosen."""
    folder = home.parent / "inputs" / "beta"
    spec = write_spec(folder, spec_data("Beta chosen"))
    evals = write_evals(folder, "beta-chosen", {"test/alpha": (50, 200), "test/beta": (200, 200)})
    ws = Workspace(home)
    decision, record = decide_spec(spec, ws, evals, seed=7, today=DAY)
    assert decision.chosen == "test/beta"
    record_id = save_record(ws, record, DAY).parent.name
    return record_id, store_of(home).get(record_id).as_dict()


def test_the_real_eval_store_feeds_newest_evals(test_workspace: Path) -> None:
    store_module = pytest.importorskip("rubrics.evals.files")
    record_id, _ = _beta_chosen(test_workspace)
    csv = write_evals(test_workspace.parent / "newer", "beta-chosen",
                      {"test/alpha": (200, 200), "test/beta": (200, 200), "test/yuan": (10, 200)},
                      run="r2", when="2026-04-01T10:00:00Z")
    store_module.import_file(Workspace(test_workspace), csv)
    rv = only(test_workspace, record_id)
    assert [c.model for c in rv.evals.cheaper] == ["test/alpha"]
    assert "cheaper_model" in flags(rv)


def test_a_review_files_its_own_file_and_changes_nothing_else(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    path = decision_file(test_workspace, record_id)
    before = path.read_bytes()
    only(test_workspace, record_id, actuals={"pass_rate": 0.95})
    only(test_workspace, record_id, LATER + dt.timedelta(days=1))
    assert path.read_bytes() == before
    reviews = store_of(test_workspace).get(record_id).reviews
    assert [r.date for r in reviews] == [LATER, LATER + dt.timedelta(days=1)]
    assert reviews[0].reproduction == "reproduced"
    assert len(list((path.parent / "reviews").iterdir())) == 2


def test_dry_run_writes_nothing(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    before = sorted((test_workspace / "decisions").rglob("*"))
    rv = only(test_workspace, record_id, save=False)
    assert not rv.saved and sorted((test_workspace / "decisions").rglob("*")) == before


def test_review_all_skips_retired_records_and_reports_broken_ones(test_workspace: Path) -> None:
    live, _ = make_record(test_workspace, title="live")
    retired, _ = make_record(test_workspace, title="retired")
    store_of(test_workspace).set_status(retired, "rejected")
    broken = test_workspace / "decisions" / "2026-01-01-broken-000000"
    broken.mkdir()
    (broken / "decision.toml").write_text("schema = [")
    reviews = review_records(Workspace(test_workspace), None, LATER)
    assert {rv.id for rv in reviews} == {live, broken.name}
    broken = next(rv for rv in reviews if rv.error)
    assert "TOML syntax error" in broken.error


def test_identical_inputs_are_computed_once(test_workspace: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import rubrics.review as review

    a, record = make_record(test_workspace)
    store = store_of(test_workspace)
    b = store.create({**store.get(a).record.data(), "title": "A copy"}, DAY).id
    calls = []
    real = review.decide
    monkeypatch.setattr(review, "decide", lambda *a, **k: calls.append(1) or real(*a, **k))
    reviewer = Reviewer(Workspace(test_workspace), LATER)
    for record_id in (a, b):
        rv = reviewer.review_state(store.get(record_id))
        assert rv.reproduction.status == "reproduced" and not rv.flags
    assert len(calls) == 1  # copy b's inputs hash the same: its outputs are compared, not rerun


def test_cli_review_json_and_exit_codes(test_workspace: Path, capsys) -> None:
    record_id, _ = make_record(test_workspace)
    ws = ["--workspace", str(test_workspace)]
    assert main([*ws, "review", record_id, "--json", "--as-of", str(LATER),
                 "--actual", "monthly_cost=1"]) == 0
    (out,) = json.loads(capsys.readouterr().out)
    assert out["reproduction"]["status"] == "reproduced"
    assert out["actuals"] == {"monthly_spend": 1.0}
    assert main([*ws, "review", "--all", "--dry-run", "--as-of", str(LATER)]) == 0
    assert "original inputs: reproduced" in capsys.readouterr().out
    assert main([*ws, "review", "2026-01-01-nothing-000000"]) == 2
    assert main([*ws, "review"]) == 2
    assert main([*ws, "review", record_id, "--all"]) == 2
    assert main([*ws, "review", record_id, "--actual", "speed=3"]) == 2
    with pytest.raises(SystemExit) as refused:  # argparse refuses the date before any work
        main([*ws, "review", record_id, "--as-of", "tomorrow"])
    assert refused.value.code == 2
    assert main([*ws, "review", "../" + record_id]) == 2


def test_a_changed_scenario_preset_is_named_as_the_cause(test_workspace: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import rubrics.verdict as verdict

    record_id, record = make_record(test_workspace)
    assert record["thresholds"]["preset"]["bar"] == 0.8
    real = verdict.scenario
    monkeypatch.setattr(verdict, "scenario",
                        lambda name: dataclasses.replace(real(name), bar=0.99))
    rv = only(test_workspace, record_id)
    assert rv.reproduction.status == "engine changed"
    assert "bar 0.8 -> 0.99" in rv.reproduction.differences
    assert "scenario internal-tool bar 0.8 -> 0.99" in rv.reproduction.note


def test_an_accepted_record_edited_by_hand_is_flagged(test_workspace: Path) -> None:
    record_id, _ = make_record(test_workspace)
    store_of(test_workspace).set_status(record_id, "accepted")
    path = decision_file(test_workspace, record_id)
    path.write_text(path.read_text().replace('title = "Ticket triage"\n',
                                             'title = "Ticket triage (approved!)"\n', 1))
    rv = only(test_workspace, record_id)
    assert set(flags(rv)) == {"edited"}
    assert rv.reproduction.status == "reproduced"  # the spec's own title did not change


def test_list_and_home_show_the_latest_review_flags(test_workspace: Path, capsys) -> None:
    record_id, _ = make_record(test_workspace, "GO", title="flagged")
    assert main(["review", record_id, "--actual", "cost_per_success=1e9", "--as-of", "2026-03-02"]) == 0
    capsys.readouterr()
    summary = next(s for s in store_of(test_workspace).summaries() or [] if s.id == record_id)
    assert "kill_criterion" in summary.flags
    assert main(["list"]) == 0
    assert "flags: kill_criterion" in capsys.readouterr().out


def test_a_list_after_review_all_reads_no_decision_again(test_workspace: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect: filing a review changes its decision's folder, so the list after `review --all`
    read every decision again (7.6 s for 1,000). The store brings the index entries of the
    reviews it files up to date: the next list reads no decision, and shows the new review."""
    first, _ = make_record(test_workspace, title="first")
    second, _ = make_record(test_workspace, title="second")
    store = store_of(test_workspace)
    store.summaries()  # the index is warm
    review_records(Workspace(test_workspace), None, LATER,
                   actuals=parse_actuals(["cost_per_success=1e9"]))
    read: list[str] = []
    real = RecordStore.summarize
    monkeypatch.setattr(RecordStore, "summarize",
                        lambda self, record_id: read.append(record_id) or real(self, record_id))
    rows = {s.id: s for s in store_of(test_workspace).summaries() or []}
    assert read == []
    assert rows[first].last_reviewed == LATER and "kill_criterion" in rows[first].flags
    monkeypatch.undo()
    store.index_file.unlink()  # the same entries when read from the files
    again = {s.id: s for s in store_of(test_workspace).summaries() or []}
    assert again == rows and {first, second} <= set(rows)
