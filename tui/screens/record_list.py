"""The home list's loading: records never read before are read in parallel, shown batch by batch.

`rubrics.records.list_records` keeps an index beside decisions/, so a warm list costs a stat per
file. A record that was never read (a fresh clone of decisions/, the first start after an
upgrade) costs a full TOML parse and the build of its cache, ~8 ms: 2,000 such records kept the
list empty for 15 s, and the parse in the app's own process held the interpreter the screen needs.
Those records are read here first, in batches, by child processes (one per core), each batch
shown as it arrives; `list_records` then takes their views from the caches just built and writes
the index.

No Textual here: the child processes run this module.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rubrics.records import RecordSummary

PARALLEL_MIN = 100  # unread records: fewer are read in the worker (a child takes ~0.4 s to start)
BATCH = 25  # records per batch: the first rows show after ~0.2 s of reading

Batch = list["RecordSummary"]


def unread(paths: list[Path]) -> list[Path]:
    """The records without a cache: reading them costs a full parse. (A file whose cache is
    stale is parsed too, which a stat cannot tell; an unreadable file never gets a cache, so it
    counts at every start.)"""
    from rubrics.records import cache_file

    return [p for p in paths if not os.path.exists(cache_file(p))]


def summarize_batch(paths: list[Path]) -> Batch:
    """The list entries of `paths`, their caches built on the way."""
    from rubrics.records import summarize

    return [summarize(p) for p in paths]


def _in_processes(batches: list[list[Path]], cancelled: Callable[[], bool]) -> Iterator[Batch]:
    """Batches read by child processes, in order: of n children, child k reads batches k, k + n,
    k + 2n... and writes each one's summaries to its stdout as a pickle.

    Plain child processes, not multiprocessing: in the app, stderr is Textual's capture (its
    fileno is -1), which multiprocessing's helper process cannot be started with; and their
    stderr goes nowhere, so nothing they print can reach the screen."""
    n = min(os.cpu_count() or 1, len(batches))
    children = [subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                for _ in range(n)]
    try:
        for k, child in enumerate(children):
            assert child.stdin is not None
            with child.stdin:
                pickle.dump(batches[k::n], child.stdin)
        for i in range(len(batches)):
            if cancelled():
                return
            yield pickle.load(children[i % n].stdout)  # type: ignore[arg-type]
    finally:
        for child in children:
            child.kill()
            child.wait()
            assert child.stdout is not None
            child.stdout.close()


def _read(batches: list[list[Path]], cancelled: Callable[[], bool]) -> Iterator[Batch]:
    """Every batch read, by child processes when there are cores to spare; batches they did
    not deliver (they could not start, or died) are read in this thread."""
    done = 0
    if (os.cpu_count() or 1) > 1:
        try:
            for batch in _in_processes(batches, cancelled):
                done += 1
                yield batch
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
    for paths in batches[done:]:
        if cancelled():
            return
        yield summarize_batch(paths)


def load_summaries(decisions_dir: Path, show: Callable[[Batch, int, int], None],
                   cancelled: Callable[[], bool]) -> list[RecordSummary] | None:
    """Every record's list entry, newest first (as `list_records` gives them). When many were
    never read, `show(batch, done, total)` gets them batch by batch as they are read. None when
    `cancelled()` turned true on the way."""
    from rubrics.records import list_records, record_files, summarize

    paths = record_files(decisions_dir)
    todo = unread(paths)
    if len(todo) < PARALLEL_MIN:
        return list_records(decisions_dir)
    batches = [todo[i:i + BATCH] for i in range(0, len(todo), BATCH)]
    read: dict[Path, RecordSummary] = {}
    for batch in _read(batches, cancelled):
        read.update((s.path, s) for s in batch)
        show(batch, len(read), len(todo))
    if cancelled():
        return None
    readable = next((s.path for s in read.values() if not s.error), None)
    if readable is None or not unread([readable]):
        return list_records(decisions_dir)  # the views now come from the caches just built
    # a readable record still has no cache: none can be written (a read-only workspace), nor
    # the index, and list_records would parse every record again
    return [read.get(p) or summarize(p) for p in paths]


def _child() -> None:
    """A reading process: its batches of paths in (one pickle on stdin), each batch's summaries
    out as it is read."""
    out = sys.stdout.buffer
    for paths in pickle.load(sys.stdin.buffer):
        pickle.dump(summarize_batch(paths), out)
        out.flush()


if __name__ == "__main__":
    _child()
