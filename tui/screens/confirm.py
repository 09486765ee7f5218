"""A yes/no question as a modal dialog that says its keys and its default."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from tui import i18n
from tui.i18n import t
from tui.plain import plain


class ConfirmDialog(ModalScreen[bool]):
    """Returns True for yes. y, n and Esc answer; Enter takes the default the dialog names
    (No unless the caller says otherwise) and is the button that has the focus."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "confirm.yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "confirm.no", id="confirm.no"),
    ]

    def __init__(self, question: str, default: bool = False) -> None:
        super().__init__()
        i18n.localize(self)
        self.question = question
        self.default = default

    def compose(self) -> ComposeResult:
        default = t("confirm.yes" if self.default else "confirm.no")
        with Vertical(classes="dialog"):
            yield Static(plain(self.question), classes="dialog-title")
            yield Static(t("confirm.hint", default=default), classes="dialog-intro",
                         id="confirm-hint", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("confirm.yes_key"), id="yes", variant="primary", compact=True)
                yield Button(t("confirm.no_key"), id="no", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        # Enter presses the focused button: the default, as the hint says
        self.query_one("#yes" if self.default else "#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
