"""Test isolation: no test touches a real home folder, a real cache or the network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
TEST_PRICES = FIXTURES / "prices-test.toml"
EVAL_FIXTURES = FIXTURES / "evals"  # eval result files shipped with the tests (see SOURCES.md)


@pytest.fixture(scope="session")
def tiktoken_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiktoken-cache")


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiktoken_cache: Path) -> Path:
    """Point the workspace and tiktoken's cache at temp folders for every test."""
    home = tmp_path / "home"
    monkeypatch.setenv("SCOPECARD_HOME", str(home))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    return home


@pytest.fixture
def test_workspace(isolated: Path) -> Path:
    """A workspace whose catalogue is the small hand-checkable test catalogue."""
    isolated.mkdir(parents=True, exist_ok=True)
    shutil.copy(TEST_PRICES, isolated / "prices.catalogue.toml")
    return isolated
