"""What every command writes: exit codes, stable JSON, and text made safe for a terminal.

A module of its own so the command modules (tui/cmd_*.py) and the parser in tui/cli.py both
import it, and neither imports the other.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

EXIT_OK, EXIT_STOP, EXIT_BAD_INPUT = 0, 1, 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipe writer cut short


def json_text(data: Any) -> str:
    """Stable JSON text (sorted keys, dates as ISO strings) with every control escaped."""
    from rubrics.mdtext import json_escaped

    return json_escaped(json.dumps(data, indent=2, sort_keys=True, default=str,
                                   ensure_ascii=False)) + "\n"


def print_json(data: Any) -> None:
    """Stable JSON on stdout (see json_text)."""
    sys.stdout.write(json_text(data))


class VisibleText:
    """A text stream that shows terminal controls written to it as visible stand-ins.

    User text (titles, model names, a feed's `source`) reaches stdout and stderr in many
    places; filtering here, once, keeps any of them from retitling the window or clearing the
    screen. `terminal` is the stream underneath, for the program's own controls (status_line).
    """

    def __init__(self, terminal: TextIO) -> None:
        self.terminal = terminal

    def write(self, text: str) -> int:
        from rubrics.mdtext import visible

        self.terminal.write(visible(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding...
        return getattr(self.terminal, name)


@contextlib.contextmanager
def visible_output() -> Iterator[None]:
    """Route sys.stdout and sys.stderr through VisibleText while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleText(saved[0]), VisibleText(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def status_line(text: str, end: str = "") -> None:
    """Rewrite the status line on stderr (progress): the carriage return is ours, the text is
    shown safely."""
    from rubrics.mdtext import visible

    terminal = getattr(sys.stderr, "terminal", sys.stderr)
    terminal.write("\r" + visible(text) + end)
    terminal.flush()


def os_error_message(e: OSError) -> str:
    """`FILE: what failed: why`, naming whichever file the error names (never `: why`)."""
    name = e.filename if e.filename is not None else e.filename2
    reason = e.strerror or str(e)
    return f"{os.fsdecode(name)}: {reason}" if name is not None else reason
