"""The scopecard terminal app: a thin shell that owns the workspace, the clock and the language.

Screens live in tui/screens/ (one per file) and are imported when first shown, so the first paint
only pays for Textual and the home screen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import threading
from dataclasses import replace
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.worker import get_current_worker

from estimators.paths import Workspace, resolve_workspace
from tui import i18n
from tui.i18n import t
from tui.plain import clean

DARK, LIGHT = "textual-dark", "textual-light"
# Models whose tokenizers are built at startup: OpenAI's o200k (also the base of every estimated
# family), DeepSeek's and Qwen's, the example's three. Building one takes 0.1-1.5 s.
WARM_MODELS = ("openai/gpt-4o-mini", "deepseek/deepseek-chat", "qwen/qwen-plus")
# The warm-up waits for home's list at most this long (a fresh clone of 10,000 decisions is read
# for longer: the tokenizers are then loaded beside it), checking every WARM_POLL seconds
# whether the app is closing, so an early exit never waits for it.
WARM_WAIT, WARM_POLL = 5.0, 0.05


class ScopecardApp(App[int]):
    """Home, wizard, results and review screens over one workspace."""

    CSS_PATH = "app.tcss"
    TITLE = "scopecard"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1,question_mark", "help", "key.help", id="app.help"),
        Binding("ctrl+t", "toggle_theme", "key.theme", id="app.theme", show=False),
        Binding("ctrl+q", "quit", "key.quit", id="app.quit", priority=True, show=False),
    ]

    def __init__(self, workspace: Workspace, today: dt.date | None = None,
                 blink: bool = True) -> None:
        super().__init__()
        i18n.localize(self)
        self._name_the_palette()
        self.workspace = workspace
        # one injectable clock: records, review due dates and price dates use it (tests fix it)
        self.today = today or dt.date.today()
        self.blink = blink  # tests turn cursor blinking off so screenshots are stable
        self._list_shown = threading.Event()  # set by home: the warm-up may start

    def _name_the_palette(self) -> None:
        """Textual adds the palette's key with the English word "palette": say it in the
        interface's language (the footer and F1 show it)."""
        bindings = self._bindings.key_to_bindings
        bindings[self.COMMAND_PALETTE_BINDING] = [
            replace(b, description=t("key.palette")) if b.action == "command_palette" else b
            for b in bindings.get(self.COMMAND_PALETTE_BINDING, [])]

    def on_mount(self) -> None:
        from tui.screens.home import HomeScreen
        from tui.screens.record_view import display_path

        self.sub_title = clean(display_path(self.workspace.root), one_line=True)
        self.theme = DARK
        self.push_screen(HomeScreen())
        self.call_after_refresh(self._warm_up)

    def list_shown(self) -> None:
        """Home calls this once its list is on screen, or when it is left before that (the
        wizard may want a token count now): the warm-up starts."""
        self._list_shown.set()

    @work(thread=True, exclusive=True, group="warm-up")
    def _warm_up(self) -> None:
        """Pay after the first paint what the first token count and the first model list
        would otherwise make someone wait for: the core's imports, the price catalogue and the
        tokenizers. Failures are left for the screen that needs the thing to report.

        It starts once home's list is shown (`list_shown`): both want the one interpreter, and
        at 10,000 decisions the list took 5.0 s with the warm-up beside it, 2.9 s without."""
        worker = get_current_worker()
        for _ in range(round(WARM_WAIT / WARM_POLL)):
            if self._list_shown.wait(WARM_POLL) or worker.is_cancelled:
                break
        if worker.is_cancelled:
            return
        from estimators.errors import InputError
        from estimators.tokens import count_tokens, tokenizer_for
        from rubrics.pipeline import catalogue_for

        try:
            catalogue_for(self.workspace)
        except (InputError, OSError):
            pass  # the wizard's model list says what is wrong with the catalogue
        for model in WARM_MODELS:
            count_tokens("warm up", tokenizer_for(model))

    def steady_cursors(self, root: Widget) -> None:
        """Stop the text cursors under `root` from blinking when the app was asked to."""
        if not self.blink:
            for widget in root.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK


def run(args: argparse.Namespace) -> int:
    """Open the app on the workspace and language named on the command line (or the defaults);
    the exit status is not 0 when an error ended it."""
    i18n.set_language(i18n.detect_language(getattr(args, "lang", None)))
    ws = resolve_workspace(getattr(args, "workspace", None))
    app = ScopecardApp(ws)
    app.run()
    return app.return_code or 0  # 1 when an error ended the app (Textual printed it)
