"""Export a record (Markdown, JSON) or its briefs to a file and show where it went: no clipboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui import i18n
from tui.i18n import t
from tui.plain import notify, plain
from tui.screens import lifecycle
from tui.screens.record_view import display_path

FORMATS = ("md", "json", "business", "vendor")  # the last two are briefs (Markdown)


class ExportDialog(ModalScreen[str | None]):
    """Choose what to export; returns "md", "json", "business", "vendor" or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "key.export", id="export.choose"),
        Binding("escape", "cancel", "key.close", id="export.cancel"),
    ]

    def __init__(self, record_id: str) -> None:
        super().__init__()
        i18n.localize(self)
        self.record_id = record_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(t("export.title", id=self.record_id)), classes="dialog-title")
            yield OptionList(*(Option(t(f"export.{f}"), id=f) for f in FORMATS))
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_choose(self) -> None:
        self.query_one(OptionList).action_select()

    def action_cancel(self) -> None:
        self.dismiss(None)


def export_record(app: Any, record_path: Path, fmt: str | None) -> None:
    """Export in a worker, then say where the file went (no clipboard: it fails over SSH)."""
    if fmt is None:
        return

    def work() -> None:
        from estimators.errors import InputError

        try:
            out = lifecycle.export(app.workspace, record_path, fmt)
        except (InputError, OSError) as e:
            app.call_from_thread(notify, app, e, severity="error")
            return
        app.call_from_thread(notify, app, t("results.exported", path=display_path(out)),
                             timeout=10)

    app.run_worker(work, thread=True, group="export")
