"""rubrics.mdtext: user text shown safely on a terminal, in JSON and in Markdown."""

from __future__ import annotations

import json
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from rubrics.mdtext import UNSAFE, json_escaped, md_code, md_text, visible

# GFM as the export's readers see it: tables, strikethrough and bare-URL links (linkify).
MD = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
# Text with the characters Markdown, HTML, URLs and terminals care about, mixed with any other.
MARKUP = st.text(alphabet=st.sampled_from(list("<>[]()!*_`~#|\\&;:/.@-+=0123456789 \n\r\tawwh"
                                               "ps\x1b\x07\x9b\u202e")) | st.characters(),
                 max_size=60)
# Where exports put user text, and what a reader sees there besides it.
CONTEXTS = (("{}", ""), ("- {}", ""), ("# {}", ""), ("Task: {}", "Task: "),
            ("| a | b |\n|---|---|\n| x | {} |", "abx"))
MARKUP_TOKENS = {"html_block", "html_inline", "link_open", "image", "em_open", "strong_open",
                 "s_open", "code_inline", "fence", "code_block", "ordered_list_open", "hr",
                 "blockquote_open"}


def shown(source: str) -> tuple[str, set[str]]:
    """The text a reader of the rendered `source` sees, and the kinds of tokens it parsed to."""
    tokens = MD.parse(source)
    inline = [c for t in tokens if t.type == "inline" for c in t.children or []]
    text = "".join(c.content if c.type in ("text", "code_inline") else "\n" for c in inline
                   if c.type in ("text", "code_inline", "softbreak", "hardbreak"))
    return text, {t.type for t in tokens} | {c.type for c in inline}


def expected(text: str) -> str:
    return visible(re.sub(r"\r\n|\r|\n", " ", text)).strip()


@settings(max_examples=400, deadline=None)
@given(MARKUP)
@example("<script>alert(1)</script>")
@example("[x](http://e) <http://e> www.e.com a@b.co http://e //localhost")
@example("1. item")
@example("- - x")
@example("-- -")
@example("+ x")
@example("title #")
@example("&amp; &#65; \\| \\")
@example("x\n===")
@example("    indented")
@example("\u00b8.AC")  # linkify reads any non-punctuation character as part of a host
def test_markdown_escape_shows_the_same_characters_and_no_markup(text: str) -> None:
    escaped = md_text(text)
    assert "\n" not in escaped and not UNSAFE.search(escaped)
    for context, before in CONTEXTS:
        source = context.format(escaped)
        seen, kinds = shown(source)
        lists = 1 if context.startswith("- ") else 0
        assert not kinds & MARKUP_TOKENS, (source, kinds)
        assert sum(t.type == "list_item_open" for t in MD.parse(source)) == lists, source
        assert seen.strip() == (before + expected(text)).strip(), (source, seen)


@given(st.text(max_size=40))
def test_json_escape_round_trips_and_leaves_nothing_raw(text: str) -> None:
    out = json_escaped(json.dumps({"t": text}, ensure_ascii=False))
    assert not UNSAFE.search(out) and json.loads(out) == {"t": text}


def test_visible_stand_ins() -> None:
    seen = visible("a\x1b]0;t\x07b\x9b2J\u202ec\x7f\n\t")
    assert seen == "a\u241b]0;t\u2407b\ufffd2J\ufffdc\u2421\n\t"


def test_code_spans_only_for_plain_identifiers() -> None:
    assert md_code("2026-01-01-x") == "`2026-01-01-x`"
    assert md_code("a`b|c") == "a\\`b\\|c"
