"""The home list's loading: records never read before are read in parallel, shown batch by batch.

`rubrics.records.list_records` keeps an index beside decisions/, so a warm list costs a stat per
file. A record that was never read (a fresh clone of decisions/, the first start after an
upgrade) costs a full TOML parse and the build of its cache, ~8 ms: 2,000 such records kept the
list empty for 15 s, and the parse in the app's own process held the interpreter the screen needs.
Those records are read here first, in batches in the app's worker thread, each batch shown as it
arrives, so the first rows show at once; `list_records` then takes their views from the caches
just built and writes the index. (Reading in child processes cut the app's own CPU time but
not the total on two cores, and the record-layer redesign removes the full parse; a thread is
the simpler design.)

No Textual here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rubrics.records import RecordSummary

BATCHED_MIN = 100  # unread records: fewer are read in one go
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


def _read(batches: list[list[Path]], cancelled: Callable[[], bool]) -> Iterator[Batch]:
    """Every batch read in turn, until `cancelled()`."""
    for paths in batches:
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
    if len(todo) < BATCHED_MIN:
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
