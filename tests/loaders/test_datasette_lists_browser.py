"""Lists of articles and where each came from, in headless Chromium: the news view of
/DB/articles (no column of hashes, titles that lead to their articles) and an article's
saved file and copies. Screenshots go to build/screenshots/."""

from __future__ import annotations

import html
import re

import pytest

from tests.loaders.test_datasette_browser import article, chromium, look, seen, served

__all__ = ["served"]  # the module's fixture: a database of the fixtures, served
pytestmark = pytest.mark.slow  # a browser and a server: seconds each

HASH = re.compile(r"\b[0-9a-f]{64}\b")


def test_the_articles_page_is_a_news_list_whose_titles_lead_to_the_articles(served, tmp_path):
    base, _ = served
    dom = look(f"{base}/articles", "articles-news.png", tmp_path, height=1400)
    table = re.search(r'<table class="rows-and-columns wic-news">.*?</table>', dom, re.S)
    assert table, "no news list"
    headers = re.findall(r'<th [^>]*data-column="([^"]+)"', table.group())
    assert headers == ["published", "title", "section", "site", "author"]
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(), re.S)[1:]
    assert len(rows) >= 20
    for row in rows:
        text = seen(row)
        assert not HASH.search(text), text  # no SHA-256 anywhere in a row
        assert len(text) < 240, text  # a line or two: no body text
    links = re.findall(r'<td class="col-title[^"]*"><a href="([^"]+)">(.*?)</a></td>', dom)
    assert len(links) == len(rows)
    href, title = links[0]
    page = chromium(f"{base.rsplit('/', 1)[0]}{href}", "--dump-dom", profile=tmp_path / "a")
    assert f"<h1>{title}</h1>" in page  # the title leads to its article
    every = chromium(f"{base}/articles?_columns=all", "--dump-dom", profile=tmp_path / "all")
    assert 'data-column="content_sha256"' in every  # every column a click away
    assert 'class="wic-news-view"' in every


def test_an_article_names_its_saved_file_and_its_copies(served, tmp_path):
    base, db_path = served
    from_text = "select sha256 from pages where source like '%.txt'"
    row = article(db_path, f"url is null and page_sha256 in ({from_text}) order by id")
    dom = look(f"{base}/articles/{row['id']}", "article-saved-file.png", tmp_path, height=900)
    origin = seen(re.search(r'<p class="wic-provenance".*?</p>', dom, re.S).group())
    said = r"Read from the saved file \S+\.txt \(text, read \d{4}-\d\d-\d\d \d\d:\d\d UTC\)"
    assert re.search(said, origin), origin
    copy = article(db_path, "duplicate_of is not null order by id")
    dom = look(f"{base}/articles/{copy['id']}", "article-copy.png", tmp_path, height=900)
    note = re.search(r'<p class="wic-duplicate-of".*?</p>', dom, re.S).group()
    original = article(db_path, f"id = '{copy['duplicate_of']}'")
    assert f'href="/wic/articles/{original["id"]}">{html.escape(original["title"])}</a>' in note
    dom = look(f"{base}/articles/{original['id']}", "article-original.png", tmp_path, height=900)
    also = seen(re.search(r'<section class="wic-also-published".*?</section>', dom, re.S).group())
    assert also.startswith("Also published at")
    assert copy["title"] in also and copy["url"] in also
