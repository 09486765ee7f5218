"""Form rows for the wizard: a label, a control for one spec field, and its validation message.

Controls read what the person typed into plain data (numbers, ranges, lists). Text that is not a
number is passed through unchanged so the spec's pydantic models can say what is allowed.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from tui.i18n import field_label, t
from tui.plain import clean, plain
from tui.steps import FieldDef

RANGE_KEYS = ("low", "likely", "high")


def parse_number(text: str) -> float | str | None:
    """'1,200' -> 1200.0, '20%' -> 0.2, '' -> None; anything else is returned as typed."""
    s = text.strip().replace(",", "").replace("_", "")
    if not s:
        return None
    percent = s.endswith("%")
    try:
        x = float(s[:-1] if percent else s)
    except ValueError:
        return text.strip()
    return x / 100 if percent else x


def parse_int(text: str) -> int | float | str | None:
    x = parse_number(text)
    return int(x) if isinstance(x, float) and x.is_integer() else x


def fmt_number(x: Any) -> str:
    """A number as a person would type it back (no float noise, no exponent for counts)."""
    if x is None:
        return ""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


class NumberRange(Widget):
    """A number or a { low, likely, high } range: three inputs, low and high optional."""

    DEFAULT_CSS = """
    NumberRange { height: 1; layout: horizontal; width: 1fr; }
    NumberRange Input { width: 1fr; min-width: 11; margin-right: 1; }  /* 10 digits + cursor */
    """

    def __init__(self, value: Any, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._dist = value.get("dist") if isinstance(value, dict) else None
        if isinstance(value, dict):
            self._initial = {k: fmt_number(value.get(k)) for k in RANGE_KEYS}
        else:
            self._initial = {"low": "", "likely": fmt_number(value), "high": ""}

    def compose(self) -> ComposeResult:
        for key in RANGE_KEYS:
            yield Input(clean(self._initial[key], one_line=True), placeholder=t(f"range.{key}"),
                        compact=True, classes=f"range-{key}")

    def read(self) -> Any:
        parts = {k: parse_number(self.query_one(f".range-{k}", Input).value) for k in RANGE_KEYS}
        if parts["low"] is None and parts["high"] is None:
            return parts["likely"]
        out: dict[str, Any] = {k: v for k, v in parts.items() if v is not None}
        if self._dist:
            out["dist"] = self._dist
        return out


class FieldRow(Vertical):
    """One labelled field; posts `Edited` whenever its control changes."""

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow > Horizontal { height: auto; }
    FieldRow .field-label { width: 24; padding-right: 1; }
    FieldRow .field-error { color: $text-error; padding-left: 24; display: none; }
    FieldRow .field-error.-shown { display: block; }
    FieldRow Input, FieldRow Select { width: 1fr; }
    /* the model list takes the pane's whole width, so long model ids are shown whole */
    FieldRow.kind-models > Horizontal { layout: vertical; }
    FieldRow.kind-models .field-label { width: 1fr; }
    """

    class Edited(Message):
        def __init__(self, row: FieldRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, field: FieldDef, value: Any, choices: tuple[str, ...] = ()) -> None:
        super().__init__(classes=f"kind-{field.kind}")
        self.field = field
        self.value = value
        self.choices = choices or field.choices

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(field_label(self.field.path), classes="field-label")
            yield self._control()
        yield Static("", classes="field-error", markup=False)

    def _control(self) -> Widget:
        kind, value = self.field.kind, self.value
        if kind == "num":
            return NumberRange(value, id="control")
        # a draft is any TOML (`title = 5`, `candidates = "x"`): each control shows what is there
        if kind == "bool":
            return Select([(t("wizard.yes"), True), (t("wizard.no"), False)],
                          value=value if isinstance(value, bool) else Select.NULL, compact=True,
                          id="control")
        if kind == "choice":
            return Select([(plain(c, one_line=True), c) for c in self.choices],
                          value=value if value in self.choices else Select.NULL, compact=True,
                          id="control")
        if kind == "prompt":
            from tui.widgets.prompt_box import PromptBox

            return PromptBox(clean(fmt_number(value)), id="control")
        if kind == "models":
            from tui.widgets.model_picker import ModelPicker

            return ModelPicker(value if isinstance(value, list) else [], id="control")
        if kind == "list" and isinstance(value, list):
            text = ", ".join(map(fmt_number, value))
        else:
            text = fmt_number(value)
        return Input(clean(text, one_line=True), compact=True, id="control")

    def read(self) -> Any:
        """The field's value as spec data (None: leave it out and let the default apply)."""
        control = self.query_one("#control")
        kind = self.field.kind
        if isinstance(control, NumberRange) or kind in ("prompt", "models"):
            return control.read()  # type: ignore[attr-defined]
        if isinstance(control, Select):
            return None if control.value is Select.NULL else control.value
        assert isinstance(control, Input)
        if kind == "float":
            return parse_number(control.value)
        if kind == "int":
            return parse_int(control.value)
        if kind == "list":
            items = [s.strip() for s in control.value.split(",") if s.strip()]
            return items or None
        return control.value.strip() or None

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(plain(message or ""))
        error.set_class(bool(message), "-shown")
        self.set_class(bool(message), "-invalid")

    def set_replaced(self, replaced: bool) -> None:
        """Disable a *_tokens field while its prompt text gives the count."""
        control = self.query_one("#control")
        control.disabled = replaced
        if replaced:
            self.show_error(None)
            self.query_one(".field-label", Label).tooltip = t("wizard.text_replaces")

    def _edited(self) -> None:
        self.post_message(self.Edited(self))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._edited()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._edited()

    def on_text_area_changed(self, event: Message) -> None:
        event.stop()
        self._edited()

    def on_model_picker_changed(self, event: Message) -> None:
        event.stop()
        self._edited()
