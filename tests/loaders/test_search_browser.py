"""A filtered search, page 2, in a real browser (headless Chromium): what a reader sees.

``wic-etl datasette`` serves a database of the fixtures; Chromium opens the second
page of a search narrowed to one site, newest first, two hits a page. The screenshot
goes to build/screenshots/search-filtered.png for review.
"""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.batch import ingest_batch
from loaders.store import Store
from tests.conftest import datasette_server, saved_pages
from tests.loaders.test_datasette_browser import chromium, look, seen

pytestmark = pytest.mark.slow  # a browser and a server: seconds each


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db_path = tmp_path_factory.mktemp("browse_search") / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages()], "run-1")
    with datasette_server(db_path) as server:
        yield server.url, db_path


def hits(dom: str) -> list[tuple[str, str]]:
    """(article id, the date · site line) of each hit, in order."""
    found = re.findall(
        r'<li class="wic-hit".*?/articles/([0-9a-f]+)".*?<p class="wic-hit-meta">(.*?)</p>',
        dom,
        re.S,
    )
    return [(i, " ".join(html.unescape(meta).split())) for i, meta in found]


def test_a_filtered_search_pages_on_in_the_browser(served, tmp_path):
    base, db_path = served
    with sqlite3.connect(db_path) as conn:
        expected = [
            (i, p[:10])
            for i, p, text in conn.execute(
                "select id, published, title || ' ' || body from articles "
                "where site = 'wicwuzhen.cn' order by published desc"
            )
            if "wuzhen" in text.lower()
        ]
    assert len(expected) > 2  # more than one page of two
    query = "_search=Wuzhen&site=wicwuzhen.cn&_sort_desc=published&_size=2"
    first = chromium(f"{base}/articles?{query}", "--dump-dom", profile=tmp_path / "p1")
    dom = look(f"{base}/articles?{query}&_page=2", "search-filtered.png", tmp_path, 1400)
    page_one, page_two = hits(first), hits(dom)
    assert [i for i, _ in page_one] == [i for i, _ in expected[:2]]
    assert [i for i, _ in page_two] == [i for i, _ in expected[2:4]]
    assert all(meta.endswith("wicwuzhen.cn") or "wicwuzhen.cn ·" in meta
               for _, meta in page_one + page_two)  # fmt: skip
    text = seen(dom).replace(" ,", ",")  # the words searched are in <strong>
    assert f"{len(expected)} results for Wuzhen, newest first: 3 to" in text
    assert re.search(rf"{len(expected)} rows\s+where search matches", text)  # the table agrees
    previous = re.search(r'<a href="([^"]+)" rel="prev">', dom)
    assert previous and "site=wicwuzhen.cn" in html.unescape(previous.group(1))
    best = re.search(r'<a href="([^"]+)">Best first</a>', dom)
    assert best and "site=wicwuzhen.cn" in html.unescape(best.group(1))
    assert "_sort" not in html.unescape(best.group(1))
