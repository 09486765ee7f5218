"""The wizard's steps: which spec fields each one edits, and how the spec data is read and written.

Pure data and dict helpers (no Textual), so the mapping can be tested on its own. Paths are dotted
spec paths ("load.peak_factor"); `_wizard.` paths are the wizard's own settings kept in the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "choice", "num", "int", "float", "list", "prompt", "models"]
WIZARD_KEY = "_wizard"  # draft-only table: settings that are not part of the spec


@dataclass(frozen=True)
class FieldDef:
    path: str
    kind: Kind
    choices: tuple[str, ...] = ()  # for "choice"; the scenario list is filled in from the core
    replaces: str | None = None  # a prompt text replaces this *_tokens field when given


def _f(path: str, kind: Kind, **kw: Any) -> FieldDef:
    return FieldDef(path, kind, **kw)


STEPS: dict[str, list[FieldDef]] = {
    "need": [_f("title", "text"), _f("scenario", "choice"), _f("currency", "text"),
             _f("need.problem", "text"), _f("need.users", "text"),
             _f("need.success_metric", "text")],
    "alternatives": [_f("alternatives.rules_coverage", "num"),
                     _f("alternatives.rules_one_time", "num"),
                     _f("alternatives.rules_monthly", "num"),
                     _f("alternatives.embedding_model", "text"),
                     _f("alternatives.embedding_coverage", "num")],
    "load": [_f("load.daily_active_users", "num"), _f("load.tasks_per_user_per_day", "num"),
             _f("load.days_per_month", "int"), _f("load.calls_per_task", "num"),
             _f("load.retry_rate", "num"), _f("load.peak_factor", "num"),
             _f("load.monthly_growth", "num")],
    "prompt": [_f("prompt.system_text", "prompt", replaces="prompt.system_tokens"),
               _f("prompt.system_tokens", "num"),
               _f("prompt.user_text", "prompt", replaces="prompt.user_tokens"),
               _f("prompt.user_tokens", "num"), _f("prompt.context_tokens", "num"),
               _f("prompt.output_tokens", "num"), _f("prompt.reasoning_tokens", "num"),
               _f("prompt.turns", "int"), _f("prompt.cache_hit_rate", "num"),
               _f("prompt.batch_share", "num"),
               _f("prompt.language", "choice", choices=("en", "zh", "mixed"))],
    "value": [_f("value.value_per_success", "num"), _f("value.escape_rate", "num"),
              _f("value.loss_per_escape", "num"), _f("value.review_share", "num"),
              _f("value.review_cost", "num"), _f("value.fallback_cost", "num"),
              _f("value.realization", "num")],
    "costs": [_f("costs.one_time", "num"), _f("costs.monthly_fixed", "num"),
              _f("costs.amortize_months", "int"), _f("costs.route_one_time", "num"),
              _f("costs.route_monthly", "num")],
    "quality": [_f("quality.suite", "text"), _f("quality.bar", "float"),
                _f("quality.confidence", "float"), _f("quality.difficulty_bars.easy", "float"),
                _f("quality.difficulty_bars.medium", "float"),
                _f("quality.difficulty_bars.hard", "float"), _f("_wizard.evals_csv", "text")],
    "constraints": [_f("constraints.route", "choice",
                       choices=("prompt", "rag", "finetune", "train")),
                    _f("constraints.data_residency", "list"),
                    _f("constraints.max_p95_latency_ms", "float"),
                    _f("constraints.compliance", "list")],
    "candidates": [_f("candidates", "models")],
    "commit": [_f("commit.target_roi", "float"), _f("commit.max_monthly_spend", "float"),
               _f("commit.review_after_days", "int")],
}
STEP_NAMES = list(STEPS)
TOP_LEVEL_STEP = "need"  # title, scenario and currency live at the top of the spec


def get_path(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None."""
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (None removes it, and empty tables left behind); a value that is in
    the way of the path (not a table) is replaced by one."""
    keys = path.split(".")
    if value is None:
        trail = [data]
        for key in keys[:-1]:
            nxt = trail[-1].get(key)
            if not isinstance(nxt, dict):
                return
            trail.append(nxt)
        trail[-1].pop(keys[-1], None)
        for parent, key in zip(reversed(trail[:-1]), reversed(keys[:-1]), strict=True):
            if parent[key] == {}:
                del parent[key]
        return
    node = data
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):  # a draft may hold `load = 5`: the edit wins
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value


def step_of(loc: tuple[Any, ...]) -> str:
    """Which step shows a validation error at `loc` (a pydantic location)."""
    head = str(loc[0]) if loc else "candidates"  # whole-spec rules concern the candidate list
    return head if head in STEPS else TOP_LEVEL_STEP


def spec_data(data: dict[str, Any]) -> dict[str, Any]:
    """The spec part of a draft (the wizard's own settings removed)."""
    return {k: v for k, v in data.items() if k != WIZARD_KEY}
