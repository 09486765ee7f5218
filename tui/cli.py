"""The `scopecard` command line. Heavy modules are imported inside handlers so --help is instant."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from tui import (
    cmd_brief,
    cmd_core,
    cmd_doctor,
    cmd_evals,
    cmd_portfolio,
    cmd_prices,
    cmd_records,
    cmd_usage,
    cmd_workspace,
)
from tui.output import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_OK,
    os_error_message,
    visible_output,
)

MODULES = [cmd_core, cmd_evals, cmd_prices, cmd_brief, cmd_doctor, cmd_records, cmd_usage,
           cmd_portfolio, cmd_workspace]
WORKSPACE_HELP = "workspace folder (default: $SCOPECARD_HOME, else the user data folder)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scopecard",
        description="Scope an AI feature: tokens, cost per vendor, capability against evals, "
                    "ROI and a verdict (STOP / RESEARCH SPIKE / GO WITH CONDITIONS / GO), saved "
                    "as a TOML decision record. Without a command, opens the terminal app.",
        epilog="Exit codes: 0 ok, 1 verdict STOP with --fail-on-stop, 2 bad input, 3 a kill "
               "criterion fired with review --fail-on-flag.",
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
    cmd_evals.register_reindex(sub, common)  # rebuilds every cache, not only the eval store
    return parser


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
