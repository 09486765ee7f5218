"""Paths of the bundled example (package data)."""

from pathlib import Path

EXAMPLES = Path(__file__).parent / "data" / "examples"
EXAMPLE_SPEC = EXAMPLES / "support-faq.toml"
EXAMPLE_EVALS = EXAMPLES / "support-faq-results.csv"
EXAMPLE_SUITE = EXAMPLES / "support-faq-suite.toml"
