"""extract_page on the seed and on bad input: an article or a Failed, never a raise."""

import os

import pytest

from core.records import Extracted, Failed, RawPage
from extractors.extract import extract_page
from tests.conftest import BAD, SAVED

FORBIDDEN_IN_BODY = (
    "Copyright", "ICP", "Tel:", "Fax:", "Email:", "QQ:", "Home > News", "[Photo/IC]",
    "Cyberspace Administration",
)  # fmt: skip


def test_seed_page_becomes_the_expected_article(seed):
    outcome = extract_page(RawPage(str(seed), seed.read_bytes()))
    assert isinstance(outcome, Extracted)
    article = outcome.article
    assert article.title == "Exploit Internet to empower the country"
    assert (article.site, article.source, article.section) == (
        "wicwuzhen.cn", "chinadaily.com.cn", "News",
    )  # fmt: skip
    assert article.published.startswith("2015-12-15")
    assert len(article.paragraphs) == 11
    assert article.body.startswith("The city of Wuzhen")
    assert article.body.endswith("can China become an Internet power.")
    for text in FORBIDDEN_IN_BODY:
        assert text not in article.body
    assert len(article.images) == 1
    assert article.images[0].caption.startswith("A big electronic screen")
    assert article.images[0].credit == "IC"
    assert len(article.organizers) == 10
    assert article.organizers[5] == "Secretariat of World Internet Conference (Preparatory Office)"
    assert {line.kind for line in article.removed} >= {"copyright", "icp", "contact"}
    for line in article.removed:
        assert line.text not in article.body


@pytest.mark.parametrize(
    ("name", "stage", "reason"),
    [
        ("empty.txt", "decode", "the file is empty"),
        ("photo_saved_as.html", "decode", "PNG image, not a saved web page"),
        ("unknown_layout.txt", "extract", "unknown layout: this text save matches none"),
        ("navigation_only.html", "extract", "generic extractor (trafilatura) found no"),
        ("truncated.html", "extract", "stops without closing </html>"),
        ("no_byline.txt", "extract", "no byline with a date"),
    ],
)
def test_bad_input_fails_with_a_reason(name, stage, reason):
    data = (BAD / name).read_bytes()
    outcome = extract_page(RawPage(str(BAD / name), data))
    assert isinstance(outcome, Failed)
    assert outcome.stage == stage
    assert reason in outcome.message
    assert outcome.page is not None and outcome.page.data == data  # the bytes travel with it


def _chinadaily_html() -> str:
    return (SAVED / "html" / "chinadaily_en_ai_rules.html").read_text(encoding="utf-8")


def test_empty_body_container_fails_rather_than_giving_a_half_article():
    html = _chinadaily_html()
    start = html.index('<div id="Content">') + len('<div id="Content">')
    end = html.index('<div id="div_currpage">')
    outcome = extract_page(RawPage("page.html", (html[:start] + "</div>" + html[end:]).encode()))
    assert isinstance(outcome, Failed)
    # The generic extractor is asked too: it finds only the breadcrumb and the title.
    assert "no article body" in outcome.message and "generic extractor" in outcome.message


def test_random_bytes_never_raise():
    for seed_bytes in range(20):
        data = os.urandom(64 + seed_bytes * 97)
        assert isinstance(extract_page(RawPage("r", data)), Failed)


def test_script_and_style_never_reach_the_body():
    outcome = extract_page(RawPage("page.html", _chinadaily_html().encode()))
    assert isinstance(outcome, Extracted)
    assert "advertisement" not in outcome.article.body
    assert "document.write" not in outcome.article.body
    assert "margin" not in outcome.article.body
