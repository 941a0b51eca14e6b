"""extract_page on the seed and on bad input: an article or a Failed, never a raise."""

import random

import pytest

from core.records import Extracted, Failed, RawPage
from extractors.extract import extract_page
from tests import seed_facts
from tests.conftest import BAD, SAVED


def test_seed_page_becomes_the_expected_article(seed):
    outcome = extract_page(RawPage(str(seed), seed.read_bytes()))
    assert isinstance(outcome, Extracted)
    article = outcome.article
    (image,) = article.images
    seed_facts.check_article(
        title=article.title, site=article.site, source=article.source,
        section=article.section, published=article.published, body=article.body,
        caption=image.caption, credit=image.credit, organizers=article.organizers,
        removed=[(line.kind, line.text) for line in article.removed],
    )  # fmt: skip


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
    rng = random.Random(20261129)  # the same bytes every run: a red test is reproducible
    for n in range(20):
        data = rng.randbytes(64 + n * 97)
        assert isinstance(extract_page(RawPage("r", data)), Failed)


def test_script_and_style_never_reach_the_body():
    outcome = extract_page(RawPage("page.html", _chinadaily_html().encode()))
    assert isinstance(outcome, Extracted)
    assert "advertisement" not in outcome.article.body
    assert "document.write" not in outcome.article.body
    assert "margin" not in outcome.article.body
