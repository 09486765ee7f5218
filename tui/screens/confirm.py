"""A yes/no question as a modal dialog."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui import i18n
from tui.i18n import t
from tui.plain import plain


class ConfirmDialog(ModalScreen[bool]):
    """Returns True for yes; Esc or No returns False; Enter gives `default`, which the dialog
    names under the question ("y/n, Enter = no")."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "key.close", id="confirm.no"),
        Binding("y", "answer(True)", "confirm.yes", id="confirm.yes"),
        Binding("n", "answer(False)", "confirm.no", id="confirm.no_key"),
    ]

    def __init__(self, question: str, default: bool = False) -> None:
        super().__init__()
        i18n.localize(self)
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.question), classes="dialog-title")
            yield Static(t("confirm.hint_yes" if self.default else "confirm.hint_no"),
                         id="confirm-hint", classes="dialog-intro", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("confirm.yes"), id="yes", variant="primary", compact=True)
                yield Button(t("confirm.no"), id="no", compact=True)

    def on_mount(self) -> None:
        # Enter presses the focused button: the default named in the hint
        self.query_one("#yes" if self.default else "#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
