"""One declaration per spec field (rubrics.spec_fields): complete, in both languages, and the
single source of the wizard's steps, its labels, the driver labels and the Monte Carlo inputs."""

from __future__ import annotations

from rubrics import spec_fields
from rubrics.economics import UNCERTAIN_FIELDS
from rubrics.messages import render
from rubrics.spec_fields import BY_PATH, FIELDS, NOT_EDITED, bounds, choices, spec_paths
from rubrics.verdict import input_label
from tui import i18n
from tui.steps import STEPS


def test_every_spec_field_is_declared_and_in_the_wizard():
    """Issue #18: the wizard could not edit kill criteria, price overrides, off-peak share, the
    interval method, `confidential` or `data_retention`. Walks the Spec model recursively: each
    leaf field has a declaration on a wizard step, or a reason in NOT_EDITED."""
    wizard = {f.path for fields in STEPS.values() for f in fields}
    missing = [p for p in spec_paths() if p not in wizard and p not in NOT_EDITED]
    assert not missing, f"spec fields the wizard cannot edit: {missing}"
    assert set(NOT_EDITED) <= set(spec_paths()), "a reason for a field that no longer exists"


def test_the_fields_the_issue_names_are_editable():
    """Issue #18: the fields named in the report are now on wizard steps."""
    wizard = {f.path for fields in STEPS.values() for f in fields}
    for path in ("prompt.off_peak_share", "quality.interval", "need.confidential",
                 "prompt.confidential", "constraints.data_retention",
                 "candidates.*.rate_limit_tier", "candidates.*.price.input",
                 "candidates.*.price.output", "kill_criteria.*.metric",
                 "kill_criteria.*.comparator", "kill_criteria.*.threshold",
                 "kill_criteria.*.window_days", "kill_criteria.*.action", "output.lang"):
        assert path in wizard, path


def test_declarations_are_spec_fields_and_unique():
    """A declaration for a field the spec does not have would be a control that saves junk."""
    paths = [f.path for f in FIELDS]
    assert len(paths) == len(set(paths))
    model = set(spec_paths())
    extra = [p for p in paths if p not in model and not p.startswith("_wizard.")
             and p != "candidates"]  # the model picker edits the candidate list as a whole
    assert not extra


def test_labels_and_help_in_both_languages():
    """Labels and help exist in English and Chinese, and differ between them."""
    for f in FIELDS:
        assert f.label_en and f.help_en and f.label_zh and f.help_zh, f.path
        assert f.label_en != f.label_zh, f.path
    i18n.set_language("zh")
    try:
        assert i18n.field_label("load.daily_active_users") == "日活用户"
        assert i18n.field_label("kill_criteria.3.metric") == BY_PATH[
            "kill_criteria.*.metric"].label_zh
    finally:
        i18n.set_language("en")
    assert i18n.field_help("prompt.off_peak_share") == BY_PATH["prompt.off_peak_share"].help_en


def test_steps_are_derived_in_declaration_order():
    """tui/steps.py holds no hand-typed field list: STEPS is the registry grouped by step."""
    assert [f.path for fields in STEPS.values() for f in fields] == [
        f.path for step in STEPS for f in FIELDS if f.step == step]
    assert list(STEPS) == ["need", "alternatives", "load", "prompt", "value", "costs",
                           "quality", "constraints", "candidates", "commit"]


def test_ranges_and_choices_come_from_the_model():
    """The range and choices of a field are read from the pydantic models, not typed twice."""
    dau = bounds("load.daily_active_users")
    assert dau is not None and (dau.ge, dau.le) == (0, 1e10)
    days = bounds("kill_criteria.0.window_days")
    assert days is not None and (days.ge, days.le) == (1, 365)
    assert choices("quality.interval") == ("wilson", "clopper-pearson")
    assert "switch model" in choices("kill_criteria.*.action")
    step_choices = {f.path: f.choices for fields in STEPS.values() for f in fields}
    assert step_choices["constraints.route"] == ("prompt", "rag", "finetune", "train")


def test_monte_carlo_inputs_and_driver_labels_are_derived():
    """The Monte Carlo's uncertain inputs are the number-or-range fields of the drawn sections,
    in the order it always drew them (so seeded results do not move); driver labels are the
    declared labels, in both languages."""
    assert UNCERTAIN_FIELDS == (
        "load.daily_active_users", "load.tasks_per_user_per_day", "load.calls_per_task",
        "load.retry_rate", "load.peak_factor", "load.monthly_growth",
        "prompt.system_tokens", "prompt.user_tokens", "prompt.context_tokens",
        "prompt.output_tokens", "prompt.reasoning_tokens", "prompt.cache_hit_rate",
        "prompt.batch_share", "prompt.off_peak_share",
        "value.value_per_success", "value.escape_rate", "value.loss_per_escape",
        "value.review_share", "value.review_cost", "value.fallback_cost", "value.realization",
        "costs.one_time", "costs.monthly_fixed", "costs.route_one_time", "costs.route_monthly")
    for path in UNCERTAIN_FIELDS:  # in lower case, listed like `success rate (p)`
        label = BY_PATH[path].label_en
        assert render(input_label(path), "en") == label[0].lower() + label[1:]
        assert render(input_label(path), "zh") == BY_PATH[path].label_zh
    assert spec_fields.uncertain_fields() == UNCERTAIN_FIELDS


def test_list_items_are_read_and_written_by_index():
    """The wizard's item rows (candidates.1.price.input, kill_criteria.0.metric) read and write
    inside the list; an emptied price table goes away; list errors land on the right step."""
    from tui.steps import get_path, set_path, step_of

    data: dict = {"candidates": [{"model": "a/b"}, {"model": "c/d"}], "kill_criteria": [{}]}
    set_path(data, "candidates.1.price.input", 0.5)
    assert data["candidates"][1] == {"model": "c/d", "price": {"input": 0.5}}
    assert get_path(data, "candidates.1.price.input") == 0.5
    set_path(data, "candidates.1.price.input", None)
    assert data["candidates"][1] == {"model": "c/d"}
    set_path(data, "kill_criteria.0.metric", "pass_rate")
    assert get_path(data, "kill_criteria.0.metric") == "pass_rate"
    assert get_path(data, "kill_criteria.5.metric") is None
    assert step_of(("kill_criteria", 0)) == "commit"
    assert step_of(("output", "lang")) == "need"
