"""The `scopecard` command line. Heavy modules are imported inside handlers so --help is instant."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TextIO

from tui import cmd_brief, cmd_core, cmd_doctor, cmd_evals, cmd_prices, cmd_records

EXIT_OK, EXIT_STOP, EXIT_BAD_INPUT = 0, 1, 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a pipe writer cut short
MODULES = [cmd_core, cmd_evals, cmd_prices, cmd_brief, cmd_doctor, cmd_records]
WORKSPACE_HELP = "workspace folder (default: $SCOPECARD_HOME, else the user data folder)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scopecard",
        description="Scope an AI feature: tokens, cost per vendor, capability against evals, "
                    "ROI and a verdict (STOP / RESEARCH SPIKE / GO WITH CONDITIONS / GO), saved "
                    "as a TOML decision record. Without a command, opens the terminal app.",
        epilog="Exit codes: 0 ok, 1 verdict STOP with --fail-on-stop, 2 bad input.",
    )
    parser.add_argument("--workspace", metavar="DIR", help=WORKSPACE_HELP)
    parser.add_argument("--lang", choices=["en", "zh"], help="interface language of the app")
    # every command also takes --workspace after its name; SUPPRESS keeps the top-level value
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", metavar="DIR", default=argparse.SUPPRESS,
                        help=WORKSPACE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in MODULES:
        module.register(sub, common)
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    with visible_output():
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        if handler is not None:
            return run_command(handler, args)
    return run_app(args)  # the app draws with escape sequences of its own: not filtered


def run_command(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one command; bad input and OS errors become a message and exit code 2."""
    from estimators.errors import InputError

    try:
        return handler(args)
    except InputError as e:
        print(f"scopecard: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (`scopecard ... | head`): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit flush too
        return EXIT_BROKEN_PIPE
    except PermissionError as e:
        print(f"scopecard: error: {os_error_message(e)}; choose a path you may write to (a "
              f"writable workspace with --workspace)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as e:
        print(f"scopecard: error: {os_error_message(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("scopecard: interrupted", file=sys.stderr)
        return 130


def run_app(args: argparse.Namespace) -> int:
    """Open the Textual app (or print help where it is not available yet)."""
    try:
        from tui.app import run  # noqa: PLC0415 - imported only when the app is wanted
    except ModuleNotFoundError:
        build_parser().print_help()
        return EXIT_OK
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
