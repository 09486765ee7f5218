"""The dialog that starts a scoping: from the bundled example, blank, or a saved draft."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui import i18n
from tui.i18n import t
from tui.plain import notify, plain
from tui.steps import WIZARD_KEY

MAX_DRAFTS_LISTED = 8


@dataclass(frozen=True)
class StartChoice:
    data: dict[str, Any]
    draft_path: Path  # where the wizard keeps this draft


def example_data() -> dict[str, Any]:
    """The bundled example as wizard data: prompt files inlined so the spec stands alone."""
    from rubrics.examples import EXAMPLE_EVALS, EXAMPLE_SPEC
    from rubrics.spec import load_spec, prompt_texts

    spec = load_spec(EXAMPLE_SPEC)
    data = spec.to_toml_dict()
    prompt = data.setdefault("prompt", {})
    for part, text in prompt_texts(spec, EXAMPLE_SPEC.parent).items():
        prompt.pop(f"{part}_file", None)
        prompt[f"{part}_text"] = text
    data[WIZARD_KEY] = {"evals_csv": str(EXAMPLE_EVALS)}
    return data


@dataclass(frozen=True)
class Draft:
    path: Path
    data: dict[str, Any]
    error: str | None = None  # why it cannot be resumed (it is listed anyway, with this)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # gone since the folder was listed: it sorts last and reads as an error
        return 0.0


def read_draft(path: Path) -> Draft:
    """A draft file read like any file from outside: bounded (by the size of a spec, which it
    becomes with its prompt texts inlined), regular files only, TOML errors with their line."""
    from estimators.errors import InputError
    from estimators.safefile import read_toml
    from rubrics.spec import MAX_SPEC_BYTES

    try:
        return Draft(path, read_toml(path, MAX_SPEC_BYTES))
    except InputError as e:
        return Draft(path, {}, e.message + (f" ({e.where})" if e.where else ""))


def read_drafts(folder: Path) -> list[Draft]:
    """The newest drafts; unreadable ones too, with their error, so none goes missing unseen."""
    try:
        paths = sorted(folder.glob("*.toml"), key=_mtime, reverse=True)
    except OSError:  # no drafts/ yet, or it cannot be listed
        return []
    return [read_draft(p) for p in paths[:MAX_DRAFTS_LISTED]]


def new_draft_path(folder: Path, now: dt.datetime) -> Path:
    """A fresh draft file name from the clock (suffixed when two start in one second)."""
    base = now.strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"{base}.toml", 2
    while path.exists():
        path, n = folder / f"{base}-{n}.toml", n + 1
    return path


class StartDialog(ModalScreen[StartChoice | None]):
    """Choose the starting point of a new scoping."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: the option list's own (hidden) Enter would keep this one out of the footer
        Binding("enter", "choose", "start.choose", id="start.choose", priority=True),
        Binding("delete,d", "delete", "start.delete", id="start.delete"),
        Binding("escape", "cancel", "key.close", id="start.cancel"),
    ]

    def __init__(self, drafts_folder: Path) -> None:
        super().__init__()
        i18n.localize(self)
        self.folder = drafts_folder
        self.drafts = read_drafts(drafts_folder)

    def compose(self) -> ComposeResult:
        options = [Option(t("start.example"), id="example"), Option(t("start.blank"), id="blank")]
        for i, d in enumerate(self.drafts):
            if d.error:
                prompt = plain(t("start.draft_error", file=d.path.name, error=d.error),
                               style="red", one_line=True)
            else:
                title = d.data.get("title") or t("start.untitled")
                prompt = plain(t("start.draft", title=title, file=d.path.name), one_line=True)
            options.append(Option(prompt, id=f"draft-{i}"))
        with Vertical(classes="dialog"):
            yield Static(t("start.title"), classes="dialog-title")
            yield OptionList(*options, id="start-options")
            if self.drafts:
                yield Static(t("start.delete_hint"), classes="dialog-intro", markup=False)
        yield Footer()

    def _highlighted_draft(self) -> Draft | None:
        """The draft under the cursor, if the cursor is on a draft."""
        options = self.query_one("#start-options", OptionList)
        if options.highlighted is None:
            return None
        choice = options.get_option_at_index(options.highlighted).id or ""
        return self.drafts[int(choice.removeprefix("draft-"))] if choice.startswith(
            "draft-") else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Delete is offered only on a draft (greyed in the footer elsewhere)."""
        if action == "delete":
            return self._highlighted_draft() is not None or None
        return True

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def action_choose(self) -> None:
        self.query_one("#start-options", OptionList).action_select()

    def action_delete(self) -> None:
        """Delete the highlighted draft file after a y/n question (its default is No)."""
        from tui.screens.confirm import ConfirmDialog

        draft = self._highlighted_draft()
        if draft is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(draft)

        self.app.push_screen(ConfirmDialog(t("start.delete_confirm", file=draft.path.name)),
                             answered)

    def _delete(self, draft: Draft) -> None:
        try:
            draft.path.unlink(missing_ok=True)
        except OSError as e:
            notify(self, t("start.not_deleted", file=draft.path.name, error=e.strerror or e),
                   severity="error")
            return
        options = self.query_one("#start-options", OptionList)
        options.remove_option(f"draft-{self.drafts.index(draft)}")
        notify(self, t("start.deleted", file=draft.path.name))
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        if choice.startswith("draft-"):
            draft = self.drafts[int(choice.removeprefix("draft-"))]
            if draft.error:
                notify(self, t("start.unreadable", file=draft.path.name, error=draft.error),
                       severity="error")
            else:
                self.dismiss(StartChoice(draft.data, draft.path))
            return
        data = example_data() if choice == "example" else {}
        self.dismiss(StartChoice(data, new_draft_path(self.folder, dt.datetime.now())))

    def action_cancel(self) -> None:
        self.dismiss(None)
