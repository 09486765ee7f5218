"""Imports flow one way (DESIGN §2): estimators ← rubrics ← tui, and within tui, widgets and
command modules never import back from screens or the parser."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = sorted(m.name for package in ("estimators", "rubrics")
              for m in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."))
LAYERS = {"estimators": 0, "rubrics": 1, "tui": 2}


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_every_core_module_is_listed() -> None:
    assert "estimators.tokens" in CORE and "rubrics.evals.store" in CORE and len(CORE) > 30


@pytest.mark.parametrize("module", CORE)
def test_core_module_loads_neither_textual_nor_rich(module: str) -> None:
    """Each core module in a process of its own, so one module cannot hide another's import."""
    code = (f"import sys, {module}\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
            "assert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_imports_flow_one_way() -> None:
    """No file imports from a later layer (estimators ← rubrics ← tui)."""
    wrong = []
    for package, layer in LAYERS.items():
        for path in (ROOT / package).rglob("*.py"):
            for name in imports_of(path):
                top = name.split(".")[0]
                if LAYERS.get(top, -1) > layer:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong


def test_no_import_circles_within_the_app() -> None:
    """Command modules never import the parser (tui.cli); widgets never import screens."""
    wrong = []
    for path in (ROOT / "tui").glob("cmd_*.py"):
        wrong += [f"{path.name} imports {n}" for n in imports_of(path) if n == "tui.cli"]
    for path in (ROOT / "tui" / "widgets").glob("*.py"):
        wrong += [f"widgets/{path.name} imports {n}" for n in imports_of(path)
                  if n.startswith("tui.screens")]
    assert not wrong, wrong
