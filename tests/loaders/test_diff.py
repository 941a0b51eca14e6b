"""The diff of two versions: words for English, characters for Chinese, escaped, readable."""

from __future__ import annotations

import re
import time

from markupsafe import Markup

from loaders.datasette_app.atom import Entry, atom_feed, rfc3339
from loaders.datasette_app.diff import (
    MAX_TOKENS,
    body_diff,
    inline_diff,
    tokens,
    version_diff,
)


def marks(html: str, tag: str) -> list[str]:
    return re.findall(f"<{tag}>(.*?)</{tag}>", html, re.S)


def test_tokens_are_words_spaces_punctuation_and_single_han_characters() -> None:
    text = "LightGen是all-optical芯片，2025年  ok"
    assert tokens(text) == [
        "LightGen", "是", "all", "-", "optical", "芯", "片", "，", "2025", "年", "  ", "ok",
    ]  # fmt: skip
    assert "".join(tokens(text)) == text
    assert tokens("𠀀𠀁") == ["𠀀", "𠀁"]  # an extension-B character is a character too


def test_english_is_marked_word_by_word() -> None:
    html = inline_diff(
        "Shanghai Jiao Tong University announced a breakthrough in computing",
        "Shanghai Jiao Tong University unveiled a major advance in computing",
    )
    assert marks(html, "del") == ["announced", "breakthrough"]
    assert marks(html, "ins") == ["unveiled", "major advance"]
    assert html.startswith("Shanghai Jiao Tong University <del>")


def test_neighbouring_changed_words_read_as_one_phrase() -> None:
    html = inline_diff("the quick brown fox jumps", "the slow red fox jumps")
    assert html == "the <del>quick brown</del><ins>slow red</ins> fox jumps"


def test_chinese_is_marked_character_by_character() -> None:
    html = inline_diff(
        "在美国旧金山举行的中美元首会晤吸引了全世界的目光。",
        "在美国旧金山举行的中美元首会晤吸引了全球的目光。",
    )
    assert html == "在美国旧金山举行的中美元首会晤吸引了全<del>世界</del><ins>球</ins>的目光。"


def test_a_rewritten_text_is_shown_deleted_and_inserted_whole() -> None:
    html = inline_diff("Old headline about the summit", "完全不同的标题")
    assert html == "<del>Old headline about the summit</del><ins>完全不同的标题</ins>"


def test_markup_in_article_text_stays_text() -> None:
    html = inline_diff(
        "A reader wrote <script>alert(1)</script> here.",
        "A reader wrote <script>alert(2)</script><img src=x onerror=alert(3)> here.",
    )
    assert isinstance(html, Markup)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(" in html
    assert set(re.findall(r"<(/?\w+)", html)) <= {"del", "/del", "ins", "/ins"}
    # Text that looks like the marks cannot forge one.
    forged = inline_diff("plain text", "plain <ins>text</ins>")
    assert "&lt;ins&gt;" in forged and marks(forged, "ins") == ["&lt;ins&gt;", "&lt;/ins&gt;"]


def test_the_body_shows_changed_paragraphs_with_a_little_context() -> None:
    old = "\n\n".join(f"Paragraph {i} says something." for i in range(12))
    new = old.replace("Paragraph 6 says something.", "Paragraph 6 says something else.")
    lines = body_diff(old, new)
    assert [(line.kind, line.skipped) for line in lines] == [
        ("gap", 5), ("same", 0), ("changed", 0), ("same", 0), ("gap", 4),
    ]  # fmt: skip
    assert lines[1].html == "Paragraph 5 says something."
    assert marks(lines[2].html, "ins") == [" else"]
    assert body_diff(old, old) == []


def test_paragraphs_added_and_removed_are_whole() -> None:
    old = "First paragraph stays.\n\nA paragraph the site took out entirely.\n\nLast one."
    new = "First paragraph stays.\n\nLast one.\n\nA new closing paragraph, <b>added</b>."
    kinds = [(line.kind, str(line.html)) for line in body_diff(old, new)]
    assert ("removed", "<del>A paragraph the site took out entirely.</del>") in kinds
    assert ("added", "<ins>A new closing paragraph, &lt;b&gt;added&lt;/b&gt;.</ins>") in kinds


def test_a_huge_paragraph_is_not_compared_token_by_token() -> None:
    old = "word " * (MAX_TOKENS * 4)
    new = old + "more"
    start = time.perf_counter()
    html = inline_diff(old, new)
    assert time.perf_counter() - start < 1
    assert html.startswith("<del>") and "<ins>" in html


def test_version_diff_lists_the_changed_fields_in_page_order() -> None:
    old = {"title": "A title", "author": "ZHOU WENTING", "published": "2025-12-20T08:29:00+08:00",
           "section": "Innovation", "source": None, "body": "One.\n\nTwo."}  # fmt: skip
    new = {**old, "title": "A new title", "source": "CHINA DAILY", "body": "One.\n\nTwo!"}
    diffs = version_diff(old, new)
    assert [d.name for d in diffs] == ["title", "source", "body"]
    assert [d.label for d in diffs] == ["Title", "Source", "Body"]
    assert diffs[0].inline == "A <ins>new </ins>title"
    assert diffs[1].inline == "<ins>CHINA DAILY</ins>"
    assert [p.kind for p in diffs[2].paragraphs] == ["same", "changed"]
    assert version_diff(old, dict(old)) == []


def test_the_atom_writer_escapes_and_drops_what_xml_cannot_hold() -> None:
    import feedparser

    entry = Entry(
        id="http://127.0.0.1/wic/articles/a#change-e1",
        title="Edited: <script>alert(1)</script> \x0b\x02 & more",
        updated="2026-01-05T10:11:12.345+00:00",
        link="http://127.0.0.1/wic/articles/a#version-2",
        summary="Version 2: changed body.",
        content_html="<p>a <del>b</del><ins>c</ins></p>",
    )
    xml = atom_feed("http://127.0.0.1/wic/-/changes.atom", "Changes",
                    "http://127.0.0.1/wic/-/changes.atom", "http://127.0.0.1/wic/-/changes",
                    [entry])  # fmt: skip
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    (item,) = parsed.entries
    assert item.title == "Edited: <script>alert(1)</script>  & more"
    assert item.content[0].value == "<p>a <del>b</del><ins>c</ins></p>"
    assert item.updated == "2026-01-05T10:11:12.345Z"
    assert rfc3339("2026-01-05T10:11:12") == "2026-01-05T10:11:12Z"
    assert rfc3339("not a date") == "1970-01-01T00:00:00Z"
