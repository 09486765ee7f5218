"""User text made safe to show: terminal controls made visible, JSON with every control escaped,
and Markdown escaped so a title, a model name or a price source is always plain text.

User text (titles, need texts, notes, model names from eval files, a feed's `source`) may hold
terminal escapes (ESC ]0; retitles the window, CSI 2J clears the screen), bidi overrides that
reorder what is shown, and Markdown or HTML that a renderer would turn into links or scripts.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (U+0080-U+009F: U+009B is a one-byte CSI
# to many terminals), and the bidi embeddings, overrides and isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Backslash-escaped everywhere: emphasis, code, links, HTML and autolinks, headings, tables,
# strikethrough and entity references; `_` only where it could emphasize, not inside a word
# (CommonMark never reads snake_case as emphasis, and field names stay readable).
_MD_PUNCT = re.compile(r"[\\`*\[\]<>#|~&]|(?<![^\W_])_|_(?![^\W_])")
# What GFM and linkify would turn into a link without any bracket: `scheme://`, `//host`,
# `www.x`, `name.tld` and `user@host.tld`: every dot before a letter, since linkify takes any
# character that is not punctuation or space as part of a host (`¸.ac` is a link to it).
_MD_AUTOLINK = re.compile(r"(?<=[^\W_]):(?=/)|/(?=/)|\.(?=[^\W\d_])")
# A block marker at the start of text placed after `- ` would open a nested list (`- `, `+ `,
# `1. `, `1) `) or draw a rule (`---`).
_MD_LEADING = re.compile(r"^(?:(?P<mark>-(?=[\s-]|$)|\+(?=\s|$))"
                         r"|(?P<number>\d{1,9})(?P<end>[.)])(?=\s|$))")
_PLAIN_CODE = re.compile(r"[A-Za-z0-9._:/@+-]*")


def _stand_in(char: str) -> str:
    """A visible stand-in for one unsafe character: its Unicode control picture (␛ for ESC,
    ␡ for DEL) where there is one, else the replacement character."""
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    return "\u2421" if code == 0x7F else "\ufffd"


def visible(text: str) -> str:
    """`text` with every terminal control replaced by a visible stand-in (newline and tab kept)."""
    return UNSAFE.sub(lambda m: _stand_in(m.group()), text)


def json_escaped(text: str) -> str:
    """JSON text with DEL, C1 and bidi controls written as \\uXXXX escapes too.

    `json.dumps(..., ensure_ascii=False)` escapes C0 controls in strings but leaves the others
    raw; outside strings JSON holds only ASCII punctuation and whitespace, so replacing them
    anywhere in the text is the same as escaping them in their strings: the data round-trips.
    """
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Markdown(str):
    """Text already written as Markdown (any user text in it escaped): used as it is."""


def md_text(text: object) -> Markdown:
    """User text as one line of plain Markdown text: shown as the same characters by any
    CommonMark or GFM renderer, never as HTML, a link, emphasis, a heading or a table cell
    border. Line breaks become spaces, controls visible stand-ins, ends are trimmed."""
    if isinstance(text, Markdown):
        return text
    line = visible(_LINE_BREAK.sub(" ", str(text))).strip()
    line = _MD_PUNCT.sub(lambda m: "\\" + m.group(), line)
    line = _MD_AUTOLINK.sub(lambda m: "\\" + m.group(), line)
    return Markdown(_MD_LEADING.sub(_escape_leading, line, count=1))


def _escape_leading(m: re.Match[str]) -> str:
    return "\\" + m["mark"] if m["mark"] else f"{m['number']}\\{m['end']}"


def md_code(text: object) -> Markdown:
    """An identifier as a code span when it is plain (letters, digits, `._:/@+-`), else as
    escaped text: a backtick or pipe in it could not end or split anything then."""
    s = str(text)
    return Markdown(f"`{s}`") if s and _PLAIN_CODE.fullmatch(s) else md_text(s)
