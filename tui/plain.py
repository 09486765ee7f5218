"""Text from people and files, made safe to show: plain `Text`, never markup, controls visible.

Titles, file errors, drafts and record fields are written by people and other tools. Rich and
Textual read `[...]` in a `str` as markup (`[/]` raises and ends the app, `[beta]` vanishes), and
an ESC, CSI or BEL would reach the terminal as a command. Every widget that shows such text gets
it through `plain` (or `clean` where a widget takes a `str` it does not parse, such as an Input's
value), and messages go through `notify`.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text

from rubrics.mdtext import visible

# Controls are shown as rubrics.mdtext.visible shows them on the command line (ESC as ␛); a line of
# a table or a title also shows its newlines and tabs as pictures.
_BREAKS = str.maketrans({"\n": "\u240a", "\t": "\u2409"})


def clean(value: object, one_line: bool = False) -> str:
    """`value` as text with its control characters replaced by visible symbols (newlines and
    tabs kept unless `one_line`: a table cell or a title has room for one line only)."""
    text = visible(str(value))
    return text.translate(_BREAKS) if one_line else text


def plain(value: object, style: str | Style = "", one_line: bool = False) -> Text:
    """`value` as a Rich `Text` that is shown exactly as written (see `clean`)."""
    return Text(clean(value, one_line), style=style)


def notify(node: Any, message: object, **kwargs: Any) -> None:
    """Show `message` as a notification of `node` (the app, a screen or a widget), as plain
    text: a file error quoting `[/]` must not be read as markup."""
    node.notify(clean(message), markup=False, **kwargs)
