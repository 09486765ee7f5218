"""Export a desensitized case suite as files a vendor can run with tools they already use.

- promptfoo: `promptfooconfig.yaml` (written as JSON, which is valid YAML) with one test per case:
  the case id as its description (promptfoo results carry it back, and scopecard's promptfoo
  importer uses it as the case id), the prompt as a var, one `icontains` assertion per line of
  `expected`, and difficulty/kind as metadata.
- inspect: `dataset.jsonl` in Inspect AI's sample shape (id, input, target, metadata) and a
  `task.py` that loads it and passes an answer that contains every target phrase.
- jsonl: `cases.jsonl`, one plain object per case.

A case not marked desensitized is never exported: it is left out and listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from estimators.atomic import write_atomic
from estimators.errors import InputError
from rubrics.evals.suites import Suite, SuiteCase

FORMATS = ("promptfoo", "inspect", "jsonl")


@dataclass(frozen=True)
class ExportReport:
    files: tuple[Path, ...]
    exported: tuple[str, ...]
    left_out: tuple[str, ...]  # not desensitized


def _phrases(case: SuiteCase) -> list[str]:
    return [line.strip() for line in case.expected.splitlines() if line.strip()]


def _metadata(case: SuiteCase) -> dict[str, object]:
    return {"case_id": case.id, "difficulty": case.difficulty, "kind": case.kind,
            "capability": case.capability, "combines": list(case.combines)}


def _promptfoo(suite: Suite, cases: list[SuiteCase]) -> dict[str, str]:
    config = {
        "description": suite.name,
        "prompts": ["{{prompt}}"],
        "providers": ["openai:gpt-4o-mini"],  # the vendor replaces this with their own model
        "tests": [{
            "description": c.id,
            "vars": {"prompt": c.prompt},
            "assert": [{"type": "icontains", "value": p} for p in _phrases(c)],
            "metadata": _metadata(c),
        } for c in cases],
    }
    return {"promptfooconfig.yaml": json.dumps(config, indent=2, ensure_ascii=False) + "\n",
            "README.md": f"# {suite.name}\n\nRun with `npx promptfoo eval -c promptfooconfig.yaml "
                         f"-o results.json` (set your provider first) and send back "
                         f"results.json; scopecard imports it with `scopecard evals import "
                         f"results.json --suite {suite.name}`.\n"}


def _inspect(suite: Suite, cases: list[SuiteCase]) -> dict[str, str]:
    rows = [{"id": c.id, "input": c.prompt, "target": _phrases(c), "metadata": _metadata(c)}
            for c in cases]
    task = f'''"""Inspect AI task for the {suite.name} suite (exported by scopecard).

A sample passes when the answer contains every target phrase (case-insensitive).
"""

from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, scorer
from inspect_ai.solver import TaskState, generate


@scorer(metrics=[accuracy()])
def includes_all():
    async def score(state: TaskState, target: Target) -> Score:
        answer = state.output.completion
        ok = all(phrase.lower() in answer.lower() for phrase in target.target)
        return Score(value=CORRECT if ok else INCORRECT, answer=answer)

    return score


@task
def {suite.name.replace("-", "_").replace(" ", "_")}():
    return Task(dataset=json_dataset("dataset.jsonl"), solver=generate(), scorer=includes_all())
'''
    return {"dataset.jsonl": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
            "task.py": task}


def _jsonl(suite: Suite, cases: list[SuiteCase]) -> dict[str, str]:
    return {"cases.jsonl": "".join(
        json.dumps({"suite": suite.name, "id": c.id, "prompt": c.prompt,
                    "expected": _phrases(c), **_metadata(c)}, ensure_ascii=False) + "\n"
        for c in cases)}


def export_suite(suite: Suite, fmt: str, out_dir: Path) -> ExportReport:
    """Write the suite's desensitized cases in `fmt` into `out_dir` (files replaced atomically)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; allowed: {', '.join(FORMATS)}")
    cases = [c for c in suite.cases if c.desensitized]
    left_out = tuple(c.id for c in suite.cases if not c.desensitized)
    if not cases:
        raise InputError(f"suite {suite.name!r} has no case marked desensitized; nothing may be "
                         "sent to a vendor")
    files = {"promptfoo": _promptfoo, "inspect": _inspect, "jsonl": _jsonl}[fmt](suite, cases)
    written = []
    for name, text in files.items():
        path = out_dir / name
        write_atomic(path, text.encode())
        written.append(path)
    return ExportReport(tuple(written), tuple(c.id for c in cases), left_out)
