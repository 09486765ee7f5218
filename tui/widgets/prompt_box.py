"""A prompt text box that counts its tokens live, in a worker, for each candidate's tokenizer."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea
from textual.worker import get_current_worker

from tui.i18n import t

DEFAULT_MODELS = ("openai/gpt-4o-mini",)  # o200k_base: exact, and the base of every estimate


class PromptBox(Vertical):
    """TextArea plus a line such as `tokens: =612 o200k · ~734 deepseek` (= exact, ~ estimated)."""

    DEFAULT_CSS = """
    PromptBox { height: auto; width: 1fr; }
    PromptBox TextArea { height: 4; }
    PromptBox .token-count { color: $text-muted; height: auto; }
    """

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = text
        self.models: tuple[str, ...] = DEFAULT_MODELS
        self.language = "en"
        self.counts: list[tuple[str, int, bool]] = []  # (tokenizer family, tokens, exact)

    def compose(self) -> ComposeResult:
        yield TextArea(self._text, soft_wrap=True, show_line_numbers=False, compact=True)
        yield Static("", classes="token-count", markup=False)

    def on_mount(self) -> None:
        self.recount()

    def read(self) -> str | None:
        text = self.query_one(TextArea).text
        return text if text.strip() else None

    def set_context(self, models: tuple[str, ...], language: str) -> None:
        """Count for these models' tokenizers in this language (recounts when they change)."""
        models = models or DEFAULT_MODELS
        if (models, language) != (self.models, self.language):
            self.models, self.language = models, language
            self.recount()

    def on_text_area_changed(self) -> None:
        self.recount()  # the event bubbles on to the field row, which updates the draft

    def recount(self) -> None:
        text = self.query_one(TextArea).text
        label = self.query_one(".token-count", Static)
        if not text:
            self.counts = []
            label.update("")
            return
        label.update(t("wizard.counting"))
        self._count(text, self.models, self.language, label)

    @work(thread=True, exclusive=True, group="count-tokens")
    def _count(self, text: str, models: tuple[str, ...], language: str, label: Static) -> None:
        # the label is taken on the main thread: by the time this thread runs the user may have
        # left the step and the box be gone (querying it here raised and ended the app)
        from estimators.tokens import Tokenizer, count_tokens, tokenizer_for

        worker = get_current_worker()
        families: dict[str, Tokenizer] = {}
        for model in models:
            tok = tokenizer_for(model)
            families.setdefault(tok.family, tok)
        counts = []
        for family, tok in families.items():
            def progress(done: int, total: int) -> None:
                if not worker.is_cancelled:
                    self.app.call_from_thread(label.update,
                                              f"{t('wizard.counting')} {done / total:.0%}")
            c = count_tokens(text, tok, language, progress)
            if worker.is_cancelled:
                return
            counts.append((family, c.tokens, c.exact))
        self.app.call_from_thread(self._show, counts)

    def _show(self, counts: list[tuple[str, int, bool]]) -> None:
        self.counts = counts
        parts = [f"{'=' if exact else '~'}{n:,} {family}" for family, n, exact in counts]
        for label in self.query(".token-count").results(Static):  # none once the box is gone
            label.update(f"{t('wizard.tokens')}: " + " · ".join(parts))
