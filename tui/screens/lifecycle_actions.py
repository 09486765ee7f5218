"""The record lifecycle on the results screen: what-if, re-decide, clone, deprecate, supersede and
eval import, each from a key and the palette. Questions are y/n dialogs whose Enter answer is the
default they show: yes where nothing is lost (a new decision), no where a status changes for good.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from textual import work

from tui.i18n import t
from tui.plain import notify
from tui.screens import lifecycle
from tui.screens.record_view import display_path

RECORD_ACTIONS = ("whatif", "redecide", "clone")  # need a shown record
ACCEPTED_ACTIONS = ("deprecate", "supersede")  # need an accepted one (the core's transitions)


class LifecycleActions:
    """Actions for a screen that shows one decision (`record`, from `record_path`)."""

    record: dict[str, Any] | None
    record_path: Path | None
    app: Any
    _set_status: Any  # the screen's own status worker: (status) -> None
    _status_changed: Any  # the screen's update after a change: (record, status) -> None

    def lifecycle_allowed(self, action: str) -> bool:
        """Whether a lifecycle action applies to the record shown (hidden when it does not)."""
        if action in RECORD_ACTIONS:
            return self.record is not None and self.record_path is not None
        if action in ACCEPTED_ACTIONS:
            return self.record is not None and self.record.get("status") == "accepted"
        return True

    def _ask(self, question: str, default: bool, then: Any) -> None:
        """A y/n question; `then()` runs on yes."""
        from tui.screens.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmDialog(question, default), answered)

    def _shown_id(self) -> str:
        return self.record_path.parent.name if self.record_path else ""

    # --- what-if ----------------------------------------------------------------------------

    def action_whatif(self) -> None:
        from tui.screens.whatif import WhatIfScreen

        if self.record is not None and self.record_path is not None:
            self.app.push_screen(WhatIfScreen(self.record, self.record_path))

    # --- re-decide and clone ----------------------------------------------------------------

    def action_redecide(self) -> None:
        if self.lifecycle_allowed("redecide"):
            self._ask(t("confirm.redecide", id=self._shown_id()), True, self._redecide)

    @work(thread=True, exclusive=True, group="redecide")
    def _redecide(self) -> None:
        from estimators.errors import InputError

        app = self.app
        assert self.record_path is not None
        app.call_from_thread(notify, app, t("lifecycle.redeciding"))
        try:
            path = lifecycle.redecide(app.workspace, self.record_path, app.today)
        except (InputError, ValueError, OSError) as e:
            app.call_from_thread(notify, app, e, severity="error")
            return
        app.call_from_thread(self._redecided, path)

    def _redecided(self, path: Path) -> None:
        from tui.screens.results import ResultsScreen

        notify(self.app, t("lifecycle.redecided", path=display_path(path)))
        self.app.push_screen(ResultsScreen(record_path=path))

    def action_clone(self) -> None:
        from estimators.errors import InputError

        if not self.lifecycle_allowed("clone"):
            return
        assert self.record_path is not None
        try:
            path = lifecycle.clone(self.app.workspace, self.record_path, dt.datetime.now())
        except (InputError, OSError) as e:
            notify(self.app, e, severity="error")
            return
        notify(self.app, t("lifecycle.cloned", path=display_path(path)))

    # --- deprecate and supersede ------------------------------------------------------------

    def action_deprecate(self) -> None:
        if self.lifecycle_allowed("deprecate"):
            self._ask(t("confirm.deprecate", id=self._shown_id()), False,
                      lambda: self._set_status("deprecated"))

    def action_supersede(self) -> None:
        if self.lifecycle_allowed("supersede"):
            self._newer()

    @work(thread=True, exclusive=True, group="status")
    def _newer(self) -> None:
        assert self.record_path is not None
        choices = lifecycle.accepted_others(self.app.workspace, self.record_path)
        self.app.call_from_thread(self._pick_newer, choices)

    def _pick_newer(self, choices: list[tuple[str, str]]) -> None:
        from tui.screens.lifecycle_dialogs import PickDialog

        if not choices:
            notify(self.app, t("lifecycle.no_newer"), severity="warning")
            return

        def picked(newer: str | None) -> None:
            if newer is not None:
                self._ask(t("confirm.supersede", id=self._shown_id(), new=newer), False,
                          lambda: self._supersede(newer))

        self.app.push_screen(PickDialog(t("lifecycle.pick_newer"), choices), picked)

    @work(thread=True, exclusive=True, group="status")
    def _supersede(self, newer: str) -> None:
        from estimators.errors import InputError

        app = self.app
        assert self.record_path is not None
        try:
            record = lifecycle.supersede(app.workspace, self.record_path, newer)
        except (InputError, OSError) as e:
            app.call_from_thread(notify, app, e, severity="error")
            return
        app.call_from_thread(self._status_changed, record, "superseded")

    # --- eval files -------------------------------------------------------------------------

    def action_import_evals(self) -> None:
        from tui.screens.lifecycle_dialogs import ImportEvalsDialog

        self.app.push_screen(ImportEvalsDialog())
