"""Review: a past record beside its recomputation by the core, with every flag explained.

The review is computed without saving; `s` appends it to the record's reviews (the core does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from rubrics.messages import named
from rubrics.numbers import money
from tui import i18n
from tui.i18n import t
from tui.plain import clean, notify, plain
from tui.screens import lifecycle
from tui.screens.commands import Entry, ScreenCommands
from tui.screens.record_view import candidates, currency, num, usage_section
from tui.screens.results import roi_text


def recorded_text(record: dict[str, Any]) -> Text:
    """The record's verdict, and per candidate its cost per call, capability and median ROI."""
    out = record.get("outputs", {})
    text = Text()
    text.append(clean(out.get("verdict", ""), one_line=True), style="bold")
    if out.get("chosen"):
        text.append(clean(f"  {out['chosen']}", one_line=True))
    status = named("status", str(record.get("status", "")), i18n.language())
    text.append(clean(f"\n{record.get('as_of', '')}  {status}  "
                      f"{currency(record)}\n\n"))
    for c in candidates(record):
        d = c.get("distribution") or {}
        roi = f"ROI P50 {roi_text(num(d['roi']['p50']))}" if d else t("results.excluded")
        status = c.get("capability", {}).get("status", "")
        text.append(clean(c.get("model", ""), one_line=True) + "\n", style="bold")
        text.append(clean(f"  {t('review.per_call', cost=money(num(c.get('cost_per_call'))))}"
                          f"  {status}  {roi}")
                    + "\n")
    return text


def actual_names() -> str:
    """The names actuals may use, said before anyone gets one wrong."""
    from rubrics.review import ALIASES, METRICS

    aliases = [f"{alias} = {metric}" for alias, metric in ALIASES.items()]
    return t("review.names", names=", ".join(METRICS), aliases=", ".join(aliases))


def _line(text: Text, content: str, style: str = "") -> None:
    """Append one line of text from the core or the record (shown as written)."""
    text.append(clean(content) + "\n", style=style)


def recomputed_text(rv: Any) -> Text:
    """The core's four recomputations (original inputs, today's prices, evals, actuals), in the
    app's language: the review's stored messages rendered, not their English text."""
    from rubrics.messages import from_json, render
    from rubrics.messages import plain as plain_message
    from rubrics.review import say_stored, status_word

    lang = i18n.language()
    text = Text()
    if rv.error:
        return plain(rv.error, style="bold red")
    if rv.reproduction:
        rep = rv.reproduction
        text.append(f"{t('review.reproduction')}: ", style="bold")
        _line(text, render(status_word(rep.status), lang),
              "green" if rep.status == "reproduced" else "red")
        stored = list(rep.difference_messages) or [None] * len(rep.differences)
        lines = [say_stored(d, m, lang) for d, m in zip(rep.differences, stored, strict=True)]
        for line in lines[:5] + ([say_stored(rep.note, rep.note_message, lang)]
                                 if rep.note else []):
            _line(text, f"  {line}", "dim")
    if rv.today:
        text.append(f"\n{t('review.today')}\n", style="bold")
        for m in rv.today.moves:
            change = f"{m.change:+.1%}" if m.change is not None else m.note
            today = money(m.today) if m.today is not None else "—"
            _line(text, f"  {m.model}: {money(m.recorded)} → {today}  ({change})")
        if rv.today.verdict:
            _line(text, "  " + t("review.verdict_today", verdict=rv.today.verdict))
        if rv.today.note:
            note = from_json(rv.today.note_message) or plain_message(rv.today.note)
            _line(text, f"  {render(note, lang)}", "dim")
    if rv.evals:
        text.append(f"\n{t('review.evals')}\n", style="bold")
        if rv.evals.note:
            note = from_json(rv.evals.note_message) or plain_message(rv.evals.note)
            _line(text, f"  {render(note, lang)}", "dim")
        for c in rv.evals.candidates:
            _line(text, f"  {c.model}: {c.status_then} → {c.status_now} ({c.k}/{c.n})")
        for c in rv.evals.cheaper:
            _line(text, "  " + t("review.cheaper", model=c.model, k=c.k, n=c.n,
                                 cost=money(c.cost_per_call)), "yellow")
    if rv.kills:
        text.append(f"\n{t('review.kills')}\n", style="bold")
        for k in rv.kills:
            state = (t("review.no_actual") if k.actual is None
                     else t("review.met") if k.met else t("review.not_met"))
            _line(text, f"  {k.metric} {k.comparator} {k.threshold:g} → "
                        f"{named('action', k.action, lang)}: {state}",
                  "bold red" if k.met else "")
            if k.met and k.window not in ("", "typed"):  # fired on the linked usage
                _line(text, "    " + t("usage.from_usage", month=k.window), "bold red")
    return text


def usage_text(rv: Any) -> Text:
    """The linked usage month by month (tables and chart), or why it could not be reviewed;
    empty when the decision is not linked to usage."""
    if rv.usage_error:
        return plain(rv.usage_error, style="bold red")
    if rv.usage is None:
        return Text()
    entry = rv.usage.entry()
    return usage_section(f"{t('usage.section')} ({entry.get('currency', '')})", entry)


class ReviewCommands(ScreenCommands):
    """Palette entries for the review screen."""

    def entries(self) -> list[Entry]:
        screen = self.screen
        assert isinstance(screen, ReviewScreen)
        return [(t("key.save_review"), screen.action_save, "ctrl+s"),
                (t("key.export"), screen.action_export, "ctrl+o"),
                (t("review.actuals"), screen.query_one("#actuals", Input).focus, ""),
                (t("key.back"), screen.action_back, "Esc")]


class ReviewScreen(Screen[None]):
    """Runs the core's review of one record in a worker and shows both sides."""

    COMMANDS: ClassVar = {ReviewCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        # ctrl+ keys, as in the wizard: the actuals field has the focus, and a plain "s" typed
        # into it (monthly_spend=...) must not save a review without its actuals (ctrl+e is
        # the field's own "go to end")
        Binding("ctrl+s", "save", "key.save_review", id="review.save"),
        Binding("ctrl+o", "export", "key.export", id="review.export"),
        Binding("escape", "back", "key.back", id="review.back"),
        Binding("pagedown", "page(1)", "key.page_down", id="review.page_down", show=False),
        Binding("pageup", "page(-1)", "key.page_up", id="review.page_up", show=False),
    ]
    def __init__(self, record_path: Path) -> None:
        super().__init__()
        i18n.localize(self)
        self.record_path = record_path
        self.review: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        # one scroll for both columns and the usage below them (full width: its tables and
        # chart do not fit half of 80 columns); PageDown reaches it with the focus in actuals
        with VerticalScroll(id="review-body"):
            with Horizontal(id="review-columns"):
                with Vertical(classes="review-column"):
                    yield Static(t("review.recorded"), classes="section")
                    yield Static("", id="review-recorded")
                with Vertical(classes="review-column"):
                    yield Static(t("review.now"), classes="section")
                    yield Static(t("review.working"), id="review-now")
            yield Static("", id="review-usage")
        yield Static(t("review.flags"), classes="section")
        yield Static("", id="review-flags")
        yield Input(placeholder=t("review.actuals"), id="actuals", compact=True)
        yield Static(actual_names(), id="review-names", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = t("review.title")
        self.sub_title = clean(self.record_path.parent.name, one_line=True)
        app: Any = self.app
        app.steady_cursors(self)
        self.query_one("#actuals", Input).focus()
        self._review(save=False)

    def _actuals(self) -> list[str]:
        return self.query_one("#actuals", Input).value.split()

    def _checked_actuals(self) -> dict[str, float] | None:
        """The actuals typed, or None after showing why they cannot be used (in place of the
        flags, which were computed from other actuals and no longer apply)."""
        from estimators.errors import InputError
        from rubrics.review import parse_actuals

        try:
            return parse_actuals(self._actuals())
        except InputError as e:
            self.query_one("#review-flags", Static).update(
                plain(t("review.invalid", error=e.message), style="bold red"))
            return None

    @work(thread=True, exclusive=True, group="review")
    def _review(self, save: bool) -> None:
        from estimators.errors import InputError

        app: Any = self.app
        try:
            before = lifecycle.read(app.workspace, self.record_path)
            rv = lifecycle.review(app.workspace, self.record_path, app.today, save,
                                  self._actuals())
        except (InputError, OSError) as e:
            app.call_from_thread(self._failed, str(e))
            return
        app.call_from_thread(self._show, before, rv)
        if save:
            app.call_from_thread(notify, app, t("review.appended", path=self.record_path))

    def _failed(self, message: str) -> None:
        self.query_one("#review-now", Static).update(plain(message, style="bold red"))
        self.query_one("#review-flags", Static).update("")  # they belonged to other inputs
        self.query_one("#review-usage", Static).display = False

    def _show(self, before: dict[str, Any], rv: Any) -> None:
        self.review = rv
        try:
            recorded = recorded_text(before)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            # a record edited by hand or written by another tool: say so, never crash
            recorded = plain(t("results.malformed", error=f"{type(e).__name__}: {e}"),
                             style="bold red")
        self.query_one("#review-recorded", Static).update(recorded)
        self.query_one("#review-now", Static).update(recomputed_text(rv))
        usage = self.query_one("#review-usage", Static)
        usage.update(shown := usage_text(rv))
        usage.display = bool(shown)
        text = Text()
        watched = {str(k.get("metric")) for k in before.get("kill_criteria", [])}
        if unmatched := [m for m in (self._checked_actuals() or {}) if m not in watched]:
            text.append(clean(t("review.unmatched", names=", ".join(unmatched),
                                watched=", ".join(sorted(watched)) or "—")) + "\n",
                        style="yellow")
        for f in rv.flags:
            text.append(clean(f"⚑ {f.kind}: ", one_line=True), style="bold yellow")
            _line(text, str(f.message))
            _line(text, f"  {t('flag.' + f.kind)}", "dim")
        self.query_one("#review-flags", Static).update(text or t("review.no_flags"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._checked_actuals() is not None:
            self._review(save=False)

    def action_save(self) -> None:
        """Append the review, unless the actuals cannot be read: then say so, save nothing."""
        if self._checked_actuals() is None:
            notify(self, t("review.not_saved"), severity="error")
        else:
            self._review(save=True)

    def action_export(self) -> None:
        """The record or its business / vendor brief, written to a file."""
        from tui.screens.export import ExportDialog, export_record

        path = self.record_path
        self.app.push_screen(ExportDialog(path.parent.name),
                             lambda fmt: export_record(self.app, path, fmt))

    def action_page(self, pages: int) -> None:
        """Scroll the columns and the usage by a page (the actuals field keeps the focus)."""
        body = self.query_one("#review-body", VerticalScroll)
        if pages > 0:
            body.scroll_page_down(animate=False)
        else:
            body.scroll_page_up(animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()
