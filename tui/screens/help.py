"""The help screen: every key of the screen below it and the keys that work everywhere."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui import i18n
from tui.i18n import t

KEYS_WIDTH = 16


class HelpScreen(ModalScreen[None]):
    """Lists bindings by key with the action's description (ids stay internal: tests use
    them, people read the description)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "dismiss", "key.close", id="help.close"),
    ]

    def __init__(self, below: Screen[object]) -> None:
        super().__init__()
        i18n.localize(self)
        self.below = below

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Static(t("help.title"), classes="dialog-title")
            yield Static(t("help.intro"), classes="dialog-intro")
            yield Static(self._table(t("help.screen"), self.below), id="help-screen-keys")
            yield Static(self._table(t("help.global"), self.app), id="help-global-keys")

    def key_rows(self, node: object) -> list[tuple[str, str, str]]:
        """(keys, description, binding id) of every described binding of `node`, one row per
        action however many keys it has."""
        rows: dict[tuple[str, str], list[str]] = {}
        for bindings in node._bindings.key_to_bindings.values():  # type: ignore[attr-defined]
            for b in bindings:
                # scopecard's own keys (they have ids) and the palette; not Textual's
                # inherited ones (copy, focus next), which need no explaining here
                if b.description and not b.system and (b.id or b.action == "command_palette"):
                    keys = rows.setdefault((b.description, b.id or b.action), [])
                    if (key := self.app.get_key_display(b)) not in keys:
                        keys.append(key)
        return [(" / ".join(keys), description, ident)
                for (description, ident), keys in rows.items()]

    def _table(self, title: str, node: object) -> Table:
        table = Table(title=title, title_justify="left", show_header=False, box=None,
                      padding=(0, 1))
        table.add_column(style="bold", no_wrap=True, width=KEYS_WIDTH)  # both tables align
        table.add_column()
        for keys, description, _ in self.key_rows(node):
            table.add_row(keys, description)
        return table
