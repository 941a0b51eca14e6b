"""A search on the articles page follows the page: its filters, sort, pages and box.

Through wic-etl's Datasette (the app ``wic-etl datasette`` serves) over HTTP, on a
database of the fixtures: which articles each page must list is worked out from the
stored rows, never written down here.
"""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3

import httpx
import pytest

from flows.batch import ingest_batch
from loaders import search
from loaders.datasette_app import make_datasette
from loaders.store import Store
from tests.conftest import SITES, saved_pages


@pytest.fixture(scope="module")
def fixtures_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db_path = tmp_path_factory.mktemp("search_page") / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages()], "run-1")
    return str(db_path)


def get(db_path: str, *paths: str) -> list[httpx.Response]:
    async def fetch_all() -> list[httpx.Response]:
        client = make_datasette(db_path, SITES).client
        return [await client.get(path) for path in paths]

    return asyncio.run(fetch_all())


def pages(db_path: str, *paths: str) -> list[str]:
    answers = get(db_path, *paths)
    for path, answer in zip(paths, answers, strict=True):
        assert answer.status_code == 200, (path, answer.text[:300])
    return [a.text for a in answers]


def hit_ids(page: str) -> list[str]:
    """The articles of the hit list, in order."""
    return re.findall(r'<h3 class="wic-hit-title"><a href="[^"]*/articles/([0-9a-f]+)"', page)


def table_ids(page: str) -> list[str]:
    """The articles of the table under the hit list (their title links, or id links in
    the view of every column)."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    cell = r'<td class="col-(?:id|title)[^"]*"[^>]*><a href="[^"]*/articles/([0-9a-f]+)"'
    return re.findall(cell, body.group(1)) if body else []


def rows_said(page: str) -> int:
    """The table's row count, as its heading says it ("3 rows where ...")."""
    said = re.search(r"<h3>([\d,]+) rows?\s+where", page)
    assert said, "no row count on the page"
    return int(said.group(1).replace(",", ""))


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html.unescape(found.group(1)) if found else None


def rows(db_path: str, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def matches(db_path: str, word: str, where: str = "1", *params: object) -> list[str]:
    """Ids of the articles with ``word`` in title or body that pass ``where``."""
    found = rows(db_path, f"select id, title || ' ' || body from articles where {where}", *params)
    return [i for i, text in found if re.search(rf"\b{word}\b", text, re.I)]


def test_the_hit_list_follows_a_site_facet_and_its_count_agrees(fixtures_db: str) -> None:
    china_daily = matches(fixtures_db, "wuzhen", "site = 'chinadaily.com.cn'")
    others = matches(fixtures_db, "wuzhen", "site != 'chinadaily.com.cn'")
    assert china_daily and others  # the fixtures hold both
    (page,) = pages(fixtures_db, "/wic/articles?_search=Wuzhen&site=chinadaily.com.cn")
    assert sorted(hit_ids(page)) == sorted(china_daily)
    assert rows_said(page) == len(china_daily)
    said = re.search(r'<p class="wic-hits-count">(.*?)</p>', page, re.S).group(1)
    assert f"{len(china_daily)} results" in said
    assert sorted(table_ids(page)) == sorted(china_daily)  # the same results as a table


def test_the_hit_list_follows_any_column_filter(fixtures_db: str) -> None:
    (year,) = rows(fixtures_db, "select max(substr(published, 1, 4)) from articles")[0]
    cases = {
        f"published__gte={year}-01-01": ("published >= ?", f"{year}-01-01"),
        "language=en&section__not=China": ("language = 'en' and section != ?", "China"),
        "title__contains=Wuzhen": ("title like ?", "%Wuzhen%"),
    }
    for args, (where, param) in cases.items():
        expected = matches(fixtures_db, "wuzhen", where, param)
        (page,) = pages(fixtures_db, f"/wic/articles?_search=Wuzhen&{args}")
        assert sorted(hit_ids(page)) == sorted(expected), args
        assert sorted(table_ids(page)) == sorted(expected), args


def test_headline_matches_rank_above_body_only_matches(fixtures_db: str) -> None:
    (page,) = pages(fixtures_db, "/wic/articles?_search=Wuzhen")
    titles = dict(rows(fixtures_db, "select id, title from articles"))
    in_title = ["wuzhen" in titles[i].lower() for i in hit_ids(page)]
    assert in_title == sorted(in_title, reverse=True) and True in in_title and False in in_title
    assert "best first" in page


def test_newest_first_and_any_column_sort_are_honoured(fixtures_db: str) -> None:
    published = dict(rows(fixtures_db, "select id, published from articles"))
    titles = dict(rows(fixtures_db, "select id, title from articles"))
    newest, by_title, best = pages(
        fixtures_db,
        "/wic/articles?_search=Wuzhen&_sort_desc=published",
        "/wic/articles?_search=Wuzhen&_sort=title",
        "/wic/articles?_search=Wuzhen",
    )
    dates = [published[i] for i in hit_ids(newest)]
    assert dates == sorted(dates, reverse=True) and dates != [published[i] for i in hit_ids(best)]
    assert [titles[i] for i in hit_ids(by_title)] == sorted(titles[i] for i in hit_ids(best))
    assert "newest first" in newest
    # Each order offers the others; best first is the search's own, the box keeps it.
    orders = re.search(r'<p class="wic-hits-order">(.*?)</p>', newest, re.S).group(1)
    offered = {
        label: html.unescape(href)
        for href, label in re.findall(r'<a href="([^"]+)">(\w+ first)</a>', orders)
    }
    assert set(offered) == {"Best first", "Oldest first"}
    assert "_sort" not in offered["Best first"] and "_search=Wuzhen" in offered["Best first"]
    assert '<option value="published" selected>' not in best  # the form sends no sort


def test_the_hit_list_pages_on_keeping_the_page_arguments(fixtures_db: str) -> None:
    expected = matches(fixtures_db, "wuzhen", "site = 'wicwuzhen.cn'")
    assert len(expected) > 2
    first = "/wic/articles?_search=Wuzhen&site=wicwuzhen.cn&_sort_desc=published&_size=2"
    seen, path = [], first
    while path:
        (page,) = pages(fixtures_db, path)
        ids = hit_ids(page)
        assert 0 < len(ids) <= 2
        seen += ids
        path = link(page, "next")
        if path:
            for arg in ("site=wicwuzhen.cn", "_sort_desc=published", "_size=2", "_search=Wuzhen"):
                assert arg in path, (arg, path)
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert link(page, "prev") is not None
    published = dict(rows(fixtures_db, "select id, published from articles"))
    dates = [published[i] for i in seen]
    assert dates == sorted(dates, reverse=True)  # newest first across the pages


def test_a_filter_finds_matches_the_candidate_bound_cut_off(
    fixtures_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    newest = [i for (i,) in rows(fixtures_db, "select id from articles order by rowid desc")]
    wuzhen = set(matches(fixtures_db, "wuzhen"))
    china_daily = set(matches(fixtures_db, "wuzhen", "site = 'chinadaily.com.cn'"))
    bound = 2
    # The newest matches are not all China Daily's: a bound before the filter loses some.
    newest_matches = [i for i in newest if i in wuzhen]
    assert not set(newest_matches[:bound]) <= china_daily
    monkeypatch.setattr(search, "MAX_CANDIDATES", bound)
    (page,) = pages(fixtures_db, "/wic/articles?_search=Wuzhen&site=chinadaily.com.cn")
    kept = [i for i in newest if i in china_daily][:bound]
    assert sorted(hit_ids(page)) == sorted(kept)
    assert sorted(table_ids(page)) == sorted(kept) and rows_said(page) == bound


def test_a_search_typed_in_the_articles_page_box_is_listed_best_first(fixtures_db: str) -> None:
    table, newest = pages(fixtures_db, "/wic/articles", "/wic/articles?_sort_desc=published")
    form = re.search(r'<form class="filters".*?</form>', table, re.S).group()
    # What the box submits: no sort unless the page was asked for one.
    assert "selected" not in re.search(r'<select name="_sort".*?</select>', form, re.S).group()
    assert not re.search(r'name="_sort_by_desc" checked', form)
    form = re.search(r'<form class="filters".*?</form>', newest, re.S).group()
    assert '<option value="published" selected>' in form
