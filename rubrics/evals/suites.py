"""Case suites: the TOML format for authoring graded suites, and the suite content hash.

    schema = "scopecard.suite/1"
    name = "support-faq"
    version = "2026-11"                 # optional, free text
    description = "…"                   # optional

    [[cases]]
    id = "refund-001"
    difficulty = "easy"                 # easy | medium | hard
    kind = "single"                     # single (default) | composite
    capability = "refunds"              # optional, singles only; defaults to the id
    tags = ["billing"]
    desensitized = true                 # personal data removed or replaced
    prompt = "…"                        # or input = "…"
    expected = "…"                      # or assertion = "…"

    [[cases]]
    id = "refund-and-tone-001"
    kind = "composite"
    combines = ["refunds", "tone"]      # capabilities (or ids) of single cases

The hash is sha256 over the sorted "id, difficulty, kind" lines, so two suites hash alike
exactly when they hold the same cases graded the same way, whatever their names or prompts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estimators.errors import InputError
from estimators.safefile import read_toml
from rubrics.evals.results import DIFFICULTIES, KINDS

SCHEMA = "scopecard.suite/1"
_CASE_KEYS = {"id", "difficulty", "kind", "capability", "combines", "tags", "desensitized",
              "prompt", "input", "expected", "assertion", "notes"}
_TOP_KEYS = {"schema", "name", "version", "description", "cases"}
MAX_SUITE_BYTES = 20 * 1024 * 1024


def suite_hash(cases: Iterable[tuple[str, str, str]]) -> str:
    """sha256 over sorted (case id, difficulty, kind) — the identity of a set of cases."""
    h = hashlib.sha256(b"scopecard.suite-hash/1\n")
    for case_id, difficulty, kind in sorted(cases):
        h.update(f"{case_id}\t{difficulty}\t{kind}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class SuiteCase:
    id: str
    difficulty: str
    kind: str
    capability: str
    combines: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    desensitized: bool = False
    prompt: str = ""
    expected: str = ""


@dataclass(frozen=True)
class Suite:
    name: str
    version: str
    description: str
    cases: tuple[SuiteCase, ...]
    path: str = ""

    @property
    def hash(self) -> str:
        return suite_hash((c.id, c.difficulty, c.kind) for c in self.cases)

    def by_id(self) -> dict[str, SuiteCase]:
        return {c.id: c for c in self.cases}


def _str_list(value: Any, source: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError("expected a list of strings", file=source, where=where)
    return tuple(v.strip() for v in value if v.strip())


def _str(value: Any, source: str, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError("expected a string", file=source, where=where)
    return value


def load_suite(path: Path) -> tuple[Suite, list[str]]:
    """Read a suite file: (suite, warnings). Structural errors raise InputError with where.

    The file is read bounded (a regular file of at most MAX_SUITE_BYTES) and parsed with
    nesting and syntax errors turned into InputError (estimators.safefile).
    """
    return parse_suite(read_toml(path, MAX_SUITE_BYTES), str(path))


def parse_suite(doc: dict[str, Any], source: str) -> tuple[Suite, list[str]]:
    """Validate a parsed suite document: (suite, warnings)."""
    warnings: list[str] = []
    if doc.get("schema") != SCHEMA:
        raise InputError(f"schema is {doc.get('schema')!r}; a case suite has schema = "
                         f'"{SCHEMA}"', file=source, where="schema")
    name = _str(doc.get("name"), source, "name").strip()
    if not name:
        raise InputError("a suite needs a name", file=source, where="name")
    version = doc.get("version", "")
    version = str(version) if isinstance(version, (str, int, float)) else ""
    description = _str(doc.get("description"), source, "description")
    for key in sorted(set(doc) - _TOP_KEYS):
        warnings.append(f"unknown key {key!r} (ignored)")
    raw_cases = doc.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        raise InputError("a suite needs at least one [[cases]] table", file=source, where="cases")

    cases: list[SuiteCase] = []
    for i, c in enumerate(raw_cases):
        where = f"cases[{i}]"
        if not isinstance(c, dict):
            raise InputError("each case is a [[cases]] table", file=source, where=where)
        cid = c.get("id")
        if not isinstance(cid, str) or not cid.strip():
            raise InputError("a case needs a non-empty string id", file=source, where=f"{where}.id")
        cid = cid.strip()
        where = f"cases[{i}] ({cid})"
        difficulty = _str(c.get("difficulty"), source, f"{where}.difficulty").strip().lower()
        if difficulty and difficulty not in DIFFICULTIES:
            raise InputError(f"difficulty {difficulty!r}; allowed: {', '.join(DIFFICULTIES)}",
                             file=source, where=f"{where}.difficulty")
        kind = _str(c.get("kind"), source, f"{where}.kind").strip().lower() or "single"
        if kind not in KINDS:
            raise InputError(f"kind {kind!r}; allowed: {', '.join(KINDS)}", file=source,
                             where=f"{where}.kind")
        desens = c.get("desensitized", False)
        if not isinstance(desens, bool):
            raise InputError("desensitized is true or false", file=source,
                             where=f"{where}.desensitized")
        combines = _str_list(c.get("combines"), source, f"{where}.combines")
        capability = _str(c.get("capability"), source, f"{where}.capability").strip() or cid
        prompt = _str(c.get("prompt"), source, f"{where}.prompt") or _str(
            c.get("input"), source, f"{where}.input")
        expected = _str(c.get("expected"), source, f"{where}.expected") or _str(
            c.get("assertion"), source, f"{where}.assertion")
        for key in sorted(set(c) - _CASE_KEYS):
            warnings.append(f"{where}: unknown key {key!r} (ignored)")
        if not difficulty:
            warnings.append(f"{where}: no difficulty (it only counts in the suite total)")
        if kind == "single" and combines:
            warnings.append(f"{where}: a single case lists combines; only composites combine")
        if kind == "composite" and len(combines) < 2:
            warnings.append(f"{where}: a composite should combine at least two capabilities")
        if not prompt:
            warnings.append(f"{where}: no prompt/input")
        if not expected:
            warnings.append(f"{where}: no expected/assertion (how is it graded?)")
        cases.append(SuiteCase(cid, difficulty, kind, capability, combines,
                               _str_list(c.get("tags"), source, f"{where}.tags"), desens,
                               prompt, expected))

    counts = Counter(c.id for c in cases)
    for cid, n in sorted(counts.items()):
        if n > 1:
            warnings.append(f"duplicate case id {cid!r} ({n} times): results cannot tell them apart")
    not_desens = [c.id for c in cases if not c.desensitized]
    if not_desens:
        shown = ", ".join(not_desens[:8]) + (", …" if len(not_desens) > 8 else "")
        warnings.append(f"{len(not_desens)} case(s) not marked desensitized: {shown}")
    singles = {c.capability for c in cases if c.kind == "single"} | {
        c.id for c in cases if c.kind == "single"}
    for c in cases:
        if c.kind == "composite":
            unknown = [x for x in c.combines if x not in singles]
            if unknown:
                warnings.append(f"composite {c.id!r} combines unknown single(s): "
                                f"{', '.join(unknown)}")
    return Suite(name, version, description, tuple(cases), source), warnings


def check_suite(path: Path | str) -> list[str]:
    """Warnings for a suite file (structural errors raise InputError)."""
    return load_suite(Path(path))[1]
