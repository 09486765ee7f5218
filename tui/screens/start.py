"""The dialog that starts a scoping: from the bundled example, blank, or a saved draft."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui import i18n
from tui.i18n import t
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


def read_drafts(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Readable drafts, newest first (an unreadable one is skipped: it is only a draft)."""
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.toml"), key=lambda p: p.stat().st_mtime, reverse=True):
        try:
            out.append((path, tomllib.loads(path.read_text("utf-8"))))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
    return out[:MAX_DRAFTS_LISTED]


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
        Binding("escape", "cancel", "key.close", id="start.cancel"),
    ]

    def __init__(self, drafts_folder: Path) -> None:
        super().__init__()
        i18n.localize(self)
        self.folder = drafts_folder
        self.drafts = read_drafts(drafts_folder)

    def compose(self) -> ComposeResult:
        options = [Option(t("start.example"), id="example"), Option(t("start.blank"), id="blank")]
        for i, (path, data) in enumerate(self.drafts):
            title = data.get("title") or t("start.untitled")
            options.append(Option(t("start.draft", title=title, file=path.name), id=f"draft-{i}"))
        with Vertical(classes="dialog"):
            yield Static(t("start.title"), classes="dialog-title")
            yield OptionList(*options, id="start-options")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id or ""
        if choice.startswith("draft-"):
            path, data = self.drafts[int(choice.removeprefix("draft-"))]
            self.dismiss(StartChoice(data, path))
            return
        data = example_data() if choice == "example" else {}
        self.dismiss(StartChoice(data, new_draft_path(self.folder, dt.datetime.now())))

    def action_cancel(self) -> None:
        self.dismiss(None)
