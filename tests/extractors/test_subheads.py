"""Subheads: a heading in the body, or a paragraph all bold, kept as a subhead."""

from __future__ import annotations

import pytest

from core.records import Extracted, RawPage
from extractors.extract import extract_page
from tests.conftest import FIXTURES

REAL_ZH = FIXTURES / "real" / "zh_china_2023_newspaper4k.html"


def with_body(paragraphs: str) -> bytes:
    """The real Chinese page with its body's paragraphs replaced by ``paragraphs``."""
    html = REAL_ZH.read_text(encoding="utf-8")
    start = html.index("<p><strong>中美合作共赢是大势所趋</strong></p>")
    end = html.index("<p>（编辑：严玉洁 王辉）</p>")
    return (html[:start] + paragraphs + html[end:]).encode()


@pytest.mark.parametrize(
    ("markup", "subheads"),
    [
        ("<h2>数字经济</h2><p>正文。</p>", ("数字经济",)),
        ("<h3>Second heading</h3><p>Text.</p>", ("Second heading",)),
        ("<p><b>一、总体要求</b></p><p>正文。</p>", ("一、总体要求",)),
        ("<p><strong><span>合作共赢</span></strong></p><p>正文。</p>", ("合作共赢",)),
        # Bold within a paragraph, or a bold sentence, is text.
        ("<p>他说<strong>合作</strong>是大势。</p>", ()),
        ("<p><strong>这是一整句加粗的话。</strong></p>", ()),
        ("<p><strong>加粗</strong>之后还有字</p>", ()),
        ("<p><strong>第一行<br>第二行</strong></p>", ()),
    ],
)
def test_a_subhead_is_kept_in_its_place_and_marked(markup, subheads):
    outcome = extract_page(RawPage("zh.html", with_body(markup)))
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
    article = outcome.article
    assert article.subheads == subheads
    assert all(s in article.paragraphs for s in subheads)  # where it stands in the body
    assert article.paragraphs[0] != "" and "<" not in article.body


def test_the_real_pages_subheads_stand_before_their_sections():
    outcome = extract_page(RawPage(str(REAL_ZH), REAL_ZH.read_bytes()))
    assert isinstance(outcome, Extracted)
    paragraphs = outcome.article.paragraphs
    first, second = (paragraphs.index(s) for s in outcome.article.subheads)
    assert 0 < first < second < len(paragraphs) - 1
