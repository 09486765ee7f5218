"""Issue #16 part 7: review, list, show, briefs and export of decision records in Chinese.

Checked with `english_runs` from test_hostile_zhoutput (a run of 3+ English words is English).
Allowed English, and only this: the example's user text (title, success metric, need problem),
metric and flag names (single tokens such as `monthly_spend`, `kill_criterion`), and in the
vendor brief the capacity sentences rubrics.capacity still writes in English (another change
turns them into messages; the brief renders them by language once they are).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from estimators.paths import Workspace
from rubrics.briefs import brief, brief_markdown
from rubrics.export import to_markdown
from rubrics.mdtext import md_text
from rubrics.messages import from_json, msg, render, table
from rubrics.record_store import RecordStore
from rubrics.review import (
    Cheaper,
    KillCheck,
    ModelNow,
    NewestEvals,
    PriceMove,
    Review,
    Reviewer,
    TodayPrices,
    _reproduction,
    _Shared,
    flag_text,
    kill_flags,
    review_lines,
)
from tests.faults.test_hostile_zhoutput import USER, english_runs
from tui.cli import main

ZH = ("zh",)


def document(path: Path) -> dict[str, Any]:
    """The decision filed at `path` (decisions/<id>/decision.toml) with its status and reviews."""
    return RecordStore(Workspace(path.parents[2])).get(path.parent.name).as_dict()


def _record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, Path]:
    """A record made in English by `decide --example` in a fresh workspace: id and file."""
    assert main(["decide", "--example", "--lang", "en", "--workspace", str(tmp_path)]) == 0
    capsys.readouterr()
    path = next((tmp_path / "decisions").glob("*/decision.toml"))
    return path.parent.name, path


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args, "--workspace", str(tmp_path)]) == 0
    return capsys.readouterr().out


def _allowed(path: Path) -> tuple[str, ...]:
    """The user texts of the record, as printed and as the Markdown outputs escape them."""
    record = document(path)
    texts = (*USER, record["spec"]["need"]["problem"])
    return (*texts, *(md_text(t) for t in texts))


def test_review_in_chinese_prints_no_english_sentence(tmp_path, capsys):
    """Defect: `review ID --lang zh` was rejected, and with `scopecard --lang zh review` every
    line (original inputs, today's prices, newest evals, actuals, flags, review saved) was
    English. Each line is now a message rendered in Chinese."""
    record_id, path = _record(tmp_path, capsys)
    out = _run(tmp_path, capsys, "review", record_id, "--actual", "monthly_spend=6000",
               "--lang", "zh")
    assert "原始输入" in out and "实际值" in out and "复核已保存" in out and "暂停" in out
    assert not english_runs(out, _allowed(path)), english_runs(out, _allowed(path))


def test_review_all_in_chinese_prints_no_english_sentence(tmp_path, capsys):
    """Defect: `review --all` in Chinese printed English lines, and English when no record was
    left to review."""
    assert _run(tmp_path, capsys, "review", "--all", "--lang", "zh") \
        == render(msg("review.none"), "zh") + "\n"
    _, path = _record(tmp_path, capsys)
    out = _run(tmp_path, capsys, "review", "--all", "--dry-run", "--lang", "zh")
    assert "无标记" in out
    assert not english_runs(out, _allowed(path)), english_runs(out, _allowed(path))


def test_list_and_show_in_chinese_print_no_english_sentence(tmp_path, capsys):
    """Defect: `list` and `show` took no --lang; headers, status, `review DATE`, `flags:`, the
    stored reasons and conditions, kill criteria and past reviews were English."""
    assert "scopecard decide" in _run(tmp_path, capsys, "list", "--lang", "zh")
    record_id, path = _record(tmp_path, capsys)
    _run(tmp_path, capsys, "review", record_id, "--actual", "monthly_spend=6000")
    listed = _run(tmp_path, capsys, "list", "--lang", "zh")
    assert "已提议" in listed and "标记：kill_criterion" in listed
    shown = _run(tmp_path, capsys, "show", record_id, "--lang", "zh")
    assert "结论：" in shown and "止损：" in shown and "复核于" in shown
    for out in (listed, shown):
        assert not english_runs(out, _allowed(path)), english_runs(out, _allowed(path))


def test_status_changes_confirm_in_chinese(tmp_path, capsys):
    """Defect: accept/reject/deprecate/supersede took no --lang and confirmed in English."""
    record_id, _ = _record(tmp_path, capsys)
    out = _run(tmp_path, capsys, "accept", record_id, "--lang", "zh")
    assert out == f"{record_id}：已提议 → 已采纳\n"
    assert _run(tmp_path, capsys, "deprecate", record_id, "--lang", "en") \
        == f"{record_id}: accepted -> deprecated\n"


def test_briefs_and_export_of_a_reviewed_record_in_chinese(tmp_path, capsys):
    """Defect: the Markdown export's review table showed the flags' English sentences and the
    reproduction word; both briefs and the export of a reviewed record are now Chinese apart
    from user text (and, in the vendor brief, capacity sentences not yet messages)."""
    record_id, path = _record(tmp_path, capsys)
    _run(tmp_path, capsys, "review", record_id, "--actual", "monthly_spend=6000")
    allowed = _allowed(path)
    md = _run(tmp_path, capsys, "export", record_id, "--format", "md", "--lang", "zh")
    assert "已复现" in md and "monthly_spend 6000 \\> 5000：暂停" in md
    record = document(path)
    from tests.faults.test_hostile_zhoutput import _not_yet_messages

    md_allowed = (*allowed, *(md_text(t) for t in _not_yet_messages(record)))
    assert not english_runs(md, md_allowed), english_runs(md, md_allowed)
    business = _run(tmp_path, capsys, "brief", record_id, "--for", "business", "--lang", "zh")
    assert not english_runs(business, allowed), english_runs(business, allowed)
    data = json.loads(_run(tmp_path, capsys, "brief", record_id, "--for", "vendor",
                           "--format", "json", "--lang", "zh"))
    rate = data["capacity"]["rate_limit"]
    capacity = tuple(md_text(t) for t in (rate["summary"], rate["concurrency_text"],
                                          rate["tier_basis_text"]) if t)
    vendor = _run(tmp_path, capsys, "brief", record_id, "--for", "vendor", "--lang", "zh")
    assert not english_runs(vendor, allowed + capacity), english_runs(vendor, allowed + capacity)


def test_english_review_reads_as_before(tmp_path, capsys):
    """Defect guard: moving the review's sentences into messages must not change English
    output: the lines are the ones the old f-strings wrote, byte for byte."""
    record_id, path = _record(tmp_path, capsys)
    record = document(path)
    day = record["as_of"]
    out = _run(tmp_path, capsys, "review", record_id, "--actual", "monthly_spend=6000",
               "--as-of", str(day), "--lang", "en")
    models = [c["model"] for c in record["outputs"]["candidates"]]
    kill = next(k for k in record["kill_criteria"] if k["metric"] == "monthly_spend")
    due = day + dt.timedelta(days=record["spec"]["commit"]["review_after_days"])
    assert out == (
        f"{record_id}  {record['title']}  [proposed]  {record['outputs']['verdict']} — "
        f"{record['outputs']['chosen']}\n"
        "  original inputs: reproduced\n"
        f"  today's prices ({day}): " + ", ".join(f"{m} +0.0%" for m in models) + "\n"
        "  newest evals: capability unchanged\n"
        f"  actuals: monthly_spend 6000 (> {kill['threshold']:g}: MET)\n"
        f"  ! kill_criterion: monthly_spend 6000 > {kill['threshold']:g}: {kill['action']}\n"
        f"  review saved; next due {due}\n\n")


def _everything() -> Review:
    """A review that raises every kind of flag and line (built by hand, no workspace)."""
    rv = _Shared(
        reproduction=_reproduction("engine changed", msg("review.note.engine", then="0.0.9",
                                                          now="0.1.0"),
                                   [msg("review.diff.verdict", then="GO", now="STOP"),
                                    msg("review.diff.missing", model="a/b"),
                                    msg("review.diff.figure", model="a/b", name="ROI p10",
                                        then=1.5, now=1.25)]),
        today=TodayPrices([PriceMove("a/b", 0.001, 0.002, 1.0),
                           PriceMove("c/d", 0.001, None, None, "no price row for c/d")],
                          verdict="STOP"),
        evals=NewestEvals(candidates=[ModelNow("a/b", "MEETS", "FAILS", 80, 120)],
                          cheaper=[Cheaper("e/f", 118, 120, 0.0001, 0.002),
                                   Cheaper("g/h", 118, 120, 0.0002, None)]))
    # kill checks are per decision (typed actuals and its linked usage): not shared
    kills = [KillCheck("monthly_spend", ">", 5000.0, "pause", 6000.0, True),
             KillCheck("pass_rate", "<", 0.9, "roll back", 0.95, False)]
    reviewer = Reviewer.__new__(Reviewer)
    reviewer.threshold = 0.1
    flags = reviewer._flags("a/b", rv) + kill_flags(kills)
    return Review("r1", dt.date(2026, 12, 2), "Title", "accepted", "GO", "a/b",
                  dt.date(2027, 3, 2), rv.reproduction, rv.today, rv.evals, kills,
                  {"monthly_spend": 6000.0}, flags, saved=True)


def test_every_review_line_and_flag_renders_in_chinese():
    """Defect: the engine-changed differences, price moves, cheaper models, verdict under
    today's prices and unmet actuals were English sentences. Every one is a message; the
    English lines are the old ones."""
    rv = _everything()
    zh = review_lines(rv, "zh")
    assert not english_runs("\n".join(zh), ("no price row for c/d",)), zh
    en = review_lines(rv, "en")
    assert en[1] == "  original inputs: engine changed (recorded with engine 0.0.9, now 0.1.0)"
    assert en[2:5] == ["      verdict GO -> STOP", "      a/b: not in the stored outputs",
                       "      a/b ROI p10: 1.5 -> 1.25"]
    assert en[5] == "  today's prices (2026-12-02): a/b +100.0%, c/d no price; verdict now STOP"
    assert en[6] == "  newest evals: a/b MEETS -> FAILS (80/120)"
    assert en[7] == "  actuals: monthly_spend 6000 (> 5000: MET); pass_rate 0.95 (< 0.9: not met)"
    assert en[8] == ("  ! engine_changed: the original inputs no longer give the stored outputs: "
                     "verdict GO -> STOP; a/b: not in the stored outputs; a/b ROI p10: 1.5 -> 1.25")
    assert en[9:] == [
        "  ! price_moved: a/b cost per call +100.0% (0.001 -> 0.002)",
        "  ! price_moved: c/d has no price today: no price row for c/d",
        "  ! cheaper_model: e/f now MEETS the bar (118/120) at 0.0001 per call, cheaper than "
        "a/b (0.002)",
        "  ! cheaper_model: g/h now MEETS the bar (118/120) at 0.0002 per call, and the record "
        "chose no model",
        "  ! kill_criterion: monthly_spend 6000 > 5000: pause",
        "  review saved; next due 2027-03-02"]


def test_a_review_made_in_english_is_stored_with_its_messages(tmp_path, capsys):
    """Defect: a stored review kept only the English text of its flags, so it could not be
    shown in another language. Each flag keeps `message_data` (key and args) next to it, and
    a review made in English shows in Chinese."""
    record_id, path = _record(tmp_path, capsys)
    _run(tmp_path, capsys, "review", record_id, "--actual", "monthly_spend=6000", "--lang", "en")
    (review,) = (path.parent / "reviews").glob("*.toml")
    (flag,) = tomllib.loads(review.read_text())["flags"]
    assert flag["message_data"]["key"] == "review.flag.kill"
    assert flag_text(flag, "en") == flag["message"]
    assert flag_text(flag, "zh").endswith("：暂停")
    old = {"kind": flag["kind"], "message": flag["message"]}  # a review from before messages
    assert flag_text(old, "zh") == flag["message"]
    record = RecordStore(Workspace(tmp_path)).get(record_id).as_dict()
    assert "暂停" in to_markdown(record, "zh") and md_text(flag["message"]) in to_markdown(record, "en")


@pytest.mark.parametrize("command", [["review", "X"], ["review", "--all"], ["list"],
                                     ["show", "X"], ["accept", "X"], ["reject", "X"],
                                     ["deprecate", "X"], ["supersede", "X", "Y"]])
def test_lang_is_accepted_after_each_records_command(command, tmp_path, capsys):
    """Defect: `scopecard review ID --lang zh` (and list, show, accept, ...) was rejected as
    an unknown argument (exit 2 from argparse); now --lang parses after each command."""
    main([*command, "--lang", "zh", "--workspace", str(tmp_path)])
    assert "unrecognized arguments" not in capsys.readouterr().err


def test_driver_label_message_renders_else_the_stored_path(tmp_path, capsys):
    """Defect guard for the driver labels another change adds: the business brief renders a
    driver's label message in the language when the record holds one, else the field path."""
    _, path = _record(tmp_path, capsys)
    record: dict[str, Any] = document(path)
    drivers = record["outputs"]["messages"]["drivers"]
    label = from_json(drivers[0]["args"]["input"])  # decide stores a label message
    assert label is not None
    assert brief(record, "business", "zh")["drivers"][0].startswith(render(label, "zh"))
    drivers[0]["args"]["input"] = "value.value_per_success"  # a record with a bare field path
    said = brief(record, "business", "zh")["drivers"][0]
    assert said.startswith("value.value_per_success")


def test_vendor_capacity_sentences_render_by_language_when_messages(tmp_path, capsys,
                                                                    monkeypatch):
    """Defect guard for rubrics.capacity's coming messages: a capacity sentence given as a
    message is rendered in the brief's language; plain text stays as written."""
    _, path = _record(tmp_path, capsys)
    record = document(path)
    monkeypatch.setattr("rubrics.briefs.concurrency_text",
                        lambda need: msg("review.note.no_priced"))
    zh = brief_markdown(brief(record, "vendor", "zh"), "zh")
    assert render(msg("review.note.no_priced"), "zh") in zh
    en = brief_markdown(brief(record, "vendor", "en"), "en")
    assert "no candidate has a price today" in en


def test_new_chinese_templates_hold_no_english():
    """Defect: a Chinese template copied from English would print English. The templates this
    change adds hold no English run once their fields are taken out."""
    mine = [k for k in table("zh") if k.startswith(("review.", "records."))]
    assert len(mine) > 50
    for key in mine:
        bare = re.sub(r"\{[^}]*\}", " X ", table("zh")[key])
        assert not english_runs(bare, ("scopecard decide",)), (key, table("zh")[key])
