"""The wizard: one step per spec section, validated by the spec's own models as the person types.

The draft (spec data plus the wizard's settings) is written to the workspace's drafts/ folder a
moment after each edit; Finish writes the spec as TOML and opens the results.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from tui import i18n
from tui.i18n import field_help, t
from tui.plain import notify, plain
from tui.screens.commands import Entry, ScreenCommands
from tui.screens.record_view import display_path
from tui.steps import (
    LIST_ROOTS,
    STEP_NAMES,
    STEPS,
    WIZARD_KEY,
    FieldDef,
    get_path,
    set_path,
    spec_data,
    step_of,
    template,
)
from tui.widgets.fields import FieldRow

SAVE_DELAY = 0.5  # seconds after the last edit before the draft is written
FIELD_STEP = {f.path: name for name, fields in STEPS.items() for f in fields}  # template paths


def field_for(loc: tuple[Any, ...]) -> str | None:
    """The wizard field that shows an error at a pydantic location (the longest matching path;
    a list item's field keeps its index: "kill_criteria.0.threshold")."""
    keys = [str(k) for k in loc]
    for n in range(len(keys), 0, -1):
        path = ".".join(keys[:n])
        if template(path) in FIELD_STEP:
            return path
    return None


def validate(data: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Errors by field path, and errors that belong to a step but to none of its fields."""
    from pydantic import ValidationError

    from rubrics.spec import Spec, describe_validation_error

    fields: dict[str, str] = {}
    steps: dict[str, list[str]] = {}
    try:
        Spec.model_validate(spec_data(data))
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(err["loc"])
            # said in the field's own words: its label, the value given, what is allowed
            problem = describe_validation_error(err, "", "", i18n.language())
            path = field_for(loc)
            if path is not None:
                fields.setdefault(path, problem.message)
            else:
                steps.setdefault(step_of(loc), []).append(str(problem))
    evals = get_path(data, f"{WIZARD_KEY}.evals_csv")
    if evals and not (isinstance(evals, str) and Path(evals).expanduser().is_file()):
        fields[f"{WIZARD_KEY}.evals_csv"] = t("wizard.no_file")
    return fields, steps


def is_blank(data: dict[str, Any]) -> bool:
    """Whether a draft holds nothing the person entered: only the schema tag and the step it
    was on (what the wizard itself adds)."""
    own = data.get(WIZARD_KEY)
    return (set(data) <= {"schema", WIZARD_KEY}
            and (not isinstance(own, dict) or set(own) <= {"step"}))


def write_failure(e: OSError) -> str:
    """What stopped a write, as the CLI says it: the path, then the system's reason."""
    where = display_path(Path(e.filename)) + ": " if e.filename else ""
    return f"{where}{e.strerror or e}"


def save_spec(data: dict[str, Any], folder: Path, day: dt.date) -> Path:
    """Write the spec as TOML that `parse_spec` accepts, as a new file (never overwriting)."""
    import tomli_w

    from estimators.atomic import create_numbered
    from rubrics.record_store import slugify
    from rubrics.spec import Spec, parse_spec

    text = tomli_w.dumps(Spec.model_validate(spec_data(data)).to_toml_dict())
    base = f"{day.isoformat()}-{slugify(data['title'])}"
    # the file must load back exactly as the CLI will read it (checked once, before writing)
    parse_spec(text, str(folder / f"{base}.toml"))
    return create_numbered(folder, base, text.encode())


class WizardCommands(ScreenCommands):
    """Palette entries: every step by name, and the wizard's actions."""

    def entries(self) -> list[Entry]:
        screen = self.screen
        assert isinstance(screen, WizardScreen)
        out: list[Entry] = [(f"{t('step.' + n)} ({i + 1}/{len(STEP_NAMES)})",
                             partial(screen.go_to_step, i), t(f"intro.{n}"))
                            for i, n in enumerate(STEP_NAMES)]
        out += [(t("key.next"), screen.action_next, "Ctrl+N"),
                (t("key.back_step"), screen.action_back, "Ctrl+B"),
                (t("key.save_draft"), screen.action_save_draft, "Ctrl+S"),
                (t("key.finish"), screen.action_finish, ""),
                (t("key.leave"), screen.action_leave, "Esc")]
        return out



class WizardScreen(Screen[None]):
    """Edit a spec step by step; the draft is saved as you go."""

    COMMANDS: ClassVar = {WizardCommands}
    # below 80 columns labels go above their controls (app.tcss): a range needs 3 x 11 columns
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "key.next", id="wizard.next"),
        Binding("ctrl+b", "back", "key.back_step", id="wizard.back"),
        Binding("ctrl+s", "save_draft", "key.save_draft", id="wizard.save"),
        Binding("escape", "leave", "key.leave", id="wizard.leave"),
    ]

    def __init__(self, data: dict[str, Any], draft_path: Path) -> None:
        super().__init__()
        i18n.localize(self)
        self.data = data
        self.data["schema"] = "scopecard.spec/1"
        self.draft_path = draft_path
        saved_step = get_path(data, f"{WIZARD_KEY}.step")
        self.step = STEP_NAMES.index(saved_step) if saved_step in STEP_NAMES else 0
        self.errors: dict[str, str] = {}
        self.step_errors: dict[str, list[str]] = {}
        self._save_timer: Timer | None = None
        self._dirty = False
        self._save_error: str | None = None  # the last failed draft save's reason, said once

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="wizard-body"):
            yield OptionList(id="steps")
            with Vertical(id="step-pane"):
                yield Static("", id="step-title")
                yield Static("", id="step-intro")
                yield VerticalScroll(id="fields")
                yield Static("", id="step-errors", markup=False)
                yield Static("", id="field-help")
                with Horizontal(id="wizard-buttons"):
                    yield Button(t("wizard.back"), id="back", compact=True)
                    yield Button(t("wizard.next"), id="next", variant="primary", compact=True)
        yield Footer()

    async def on_mount(self) -> None:
        self.title = t("wizard.title")
        self.errors, self.step_errors = validate(self.data)
        self.query_one("#steps", OptionList).add_options(
            [Option(t(f"step.{n}"), id=n) for n in STEP_NAMES])
        await self.show_step(self.step)

    def _choices(self, field: FieldDef) -> tuple[str, ...]:
        if field.path == "scenario":
            from rubrics.scenarios import scenarios

            return tuple(scenarios())
        return field.choices

    def go_to_step(self, index: int) -> None:
        """Show step `index` (from the palette), in a worker like every step change."""
        self.run_worker(self.show_step(index))

    async def show_step(self, index: int) -> None:
        """Replace the form with step `index`, filled from the draft data."""
        self.step = index
        name = STEP_NAMES[index]
        fields = self.query_one("#fields", VerticalScroll)
        await fields.remove_children()
        rows: list[Widget] = [FieldRow(f, get_path(self.data, f.path), self._choices(f))
                              for f in STEPS[name] if "*" not in f.path]
        rows += [Vertical(*self._item_rows(root), id=f"items-{root}", classes="items")
                 for root in self._roots(name)]
        await fields.mount_all(rows)
        fields.scroll_home(animate=False)
        self.query_one("#step-title", Static).update(
            t("wizard.step", n=index + 1, total=len(STEP_NAMES), name=t(f"step.{name}")))
        self.query_one("#step-intro", Static).update(t(f"intro.{name}"))
        last = index == len(STEP_NAMES) - 1
        self.query_one("#next", Button).label = t("wizard.finish" if last else "wizard.next")
        self.query_one("#back", Button).disabled = index == 0
        self._show_errors()
        app: Any = self.app
        app.steady_cursors(fields)
        fields.query("Input, TextArea, Select, SelectionList").first().focus()
        self.query_one("#field-help", Static).update(t("wizard.help_hint"))

    @staticmethod
    def _roots(step: str) -> list[str]:
        """The lists whose items have fields on `step` (candidates, kill criteria)."""
        return [r for r in LIST_ROOTS if any(f.path.startswith(f"{r}.*.") for f in STEPS[step])]

    def _item_rows(self, root: str) -> list[Widget]:
        """A heading and the field rows of each item of list `root`; kill criteria can be
        added and removed here (candidates are chosen with the model picker)."""
        items = get_path(self.data, root)
        items = items if isinstance(items, list) else []
        fields = [f for f in STEPS[STEP_NAMES[self.step]] if f.path.startswith(f"{root}.*.")]
        out: list[Widget] = []
        for i, item in enumerate(items):
            model = item.get("model") if isinstance(item, dict) else None
            heading = plain(str(model), one_line=True) if root == "candidates" and model \
                else t(f"wizard.item.{root}", n=i + 1)
            out.append(Static(heading, classes="item-heading"))
            out += [FieldRow(f.at(i), get_path(self.data, f.at(i).path), self._choices(f))
                    for f in fields]
            if root == "kill_criteria":
                out.append(Button(t("wizard.remove"), id=f"remove-{root}-{i}", compact=True,
                                  classes="item-remove"))
        if root == "kill_criteria":
            out.append(Button(t("wizard.add.kill_criteria"), id=f"add-{root}", compact=True))
        return out

    async def _refresh_items(self, root: str) -> None:
        """Rebuild the item rows of list `root` after items came or went."""
        for box in self.query(f"#items-{root}").results(Vertical):
            await box.remove_children()
            await box.mount_all(self._item_rows(root))
        self._show_errors()

    def _rows(self) -> list[FieldRow]:
        return list(self.query(FieldRow))

    def _show_errors(self) -> None:
        """Messages next to the fields, step-level ones below them, marks in the step list."""
        name = STEP_NAMES[self.step]
        for row in self._rows():
            replaced_by = next((r for r in self._rows() if r.field.replaces == row.field.path),
                               None)
            if replaced_by is not None and get_path(self.data, replaced_by.field.path):
                row.set_replaced(True)
                continue
            if replaced_by is not None:
                row.set_replaced(False)
            row.show_error(self.errors.get(row.field.path))
        self.query_one("#step-errors", Static).update(
            plain("\n".join(self.step_errors.get(name, []))))
        steps = self.query_one("#steps", OptionList)
        bad = self._bad_steps()
        for n in STEP_NAMES:
            steps.replace_option_prompt(n, f"{'✗' if n in bad else '✓'} {t('step.' + n)}")
        steps.highlighted = self.step
        self._update_prompt_context()

    def _bad_steps(self) -> list[str]:
        bad = {FIELD_STEP[template(p)] for p in self.errors} | {
            s for s, m in self.step_errors.items() if m}
        return [n for n in STEP_NAMES if n in bad]

    def _update_prompt_context(self) -> None:
        from tui.widgets.prompt_box import PromptBox

        listed = self.data.get("candidates")
        models = tuple(c["model"] for c in listed if isinstance(c, dict)
                       and isinstance(c.get("model"), str)) if isinstance(listed, list) else ()
        language = get_path(self.data, "prompt.language") or "en"
        for box in self.query(PromptBox):
            box.set_context(models, language if language in ("en", "zh", "mixed") else "en")

    @on(FieldRow.Edited)
    async def _edited(self, event: FieldRow.Edited) -> None:
        value = event.row.read()
        if event.row.field.kind == "models":
            # a chosen model keeps the tier and price already given for it here
            listed = self.data.get("candidates")
            known = {c.get("model"): c for c in listed if isinstance(c, dict)} \
                if isinstance(listed, list) else {}
            value = [known.get(c["model"], c) for c in value] if value else None
        set_path(self.data, event.row.field.path, value)
        if event.row.field.kind == "models":
            await self._refresh_items("candidates")
        if event.row.field.replaces and get_path(self.data, event.row.field.path):
            set_path(self.data, event.row.field.replaces, None)
        elif event.row.field.replaces:
            replaced = next((r for r in self._rows() if r.field.path == event.row.field.replaces),
                            None)
            if replaced is not None:
                set_path(self.data, replaced.field.path, replaced.read())
        self.errors, self.step_errors = validate(self.data)
        self._show_errors()
        self._dirty = True
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(SAVE_DELAY, self._save)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        row = next((n for n in event.widget.ancestors_with_self if isinstance(n, FieldRow)), None)
        if row is not None:
            self.query_one("#field-help", Static).update(field_help(row.field.path))

    def _save(self) -> bool:
        """Write the draft atomically (only once something was edited). A draft with nothing
        entered is not kept: typing a letter and taking it back left an `untitled` draft. A
        workspace that cannot be written is said once per reason, not after every keystroke;
        the edits stay here."""
        if not self._dirty:
            return True
        import tomli_w

        from estimators.atomic import write_atomic

        try:
            if is_blank(self.data):
                self.draft_path.unlink(missing_ok=True)
                self._save_error = None
                return True
            set_path(self.data, f"{WIZARD_KEY}.step", STEP_NAMES[self.step])
            write_atomic(self.draft_path, tomli_w.dumps(self.data).encode())
        except OSError as e:
            if write_failure(e) != self._save_error:
                self._save_error = write_failure(e)
                notify(self, t("wizard.draft_not_saved", error=self._save_error),
                       severity="error", timeout=10)
            return False
        self._save_error = None
        return True

    def action_save_draft(self) -> None:
        self._dirty = True
        self._save_error = None  # asked for: say it again if it fails again
        if self._save():
            notify(self, t("wizard.draft_saved", path=display_path(self.draft_path)))

    async def action_next(self) -> None:
        if self.step == len(STEP_NAMES) - 1:
            await self.action_finish()
        else:
            await self.show_step(self.step + 1)

    async def action_back(self) -> None:
        if self.step > 0:
            await self.show_step(self.step - 1)

    async def action_finish(self) -> None:
        self.errors, self.step_errors = validate(self.data)
        bad = self._bad_steps()
        if bad:
            await self.show_step(STEP_NAMES.index(bad[0]))
            notify(self, t("wizard.has_errors", steps=", ".join(t(f"step.{n}") for n in bad)),
                   severity="error")
            return
        from tui.screens.results import ResultsScreen

        app: Any = self.app
        try:
            spec_path = save_spec(self.data, app.workspace.root / "specs", app.today)
        except OSError as e:
            notify(self, t("wizard.spec_not_saved", error=write_failure(e)), severity="error",
                   timeout=10)
            return
        # the draft became the spec: a save still pending must not bring it back
        if self._save_timer is not None:
            self._save_timer.stop()
        self._dirty = False
        self.draft_path.unlink(missing_ok=True)
        evals = get_path(self.data, f"{WIZARD_KEY}.evals_csv")
        await self.app.switch_screen(ResultsScreen(
            spec_path=spec_path, evals_csv=Path(evals).expanduser() if evals else None))

    def action_leave(self) -> None:
        self._save()
        self.app.pop_screen()

    async def _change_items(self, button: str) -> None:
        """Add a kill criterion (`add-kill_criteria`) or remove one (`remove-kill_criteria-N`)."""
        action, root, *index = button.split("-")
        items = get_path(self.data, root)
        items = list(items) if isinstance(items, list) else []
        if action == "add":
            items.append({})  # the rows say what each field needs
        elif index and int(index[0]) < len(items):
            del items[int(index[0])]
        set_path(self.data, root, items or None)
        self.errors, self.step_errors = validate(self.data)
        await self._refresh_items(root)
        self._dirty = True
        self._save()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id and event.button.id.startswith(("add-", "remove-")):
            await self._change_items(event.button.id)
        elif event.button.id == "next":
            await self.action_next()
        elif event.button.id == "back":
            await self.action_back()

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "steps" and event.option_index != self.step:
            await self.show_step(event.option_index)
