"""Pick candidate models from the price catalogue: a filter box over a multi-select list.

Each row shows the model's whole id (wrapped when the pane is narrow): cut to the column, two
models sharing a long prefix (`anthropic/claude-sonnet-4…`) looked the same. The vendor and the
price of the highlighted row are on the line above the list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from tui.i18n import t
from tui.plain import plain


class ModelPicker(Vertical):
    """Candidates in the order chosen; entries with a negotiated price keep it."""

    DEFAULT_CSS = """
    ModelPicker { height: auto; width: 1fr; }
    ModelPicker SelectionList { height: 12; }
    ModelPicker .chosen, ModelPicker .model-detail { color: $text-muted; }
    """

    class Changed(Message):
        """The person chose or dropped a model."""

    def __init__(self, candidates: list[dict[str, Any]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.given = {c["model"]: c for c in candidates
                      if isinstance(c, dict) and isinstance(c.get("model"), str)}
        self.chosen: list[str] = list(self.given)
        self.known: list[str] = []
        self.details: dict[str, str] = {}  # model id -> vendor and price, for the detail line

    def compose(self) -> ComposeResult:
        yield Input(placeholder=t("wizard.models_filter"), compact=True, classes="model-filter")
        yield Static("", classes="model-detail", markup=False)  # above the list: always in view
        yield SelectionList[str]()
        yield Static(t("wizard.models_loading"), classes="chosen", markup=False)

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="catalogue")
    def _load(self) -> None:
        from rubrics.pipeline import catalogue_for

        app: Any = self.app
        catalogue = catalogue_for(app.workspace)
        ids = catalogue.model_ids()
        details = {m: price_line(catalogue, m, app.today) for m in ids}
        app.call_from_thread(self._loaded, ids, details)

    def _loaded(self, ids: list[str], details: dict[str, str]) -> None:
        self.details = details
        # the chosen models first (own-priced ones may be absent from the catalogue), then the rest
        self.known = self.chosen + sorted(set(ids) - set(self.chosen))
        self._fill("")

    def _fill(self, needle: str) -> None:
        # every word of the filter must match (a space alone used to match no model at all)
        words = needle.casefold().split()
        options = self.query_one(SelectionList)
        with options.prevent(SelectionList.SelectedChanged):
            options.clear_options()
            options.add_options([Selection(plain(m, one_line=True), m, m in self.chosen)
                                 for m in self.known
                                 if all(w in m.casefold() for w in words)])
            if options.option_count:  # Space and Enter act at once after Tab, without Down
                options.highlighted = 0
        self._detail(options.highlighted)
        self._summary()

    def _detail(self, index: int | None) -> None:
        """The highlighted model's whole id, vendor and price, above the list."""
        options = self.query_one(SelectionList)
        words: tuple[str, ...] = ()
        if index is not None and 0 <= index < options.option_count:
            model = str(options.get_option_at_index(index).value)
            words = (model, self.details.get(model, ""))
        self.query_one(".model-detail", Static).update(plain(" — ".join(filter(None, words))))

    def on_selection_list_selection_highlighted(
            self, event: SelectionList.SelectionHighlighted) -> None:
        event.stop()
        self._detail(event.selection_index)

    def _summary(self) -> None:
        self.query_one(".chosen", Static).update(plain(
            t("wizard.models_chosen", n=len(self.chosen)) + ": " + ", ".join(self.chosen)))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        selected = set(event.selection_list.selected)
        visible = {event.selection_list.get_option_at_index(i).value
                   for i in range(event.selection_list.option_count)}
        self.chosen = [m for m in self.chosen if m not in visible or m in selected]
        self.chosen += [m for m in event.selection_list.selected if m not in self.chosen]
        self._summary()
        self.post_message(self.Changed())

    def read(self) -> list[dict[str, Any]] | None:
        return [self.given.get(m, {"model": m}) for m in self.chosen] or None


def price_line(catalogue: Any, model: str, today: dt.date) -> str:
    """`vendor · in 0.15 / out 0.6 USD per 1M tokens` for a catalogue model ("" if it has no
    price in force today)."""
    from estimators.errors import InputError

    try:
        row = catalogue.lookup(model, today)
    except InputError:
        return ""
    return t("wizard.model_price", vendor=row.vendor, input=f"{row.input:g}",
             output=f"{row.output:g}", currency=row.currency)
