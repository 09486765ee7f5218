"""Model names as usage files write them, mapped to catalogue ids, never by guessing.

Order: the user's `--model-map` TOML (`[models] "my-gw-alias" = "deepseek/deepseek-flash"`,
an explicit choice wins), the exact catalogue id, the model part of a unique id
(`gpt-4o-mini` -> `openai/gpt-4o-mini`; a LiteLLM `azure/gpt-4o-mini` is tried as `gpt-4o-mini`),
the same after dropping a dated snapshot suffix (`-2024-07-18`, `-20250929`), and a catalogue
row's `snapshot` name. Anything else, or a name two vendors share, lands in `unmapped` with
the reason; no fuzzy matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from estimators.errors import InputError
from estimators.prices import Catalogue
from estimators.safefile import read_toml
from rubrics.usage.rows import UsageRow

MAX_MODEL_MAP_BYTES = 1_000_000
_DATED = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


@dataclass
class ModelMapping:
    """`mapped`: file name -> catalogue id; `unmapped`: names with no id (reasons apart)."""

    mapped: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)


def load_model_map(path: Path | str, catalogue_ids: Iterable[str]) -> dict[str, str]:
    """A `--model-map` file: `[models]` of name = catalogue id; an id not in the catalogue is
    an InputError naming the entry."""
    source = str(path)
    data = read_toml(path, MAX_MODEL_MAP_BYTES)
    extra = sorted(set(data) - {"models"})
    if extra:
        raise InputError(f"unknown table {extra[0]!r}; a model map has only [models]",
                         file=source, where=extra[0])
    models = data.get("models", {})
    if not isinstance(models, dict):
        raise InputError("must be a table of name = \"vendor/model\"", file=source, where="models")
    known = set(catalogue_ids)
    out: dict[str, str] = {}
    for name, target in models.items():
        if not isinstance(target, str) or target not in known:
            raise InputError(f"maps to {target!r}, which is no catalogue id (see `scopecard "
                             "prices list`)", file=source, where=f"models.{name}")
        out[name] = target
    return out


def _by_model_part(ids: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for model_id in ids:
        index.setdefault(model_id.split("/", 1)[1].lower(), []).append(model_id)
    return index


def map_models(names: Iterable[str], catalogue: Catalogue,
               user_map: dict[str, str] | None = None) -> ModelMapping:
    """Map each distinct file model name to a catalogue id (see the module docstring)."""
    ids = set(catalogue.model_ids())
    parts = _by_model_part(ids)
    snapshots = {r.snapshot.lower(): r.id for r in catalogue.rows if r.snapshot}
    user_map = user_map or {}
    result = ModelMapping()
    for name in dict.fromkeys(names):
        target, reason = _map_one(name, ids, parts, snapshots, user_map)
        if target:
            result.mapped[name] = target
        else:
            result.unmapped.append(name)
            result.reasons[name] = reason
    return result


def _map_one(name: str, ids: set[str], parts: dict[str, list[str]], snapshots: dict[str, str],
             user_map: dict[str, str]) -> tuple[str | None, str]:
    if name in user_map:
        return user_map[name], ""
    if name in ids:
        return name, ""
    tail = name.rsplit("/", 1)[-1].lower()
    for candidate in dict.fromkeys((tail, _DATED.sub("", tail))):
        hits = parts.get(candidate, [])
        if len(hits) == 1:
            return hits[0], ""
        if len(hits) > 1:
            return None, (f"{name!r} could be {', '.join(sorted(hits))}; say which in a "
                          "--model-map file")
    if tail in snapshots:
        return snapshots[tail], ""
    return None, (f"{name!r} is not in the catalogue; map it with --model-map "
                  "([models] \"name\" = \"vendor/model\")")


def check_mapped(rows: Iterable[UsageRow], mapping: ModelMapping) -> None:
    """An InputError at the first row whose model maps to nothing (file and row named)."""
    unmapped = set(mapping.unmapped)
    for row in rows:
        if row.model in unmapped:
            raise InputError(f"model {mapping.reasons[row.model]}", file=row.file,
                             where=row.locator)
