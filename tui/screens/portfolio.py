"""The portfolio (issue #19): committed vs actual monthly spend by vendor, the decisions that need
a look (Enter opens one) and the calibration table of past forecasts.

The numbers are the core's (`rubrics.portfolio.portfolio_summary`), computed in a worker; the
spend and calibration tables are the text `scopecard portfolio` prints (tui.cmd_portfolio).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tui import i18n
from tui.i18n import t
from tui.plain import clean, plain
from tui.screens.commands import Entry, ScreenCommands

if TYPE_CHECKING:
    from rubrics.portfolio import Portfolio

TITLE_WIDTH = 28  # the decision column: the rest of an 80-column row holds the numbers
COLUMNS = ("title", "committed", "actual", "ratio", "attention")


def summary_line(p: Portfolio) -> str:
    """Home's one line ("3 accepted · spend 12,300.00 USD of 15,000.00 USD committed ·
    1 flagged · 2 overdue"); "" when there is nothing to say."""
    from rubrics.numbers import money

    parts = []
    if p.holdings:
        parts += [t("portfolio.part.accepted", n=len(p.holdings)),
                  t("portfolio.part.spend", actual=money(p.actual, p.currency),
                    committed=money(p.committed, p.currency))]
    if p.flagged:
        parts.append(t("portfolio.part.flagged", n=len(p.flagged)))
    if p.overdue:
        parts.append(t("portfolio.part.overdue", n=len(p.overdue)))
    return t("portfolio.summary", parts=" · ".join(parts)) if parts else ""


def decision_rows(p: Portfolio) -> dict[str, list[str]]:
    """One row per decision the portfolio names (accepted, flagged or overdue), by id: its
    title, committed and actual spend with their ratio, and its flags and overdue review."""
    from rubrics.numbers import money
    from tui.cmd_portfolio import spend_ratio

    rows: dict[str, list[str]] = {}
    attention: dict[str, list[str]] = {}
    for x in p.flagged:
        attention.setdefault(x.id, []).extend(x.flags)
    for x in p.overdue:
        attention.setdefault(x.id, []).append(t("portfolio.overdue_since", date=x.due))
    titles = {x.id: x.title for x in p.flagged + p.overdue}
    for h in p.holdings:
        rows[h.id] = [h.title or h.id, money(h.committed),
                      money(h.actual) if h.actual is not None else "—",
                      spend_ratio(h.actual, h.committed) if h.actual is not None else "—"]
    for record_id in attention:  # flagged or overdue but not accepted: no spend
        rows.setdefault(record_id, [titles[record_id] or record_id, "—", "—", "—"])
    ordered = sorted(rows, key=lambda i: (i not in attention, i))  # what needs a look first
    return {i: rows[i] + [", ".join(attention.get(i, []))] for i in ordered}


class PortfolioCommands(ScreenCommands):
    """Palette entries for the portfolio screen."""

    def entries(self) -> list[Entry]:
        screen = self.screen
        assert isinstance(screen, PortfolioScreen)
        return [(t("key.open"), screen.action_open, "Enter"),
                (t("key.back"), screen.action_back, "Esc")]


class PortfolioScreen(Screen[None]):
    """The workspace's portfolio on the app's date."""

    COMMANDS: ClassVar = {PortfolioCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,p", "back", "key.back", id="portfolio.back"),
    ]
    DEFAULT_CSS = """
    #portfolio-body { height: 1fr; padding: 0 1; }
    #portfolio-body > Static { height: auto; }
    #portfolio-decisions { height: auto; max-height: 12; margin: 0 0 1 0; }
    """

    def __init__(self, computed: Portfolio | None = None) -> None:
        super().__init__()
        i18n.localize(self)
        self.portfolio = computed
        self.loaded = False  # the snapshot tests wait for it

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="portfolio-body"):
            yield Static(t("portfolio.working"), id="portfolio-spend", markup=False)
            yield Static(t("portfolio.decisions"), classes="section", markup=False)
            yield DataTable(id="portfolio-decisions", cursor_type="row", zebra_stripes=True)
            yield Static("", id="portfolio-calibration", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = t("portfolio.screen")
        table = self.query_one("#portfolio-decisions", DataTable)
        for key in COLUMNS:
            table.add_column(t(f"portfolio.col.{key}"), key=key)
        table.focus()
        if self.portfolio is not None:
            self._show(self.portfolio)
        else:
            self._compute()

    @work(thread=True, exclusive=True, group="portfolio")
    def _compute(self) -> None:
        from estimators.errors import InputError
        from rubrics.portfolio import portfolio_summary

        app: Any = self.app
        try:
            result = portfolio_summary(app.workspace, app.today)
        except (InputError, OSError) as e:
            app.call_from_thread(self._failed, str(e))
            return
        app.call_from_thread(self._show, result)

    def _failed(self, message: str) -> None:
        self.loaded = True
        self.query_one("#portfolio-spend", Static).update(
            plain(t("portfolio.failed", error=message), style="bold red"))

    def _show(self, p: Portfolio) -> None:
        """The spend by vendor (with FX), the decisions to look at and the calibration."""
        from rubrics.messages import text
        from tui.cmd_portfolio import calibration_lines, vendor_lines

        self.portfolio, self.loaded = p, True
        lang = i18n.language()
        spend = Text(clean(text("portfolio.title", lang, date=p.as_of.isoformat(),
                                currency=p.currency)) + "\n", style="bold")
        lines = vendor_lines(p, lang) if p.holdings else [text("portfolio.none_accepted", lang)]
        spend.append(clean("\n".join(lines)))
        self.query_one("#portfolio-spend", Static).update(spend)
        table = self.query_one("#portfolio-decisions", DataTable)
        table.clear()
        rows = decision_rows(p)
        for record_id, row in rows.items():  # a few rows, each keyed by its id for Enter
            table.add_row(_cell(row[0], TITLE_WIDTH), *(Text(clean(c), justify="right") for c in row[1:4]),
                          plain(row[4], "yellow", one_line=True), key=record_id)
        if not rows:
            self.query_one(".section", Static).update(t("portfolio.no_decisions"))
        problems = ["! " + text("portfolio.problem", lang, problem=x) for x in p.problems]
        self.query_one("#portfolio-calibration", Static).update(
            clean("\n".join(calibration_lines(p, lang) + problems)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        """The highlighted decision's record, as the results screen shows it."""
        from tui.screens.results import ResultsScreen

        table = self.query_one("#portfolio-decisions", DataTable)
        if not table.row_count:
            return
        record_id = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        app: Any = self.app
        self.app.push_screen(ResultsScreen(
            record_path=app.workspace.decisions / str(record_id) / "decision.toml"))

    def action_back(self) -> None:
        self.app.pop_screen()


def _cell(value: str, width: int) -> Text:
    """A one-line cell cut to `width` columns."""
    cell = plain(value, one_line=True)
    cell.truncate(width, overflow="ellipsis")
    return cell
