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

# C0 controls and DEL become their Unicode "control picture" (ESC shows as ␛), so an odd title
# can still be recognised and fixed; C1 controls (0x9b is an 8-bit CSI) and the bidirectional
# overrides, which reorder what the terminal draws, become the replacement character.
_PICTURES = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421}
_OTHERS = {c: 0xFFFD for c in [*range(0x80, 0xA0), *range(0x202A, 0x202F),
                                 *range(0x2066, 0x206A)]}
_ONE_LINE = str.maketrans(_PICTURES | _OTHERS)
_LINES = str.maketrans({k: v for k, v in (_PICTURES | _OTHERS).items()
                        if chr(k) not in "\n\t"})


def clean(value: object, one_line: bool = False) -> str:
    """`value` as text with its control characters replaced by visible symbols (newlines and
    tabs kept unless `one_line`: a table cell or a title has room for one line only)."""
    return str(value).translate(_ONE_LINE if one_line else _LINES)


def plain(value: object, style: str | Style = "", one_line: bool = False) -> Text:
    """`value` as a Rich `Text` that is shown exactly as written (see `clean`)."""
    return Text(clean(value, one_line), style=style)


def notify(node: Any, message: object, **kwargs: Any) -> None:
    """Show `message` as a notification of `node` (the app, a screen or a widget), as plain
    text: a file error quoting `[/]` must not be read as markup."""
    node.notify(clean(message), markup=False, **kwargs)
