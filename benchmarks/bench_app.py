"""Benchmark: first paint of the scopecard app against a Textual hello-world app, and the home
screen with 10,000 decisions against the same screen with 10.

    PYTHONPATH=. python benchmarks/bench_app.py [--runs 7] [--many 10000]

Each run starts a fresh Python process (cold imports, like a person typing `scopecard`), runs the
app headless and prints a line once its first screen is mounted and refreshed (for scopecard:
the home screen), and another once the decision list is on screen; the parent times from launch
to each line. The home screen loads the list in a worker, so its first paint must not wait for
it. The workspaces' list index is warm (a second start), as it is for a person who used the app
before; a cold first read after a fresh clone is `bench_records.py`'s "list, cold".
Goals: first paint median < 1 s and <= 2x hello world; home with 10,000 decisions listed in
<= 2x the time with 10.

Where the time went at 10,000 (cProfile and timestamps, December 2026): reading the warm list
(`RecordStore.summaries`: listing the folders, five stats and one summary per decision, then
serializing every entry again to compare with the index) was ~1.2 s alone and 2-4 s in the app,
where it shared the interpreter with the app's tokenizer warm-up; filling the table took another
0.5 s of the main thread with 1,000 rows (0.2 s with 200). Since #18: a warm list keeps index
entries made from unchanged files as they are and stats three paths per decision (~0.4 s on the
loaded machine), and the warm-up starts once home's list is shown. Three runs each, load
average 2-3 on two cores: listed with 10,000 took 4.69x the 10 before, 1.73x after. Results
vary a lot on a shared machine: run it alone.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FEW = 10  # decisions in the small workspace

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

first_loaded = home.HomeScreen._loaded

def loaded(screen, summaries):
    first_loaded(screen, summaries)
    screen.call_after_refresh(listed, screen)

def listed(screen):
    print("listed", flush=True)
    screen.app.exit()

home.HomeScreen.on_mount = on_mount
home.HomeScreen._loaded = loaded
ScopecardApp(Workspace(Path(sys.argv[1]))).run(headless=True, size=(100, 30))
"""


def timed_lines(code: str, *args: str) -> list[float]:
    """Seconds from process launch to each line it prints ("painted", then "listed")."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    times = [time.perf_counter() - start for _ in proc.stdout]
    proc.wait()
    if not times or proc.returncode != 0:
        raise RuntimeError(f"the app did not paint (exit {proc.returncode})")
    return times


def make_workspace(folder: Path, n: int) -> Path:
    """A workspace with n decisions (the example's, filed under n titles), its index warm."""
    from benchmarks.bench_records import make_decisions
    from estimators.paths import Workspace
    from rubrics.record_store import RecordStore

    ws = Workspace(folder)
    make_decisions(ws, n, 1)
    RecordStore(ws).summaries()  # a second start: the list index exists
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--many", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        few = make_workspace(Path(tmp) / "few", FEW)
        many = make_workspace(Path(tmp) / "many", args.many)
        timed_lines(HELLO)  # warm the OS file cache for all three
        for ws in (few, many):
            timed_lines(SCOPECARD, str(ws))
        hello = [timed_lines(HELLO)[0] for _ in range(args.runs)]
        small = [timed_lines(SCOPECARD, str(few)) for _ in range(args.runs)]
        large = [timed_lines(SCOPECARD, str(many)) for _ in range(args.runs)]
    h = statistics.median(hello)
    paint = statistics.median(t[0] for t in large)
    paint_few = statistics.median(t[0] for t in small)
    listed_few = statistics.median(t[-1] for t in small)
    listed_many = statistics.median(t[-1] for t in large)
    print(f"median of {args.runs} cold processes (launch -> line):")
    print(f"  textual hello world, first paint      {h * 1000:7.0f} ms")
    print(f"  scopecard home, first paint           {paint * 1000:7.0f} ms   ({paint / h:.2f}x "
          f"hello; goals < 1000 ms and <= 2.00x)")
    print(f"  home first paint, {FEW} decisions      {paint_few * 1000:7.0f} ms   (with "
          f"{args.many:,}: {paint / paint_few:.2f}x; goal <= 2.00x)")
    print(f"  home listed, {FEW} decisions            {listed_few * 1000:7.0f} ms")
    print(f"  home listed, {args.many:,} decisions     {listed_many * 1000:7.0f} ms   "
          f"({listed_many / listed_few:.2f}x the {FEW}; goal <= 2.00x)")


if __name__ == "__main__":
    main()
