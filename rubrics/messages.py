"""Every sentence the core writes, as a message key with arguments (DESIGN §10).

The core produces `Message(key, args)`; `render(message, lang)` looks the key up in the language's
table (`data/messages.en.toml`, `data/messages.zh.toml`) and fills the `str.format`-style named
fields. Numbers go through `rubrics.numbers` (format specs `money`, `amount`, `amount1` or any
Python spec). An argument may itself be a message (as `{"key": ..., "args": ...}`) or a list of
them: they are rendered in the same language, lists joined with the language's separator.

Records store the English text and, next to it, the messages as data, so a record made in one
language can be rendered in the other.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from estimators.safefile import read_toml
from rubrics.numbers import number

LANGUAGES = ("en", "zh")
_DATA = Path(__file__).parent / "data"
_TABLE_LIMIT = 1_000_000
_SEPARATOR = {"en": ", ", "zh": "、"}


@dataclass(frozen=True)
class Message:
    """One sentence as data: a template key and its arguments (plain JSON values)."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return render(self, "en")

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "args": {k: _json(v) for k, v in self.args.items()}}


def msg(key: str, **args: Any) -> Message:
    """A message: `msg("verdict.stop.all_excluded")`, `msg("plain", text=note)`."""
    return Message(key, args)


def plain(text: str) -> Message:
    """Text that is not a sentence of the core (user text, data from a source): shown as is."""
    return Message("plain", {"text": text})


def _json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, Sentence):
        return value.message.to_json()
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def from_json(data: Any) -> Message | None:
    """A stored message, or None when `data` is not one (an old or damaged record)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("key"), str):
        return None
    args = data.get("args", {})
    return Message(data["key"], dict(args) if isinstance(args, Mapping) else {})


@cache
def table(lang: str) -> dict[str, str]:
    """The templates of one language, by key."""
    from rubrics.spec_fields import FIELDS  # spec field labels are declared once, there

    data = read_toml(_DATA / f"messages.{lang}.toml", _TABLE_LIMIT)
    # `input.<path>` names an economic input (a driver); records store the key, so old records
    # render with today's label. Drivers are listed in lower case, like `success rate (p)`.
    return {str(k): str(v) for k, v in data.items()} | {
        f"input.{f.path}": f.label(lang)[:1].lower() + f.label(lang)[1:] for f in FIELDS
        if f.kind == "num"}


class _Formatter(string.Formatter):
    """`str.format` with nested messages, lists and the number rules of `rubrics.numbers`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, (Message, Sentence)):
            return say(value, self.lang)
        if isinstance(value, Mapping) and (m := from_json(value)) is not None:
            return render(m, self.lang)
        if isinstance(value, (list, tuple)):
            return _SEPARATOR[self.lang].join(self.format_field(v, format_spec) for v in value)
        return number(value, format_spec, self.lang)


def render(message: Message, lang: str = "en") -> str:
    """The message as a sentence in `lang` (English when the key is missing from that table;
    the key itself, with its arguments, when no table knows it)."""
    lang = lang if lang in LANGUAGES else "en"
    template = table(lang).get(message.key) or table("en").get(message.key)
    if template is None:
        return f"{message.key} {dict(message.args)}"
    try:
        return _Formatter(lang).vformat(template, (), dict(message.args))
    except (KeyError, ValueError, TypeError, IndexError):  # a damaged stored argument
        return f"{message.key} {dict(message.args)}"


class Sentence(str):
    """A core sentence kept as its English text, so that records and `--json` store a plain
    string as before, which still carries its message for `say` to render in any language."""

    message: Message

    def __new__(cls, message: Message) -> Sentence:
        said = super().__new__(cls, render(message, "en"))
        said.message = message
        return said

    def __reduce__(self) -> tuple[type[Sentence], tuple[Message]]:
        """Copies and pickles are made from the message (dataclasses.asdict deep-copies)."""
        return Sentence, (self.message,)


def sentence(key: str, **args: Any) -> Sentence:
    """`msg(key, **args)` as a `Sentence`."""
    return Sentence(Message(key, args))


def say(value: Message | str, lang: str = "en") -> str:
    """A message or a `Sentence` in `lang`; any other text (data, user text) as is."""
    if isinstance(value, Message):
        return render(value, lang)
    if isinstance(value, Sentence):
        return render(value.message, lang)
    return value


def text(key: str, lang: str = "en", **args: Any) -> str:
    """A label or sentence by key, in `lang`."""
    return render(Message(key, args), lang)


def labels(lang: str, *keys: str) -> list[str]:
    """Labels or table headers by key, in `lang`."""
    return [text(k, lang) for k in keys]


def named(prefix: str, value: str, lang: str = "en") -> str:
    """The word for `value` under `prefix` (`action.pause`, `alt.rules only`) in `lang`, or
    `value` itself when no table has one (a name from the user or from a newer version)."""
    key = f"{prefix}.{value}"
    return text(key, lang) if key in table("en") else value


def sentences(stored: Any, messages: Any, lang: str) -> tuple[list[str], bool]:
    """A record's sentences in `lang`: the stored messages rendered, or, for English and for an
    old record without messages, the stored English text. The flag says English text stood in
    for a missing Chinese rendering."""
    said = [str(s) for s in stored] if isinstance(stored, list) else []
    if lang == "en":
        return said, False
    found = [from_json(m) for m in messages] if isinstance(messages, list) else []
    if len(found) != len(said) or any(m is None for m in found):
        return said, bool(said)
    return [render(m, lang) for m in found if m is not None], False


def fields(template: str) -> set[tuple[str, str]]:
    """The named fields of a template with their format specs (for the parity test)."""
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template)
            if name is not None}


def detect_language(flag: str | None = None, environ: Mapping[str, str] | None = None,
                    preferred: str | None = None) -> str:
    """`--lang` wins; else `preferred` (a spec's `[output] lang`, chosen for this feature);
    else the first locale variable that is set decides (zh* -> Chinese); else English."""
    if flag in LANGUAGES:
        return flag
    if preferred in LANGUAGES:
        return preferred
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var)
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
