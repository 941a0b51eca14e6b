"""Every real page in fixtures/real against its gold record, field by field.

The gold records were written by reading the pages (fixtures/real/PROVENANCE.md),
not by running the extractor.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.records import Article, Extracted, RawPage
from extractors.extract import extract_page
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"
PAGES = sorted(REAL.glob("*.html"))


def gold(page: Path) -> dict[str, Any]:
    return json.loads(page.with_name(page.stem + ".expected.json").read_text(encoding="utf-8"))


def fields(article: Article) -> dict[str, Any]:
    """The record in the gold files' terms."""
    return {
        "url": article.url,
        "site": article.site,
        "language": article.language,
        "section": article.section,
        "title": article.title,
        "author": article.author,
        "editor": article.editor,
        "source": article.source,
        "published": article.published,
        "body_first": article.paragraphs[0] if article.paragraphs else None,
        "body_last": article.paragraphs[-1] if article.paragraphs else None,
        "paragraphs": len(article.paragraphs),
        "subheads": list(article.subheads),
        "images": [{"caption": i.caption, "credit": i.credit} for i in article.images],
    }


def test_every_real_page_has_its_gold_record_and_its_provenance():
    provenance = (PAGES[0].parent / "PROVENANCE.md").read_text(encoding="utf-8")
    assert len(PAGES) >= 5, PAGES
    for page in PAGES:
        assert page.with_name(page.stem + ".expected.json").is_file(), page
        assert f"| `{page.name}` |" in provenance, f"{page.name} has no provenance row"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_real_page_matches_its_gold_record(page: Path):
    expected = gold(page)
    # A page that carries no address is given the one it was fetched from, as a crawl would.
    outcome = extract_page(RawPage(str(page), page.read_bytes(), url=expected.get("fetched_from")))
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
    actual = fields(outcome.article)
    mismatches = {
        name: (actual[name], want)
        for name, want in expected["article"].items()
        if actual[name] != want
    }
    assert not mismatches, f"{page.name}: fields differing (got, expected): {mismatches}"
    assert outcome.article.warnings == (), "every field was where the profile looks"
    if pages := expected.get("pages"):
        assert outcome.article.page_number == pages["this_page"]
        assert outcome.article.pages_expected == pages["total"]


def test_the_photo_story_is_told_by_its_markup_not_its_ad_column():
    page = REAL / "en_2024_photostory_magichtml.html"
    html = page.read_text(encoding="utf-8")
    # Without the ad column the page still is a 2017+ page: its own parts say so.
    assert html.count('class="lft_art"') == 1
    without_ad = html.replace('class="lft_art"', 'class="ad_col"')
    outcome = extract_page(RawPage("photo.html", without_ad.encode()))
    assert isinstance(outcome, Extracted)
    assert outcome.article.extractor.startswith("chinadaily/")
    assert outcome.article.title == gold(page)["article"]["title"]


def test_meta_author_is_never_taken_as_the_author():
    page = REAL / "en_2024_article_magichtml.html"
    html = page.read_text(encoding="utf-8")
    # Without its info line the article keeps no author: <meta name="author"> is the CMS editor.
    start = html.index('<span class="info_l">')
    end = html.index("</span>", start) + len("</span>")
    outcome = extract_page(RawPage("a.html", (html[:start] + html[end:]).encode()))
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
    article = outcome.article
    assert article.author is None
    assert article.editor == "董森河"
    assert article.published == "2024-05-13"  # <meta name="publishdate"> holds the day only
    assert article.source == "China Daily"
    assert set(article.warnings) == {"published:meta", "source:meta"}
