"""What-if on a decision: change an uncertain input and see the verdict, the chosen model and the
economics recomputed as you type (issue #18, "What-if, live").

The decision is rebuilt from the record's own inputs (`rubrics.pipeline.decision_from_record`) in
a worker; each edit, ~100 ms after the last key, is recomputed by `rubrics.whatif.WhatIf.apply` in
a worker too, so typing never waits on the Monte Carlo. A field that does not parse, or that the
spec's validation refuses, says why under itself and nothing is recomputed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static
from textual.worker import get_current_worker

from tui import i18n
from tui.i18n import t
from tui.plain import clean, notify, plain
from tui.screens.commands import Entry, ScreenCommands
from tui.screens.record_view import display_path

if TYPE_CHECKING:
    from estimators.paths import Workspace
    from rubrics.spec import Range
    from rubrics.whatif import WhatIf, WhatIfResult

DEBOUNCE = 0.1  # seconds after the last key before the what-if is recomputed
_CANDIDATE = re.compile(r"^candidates\[(?P<model>[^\]]+)\]\.(?P<what>pass_rate|price\.\w+)$")
PRICED = ("input", "output")  # the prices offered per candidate (the others stay as decided)


def label(path: str) -> str:
    """The name shown for a what-if input: the spec field's label, or the candidate's price or
    pass rate (spec field labels come from rubrics.spec_fields, their one declaration)."""
    m = _CANDIDATE.match(path)
    if m is not None:
        what = m["what"].replace(".", "_")
        return t(f"whatif.{what}", model=m["model"])
    return i18n.field_label(path)


def shown(value: Any, path: str = "") -> str:
    """A what-if value as the field shows it: a number, a pass rate as a percentage, or a range
    as low / likely / high."""
    from rubrics.spec import Range
    from tui.widgets.fields import fmt_number

    if path.endswith(".pass_rate"):  # k/n to 0.01%: it parses back to the same k of n
        return f"{value:.2%}"
    if isinstance(value, Range):
        return " / ".join(fmt_number(x) for x in (value.low, value.likely, value.high))
    return fmt_number(value)


def parse_value(text: str, base: Any) -> float | Range:
    """A field's text as a number ('50,000', '20%') or a range ('30000 / 50000 / 70000', with
    the base range's distribution); ValueError saying what is allowed."""
    from pydantic import ValidationError

    from rubrics.spec import Range
    from tui.widgets.fields import parse_number

    parts = [parse_number(p) for p in text.split("/")]
    if not all(isinstance(p, float) for p in parts) or len(parts) not in (1, 3):
        raise ValueError(t("whatif.bad_number", text=text.strip()))
    numbers = [float(p) for p in parts if isinstance(p, float)]
    if len(numbers) == 1:
        return numbers[0]
    dist = base.dist if isinstance(base, Range) else "pert"
    try:
        return Range(low=numbers[0], likely=numbers[1], high=numbers[2], dist=dist)
    except ValidationError as e:
        raise ValueError(e.errors()[0]["msg"].removeprefix("Value error, ")) from None


def base_inputs(whatif: WhatIf) -> dict[str, Any]:
    """Each what-if input the screen offers, with its value in the decision: the uncertain spec
    fields the spec sets, then each candidate's input and output price and pass rate."""
    from rubrics.economics import UNCERTAIN_FIELDS, field_value

    out: dict[str, Any] = {}
    for path in UNCERTAIN_FIELDS:
        value = field_value(whatif.spec, path)
        if value is not None:
            out[path] = value
    for c in whatif.decision.estimate.candidates:
        if c.excluded:
            continue
        for field in PRICED:
            out[f"candidates[{c.model}].price.{field}"] = getattr(c.row, field)
        k, n = whatif.kn[c.model]
        if n:
            out[f"candidates[{c.model}].pass_rate"] = k / n
    return out


def save_variant(ws: Workspace, whatif: WhatIf, changes: dict[str, Any], day: dt.date) -> Path:
    """The variant as a new spec file in the workspace's drafts (never over another file)."""
    from estimators.atomic import create_numbered
    from rubrics.record_store import slugify
    from rubrics.spec import parse_spec

    text = whatif.to_spec_text(changes)
    parse_spec(text, "what-if variant")  # it must load back as the CLI will read it
    base = f"{day.isoformat()}-{slugify(whatif.spec.title)}-what-if"
    return create_numbered(ws.drafts, base, text.encode())


class WhatIfCommands(ScreenCommands):
    """Palette entries for the what-if screen."""

    def entries(self) -> list[Entry]:
        screen = self.screen
        assert isinstance(screen, WhatIfScreen)
        return [(t("key.save_variant"), screen.action_save, "Ctrl+S"),
                (t("key.reset"), screen.action_reset, "Ctrl+R"),
                (t("key.back"), screen.action_back, "Esc")]


class WhatIfScreen(Screen[None]):
    """Inputs on the left of a decision's economics, recomputed on each change."""

    COMMANDS: ClassVar = {WhatIfCommands}
    DEFAULT_CSS = """
    #whatif-result { height: auto; max-height: 50%; padding: 0 1; border-bottom: solid $primary; }
    #whatif-inputs { height: 1fr; padding: 0 1; }
    .whatif-field { height: auto; }
    .whatif-row { height: 1; }
    .whatif-label { width: 40%; }
    .whatif-input { width: 1fr; }
    .whatif-field .field-error { height: auto; color: $error; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "key.save_variant", id="whatif.save"),
        Binding("ctrl+r", "reset", "key.reset", id="whatif.reset"),
        Binding("escape", "back", "key.back", id="whatif.back"),
    ]

    def __init__(self, record: dict[str, Any], record_path: Path) -> None:
        super().__init__()
        i18n.localize(self)
        self.record = record
        self.record_path = record_path
        self.whatif: WhatIf | None = None
        self.base: dict[str, Any] = {}
        self.paths: dict[str, str] = {}  # input id -> what-if path
        self.result: WhatIfResult | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("whatif.building"), id="whatif-result")
        yield VerticalScroll(id="whatif-inputs")
        yield Footer()

    def on_mount(self) -> None:
        self.title = t("whatif.title")
        self.sub_title = clean(self.record_path.parent.name, one_line=True)
        self._build()

    @work(thread=True, exclusive=True, group="whatif-build")
    def _build(self) -> None:
        from estimators.errors import InputError
        from rubrics.pipeline import decision_from_record
        from rubrics.whatif import WhatIf

        app: Any = self.app
        try:
            rebuilt = decision_from_record(self.record, app.workspace)
            whatif = WhatIf.from_decision(rebuilt.decision, rebuilt.tallies, rebuilt.catalogue,
                                          rebuilt.decision.estimate.as_of)
            result = whatif.apply({})
        except (InputError, ValueError, OSError) as e:
            app.call_from_thread(self._unavailable, str(e))
            return
        app.call_from_thread(self._built, whatif, result)

    def _unavailable(self, why: str) -> None:
        self.query_one("#whatif-result", Static).update(
            plain(t("whatif.unavailable", error=why), "red"))

    async def _built(self, whatif: WhatIf, result: WhatIfResult) -> None:
        self.whatif, self.base = whatif, base_inputs(whatif)
        rows = []
        for i, (path, value) in enumerate(self.base.items()):
            self.paths[f"whatif-{i}"] = path
            rows.append(Vertical(
                Horizontal(Static(plain(label(path), one_line=True), classes="whatif-label"),
                           Input(shown(value, path), id=f"whatif-{i}", compact=True,
                                 classes="whatif-input"),
                           classes="whatif-row"),
                Static("", id=f"whatif-{i}-error", classes="field-error").set_styles(
                    "display: none;"),
                classes="whatif-field"))
        await self.query_one("#whatif-inputs", VerticalScroll).mount_all(rows)
        app: Any = self.app
        app.steady_cursors(self)
        self._show(result)
        self.query_one("#whatif-0", Input).focus()

    # --- recomputation ----------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in self.paths:
            if self._timer is not None:
                self._timer.stop()
            self._timer = self.set_timer(DEBOUNCE, self._changed)

    def changes(self) -> dict[str, Any] | None:
        """The inputs whose text differs from the decision's, parsed; None (and each bad
        field saying why) when any does not parse."""
        out: dict[str, Any] = {}
        ok = True
        for input_id, path in self.paths.items():
            text = self.query_one(f"#{input_id}", Input).value
            error = ""
            if text.strip() != shown(self.base[path], path):
                try:
                    out[path] = parse_value(text, self.base[path])
                except ValueError as e:
                    error, ok = str(e), False
            self._field_error(input_id, error)
        return out if ok else None

    def _field_error(self, input_id: str, error: str) -> None:
        box = self.query_one(f"#{input_id}-error", Static)
        box.update(plain(error, "red"))
        box.display = bool(error)  # an empty line under every field would halve the list

    def _changed(self) -> None:
        changes = self.changes()
        if changes is not None and self.whatif is not None:
            self._recompute(self.whatif, changes)

    @work(thread=True, exclusive=True, group="whatif")
    def _recompute(self, whatif: WhatIf, changes: dict[str, Any]) -> None:
        from estimators.errors import InputError

        app: Any = self.app
        worker = get_current_worker()
        try:
            result = whatif.apply(changes)
        except InputError as e:
            if not worker.is_cancelled:
                app.call_from_thread(self._refused, e.where or "", e.message)
            return
        if not worker.is_cancelled:  # a newer edit's recomputation has the last word
            app.call_from_thread(self._show, result)

    def _refused(self, path: str, message: str) -> None:
        """A value the spec's validation refused: the field says why; the figures stay."""
        input_id = next((i for i, p in self.paths.items() if p == path), None)
        if input_id is None:
            notify(self, message, severity="error")
        else:
            self._field_error(input_id, message)

    def _show(self, result: WhatIfResult) -> None:
        """Verdict, chosen model, each candidate's P10/P50/P90 NMB and ROI, and the changes."""
        from rubrics.numbers import compact

        self.result = result
        head = Text()
        head.append(f" {result.verdict.value} ", style="bold reverse")
        head.append(clean("  " + (t("results.chosen", model=result.chosen) if result.chosen
                                  else t("whatif.none_chosen")), one_line=True))
        table = Table(box=None, padding=(0, 1), show_edge=False)
        table.add_column(t("whatif.col.model"), no_wrap=True, overflow="ellipsis", max_width=24)
        for key in ("nmb", "roi", "roi_pct"):
            table.add_column(t(f"whatif.col.{key}"), no_wrap=True)
        for e in result.economics:
            if e.nmb is None or e.roi is None:
                table.add_row(plain(e.model, "dim strike", one_line=True), t("results.excluded"),
                              "", "")
                continue
            qs = ("p10", "p50", "p90")
            table.add_row(plain(e.model, "bold" if e.model == result.chosen else "",
                                one_line=True),
                          " / ".join(compact(e.nmb[q]) for q in qs),
                          " / ".join(f"{e.roi[q]:.1f}" for q in qs), f"{e.roi['p50']:.0%}")
        changed = Text(t("whatif.changes") + " ", style="bold")
        if not result.changes:
            changed.append(t("whatif.no_changes"), style="dim")
        for c in result.changes:
            changed.append(clean(f"\n  {label(c.path)}: "
                                 f"{shown(c.base, c.path) if c.base is not None else '—'} → "
                                 f"{shown(c.new, c.path)}"))
        self.query_one("#whatif-result", Static).update(Group(head, table, changed))

    # --- actions ----------------------------------------------------------------------------

    def action_save(self) -> None:
        from estimators.errors import InputError

        changes = self.changes()
        if self.whatif is None or changes is None:
            notify(self, t("whatif.not_saved_invalid"), severity="warning")
            return
        app: Any = self.app
        try:
            path = save_variant(app.workspace, self.whatif, changes, app.today)
        except InputError as e:
            self._refused(e.where or "", e.message)
            return
        except OSError as e:
            notify(self, t("whatif.not_saved", error=e.strerror or e), severity="error")
            return
        notify(self, t("whatif.saved", path=display_path(path)))

    def action_reset(self) -> None:
        """Every field back to the decision's value."""
        for input_id, path in self.paths.items():
            self.query_one(f"#{input_id}", Input).value = shown(self.base[path], path)

    def action_back(self) -> None:
        self.app.pop_screen()
