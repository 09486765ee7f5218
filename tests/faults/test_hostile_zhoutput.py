"""Issue #16 part 7: the core's sentences in Simplified Chinese (DESIGN §10).

The English checker used here: a line "has an English sentence" when it holds a run of three or
more English words in a row. A word is a whitespace-separated token made only of ASCII letters
(apostrophes allowed) with at least one lowercase letter, after trimming punctuation. So model
ids (`openai/gpt-4o-mini`), metric and field names (`cost_per_success`, `value.value_per_success`),
acronyms and the tool's verdict terms in capitals (ROI, NMB, P10, GO WITH CONDITIONS), units and
numbers never count; Chinese text between two words breaks a run. User text copied from the spec
(the example's title and success metric) is removed before checking.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from estimators.paths import Workspace
from rubrics.briefs import brief, brief_markdown
from rubrics.export import to_markdown
from rubrics.mdtext import md_text
from rubrics.messages import fields, from_json, msg, plain, render, table, text
from rubrics.record_store import RecordStore
from rubrics.scenarios import routes
from rubrics.verdict import Verdict
from tests.test_audit_numbers import P10_SHORT, _decide
from tui.cli import main

_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[A-Za-z']*[a-z][A-Za-z']*")
_TRIM = "()[]{}:;,.!?\"'`“”‘’<>«»|*-—"


def english_runs(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Runs of 3+ English words in `text` (after removing the `allowed` user texts)."""
    for a in allowed:
        text = text.replace(a, " ")
    runs: list[str] = []
    for line in text.splitlines():
        run: list[str] = []
        for token in _TOKEN.findall(line) + [""]:
            word = token.strip(_TRIM)
            if word and _WORD.fullmatch(word) and token == token.strip("；：，。（）、「」"):
                run.append(word)
                continue
            if len(run) >= 3:
                runs.append(" ".join(run))
            run = []
    return runs


def test_en_and_zh_tables_have_the_same_keys_and_placeholders():
    """Defect: Chinese output had no message table; a key or field missing in one language
    would print English or fail. Both tables hold the same keys with the same fields."""
    en, zh = table("en"), table("zh")
    assert set(en) == set(zh)
    for key in en:
        assert fields(en[key]) == fields(zh[key]), key


def test_the_checker_catches_english_and_allows_ids_and_terms():
    """The English checker itself: a plain sentence is caught; ids, terms and numbers are not."""
    assert english_runs("the cheapest that does")
    assert not english_runs("openai/gpt-4o-mini 达到 90% 的质量门槛 (MEETS) GO WITH CONDITIONS")
    assert not english_runs("cost_per_success > 0.18 7 天 P50 ROI 23.39")


def test_verdict_reasons_and_conditions_render_in_chinese():
    """Defect: verdict reasons and conditions were English strings; now they are messages that
    render in Chinese with the same numbers."""
    d = _decide(P10_SHORT, 200, 200)
    assert d.verdict is Verdict.GO_WITH_CONDITIONS
    for m in d.reasons + d.conditions + d.drivers:
        zh = render(m, "zh")
        assert not english_runs(zh), zh
    (condition,) = d.conditions
    assert f"{d.candidates[0].distribution.roi['p10']:.2f}" in render(condition, "zh")


def test_nested_and_stored_messages_render_in_both_languages():
    """Defect: a stored sentence could only be shown as the English text written into the
    record. A message survives its JSON form and renders nested names in the same language."""
    m = msg("cond.human_review", share=0.1, scenario=msg("scenario.customer-service"))
    assert render(m, "en") == "human review of 10% of outputs is mandatory for customer service answers"
    assert render(m, "zh") == "客服问答必须对 10% 的输出进行人工复核"
    assert render(plain("Share of <x>"), "zh") == "Share of <x>"


def test_decide_example_in_chinese_prints_no_english_sentence(tmp_path, capsys):
    """Defect: `decide --example --lang zh` printed its reasons, conditions, drivers and kill
    criteria in English. The verdict section is now Chinese throughout."""
    assert main(["decide", "--example", "--dry-run", "--lang", "zh",
                 "--workspace", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    verdict = out[out.index("VERDICT"):]
    sentences = [line for line in verdict.splitlines() if line.startswith("  - ")]
    assert sentences
    user = ("Share of questions resolved without an agent", "p (success rate)")
    assert not english_runs("\n".join(sentences), user), sentences


# --- the Markdown export and the business brief (steps 2 and 3) -----------------------------

USER = ("Support FAQ answers", "Share of questions resolved without an agent", "p (success rate)")


def document(path: Path) -> dict[str, Any]:
    """The decision filed at `path` (decisions/<id>/decision.toml) with its status and reviews."""
    return RecordStore(Workspace(path.parents[2])).get(path.parent.name).as_dict()


def _example_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, Path]:
    """A record made by `decide --example` in a fresh workspace: its id and its file."""
    assert main(["decide", "--example", "--workspace", str(tmp_path)]) == 0
    capsys.readouterr()
    path = next((tmp_path / "decisions").glob("*/decision.toml"))
    return path.parent.name, path


def _not_yet_messages(record: dict[str, Any]) -> tuple[str, ...]:
    """Texts a record stores only in English or as data from a source, never as messages: price
    and FX sources, the eval source, catalogue warnings, the estimator's assumptions and the
    alternatives' notes. The checker allows exactly these (and the user texts)."""
    out = record["outputs"]
    return (*(p.get("source", "") for p in record.get("prices", [])),
            *(f.get("source", "") for f in record.get("fx", [])),
            str(record.get("evals", {}).get("source", "")),
            *(w for c in out["candidates"] for w in c.get("warnings", [])),
            *out.get("assumptions", []), *(a["note"] for a in out.get("alternatives", [])))


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 0
    return capsys.readouterr().out


def test_export_md_in_chinese_prints_no_english_sentence(tmp_path, capsys):
    """Defect: `export --format md` had no --lang and wrote every heading, label and stored
    sentence in English. In Chinese it now prints no English sentence apart from user text and
    the texts `_not_yet_messages` lists (escaped as Markdown, as the export writes them)."""
    record_id, path = _example_record(tmp_path, capsys)
    record = document(path)
    out = _cli(["export", record_id, "--lang", "zh", "--workspace", str(tmp_path)], capsys)
    allowed = tuple(md_text(t) for t in USER + _not_yet_messages(record))
    assert "理由" in out and "止损条件" in out
    assert not english_runs(out, allowed), english_runs(out, allowed)


def test_english_export_is_the_stored_english(tmp_path, capsys):
    """Defect guard: the English export must not change. `--lang en` prints the sentences the
    record stores, the same as the locale default, and the stored messages render to them."""
    record_id, path = _example_record(tmp_path, capsys)
    record = document(path)
    out = _cli(["export", record_id, "--lang", "en", "--workspace", str(tmp_path)], capsys)
    assert out == to_markdown(record) == to_markdown(record, "en")
    stored, messages = record["outputs"], record["outputs"]["messages"]
    for name in ("reasons", "conditions", "drivers"):
        assert [render(from_json(m) or plain(""), "en") for m in messages[name]] == stored[name]
        assert all(f"- {md_text(s)}" in out for s in stored[name])
    assert "## Why" in out and "| cost per call |" in out and "_Generated by scopecard" in out
    assert "recorded in English" not in out


def test_old_record_in_chinese_shows_its_english_with_one_note(tmp_path, capsys):
    """Defect: a record written before messages were stored has only English sentences; the
    Chinese export shows them as recorded, with one Chinese note saying so."""
    _, path = _example_record(tmp_path, capsys)
    record = document(path)
    del record["outputs"]["messages"]
    for k in record["kill_criteria"]:
        del k["note_message"]
    out = to_markdown(record, "zh")
    assert out.count(text("md.recorded_in_english", "zh")) == 1
    assert f"- {md_text(record['outputs']['reasons'][0])}" in out
    assert "## 理由" in out


def test_business_brief_in_chinese_prints_no_english_sentence(tmp_path, capsys):
    """Defect: `brief --for business` had no --lang; its headings, labels, route and stored
    sentences were English. In Chinese it prints no English sentence apart from user text."""
    record_id, _ = _example_record(tmp_path, capsys)
    out = _cli(["brief", record_id, "--for", "business", "--lang", "zh",
                "--workspace", str(tmp_path)], capsys)
    assert "业务简报" in out and "止损条件" in out
    assert not english_runs(out, tuple(md_text(t) for t in USER)), english_runs(out)


def test_english_business_brief_is_the_stored_english(tmp_path, capsys):
    """Defect guard: the English business brief must not change: `--lang en` equals the
    default, shows the stored sentences and the route as routes.toml names it."""
    record_id, path = _example_record(tmp_path, capsys)
    record = document(path)
    args = ["brief", record_id, "--for", "business", "--workspace", str(tmp_path)]
    out = _cli([*args, "--lang", "en"], capsys)
    assert out == brief_markdown(brief(record, "business"))
    assert all(f"- {md_text(s)}" in out for s in record["outputs"]["reasons"])
    assert "Route: Retrieval (RAG) — Ingestion pipeline" in out
    assert "| monthly AI cost P10 / P50 / P90 |" in out and "recorded in English" not in out
    data = json.loads(_cli([*args, "--format", "json", "--lang", "en"], capsys))
    assert "sentences_recorded_in_english" not in data


def test_old_record_business_brief_in_chinese_notes_its_english(tmp_path, capsys):
    """Defect: an old record (no stored messages) in the Chinese brief: its English sentences
    are shown as recorded, with one Chinese note."""
    _, path = _example_record(tmp_path, capsys)
    record = document(path)
    del record["outputs"]["messages"]
    out = brief_markdown(brief(record, "business", "zh"), "zh")
    assert out.count(text("md.recorded_in_english", "zh")) == 1
    assert f"- {md_text(record['outputs']['reasons'][0])}" in out


def test_route_names_exist_in_both_tables():
    """Defect: the route's label and note in the business brief came from routes.toml in
    English only; every route has a label and a note in the message tables."""
    for name in routes():
        for prefix in ("route", "route_note"):
            assert f"{prefix}.{name}" in table("zh"), (prefix, name)
        assert text(f"route.{name}", "en") == routes()[name].label


def test_vendor_brief_in_chinese_prints_no_english_sentence(tmp_path, capsys):
    """Defect: `brief --for vendor` had no --lang; its headings, labels, requirements and route
    were English. In Chinese only user text and the capacity section's sentences (written by
    rubrics.capacity, not yet messages) may be English; English output is unchanged."""
    record_id, path = _example_record(tmp_path, capsys)
    record = document(path)
    args = ["brief", record_id, "--for", "vendor", "--workspace", str(tmp_path)]
    data = json.loads(_cli([*args, "--format", "json", "--lang", "zh"], capsys))
    rate = data["capacity"]["rate_limit"]
    allowed = tuple(md_text(t) for t in (*USER, record["spec"]["need"]["problem"],
                                         rate["summary"], rate["concurrency_text"],
                                         rate["tier_basis_text"]) if t)
    out = _cli([*args, "--lang", "zh"], capsys)
    assert "面向供应商" in out and "质量门槛" in out
    assert not english_runs(out, allowed), english_runs(out, allowed)
    assert _cli([*args, "--lang", "en"], capsys) == brief_markdown(brief(record, "vendor"))


# --- the estimate and the whole decision (zhcli) ----------------------------------------------

def _data_texts(record: dict[str, Any]) -> tuple[str, ...]:
    """Data a decision prints as its source gives it: price and FX sources (never sentences)."""
    return (*(p.get("source", "") for p in record.get("prices", [])),
            *(f.get("source", "") for f in record.get("fx", [])))


def test_decide_example_in_chinese_prints_no_english_sentence_anywhere(tmp_path, capsys):
    """Defect: `decide --example --lang zh` printed everything above the verdict in English:
    title, load, table header, token legend, retirement warning, capacity, prices, assumptions,
    capability, economics, alternatives, and driver labels as field paths. Only user text and
    data (price and FX sources) may be English now."""
    _, path = _example_record(tmp_path, capsys)
    record = document(path)
    out = _cli(["decide", "--example", "--dry-run", "--lang", "zh", "--workspace",
                str(tmp_path)], capsys)
    allowed = (*USER, *_data_texts(record))
    assert not english_runs(out, allowed), english_runs(out, allowed)
    assert "每次成功的价值" in out and "value.value_per_success" not in out
    assert "已于 2026-07-24 退役" in out and "没有公开的限制" in out and "利特尔法则" in out


def test_estimate_accepts_lang_and_prints_no_english_sentence(tmp_path, capsys):
    """Defect: `estimate --example --lang zh` was rejected ("unrecognized arguments"); the
    estimate printed only English. It now takes --lang and prints Chinese."""
    _, path = _example_record(tmp_path, capsys)
    record = document(path)
    out = _cli(["estimate", "--example", "--lang", "zh", "--workspace", str(tmp_path)], capsys)
    allowed = (*USER, *_data_texts(record))
    assert "所用价格" in out and "假设" in out
    assert not english_runs(out, allowed), english_runs(out, allowed)


def _spec_with_output(tmp_path: Path, lang: str) -> Path:
    """A copy of the example spec (with its prompt file) with `[output] lang = LANG`."""
    from rubrics.examples import EXAMPLE_SPEC

    folder = tmp_path / "spec"
    folder.mkdir()
    for f in EXAMPLE_SPEC.parent.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    spec = folder / EXAMPLE_SPEC.name
    spec.write_text(spec.read_text() + f'\n[output]\nlang = "{lang}"\n')
    return spec


def test_spec_output_lang_beats_the_locale(tmp_path, capsys, monkeypatch):
    """Defect: the locale beat the spec's `[output] lang`, so on the usual LANG=en_US machine a
    spec asking for Chinese printed English (and the spec could not say it at all). Precedence
    is now --lang > spec > locale > English."""
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    spec = str(_spec_with_output(tmp_path, "zh"))
    ws = ["--workspace", str(tmp_path / "ws")]
    assert "估算" in _cli(["estimate", spec, *ws], capsys)
    assert "判定门槛" in _cli(["decide", spec, "--dry-run", *ws], capsys)
    assert "estimate as of" in _cli(["estimate", spec, "--lang", "en", *ws], capsys)


def test_detect_language_precedence():
    """Defect: `detect_language` let the locale beat the spec's preference."""
    from rubrics.messages import detect_language

    en_us = {"LANG": "en_US.UTF-8"}
    assert detect_language(None, en_us, "zh") == "zh"
    assert detect_language("en", en_us, "zh") == "en"
    assert detect_language(None, {"LC_ALL": "zh_CN.UTF-8"}, None) == "zh"
    assert detect_language(None, {"LANG": "C"}, None) == "en"


def test_unknown_output_lang_is_a_clear_error(tmp_path, capsys):
    """Defect guard: `[output] lang` is validated; an unknown value names the field, its line
    and the allowed values, exit 2, no traceback."""
    spec = _spec_with_output(tmp_path, "fr")
    assert main(["estimate", str(spec), "--workspace", str(tmp_path / "ws")]) == 2
    err = capsys.readouterr().err
    assert "output.lang" in err and "'en'" in err and "'zh'" in err and "Traceback" not in err


def test_english_estimate_and_json_keep_their_text(tmp_path, capsys):
    """Defect guard: the English estimate is the locale default's, byte for byte, and the core's
    sentences stay plain English strings in --json and in records (same shape as before)."""
    args = ["estimate", "--example", "--workspace", str(tmp_path)]
    out = _cli([*args, "--lang", "en"], capsys)
    assert out == _cli([*args, "--lang", "en"], capsys)
    assert out.startswith("Support FAQ answers — estimate as of ")
    assert "  openai/gpt-4o-mini: no published limit; ask the vendor\n" in out
    assert ("  - route 'rag' one-time cost from the preset: 8,000 .. 50,000 USD (likely 20,000)"
            in out)
    data = json.loads(_cli([*args, "--json"], capsys))
    warnings = [w for c in data["candidates"] for w in c["warnings"]]
    assert warnings and all(type(w) is str for w in warnings)
    assert any(w.startswith("retired on 2026-07-24: the vendor may refuse") for w in warnings)


def test_sentences_say_what_the_english_helpers_said():
    """Defect guard: the lifecycle warning moved to a message; its English equals the text
    estimators.prices still writes (for `prices` listings) in every state."""
    import datetime as dt

    from estimators.prices import lifecycle_warning, load_catalogue
    from rubrics.estimate import lifecycle_message

    catalogue = load_catalogue()
    rows = [r for m in catalogue.model_ids() for r in catalogue.history(m)
            if r.retired_on or r.deprecated_on]
    assert rows
    for row in rows:
        for day in (row.retired_on or row.deprecated_on, dt.date(2026, 1, 1), dt.date(2030, 1, 1)):
            assert day is not None
            said = lifecycle_message(row, day)
            assert (str(said) if said else None) == lifecycle_warning(row, day)
            if said:
                assert not english_runs(render(said.message, "zh"))


def test_capacity_sentences_render_in_chinese():
    """Defect: the capacity sentences (also used by the vendor brief) were English strings
    built in rubrics/capacity.py; they are messages now, with the same English."""
    from estimators.prices import RateLimit
    from rubrics.capacity import Need, capacity, concurrency_text, raise_limit_text, summary_text
    from rubrics.messages import say

    tiers = [RateLimit(tier="Tier 1", rpm=500, tpm=10_000, concurrency=4),
             RateLimit(tier="Tier 3", rpm=5_000, tpm=1_000_000)]
    need = Need(peak_qps=40.0, peak_tpm=50_000.0, latency_ms=None)
    over = capacity("m", tiers, need, "https://example.com/limits")
    assert str(summary_text(over)).startswith("peak 50,000 TPM is 5.0× the 10,000 TPM of "
                                               "tier 'Tier 1': needs 5 keys at tier 'Tier 1', or "
                                               "tier 'Tier 3', or a provisioned-throughput deal")
    small = capacity("m", tiers, Need(1.0, 100.0, None), "https://example.com/limits")
    assert str(summary_text(small)) == ("fits tier 'Tier 1' (uses 12% of its RPM); tier 'Tier 1' "
                                        "limits requests in flight: not checked without "
                                        "constraints.max_p95_latency_ms")
    for said in (summary_text(over), raise_limit_text(over), concurrency_text(need),
                 summary_text(capacity("m", [], need, "")), summary_text(small)):
        assert not english_runs(say(said, "zh")), say(said, "zh")
