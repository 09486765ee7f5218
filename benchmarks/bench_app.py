"""Benchmark: first paint of the scopecard app against a Textual hello-world app.

    PYTHONPATH=. python benchmarks/bench_app.py [--runs 7]

Each run starts a fresh Python process (cold imports, like a person typing `scopecard`), runs the
app headless and prints a line once its first screen is mounted and refreshed (for scopecard:
the home screen); the parent times from launch to that line. scopecard's home screen loads the
decision list in a worker, so its first paint must not wait for it: the workspace here holds 200
records to make that visible.
Goals: median < 1 s and <= 2x hello world.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDS = 200

# Each app prints "painted" right after its first screen's first refresh, then exits.
HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("Hello, world")

    def on_mount(self):
        self.call_after_refresh(self.painted)

    def painted(self):
        print("painted", flush=True)
        self.exit()

Hello().run(headless=True, size=(100, 30))
"""

SCOPECARD = """
import sys
from pathlib import Path
from estimators.paths import Workspace
from tui.app import ScopecardApp
from tui.screens import home

first_mount = home.HomeScreen.on_mount

def on_mount(screen):
    first_mount(screen)
    screen.call_after_refresh(painted, screen)

def painted(screen):
    print("painted", flush=True)
    screen.app.exit()

home.HomeScreen.on_mount = on_mount
ScopecardApp(Workspace(Path(sys.argv[1]))).run(headless=True, size=(100, 30))
"""


def first_paint(code: str, *args: str) -> float:
    """Seconds from process launch to its "painted" line."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait()
    if line.strip() != "painted" or proc.returncode != 0:
        raise RuntimeError(f"the app did not paint (exit {proc.returncode})")
    return elapsed


def make_workspace(folder: Path) -> Path:
    """A workspace with RECORDS decision records (copies of the bundled example's)."""
    from estimators.paths import Workspace
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
    from rubrics.pipeline import decide_spec, save_record

    ws = Workspace(folder)
    _, record = decide_spec(EXAMPLE_SPEC, ws, EXAMPLE_EVALS, seed=1)
    first = save_record(ws, record)
    for i in range(1, RECORDS):
        shutil.copy(first, ws.decisions / f"{first.stem}-copy{i}.toml")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = make_workspace(Path(tmp) / "ws")
        first_paint(HELLO)  # warm the OS file cache for both
        first_paint(SCOPECARD, str(ws))
        hello = [first_paint(HELLO) for _ in range(args.runs)]
        scopecard = [first_paint(SCOPECARD, str(ws)) for _ in range(args.runs)]
    h, s = statistics.median(hello), statistics.median(scopecard)
    print(f"first paint, median of {args.runs} cold processes (launch -> first screen mounted):")
    print(f"  textual hello world   {h * 1000:7.0f} ms")
    print(f"  scopecard home        {s * 1000:7.0f} ms   ({RECORDS} records in the workspace)")
    print(f"  ratio                 {s / h:7.2f}x   goals: < 1000 ms and <= 2.00x")


if __name__ == "__main__":
    main()
