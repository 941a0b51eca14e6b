"""Lists of articles over HTTP, through wic-etl's Datasette: a title link on every row, the
news view of /DB/articles, and where each article came from (saved file, duplicates)."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

import pytest

from loaders.datasette_app import make_datasette
from loaders.schema import open_database
from tests.conftest import SITES
from tests.loaders.test_datasette import loaded_fixtures

NEWS_COLUMNS = ["published", "title", "section", "site", "author"]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded_fixtures(tmp_path_factory.mktemp("lists"))


def get(db_path: Path, path: str) -> str:
    async def fetch() -> str:
        response = await make_datasette(db_path, SITES).client.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.text

    return asyncio.run(fetch())


def query(db_path: Path, sql: str, params: list | None = None) -> list[dict]:
    db = open_database(db_path)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.close()


def title_links(page: str) -> list[tuple[str, str]]:
    """The title cells of a table of results: (title, where its link goes), in order."""
    cells = re.findall(r'<td class="col-title[^"]*">(.*?)</td>', page, re.S)
    links = []
    for cell in cells:
        link = re.fullmatch(r'\s*<a href="([^"]+)">(.*?)</a>\s*', cell, re.S)
        assert link, f"a title without a link: {cell[:200]}"
        links.append((html.unescape(link.group(2)), html.unescape(link.group(1))))
    return links


def inner_html(page: str, tag: str, css_class: str) -> str:
    """What the first ``<tag class="css_class">`` of a page holds (asserted there)."""
    found = re.search(rf'<{tag} class="{css_class}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert found, f'no <{tag} class="{css_class}"> on the page'
    return found.group(1)


def test_every_list_of_articles_links_each_title_to_its_page(db_path: Path) -> None:
    pages = {(a["title"], f"/wic/articles/{a['id']}")
             for a in query(db_path, "select id, title from articles")}  # fmt: skip
    organizer = query(
        db_path,
        "select o.name from organizers o join article_organizers ao on ao.organizer_id = o.id "
        "group by o.name order by count(*) desc limit 1",
    )[0]["name"]
    for path in (
        "/wic/articles",
        "/wic/articles?_search=Wuzhen",
        "/wic/latest_articles",
        f"/wic/articles_by_organizer?organizer={organizer}",
        "/wic/articles_with_organizers",
        "/wic/article_versions",
    ):
        links = title_links(get(db_path, path))
        assert links, path
        for title, href in links:
            assert (title, href.split("#")[0]) in pages, (path, title, href)
    # An organizer's list holds the articles whose pages list it, each a link.
    listed = query(
        db_path,
        "select a.title from articles a join article_organizers ao on ao.article_id = a.id "
        "join organizers o on o.id = ao.organizer_id where o.name = ?",
        [organizer],
    )
    page = get(db_path, f"/wic/articles_by_organizer?organizer={organizer}")
    assert sorted(t for t, _ in title_links(page)) == sorted(r["title"] for r in listed)


def test_tables_that_name_an_article_by_id_link_to_its_page(db_path: Path) -> None:
    (part,) = query(db_path, "select article_id from article_parts limit 1")
    page = get(db_path, "/wic/article_parts")
    assert f'<a href="/wic/articles/{part["article_id"]}">' in page


def header(page: str) -> list[str]:
    return re.findall(r'<th [^>]*data-column="([^"]+)"', page)


def test_the_articles_table_is_a_news_view_with_every_column_a_click_away(db_path: Path) -> None:
    page = get(db_path, "/wic/articles")
    assert header(page) == NEWS_COLUMNS
    for hidden in ("content_sha256", "record_sha256", "fingerprint", "page_sha256", "body"):
        assert f'data-column="{hidden}"' not in page
        assert f'class="col-{hidden}' not in page
    all_columns = re.search(r'<a class="wic-all-columns" href="([^"]+)"', page)
    assert all_columns, "no link to every column"
    everything = get(db_path, html.unescape(all_columns.group(1)))
    columns = [r["name"] for r in query(db_path, "select name from pragma_table_info('articles')")]
    assert set(columns) <= set(header(everything))
    assert re.search(r'<a class="wic-news-view" href="/wic/articles"', everything)
    # Datasette's own column choice and the exports keep every column as before.
    chosen = get(db_path, "/wic/articles?_col=title&_col=fingerprint")
    assert {"title", "fingerprint"} <= set(header(chosen))
    row = asyncio.run(_json(db_path, "/wic/articles.json?_shape=array&_size=1"))[0]
    assert set(row) == set(columns)
    csv = asyncio.run(_text(db_path, "/wic/articles.csv?_size=1"))
    assert csv.splitlines()[0].split(",") == columns


def test_the_news_view_keeps_the_page_sort_and_facets(db_path: Path) -> None:
    page = get(db_path, "/wic/articles?site=chinadaily.com.cn&_sort=title")
    assert header(page) == NEWS_COLUMNS
    shown = [title for title, _ in title_links(page)]
    expected = query(
        db_path, "select title from articles where site = 'chinadaily.com.cn' order by title"
    )
    assert shown == [r["title"] for r in expected]
    by_length = get(db_path, "/wic/articles?_sort_desc=word_count")
    assert header(by_length) == [*NEWS_COLUMNS, "word_count"]  # the order it is in, shown


async def _json(db_path: Path, path: str) -> list[dict]:
    response = await make_datasette(db_path, SITES).client.get(path)
    assert response.status_code == 200
    return response.json()


async def _text(db_path: Path, path: str) -> str:
    response = await make_datasette(db_path, SITES).client.get(path)
    assert response.status_code == 200
    return response.text


def test_an_article_from_a_saved_file_says_which_file_what_format_and_when(db_path: Path) -> None:
    cases = {
        "wic_text_volunteers.txt": "text",
        "wic_zh_cases_gb2312.html": "HTML",
        "chinadaily_en_rail_link.mhtml": "MHTML",
        "crawl_2025-12-09.warc.gz": "WARC",
    }
    for name, kind in cases.items():
        (row,) = query(
            db_path,
            "select a.id, p.read_at from articles a join pages p on p.sha256 = a.page_sha256 "
            "where p.source like ? order by a.id limit 1",
            [f"%/{name}%"],
        )
        page = get(db_path, f"/wic/articles/{row['id']}")
        origin = inner_html(page, "p", "wic-provenance")
        said = " ".join(re.sub(r"<[^>]+>", " ", html.unescape(origin)).split())
        assert name in said and f"({kind}" in said, said
        assert row["read_at"][:16].replace("T", " ") in said, said


def test_a_stitched_article_names_each_of_its_files(db_path: Path) -> None:
    (row,) = query(
        db_path, "select article_id from article_parts group by article_id "
        "having count(*) = 3 limit 1"
    )  # fmt: skip
    page = get(db_path, f"/wic/articles/{row['article_id']}")
    said = re.sub(r"<[^>]+>", " ", inner_html(page, "p", "wic-provenance"))
    names = re.findall(r"canal_town_p(\d)\.html", said)
    assert names == ["1", "2", "3"]


def test_duplicates_name_each_other_both_ways(db_path: Path) -> None:
    (copy,) = query(
        db_path, "select c.id, c.title, c.url, o.id as original, o.title as original_title "
        "from articles c join articles o on o.id = c.duplicate_of limit 1"
    )  # fmt: skip
    page = get(db_path, f"/wic/articles/{copy['id']}")
    note = inner_html(page, "p", "wic-duplicate-of")
    link = f'<a href="/wic/articles/{copy["original"]}">{html.escape(copy["original_title"])}</a>'
    assert link in note
    original = get(db_path, f"/wic/articles/{copy['original']}")
    also = inner_html(original, "section", "wic-also-published")  # the copies, listed
    assert "Also published at" in also
    assert f'<a href="/wic/articles/{copy["id"]}">{html.escape(copy["title"])}</a>' in also
    assert html.escape(copy["url"]) in also
    assert '<section class="wic-also-published"' not in page  # a copy lists no copies


def test_a_query_of_articles_links_its_titles_and_nothing_else(db_path: Path) -> None:
    # The canned queries and a reader's own SQL go through the same rule: a title beside
    # an article's id (id or article_id) is a link to the article.
    sql = "select id, title from articles order by id limit 3"
    rows = query(db_path, sql)
    page = get(db_path, f"/wic?sql={sql.replace(' ', '+')}")
    assert title_links(page) == [(r["title"], f"/wic/articles/{r['id']}") for r in rows]
    page = get(db_path, "/wic?sql=select+title+from+articles+order+by+id+limit+3")
    assert "/wic/articles/" not in re.sub(r"(?s)<(nav|footer|form).*?</\1>", "", page)
    page = get(db_path, "/wic?sql=select+'x'+as+id,+title+from+articles+limit+1")
    assert 'href="/wic/articles/x"' not in page  # not an article's id: no link
