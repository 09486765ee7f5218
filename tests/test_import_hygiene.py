"""The core never loads Textual (DESIGN §2)."""

import subprocess
import sys
from pathlib import Path


def test_core_does_not_import_textual():
    code = (
        "import sys, estimators.tokens, estimators.cost, estimators.prices, rubrics.pipeline, "
        "rubrics.verdict, rubrics.records, tui.render, tui.cli\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
