"""Multi-page articles: each page is a part with the article's id; parts stitch in page order."""

import dataclasses
import json
import random
from dataclasses import asdict

import pytest

from core.records import RawPage
from core.stitch import pages_linked, split_page_url, stitch
from extractors.extract import extract_page
from tests.conftest import SAVED

GROUPS = sorted(
    p.name.removesuffix(".stitched.json") for p in SAVED.glob("multipage/*.stitched.json")
)


def parts_of(group):
    pages = sorted((SAVED / "multipage").glob(f"{group}_p*.html"))
    return [extract_page(RawPage(str(p), p.read_bytes())).article for p in pages]


@pytest.mark.parametrize("group", GROUPS)
def test_pages_stitch_into_the_expected_article_in_any_order(group):
    expected = json.loads((SAVED / "multipage" / f"{group}.stitched.json").read_text("utf-8"))
    parts = parts_of(group)
    assert len({part.id for part in parts}) == 1
    random.Random(7).shuffle(parts)
    article = stitch(parts)
    actual = {**asdict(article), "word_count": article.word_count}
    actual["paragraphs"] = list(actual["paragraphs"])
    actual["organizers"] = list(actual["organizers"])
    actual["images"] = [dict(i) for i in actual["images"]]
    actual["removed"] = [dict(r) for r in actual["removed"]]
    differing = {k: (actual[k], v) for k, v in expected.items() if actual[k] != v}
    assert not differing
    assert article.page_count == article.pages_expected == len(parts)


def test_page_addresses():
    base = "https://www.chinadaily.com.cn/a/201901/11/WS5c37.html"
    assert split_page_url("https://www.chinadaily.com.cn/a/201901/11/WS5c37_3.html") == (base, 3)
    assert split_page_url(base) == (base, 1)
    links = [base.replace(".html", "_2.html"), base.replace(".html", "_4.html"), "page_9.html"]
    assert pages_linked(base, links) == 4


def test_a_missing_page_shows_in_the_counts():
    first, _, third = parts_of("canal_town")
    article = stitch([first, third])
    assert (article.page_count, article.pages_expected) == (2, 3)
    assert article.paragraphs == first.paragraphs + third.paragraphs


def test_the_subheads_of_every_page_stitch_in_page_order():
    group = GROUPS[0]
    parts = parts_of(group)
    marked = [
        dataclasses.replace(p, subheads=(p.paragraphs[0],))
        for p in sorted(parts, key=lambda p: p.page_number)
    ]
    article = stitch(list(reversed(marked)))
    assert article.subheads == tuple(p.paragraphs[0] for p in marked)
    assert all(s in article.paragraphs for s in article.subheads)
