"""A known site's page with a part missing still loads, saying what it fell back on.

Fields a profile's selector does not find come from the page's meta tags, then
the article address, then the generic extractor (trafilatura), and are named in
``Article.warnings``; only a page with no title or no body at all fails.
"""

from __future__ import annotations

import pytest

from core.records import Extracted, Failed, RawPage
from extractors.extract import extract_page
from tests.conftest import BAD, SAVED

TITLE = "New rules ask AI services to label generated content"


def _page() -> str:
    return (SAVED / "html" / "chinadaily_en_ai_rules.html").read_text(encoding="utf-8")


def _extract(html: str) -> Extracted | Failed:
    outcome = extract_page(RawPage("page.html", html.encode()))
    assert isinstance(outcome, Extracted | Failed)
    return outcome


def _article(html: str):
    outcome = _extract(html)
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
    return outcome.article


def test_the_whole_page_needs_no_fallback():
    article = _article(_page())
    assert article.warnings == ()
    assert article.extractor.startswith("chinadaily/")


@pytest.mark.parametrize(
    ("name", "warnings", "field", "value"),
    [
        ("variant_missing_title.html", ("title:generic",), "title", TITLE),
        # The byline's date 2025-13-45 is no date; the address /a/202512/08/ gives the day.
        ("variant_bad_date.html", ("published:url",), "published", "2025-12-08"),
        ("variant_no_body_container.html", ("body:generic",), "paragraphs", 5),
    ],
)
def test_bad_variants_load_with_warnings(name, warnings, field, value):
    article = _article((BAD / name).read_text(encoding="utf-8"))
    assert article.warnings == warnings
    got = len(article.paragraphs) if field == "paragraphs" else getattr(article, field)
    assert got == value
    # The profile still did everything else: the record is the profile's, not trafilatura's.
    assert article.extractor.startswith("chinadaily/")
    assert (article.author, article.source, article.section) == (
        "Ma Wei", "chinadaily.com.cn", "Sci-tech",
    )  # fmt: skip
    assert "Copyright" not in article.body


def test_the_generic_body_is_cleaned_like_the_profile_body():
    article = _article((BAD / "variant_no_body_container.html").read_text(encoding="utf-8"))
    assert TITLE not in article.paragraphs  # trafilatura repeats the title as a line
    assert article.paragraphs[0].startswith("Providers of generative artificial intelligence")


def test_meta_tags_come_before_the_generic_extractor():
    html = _page().replace(f"<h1>{TITLE}</h1>", "<h1></h1>")
    html = html.replace("<head>", '<head><meta property="og:title" content="From og:title">')
    html = html.replace("Updated: 2025-12-08 16:45", "Updated: soon")
    html = html.replace(
        "<head>", '<head><meta property="article:published_time" content="2025-12-08T08:45:00Z">'
    )
    article = _article(html)
    assert article.title == "From og:title"
    assert article.published == "2025-12-08T16:45:00+08:00"  # UTC given, Beijing time stored
    assert article.warnings == ("title:meta", "published:meta")


@pytest.mark.parametrize("placeholder", ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00Z"])
def test_a_meta_date_no_page_can_have_is_passed_over(placeholder):
    # A CMS's empty date: year 1 drew the timeline from 0001 (24,000 months of bars); year
    # 9999 in Beijing time overflowed, and the page failed as "a wic-etl bug".
    html = _page().replace("Updated: 2025-12-08 16:45", "Updated: soon")
    html = html.replace(
        "<head>", f'<head><meta property="article:published_time" content="{placeholder}">'
    )
    article = _article(html)
    assert article.published == "2025-12-08"  # the address's day, as with no meta date
    assert article.warnings == ("published:url",)


def test_a_missing_breadcrumb_is_a_missing_section():
    html = _page()
    start = html.index('<div class="da-bre">')
    end = html.index("</div>", start) + len("</div>")
    article = _article(html[:start] + html[end:])
    assert article.section is None
    assert article.warnings == ("section:missing",)


def test_no_date_anywhere_still_loads_with_the_guess_flagged():
    html = _page().replace("Updated: 2025-12-08 16:45", "Updated: soon")
    html = html.replace("/a/202512/08/", "/a/x/")  # the address gives no day either
    html = html.replace("Nov 20, 2025", "last month")  # nor the caption, for trafilatura
    article = _article(html)
    # trafilatura's last resort is the footer's "Copyright 1995": a guess, and flagged so.
    assert article.warnings == ("published:generic",)
    assert article.published == "1995-01-01"


def test_no_title_anywhere_is_a_failure():
    html = _page().replace(f"<h1>{TITLE}</h1>", "<h1></h1>")
    html = html.replace(f"<title>{TITLE} - Chinadaily.com.cn</title>", "<title></title>")
    html = html.replace("AI services", "AI providers")  # the first paragraph is no title either
    outcome = _extract(html)
    assert isinstance(outcome, Failed), outcome
    assert "no title" in outcome.message


def test_no_body_anywhere_is_a_failure():
    html = _page()
    start = html.index('<div id="Content">')
    end = html.index('<div id="div_currpage">')
    outcome = _extract(html[:start] + html[end:])
    assert isinstance(outcome, Failed), outcome
    assert "no article body" in outcome.message
