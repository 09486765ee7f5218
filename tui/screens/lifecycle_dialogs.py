"""Dialogs of the record lifecycle: pick the decision that supersedes another, import eval files
with a progress bar per file and a summary, and delete a draft."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from tui import i18n
from tui.i18n import t
from tui.plain import clean, notify, plain
from tui.screens.record_view import display_path


class PickDialog(ModalScreen[str | None]):
    """Choose one of a list of (id, title); returns the id, or None on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.close", id="pick.cancel"),
    ]

    def __init__(self, title: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        i18n.localize(self)
        self.heading = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.heading), classes="dialog-title")
            yield OptionList(*(Option(plain(f"{i}  {title}", one_line=True), id=str(n))
                               for n, (i, title) in enumerate(self.choices)), id="pick-options")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class ImportEvalsDialog(ModalScreen[int]):
    """Paths in, one progress bar per file while the core imports it, a summary out; returns how
    many files were imported."""

    DEFAULT_CSS = """
    #import-files { height: auto; max-height: 12; margin-top: 1; }
    #import-files Vertical { height: auto; }
    #import-summary { margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "key.close", id="import.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        i18n.localize(self)
        self.imported = 0
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(t("import.title"), classes="dialog-title")
            yield Static(t("import.intro"), classes="dialog-intro")
            yield Input(placeholder=t("import.placeholder"), id="import-paths", compact=True)
            yield VerticalScroll(id="import-files")
            yield Static("", id="import-summary", markup=False)

    def on_mount(self) -> None:
        app: Any = self.app
        app.steady_cursors(self)
        self.query_one("#import-paths", Input).focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.running:
            return
        try:
            paths = [Path(p).expanduser() for p in shlex.split(event.value)]
        except ValueError as e:  # an unclosed quote
            self.query_one("#import-summary", Static).update(t("import.bad_paths", error=e))
            return
        if not paths:
            return
        files = self.query_one("#import-files", VerticalScroll)
        await files.remove_children()
        await files.mount_all(
            Vertical(Static(plain(p.name, one_line=True), id=f"import-{i}-line"),
                     ProgressBar(total=None, id=f"import-{i}-bar", show_eta=False))
            for i, p in enumerate(paths))
        self.query_one("#import-summary", Static).update("")
        self.running = True
        self._import(paths)

    @work(thread=True, exclusive=True, group="import-evals")
    def _import(self, paths: list[Path]) -> None:
        from estimators.errors import InputError
        from tui.screens import lifecycle

        app: Any = self.app
        ok = failed = 0
        for i, path in enumerate(paths):
            try:
                report = lifecycle.import_evals(app.workspace, path)
            except (InputError, OSError) as e:
                failed += 1
                app.call_from_thread(self._file_done, i, t("import.file_failed", file=path.name,
                                                          error=str(e)), False)
                continue
            ok += 1
            line = (t("import.file_already", file=path.name) if report.already_imported else
                    t("import.file_done", file=path.name, runs=len(report.run_ids),
                      passed=report.passed, graded=report.graded))
            app.call_from_thread(self._file_done, i, line, True)
        app.call_from_thread(self._finished, ok, failed, len(paths))

    def _file_done(self, index: int, line: str, ok: bool) -> None:
        self.query_one(f"#import-{index}-line", Static).update(plain(line, "" if ok else "red"))
        bar = self.query_one(f"#import-{index}-bar", ProgressBar)
        bar.update(total=1, progress=1 if ok else 0)

    def _finished(self, ok: int, failed: int, total: int) -> None:
        self.imported += ok
        self.running = False
        self.query_one("#import-summary", Static).update(
            clean(t("import.summary", ok=ok, total=total, failed=failed)))

    def action_close(self) -> None:
        self.dismiss(self.imported)


def delete_draft(screen: Screen[Any]) -> None:
    """Pick one of the workspace's drafts, confirm (y/n, Enter = no) and delete it."""
    from estimators.errors import InputError
    from tui.screens import lifecycle
    from tui.screens.confirm import ConfirmDialog

    app: Any = screen.app
    choices = lifecycle.drafts(app.workspace)
    if not choices:
        notify(screen, t("lifecycle.no_drafts"), severity="warning")
        return

    def delete(name: str) -> None:
        try:
            path = lifecycle.delete_draft(app.workspace, name)
        except (InputError, OSError) as e:
            notify(screen, e, severity="error")
            return
        notify(screen, t("lifecycle.draft_deleted", path=display_path(path)))

    def picked(name: str | None) -> None:
        if name is not None:
            app.push_screen(ConfirmDialog(t("confirm.delete_draft", file=name)),
                            lambda yes: delete(name) if yes else None)

    app.push_screen(PickDialog(t("lifecycle.pick_draft"), choices), picked)
