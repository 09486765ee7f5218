"""The wizard's steps: which spec fields each one edits, and how the spec data is read and written.

Pure data and dict helpers (no Textual), so the mapping can be tested on its own. Paths are dotted
spec paths ("load.peak_factor"); `_wizard.` paths are the wizard's own settings kept in the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rubrics.spec_fields import FIELDS, LIST_ROOTS, STEP_ORDER, Kind, choices, template

WIZARD_KEY = "_wizard"  # draft-only table: settings that are not part of the spec

__all__ = ["LIST_ROOTS", "STEPS", "STEP_NAMES", "FieldDef", "Kind", "template"]


@dataclass(frozen=True)
class FieldDef:
    path: str  # `*` for a list item's field until the wizard names the item
    kind: Kind
    choices: tuple[str, ...] = ()  # for "choice"; the scenario list is filled in from the core
    replaces: str | None = None  # a prompt text replaces this *_tokens field when given

    def at(self, index: int) -> FieldDef:
        """This list-item field for item `index` ("kill_criteria.*.metric" -> "...0...")."""
        return FieldDef(self.path.replace("*", str(index), 1), self.kind, self.choices,
                        self.replaces)


# Derived from the one declaration of every spec field (rubrics.spec_fields).
STEPS: dict[str, list[FieldDef]] = {
    step: [FieldDef(f.path, f.kind, choices(f.path), f.replaces) for f in FIELDS
           if f.step == step]
    for step in STEP_ORDER}
STEP_NAMES = list(STEPS)
TOP_LEVEL_STEP = "need"  # title, scenario and currency live at the top of the spec


def get_path(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (a number picks a list item), or None."""
    node: Any = data
    for key in path.split("."):
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return None
    return node


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path (None removes it, and empty tables left behind); a value that is in
    the way of the path (not a table) is replaced by one."""
    keys = path.split(".")
    if "." in path and keys[0] in LIST_ROOTS and keys[1].isdigit():
        item = get_path(data, ".".join(keys[:2]))
        if isinstance(item, dict):  # a list item's field: the rest is a path inside the item
            set_path(item, ".".join(keys[2:]), value)
        return
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
    """Which step shows a validation error at `loc` (a pydantic location): the step of the
    first field declared under its section (kill_criteria -> commit, output -> need)."""
    head = str(loc[0]) if loc else "candidates"  # whole-spec rules concern the candidate list
    if head in STEPS:
        return head
    return next((f.step for f in FIELDS if f.path.split(".")[0] == head), TOP_LEVEL_STEP)


def spec_data(data: dict[str, Any]) -> dict[str, Any]:
    """The spec part of a draft (the wizard's own settings removed)."""
    return {k: v for k, v in data.items() if k != WIZARD_KEY}
