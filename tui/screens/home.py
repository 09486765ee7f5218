"""Home: past decisions (loaded in a worker, so the first paint never waits) and the actions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from tui import i18n
from tui.i18n import t
from tui.plain import clean, notify, plain
from tui.screens.commands import Entry, ScreenCommands
from tui.screens.record_view import display_path
from tui.widgets.table import MeasuredTable

if TYPE_CHECKING:
    from rubrics.portfolio import Portfolio
    from rubrics.record_store import RecordSummary

# The compact row fits 80 columns; the id, chosen model and full flags are in the detail pane.
COLUMNS = ("title", "verdict", "status", "due", "flag")
VERDICT_STYLE = {"GO": "green", "GO WITH CONDITIONS": "yellow", "RESEARCH SPIKE": "blue",
                 "STOP": "red"}
# cells beside the title: verdict 18, status 10, due 10, flag 1, each padded by 1 on both sides,
# plus the table's scrollbar and the screen's margin
FIXED_WIDTH = 18 + 10 + 10 + 1 + 2 * len(COLUMNS) + 4
MIN_TITLE = 12
# Rows the list holds at most: the newest; the filter reaches the rest. A 10,000-row table took
# ~3 s to fill; 1,000 rows still took 0.7 s of the main thread (each cell measured), and a
# screen shows 20: 200 is ten pages.
HOME_ROWS = 200
FLAG_MARK, ERROR_MARK = "⚑", "✗"
EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def flags_of(s: RecordSummary, today: Any) -> str:
    """What needs attention: the file's error, a review date that has passed, and what the
    latest review flagged."""
    if s.error:
        return f"{t('home.flag.error')}: {s.error}"
    flags = [t("home.flag.overdue")] if s.review_due is not None and s.review_due < today else []
    return ", ".join(flags + [f for f in s.flags if f != "review_due"])


def created_at(s: RecordSummary) -> dt.datetime:
    """When a decision was made (UTC when the record names no zone); the earliest moment for an
    unreadable record, which has no time, so those sort last."""
    try:
        at = dt.datetime.fromisoformat(s.created)
    except ValueError:
        return EARLIEST
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


def newest_first(summaries: list[RecordSummary]) -> list[RecordSummary]:
    """Decisions by creation time, newest first: ids (date, slug, hash) alone do not order two
    decisions of one day."""
    return sorted(summaries, key=lambda s: (created_at(s), s.id), reverse=True)


def short_title(s: RecordSummary, width: int) -> Text:
    """The row's name: the title (or the id without its hash when there is none), cut to fit."""
    name = s.title or s.id.rsplit("-", 1)[0]
    text = plain(name, one_line=True)
    text.truncate(max(width, MIN_TITLE), overflow="ellipsis")
    return text


class HomeCommands(ScreenCommands):
    """Palette entries for the home screen."""

    def entries(self) -> list[Entry]:
        screen = self.screen
        assert isinstance(screen, HomeScreen)
        out = [(t("key.new"), screen.action_new, "n"), (t("key.open"), screen.action_open, "o")]
        if screen.check_action("review", ()):
            out.append((t("key.review"), screen.action_review, "r"))
        if screen.check_action("export", ()):
            out.append((t("key.export"), screen.action_export, "e"))
        out += [(t("key.filter"), screen.action_filter, "/"),
                (t("key.portfolio"), screen.action_portfolio, "p"),
                (t("key.reload"), screen.action_reload, "F5"),
                (t("key.import_evals"), screen.action_import_evals, ""),
                (t("key.delete_draft"), screen.action_delete_draft, "")]
        return out



class HomeScreen(Screen[None]):
    """The list of decision records with a filter box."""

    COMMANDS: ClassVar = {HomeCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "key.new", id="home.new"),
        Binding("o", "open", "key.open", id="home.open"),
        Binding("r", "review", "key.review", id="home.review"),
        Binding("e", "export", "key.export", id="home.export"),
        Binding("slash", "filter", "key.filter", id="home.filter"),
        Binding("p", "portfolio", "key.portfolio", id="home.portfolio", show=False),
        Binding("f5", "reload", "key.reload", id="home.reload", show=False),
    ]

    # the portfolio's line takes a row of the list only when it has something to say
    DEFAULT_CSS = """
    #home-portfolio { height: auto; padding: 0 1; color: $warning; display: none; }
    """

    def __init__(self) -> None:
        super().__init__()
        i18n.localize(self)
        self.portfolio: Portfolio | None = None  # computed after the list, in a worker
        self.portfolio_pending = False  # asked for and not yet shown (tests wait for it)
        self.summaries: list[RecordSummary] = []
        self.matched = 0  # decisions that pass the filter (the table holds HOME_ROWS at most)
        self.loaded = False
        self.title_width = 0  # the title column's width for the current terminal width

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=t("home.filter"), id="filter", compact=True)
        yield MeasuredTable(id="records", cursor_type="row", zebra_stripes=True)
        yield Static("", id="home-detail", markup=False)
        yield Static("", id="home-portfolio", markup=False)
        yield Static(t("home.loading"), id="home-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = t("home.title")
        self._columns(self.app.size.width)
        self.query_one("#records", DataTable).focus()
        app: Any = self.app
        app.steady_cursors(self)
        # start loading only once the screen is painted: the worker's imports of the core
        # would otherwise compete for the interpreter with the first paint
        self.call_after_refresh(self.action_reload)

    def on_resize(self, event: events.Resize) -> None:
        if self._columns(event.size.width) and self.summaries:
            self._fill()

    def _columns(self, width: int) -> bool:
        """(Re)make the columns so the row fits `width`; False when they already do."""
        title_width = max(MIN_TITLE, width - FIXED_WIDTH)
        if title_width == self.title_width:
            return False
        self.title_width = title_width
        table = self.query_one("#records", DataTable)
        table.clear(columns=True)
        for key in COLUMNS:
            table.add_column(t(f"home.col.{key}"), key=key)
        return True

    def on_screen_resume(self) -> None:
        if self.loaded:  # back from the wizard or results: a record may have been added
            self.action_reload()

    def on_screen_suspend(self) -> None:
        app: Any = self.app
        app.list_shown()  # left before the list arrived: the next screen may need a tokenizer

    @work(thread=True, exclusive=True, group="records")
    def _load(self) -> None:
        from rubrics.record_store import RecordStore

        app: Any = self.app
        worker = get_current_worker()
        done = 0

        def show(batch: list[RecordSummary], total: int) -> None:
            nonlocal done
            done += len(batch)
            if not worker.is_cancelled:
                app.call_from_thread(self._batch, batch, done, total)

        summaries = RecordStore(app.workspace).summaries(show, lambda: worker.is_cancelled)
        if summaries is not None and not worker.is_cancelled:
            app.call_from_thread(self._loaded, newest_first(summaries))

    def _batch(self, batch: list[RecordSummary], done: int, total: int) -> None:
        """Rows for records read so far (the complete list replaces them when it is ready)."""
        if done == len(batch):  # the first batch: a reload starts the table anew
            self.summaries, self.matched = [], 0
            self.query_one("#records", DataTable).clear()
        self.summaries += batch
        self._add_rows(batch)
        self.query_one("#home-status", Static).update(
            plain(t("home.loading_n", done=f"{done:,}", total=f"{total:,}")))

    def _loaded(self, summaries: list[RecordSummary]) -> None:
        streamed = summaries == self.summaries and not self.loaded  # every row already shown
        self.summaries, self.loaded = summaries, True
        if streamed:
            self._show_count()
        else:
            self._fill()
        app: Any = self.app
        self.call_after_refresh(app.list_shown)  # the app's warm-up waits for the list's paint
        if summaries:  # once the list is painted: its imports would hold up that paint
            self.portfolio_pending = True
            self.call_after_refresh(self._portfolio)

    @work(thread=True, exclusive=True, group="portfolio")
    def _portfolio(self) -> None:
        """The portfolio for the summary line and `p`; after the list, so it never delays it.
        A workspace it cannot be computed for shows no line (`p` says why)."""
        from estimators.errors import InputError
        from rubrics.portfolio import portfolio_summary

        app: Any = self.app
        try:
            result: Portfolio | None = portfolio_summary(app.workspace, app.today)
        except (InputError, OSError):
            result = None
        if not get_current_worker().is_cancelled:
            app.call_from_thread(self._show_portfolio, result)

    def _show_portfolio(self, p: Portfolio | None) -> None:
        from tui.screens.portfolio import summary_line

        self.portfolio, self.portfolio_pending = p, False
        line = self.query_one("#home-portfolio", Static)
        said = summary_line(p) if p is not None else ""
        line.update(plain(said, one_line=True))
        line.display = bool(said)

    def _fill(self) -> None:
        """The table from the summaries and the filter, the cursor kept on its record."""
        table = self.query_one("#records", DataTable)
        selected = self._selected()
        table.clear()
        self.matched = 0
        self._add_rows(self.summaries)
        if selected is not None and str(selected.path) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected.path)), animate=False)
        self._show_count()

    def _show_count(self) -> None:
        """How many decisions there are, how many the filter shows, how many cannot be read
        (or where to start)."""
        app: Any = self.app
        total, shown = len(self.summaries), self.query_one("#records", DataTable).row_count
        if not total:
            status = t("home.empty", path=display_path(app.workspace.decisions))
        else:
            status = (t("home.count_one") if total == 1 else t("home.count_n", n=f"{total:,}"))
            if shown != total:
                status = t("home.count_shown", shown=f"{shown:,}", count=status)
            if self.matched > shown:
                status += t("home.count_capped")
            if bad := sum(1 for s in self.summaries if s.error):
                status += t("home.count_bad", bad=f"{bad:,}")
        self.query_one("#home-status", Static).update(plain(status))
        self._show_detail()
        self.refresh_bindings()

    def _add_rows(self, summaries: list[RecordSummary]) -> None:
        """Rows for the summaries that pass the filter (which searches the detail too); every
        text shown as written."""
        app: Any = self.app
        needle = self.query_one("#filter", Input).value.casefold().strip()
        table = self.query_one("#records", DataTable)
        if not needle:  # every one matches: only the rows shown need their flags worked out
            self.matched += len(summaries)
            summaries = summaries[:max(0, HOME_ROWS - table.row_count)]
        for s in summaries:
            flags = flags_of(s, app.today)
            if needle:
                searched = (s.id, s.title, s.verdict, s.status, str(s.review_due or ""), flags,
                            s.chosen)
                if not any(needle in clean(c).casefold() for c in searched):
                    continue
                self.matched += 1
            if table.row_count >= HOME_ROWS:
                continue  # the newest are shown; the filter reaches the rest
            mark = ERROR_MARK if s.error else FLAG_MARK if flags else ""
            table.add_row(short_title(s, self.title_width),
                          plain(s.verdict, VERDICT_STYLE.get(s.verdict, ""), one_line=True),
                          plain(s.status or "—", "red" if s.error else "", one_line=True),
                          plain(s.review_due or ""),
                          plain(mark, "red" if s.error else "yellow"),
                          key=str(s.path))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The selected decision in full: id, chosen model, created, and every flag or error."""
        s = self._selected()
        detail = Text()
        if s is not None:
            app: Any = self.app
            detail.append(clean(s.id, one_line=True), style="bold")
            about = []
            if s.created:
                about.append(f"{t('home.detail.created')} {s.created[:16]}")
            if s.chosen:
                about.append(f"{t('home.detail.chosen')} {s.chosen}")
            detail.append("\n" + clean("  ".join(about), one_line=True), style="dim")
            if flags := flags_of(s, app.today):
                detail.append(clean(f"  {FLAG_MARK} {flags}", one_line=True),
                              style="red" if s.error else "yellow")
        self.query_one("#home-detail", Static).update(detail)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#records", DataTable).focus()

    def _selected(self) -> RecordSummary | None:
        table = self.query_one("#records", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.summaries if str(s.path) == key), None)

    def _usable(self) -> RecordSummary | None:
        """The selected record if it can be read; otherwise say why not."""
        s = self._selected()
        if s is None:
            notify(self, t("home.no_selection"), severity="warning")
        elif s.error:
            notify(self, t("home.unreadable", error=s.error), severity="error")
            return None
        return s

    def action_new(self) -> None:
        from tui.screens.start import StartChoice, StartDialog
        from tui.screens.wizard import WizardScreen

        def start(choice: StartChoice | None) -> None:
            if choice is not None:
                self.app.push_screen(WizardScreen(choice.data, choice.draft_path))

        app: Any = self.app
        self.app.push_screen(StartDialog(app.workspace.drafts), start)

    def action_open(self) -> None:
        from tui.screens.results import ResultsScreen

        if (s := self._usable()) is not None:
            self.app.push_screen(ResultsScreen(record_path=s.path))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_review(self) -> None:
        from tui.screens.review import ReviewScreen

        if (s := self._usable()) is not None:
            self.app.push_screen(ReviewScreen(s.path))

    def action_export(self) -> None:
        from tui.screens.export import ExportDialog, export_record

        if (s := self._usable()) is not None:
            path = s.path
            self.app.push_screen(ExportDialog(path.parent.name),
                                 lambda fmt: export_record(self.app, path, fmt))

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_reload(self) -> None:
        self._load()

    def action_portfolio(self) -> None:
        """Committed vs actual spend, decisions to look at, calibration (its own screen, so the
        list keeps its rows at 80x24)."""
        from tui.screens.portfolio import PortfolioScreen

        self.app.push_screen(PortfolioScreen(self.portfolio))

    def action_import_evals(self) -> None:
        from tui.screens.lifecycle_dialogs import ImportEvalsDialog

        self.app.push_screen(ImportEvalsDialog())

    def action_delete_draft(self) -> None:
        from tui.screens.lifecycle_dialogs import delete_draft

        delete_draft(self)
