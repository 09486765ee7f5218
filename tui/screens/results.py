"""Results of a decision: estimate, capability, economics and verdict, on four tabs.

The screen shows a decision record: one just decided (the spec is estimated and judged in a
worker, then saved) or one opened from the list. Accept, reject and export call the core's
lifecycle functions when they are installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
)

from rubrics.capability import MAX_CASES, RATE_ON_BAR, undecided_reason
from rubrics.messages import named
from rubrics.numbers import amount, compact, money
from rubrics.report import grows, row_mark
from tui import i18n
from tui.i18n import t
from tui.plain import clean, notify, plain
from tui.screens import lifecycle
from tui.screens.commands import Entry, ScreenCommands
from tui.screens.lifecycle_actions import LifecycleActions
from tui.screens.record_view import (
    candidates,
    currency,
    display_path,
    latest_usage,
    num,
    peak_vs_limit,
    plotted_candidate,
    tokens_basis,
    usage_section,
)
from tui.widgets.table import MeasuredTable
from tui.widgets.tornado import Bar, Tornado
from tui.widgets.volume_plot import Line, Mark, VolumePlot

TABS = ("estimate", "capability", "economics", "verdict")
STATUS_STYLE = {"MEETS": "green", "FAILS": "red", "INCONCLUSIVE": "yellow", "NO DATA": "dim"}
VERDICT_CLASS = {"GO": "go", "GO WITH CONDITIONS": "conditions", "RESEARCH SPIKE": "spike",
                 "STOP": "stop"}
# Table columns, the ones that matter first. Below WIDE_COLUMNS the tables keep only the first
# NARROW_* of them, so that they fit 80 columns without scrolling sideways: the currency is said
# in the legend (and a model priced in another one in a note), the count basis is the tokens
# cell's mark, break-even and payback are on the line under the economics table, and a kill
# criterion's note under the kill table.
ESTIMATE_COLUMNS = ("model", "tokens", "per_call", "monthly", "peak", "currency", "basis")
ECONOMICS_COLUMNS = ("model", "nmb", "roi", "ppos", "breakeven", "payback")
KILL_COLUMNS = ("metric", "rule", "window", "deadline", "action", "note")  # note: under it
NARROW_ESTIMATE, NARROW_ECONOMICS, NARROW_KILL = 5, 4, 5
WIDE_COLUMNS = 120


@dataclass
class SortableRow:
    cells: tuple[Any, ...]  # what the table shows
    keys: tuple[Any, ...]  # what each column sorts by


def _pct(x: Any) -> str:
    return f"{num(x):.0%}"


def roi_text(roi: float) -> str:
    """ROI as the ratio and as a percentage (23.48 beside a target of 0.5 reads as a typo)."""
    return f"{roi:,.2f} ({roi:,.0%})"


def _grows(record: dict[str, Any]) -> bool:
    """Whether the record's traffic grows, so month 0 and the amortization average differ."""
    return grows(record.get("spec", {}).get("load", {}).get("monthly_growth", 0.0))


def _needed(check: dict[str, Any]) -> str:
    """A check's "more cases" cell: the number, or why no number of cases would decide."""
    if check.get("cases_needed"):
        return f"{int(check['cases_needed']):,}"
    why = undecided_reason(str(check.get("status", "")), int(check.get("k", 0)),
                           int(check.get("n", 0)), num(check.get("bar")), None)
    if why is None:
        return ""
    if why == RATE_ON_BAR:
        return t("results.needed.on_bar")
    return t("results.needed.beyond", max=f"{MAX_CASES:,}")


# what-if and the record lifecycle (whatifapp): (action, key); the actions are LifecycleActions'
LIFECYCLE_KEYS = (("whatif", "w"), ("redecide", "r"), ("clone", "c"), ("deprecate", "d"),
                  ("supersede", "u"), ("import_evals", "i"))


class ResultsCommands(ScreenCommands):
    """Palette entries for the results screen."""

    def entries(self) -> list[Entry]:
        screen = self.screen
        assert isinstance(screen, ResultsScreen)
        out: list[Entry] = [(t(f"key.tab_{tab}"), partial(screen.action_tab, tab), str(i + 1))
                            for i, tab in enumerate(TABS)]
        out.append((t("key.sort"), screen.action_sort, "s"))
        for action, key in (("accept", "a"), ("reject", "x"), ("export", "e"), *LIFECYCLE_KEYS):
            if screen.check_action(action, ()):
                out.append((t(f"key.{action}"), getattr(screen, f"action_{action}"), key))
        out.append((t("key.back"), screen.action_back, "Esc"))
        return out



class ResultsScreen(LifecycleActions, Screen[None]):
    """Decide a spec (in a worker) or open a record, and present it."""

    COMMANDS: ClassVar = {ResultsCommands}
    # Every key of this screen, in one list (F1 and the footer read it). The scroll keys are
    # priority bindings: they move the open tab's page even while a table has the focus.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('estimate')", "key.tab_estimate", id="results.estimate", show=False),
        Binding("2", "tab('capability')", "key.tab_capability", id="results.capability",
                show=False),
        Binding("3", "tab('economics')", "key.tab_economics", id="results.economics",
                show=False),
        Binding("4", "tab('verdict')", "key.tab_verdict", id="results.verdict", show=False),
        Binding("pageup", "scroll('page_up')", "key.page_up", id="results.page_up", show=False,
                priority=True),
        Binding("pagedown", "scroll('page_down')", "key.page_down", id="results.page_down",
                show=False, priority=True),
        Binding("home", "scroll('home')", "key.top", id="results.top", show=False,
                priority=True),
        Binding("end", "scroll('end')", "key.bottom", id="results.bottom", show=False,
                priority=True),
        Binding("s", "sort", "key.sort", id="results.sort"),
        Binding("a", "accept", "key.accept", id="results.accept"),
        Binding("x", "reject", "key.reject", id="results.reject"),
        Binding("e", "export", "key.export", id="results.export"),
        Binding("escape", "back", "key.back", id="results.back"),
        *(Binding(key, action, f"key.{action}", id=f"results.{action}", show=False)
          for action, key in LIFECYCLE_KEYS),
    ]

    def __init__(self, *, spec_path: Path | None = None, evals_csv: Path | None = None,
                 record_path: Path | None = None) -> None:
        super().__init__()
        i18n.localize(self)
        self.spec_path = spec_path
        self.evals_csv = evals_csv
        self.record_path = record_path
        self.record: dict[str, Any] | None = None
        self.rows: list[SortableRow] = []
        self.wide: bool | None = None  # whether the tables show every column (set when filled)
        self.kill_notes: list[str] = []  # why each kill criterion (the narrow table leaves it out)
        self.sort_state: tuple[int, bool] | None = None  # (column, descending)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="results-status"):
            yield Static(t("results.deciding"), id="status-line")
            yield ProgressBar(id="progress", show_eta=False)
        with TabbedContent(id="tabs"):
            with TabPane(t("key.tab_estimate"), id="estimate"):
                with VerticalScroll():
                    yield Static("", id="load-line")
                    yield MeasuredTable(id="estimate-table", cursor_type="cell", zebra_stripes=True)
                    yield Static("", id="estimate-notes")
            with TabPane(t("key.tab_capability"), id="capability"):
                with VerticalScroll():
                    yield Static("", id="capability-head")
                    yield MeasuredTable(id="capability-table", cursor_type="row")
            with TabPane(t("key.tab_economics"), id="economics"):
                with VerticalScroll():
                    yield Static("", id="economics-head")
                    yield MeasuredTable(id="economics-table", cursor_type="row",
                                        header_height=2)
                    yield Static("", id="economics-detail")
                    yield Static("", id="plot-title", classes="section")
                    yield VolumePlot(id="volume-plot")
                    yield Static("", id="tornado-title", classes="section")
                    yield Tornado(id="tornado")
                    yield Static("", id="alternatives")
            with TabPane(t("key.tab_verdict"), id="verdict"):
                with VerticalScroll():
                    yield Static("", id="verdict-banner")
                    yield Static("", id="verdict-body")
                    yield Static(t("results.kills"), classes="section kills")
                    yield MeasuredTable(id="kill-table", cursor_type="row", classes="kills")
                    yield Static("", id="kill-detail")
                    yield Static("", id="verdict-usage")
        yield Footer()

    def on_mount(self) -> None:
        self.title = t("results.title")
        self.query_one("#tabs").display = False
        if self.record_path is not None and self.spec_path is None:
            self._open()
        else:
            self._decide()

    # --- work ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="decide")
    def _decide(self) -> None:
        from estimators.errors import InputError
        from rubrics.pipeline import decide_spec, save_record

        app: Any = self.app
        assert self.spec_path is not None

        def progress(label: str, done: int, total: int) -> None:
            app.call_from_thread(self._progress, label, done, total)

        try:
            _, record = decide_spec(self.spec_path, app.workspace, self.evals_csv,
                                    today=app.today, progress=progress)
            path = save_record(app.workspace, record, app.today)
        except (InputError, OSError) as e:
            app.call_from_thread(self._failed, str(e))
            return
        app.call_from_thread(self._show, record, path)

    @work(thread=True, exclusive=True, group="decide")
    def _open(self) -> None:
        from estimators.errors import InputError

        app: Any = self.app
        assert self.record_path is not None
        try:
            record = lifecycle.read(app.workspace, self.record_path)
        except InputError as e:
            self.app.call_from_thread(self._failed, str(e))
            return
        self.app.call_from_thread(self._show, record, self.record_path)

    def _progress(self, label: str, done: int, total: int) -> None:
        self.query_one("#status-line", Static).update(t("results.counting", label=label))
        self.query_one("#progress", ProgressBar).update(total=total, progress=done)

    def _failed(self, message: str) -> None:
        self.query_one("#progress").display = False
        status = self.query_one("#status-line", Static)
        status.update(plain(t("results.failed", error=message), style="bold red"))

    def _show(self, record: dict[str, Any], path: Path) -> None:
        self.record, self.record_path = record, path
        self.query_one("#progress").display = False
        try:
            self._status_line()
            self._fill_estimate()
            self._fill_capability()
            self._fill_economics()
            self._fill_verdict()
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            # a record edited by hand or written by another tool: say so, never crash
            self.record = None
            self._failed(t("results.malformed", error=f"{type(e).__name__}: {e}"))
            self.refresh_bindings()
            return
        self.query_one("#tabs").display = True
        self.refresh_bindings()
        self.query_one("#estimate-table", DataTable).focus()

    # --- tabs ------------------------------------------------------------------------------

    def _status_line(self) -> None:
        assert self.record is not None
        out = self.record.get("outputs", {})
        verdict = str(out.get("verdict", ""))
        line = Text()
        line.append(clean(f" {verdict} ", one_line=True),
                    style=f"bold reverse {self._verdict_color(verdict)}")
        if out.get("chosen"):
            line.append(clean("  " + t("results.chosen", model=out["chosen"]), one_line=True))
        status = named("status", str(self.record.get("status", "")), i18n.language())
        line.append(clean(f"  · {status}", one_line=True) + "\n")
        assert self.record_path is not None
        line.append(clean(display_path(self.record_path), one_line=True), style="dim")
        self.query_one("#status-line", Static).update(line)

    @staticmethod
    def _verdict_color(verdict: str) -> str:
        return {"go": "green", "conditions": "yellow", "spike": "blue", "stop": "red"}.get(
            VERDICT_CLASS.get(verdict, ""), "white")

    def _fill_estimate(self) -> None:
        rec = self.record
        assert rec is not None
        load = rec.get("outputs", {}).get("load", {})
        cur = currency(rec)
        growth = _grows(rec)
        self.query_one("#load-line", Static).update(t(
            "results.load_start" if growth else "results.load",
            tasks=amount(num(load.get("tasks_per_month"))),
            calls=amount(num(load.get("calls_per_month"))),
            avg=f"{num(load.get('avg_qps')):,.2f}", peak=f"{num(load.get('peak_qps')):,.2f}"))
        self.rows = []
        self.wide = wide = self.app.size.width >= WIDE_COLUMNS
        shown = len(ESTIMATE_COLUMNS) if wide else NARROW_ESTIMATE
        notes = Text()
        for c in candidates(rec):
            basis = tokens_basis(c)
            tokens_in, tokens_out = num(c.get("input_tokens_per_call")), num(
                c.get("output_tokens_per_call"))
            peak = peak_vs_limit(rec, c)
            limit = f"{peak.limit_qps:,.1f}" if peak.limit_qps is not None else "—"
            peak_text = Text(f"{peak.peak_qps:,.2f} / {limit}",
                             style="bold red" if peak.exceeded else "")
            native = c.get("native_currency", cur)
            excluded = bool(c.get("excluded"))
            model = plain(c.get("model", ""), "dim strike" if excluded else "", one_line=True)
            monthly = num(c.get("monthly_cost"))
            self.rows.append(SortableRow(
                cells=(model, f"{row_mark(c.get('tokens', {}))}{tokens_in:,.0f}/{tokens_out:,.0f}",
                       money(num(c.get("cost_per_call"))),
                       money(monthly) if wide else compact(monthly),
                       peak_text,
                       plain(cur if native == cur else f"{cur} ({native})", one_line=True),
                       t(f"results.basis.{basis}"))[:shown],
                keys=(str(c.get("model", "")), tokens_in + tokens_out, num(c.get("cost_per_call")),
                      monthly, peak.peak_qps / peak.limit_qps if peak.limit_qps else 0.0, native,
                      basis)[:shown]))
            if native != cur and not wide:
                notes.append(clean(t("results.native", model=c.get("model", ""), native=native,
                                     cur=cur)) + "\n", style="dim")
            if excluded:
                notes.append(clean(f"✗ {c['model']}: {t('results.excluded')}: {c['excluded']}")
                             + "\n", style="red")
            for w in c.get("warnings", []):
                notes.append(clean(f"! {c['model']}: {w}") + "\n", style="yellow")
        notes.append(clean(t("results.legend", cur=cur)), style="dim")
        self.query_one("#estimate-notes", Static).update(notes)
        table = self.query_one("#estimate-table", DataTable)
        table.clear(columns=True)
        monthly_label = "results.col.monthly_start" if growth else "results.col.monthly"
        for key in ESTIMATE_COLUMNS[:shown]:
            table.add_column(t(monthly_label if key == "monthly" else f"results.col.{key}"),
                             key=key)
        self._render_rows()

    def _render_rows(self) -> None:
        table = self.query_one("#estimate-table", DataTable)
        cursor = table.cursor_coordinate
        table.clear()
        rows = self.rows
        if self.sort_state is not None:
            col, desc = self.sort_state
            rows = sorted(rows, key=lambda r: r.keys[col], reverse=desc)
        for r in rows:
            table.add_row(*r.cells)
        table.cursor_coordinate = cursor  # clear() homes the cursor; sorting should not move it

    def _fill_capability(self) -> None:
        rec = self.record
        assert rec is not None
        th = rec.get("thresholds", {})
        suite = rec.get("evals", {}).get("suite", "")
        self.query_one("#capability-head", Static).update(plain(t(
            "results.capability_head", suite=suite, bar=_pct(th.get("bar")),
            conf=_pct(th.get("confidence")))))
        table = self.query_one("#capability-table", DataTable)
        table.clear(columns=True)
        for key in ("model", "tier", "kn", "interval", "bar", "status", "needed", "errors"):
            table.add_column(t(f"results.col.{key}"), key=key)
        for c in candidates(rec):
            cap = c.get("capability", {})
            checks = [(t("results.overall"), cap.get("overall", {}))]
            checks += list(cap.get("tiers", {}).items())
            for i, (tier, ch) in enumerate(checks):
                status = str(ch.get("status", ""))
                table.add_row(
                    plain(c.get("model", "") if i == 0 else "", one_line=True),
                    plain(tier, one_line=True),
                    plain(f"{ch.get('k', 0)}/{ch.get('n', 0)}", one_line=True),
                    Text(f"[{num(ch.get('low')):.2f}, {num(ch.get('high')):.2f}]"),
                    _pct(ch.get("bar")),
                    plain(status, STATUS_STYLE.get(status, ""), one_line=True),
                    plain(_needed(ch), one_line=True),
                    plain(ch.get("errors") or "", one_line=True))

    def _fill_economics(self) -> None:
        rec = self.record
        assert rec is not None
        cur = currency(rec)
        th = rec.get("thresholds", {})
        months = rec.get("spec", {}).get("costs", {}).get("amortize_months", 12)
        self.query_one("#economics-head", Static).update(plain(t(
            "results.economics_head_average" if _grows(rec) else "results.economics_head",
            cur=cur, draws=f"{th.get('draws', 0):,}", seed=rec.get("seed", ""), months=months)))
        table = self.query_one("#economics-table", DataTable)
        table.clear(columns=True)
        shown = len(ECONOMICS_COLUMNS) if self.wide else NARROW_ECONOMICS
        for key in ECONOMICS_COLUMNS[:shown]:
            table.add_column(t(f"results.col.{key}"), key=key)
        for c in candidates(rec):
            d, p = c.get("distribution"), c.get("point", {})
            model = plain(c.get("model", ""), one_line=True)
            if not d:
                table.add_row(model, t("results.excluded"), *[""] * (shown - 2))
                continue
            nmb = " / ".join(compact(num(d["nmb"][q])) for q in ("p10", "p50", "p90"))
            table.add_row(*(model, nmb, roi_text(num(d["roi"]["p50"])),
                            _pct(d.get("p_positive")), compact(num(p.get("break_even_tasks"))),
                            amount(num(p.get("payback_months")), 1))[:shown])
        alts = Text(t("results.alternatives") + "\n", style="bold")
        for a in rec.get("outputs", {}).get("alternatives", []):
            alts.append(clean(f"  {a['name']}: ", one_line=True), style="bold")
            alts.append(t("results.alternative", nmb=money(num(a["nmb"])),
                          roi=roi_text(num(a["roi"]))) + "\n")
            if a.get("note"):
                alts.append(clean(f"    {a['note']}") + "\n", style="dim")
        self.query_one("#alternatives", Static).update(alts)
        index = plotted_candidate(rec)
        table.move_cursor(row=index)
        self._plot(index)

    def on_resize(self) -> None:
        """Show every column from WIDE_COLUMNS on, and only those that fit below it."""
        if self.record is not None and self.wide != (self.app.size.width >= WIDE_COLUMNS):
            self._fill_estimate()
            self._fill_economics()
            self._fill_verdict()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "economics-table" and self.record is not None:
            self._plot(event.cursor_row)
        elif event.data_table.id == "kill-table":
            self._kill_detail(event.cursor_row)

    def _kill_detail(self, index: int) -> None:
        """The highlighted kill criterion's note, under the table when its column is left out."""
        detail = self.query_one("#kill-detail", Static)
        note = self.kill_notes[index] if 0 <= index < len(self.kill_notes) else ""
        detail.display = not self.wide and bool(note)
        detail.update(plain(t("results.kill.note_line", note=note), style="dim"))

    def _plot(self, index: int) -> None:
        """Cost-versus-volume lines and the tornado of one candidate, from its point figures."""
        assert self.record is not None
        cands = candidates(self.record)
        if not 0 <= index < len(cands):
            return
        c = cands[index]
        p, d = c.get("point", {}), c.get("distribution") or {}
        model = c.get("model", "")
        tasks, fixed = num(p.get("tasks_per_month")), num(p.get("fixed_cost"))
        per_task, value = num(p.get("cost_per_task")), num(p.get("value_per_task"))
        break_even = num(p.get("break_even_tasks"))
        x_max = max(2 * tasks, 1.25 * break_even if break_even < float("inf") else 0, 1.0)
        detail = self.query_one("#economics-detail", Static)
        detail.display = not self.wide and bool(d)  # the columns a narrow table leaves out
        detail.update(plain(t("results.economics_detail", model=model,
                              tasks=compact(break_even),
                              months=amount(num(p.get("payback_months")), 1)), style="dim"))
        self.query_one("#plot-title", Static).update(
            plain(t("results.plot_title", model=model), one_line=True))
        self.query_one(VolumePlot).show(
            [Line(t("results.plot_cost"), fixed, per_task, "red"),
             Line(t("results.plot_value"), 0.0, value, "green")],
            [Mark(tasks, t("results.plot_now")), Mark(break_even, t("results.plot_breakeven"))],
            x_max, t("results.plot_x"))
        self.query_one("#tornado-title", Static).update(
            plain(t("results.tornado_title", model=model), one_line=True))
        bars = [Bar(row["input"], num(row["nmb_low"]), num(row["nmb_high"]))
                for row in d.get("tornado", [])]
        self.query_one(Tornado).show(bars, num(p.get("nmb")))

    def _fill_verdict(self) -> None:
        rec = self.record
        assert rec is not None
        out, th = rec.get("outputs", {}), rec.get("thresholds", {})
        verdict = str(out.get("verdict", ""))
        banner = self.query_one("#verdict-banner", Static)
        banner.update(plain(verdict + (f"  —  {out['chosen']}" if out.get("chosen") else ""),
                            one_line=True))
        banner.set_classes(f"verdict-{VERDICT_CLASS.get(verdict, 'stop')}")
        parts: list[RenderableType] = []

        def section(title: str, lines: list[str]) -> None:
            if not lines:
                return
            bullets = Table.grid(padding=(0, 1))  # a hanging indent keeps wrapped lines readable
            bullets.add_column(width=2, no_wrap=True, justify="right")
            bullets.add_column(ratio=1)
            for line in lines:
                bullets.add_row("•", plain(line))
            parts.extend([Text(title, style="bold"), bullets])

        from rubrics.export import Said

        said = Said(rec, i18n.language())  # the stored messages, in the app's language
        spike = [f"{k.replace('_', ' ')}: {v}" for k, v in said.spike().items()]
        if verdict == "RESEARCH SPIKE":  # the plan is the answer: it comes first
            section(t("results.spike"), spike)
        section(t("results.reasons"), said.outputs("reasons"))
        section(t("results.conditions"), said.outputs("conditions"))
        if verdict != "RESEARCH SPIKE":
            section(t("results.spike"), spike)
        section(t("results.drivers"), said.outputs("drivers"))
        section(t("results.thresholds"), [t(
            "results.thresholds_text", bar=_pct(th.get("bar")), conf=_pct(th.get("confidence")),
            roi=roi_text(num(th.get("target_roi"))),
            q=str(th.get("go_roi_quantile", "")).upper(), ppos=_pct(th.get("go_min_p_positive")),
            margin=_pct(th.get("min_margin_of_safety")))])
        self.query_one("#verdict-body", Static).update(Group(*parts))
        kills = rec.get("kill_criteria", [])
        # a spike has no kill criteria: its plan (above) is what to act on, not an empty table
        for node in self.query(".kills"):
            node.display = bool(kills)
        table = self.query_one("#kill-table", DataTable)
        table.clear(columns=True)
        shown = len(KILL_COLUMNS) if self.wide else NARROW_KILL
        for key in KILL_COLUMNS[:shown]:
            table.add_column(t(f"results.kill.{key}"), key=key)
        self.kill_notes = [said.kill_note(k) for k in kills]
        for k, note in zip(kills, self.kill_notes, strict=True):
            cells = (k["metric"], f"{k['comparator']} {num(k['threshold']):g}",
                     t("results.kill.days", days=k["window_days"]), k["deadline"],
                     named("action", k["action"], i18n.language()), note)
            table.add_row(*(plain(c, one_line=True) for c in cells[:shown]))
        self._kill_detail(0)
        self._fill_usage()

    def _fill_usage(self) -> None:
        """Forecast vs actual month by month, from the latest review that compared usage."""
        assert self.record is not None
        found = latest_usage(self.record)
        shown = self.query_one("#verdict-usage", Static)
        shown.display = found is not None
        if found is None:
            return
        date, entry = found
        shown.update(usage_section(t("usage.section_of", date=date,
                                     currency=entry.get("currency", "")), entry))

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot be done: nothing before a record exists; status only once."""
        if action in ("accept", "reject"):
            return self.record is not None and self.record.get("status") == "proposed"
        if action in ("export", "sort"):
            return self.record is not None
        if action in dict(LIFECYCLE_KEYS):
            return self.lifecycle_allowed(action)
        return True

    def action_tab(self, tab: str) -> None:
        if self.record is not None:
            self.query_one("#tabs", TabbedContent).active = tab

    def action_scroll(self, where: str) -> None:
        """Page the open tab up or down, or go to its top or bottom, whatever has the focus."""
        if self.record is None:
            return
        tab = self.query_one("#tabs", TabbedContent).active
        page = self.query_one(f"#{tab} VerticalScroll", VerticalScroll)
        if where == "home":
            page.scroll_home(animate=False)
        elif where == "end":
            page.scroll_end(animate=False)
        else:
            getattr(page, f"scroll_{where}")(animate=False)

    def action_sort(self) -> None:
        """Sort the estimate table by the cursor's column; again on the same column reverses."""
        if self.record is None:
            return
        table = self.query_one("#estimate-table", DataTable)
        self.query_one("#tabs", TabbedContent).active = "estimate"
        col = table.cursor_column
        desc = self.sort_state is not None and self.sort_state == (col, False)
        self.sort_state = (col, desc)
        self._render_rows()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.data_table.id == "estimate-table":
            event.data_table.move_cursor(column=event.column_index)
            self.action_sort()

    def action_accept(self) -> None:
        self._confirm_status("accepted", t("confirm.accept", id=self._record_id()))

    def action_reject(self) -> None:
        self._confirm_status("rejected", t("confirm.reject", id=self._record_id()))

    def _record_id(self) -> str:
        return self.record_path.parent.name if self.record_path else ""

    def _confirm_status(self, status: str, question: str) -> None:
        from tui.screens.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self._set_status(status)

        self.app.push_screen(ConfirmDialog(question), answered)

    @work(thread=True, exclusive=True, group="status")
    def _set_status(self, status: str) -> None:
        from estimators.errors import InputError

        app: Any = self.app
        assert self.record_path is not None
        try:
            record = lifecycle.set_status(app.workspace, self.record_path, status, app.today)
        except (InputError, OSError) as e:
            app.call_from_thread(notify, app, e, severity="error")
            return
        app.call_from_thread(self._status_changed, record, status)

    def _status_changed(self, record: dict[str, Any], status: str) -> None:
        self.record = record
        self._status_line()
        self.refresh_bindings()
        assert self.record_path is not None
        notify(self, t("results.status_set", status=status, path=display_path(self.record_path)))

    def action_export(self) -> None:
        from tui.screens.export import ExportDialog, export_record

        if self.record_path is not None:
            path = self.record_path
            self.app.push_screen(ExportDialog(path.parent.name),
                                 lambda fmt: export_record(self.app, path, fmt))

    def action_back(self) -> None:
        self.app.pop_screen()
