"""Browsing that does not grow with the archive: the queries the pages run, and search paging.

Through wic-etl's Datasette app (the one ``wic-etl datasette`` serves), on an archive
built by the scale benchmark's builder (bench/archive.py: the product's schema, half
English, half Chinese, words of known reach). Every query a page runs is traced and
its plan asked of SQLite: no page may read every article or every page to answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from datasette.tracer import capture_traces

from bench.archive import PLANTED, build
from loaders import search
from loaders.datasette_app import make_datasette
from loaders.datasette_app.plugin import HITS
from loaders.schema import COUNTED_FACETS, open_database
from loaders.search import search_query
from tests.conftest import SITES

ARTICLES = 400  # 100 English articles hold "technology", 100 Chinese ones 乌镇
# A plan step that reads a whole table, or a whole index of one (a covering index is
# cheaper, but still grows with the archive).
_FULL_SCAN = re.compile(r"^SCAN (articles|pages|article_versions|images|removed_lines)\b")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db_path = build(tmp_path_factory.mktemp("scale") / "archive.db", ARTICLES, log=False)
    open_database(db_path).close()  # today's migrations, as wic-etl datasette applies them
    return db_path


def traced(db_path: Path, *paths: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Each page's status, text and the SQL it ran (with parameters)."""

    async def fetch_all() -> list[tuple[str, str, list[dict[str, Any]]]]:
        client = make_datasette(db_path, SITES).client
        answers = []
        for path in paths:
            traces: list[dict[str, Any]] = []
            with capture_traces(traces):
                page = await client.get(path)
            assert page.status_code == 200, f"{path}: HTTP {page.status_code}"
            answers.append((path, page.text, traces))
        return answers

    return asyncio.run(fetch_all())


def full_scans(db_path: Path, traces: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The queries of ``traces`` whose plan reads a whole table, with those steps."""
    conn = sqlite3.connect(db_path)
    conn.create_function("escape_fts", 1, search_query)
    found = {}
    for trace in traces:
        sql = trace["sql"]
        if trace.get("database") != db_path.stem or not sql.lower().startswith("select"):
            continue  # Datasette's own internal database, or its PRAGMAs
        plan = [row[3] for row in conn.execute(f"explain query plan {sql}", trace["params"] or {})]
        if scans := [step for step in plan if _FULL_SCAN.match(step)]:
            found[sql] = scans
    conn.close()
    return found


def article_ids(page: str) -> list[str]:
    """The articles of the hit list, in order."""
    return re.findall(r'<h3 class="wic-hit-title"><a href="[^"]*/articles/([0-9a-f]+)"', page)


def test_an_article_page_counts_its_links_without_a_full_scan(archive: Path) -> None:
    conn = sqlite3.connect(archive)
    article = conn.execute("select id from articles where rowid = ?", [ARTICLES // 2]).fetchone()
    conn.close()
    ((_, page, traces),) = traced(archive, f"/archive/articles/{article[0]}")
    # Datasette's "links from other tables": one count per table pointing at articles.
    counts = [t for t in traces if "count(*) from pages where article_id" in t["sql"]]
    assert counts, "the page no longer counts its links: the test must find its queries"
    assert f"/articles/{article[0]}" in page
    assert full_scans(archive, traces) == {}


def every_statement(
    db_path: Path, path: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, list[dict[str, Any]]]:
    """A page and every statement it ran on the archive, as SQLite saw them: those the
    app's plugins run on a connection of their own too, which Datasette does not trace."""
    from datasette.database import Database

    statements: list[str] = []
    connect = Database.connect

    def traced_connect(self: Database, write: bool = False) -> sqlite3.Connection:
        conn = connect(self, write=write)
        if self.name == db_path.stem:
            conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(Database, "connect", traced_connect)
    ((_, page, _),) = traced(db_path, path)
    return page, [{"sql": sql, "params": None, "database": db_path.stem} for sql in statements]


def test_an_article_page_reads_no_whole_table_in_any_statement(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(archive)
    first, copy = conn.execute("select id from articles order by rowid limit 2").fetchall()
    # A later copy of the first, so the page names and lists copies.
    conn.execute("update articles set duplicate_of = ? where id = ?", [first[0], copy[0]])
    conn.commit()
    conn.close()
    try:
        for article in (first[0], copy[0]):
            page, statements = every_statement(archive, f"/archive/articles/{article}", monkeypatch)
            assert "Also published at" in page or "later copy" in page.lower()
            # the plugins' own queries are among them
            assert any("duplicate_of" in t["sql"] for t in statements), statements
            assert full_scans(archive, statements) == {}
    finally:
        conn = sqlite3.connect(archive)
        conn.execute("update articles set duplicate_of = null where id = ?", [copy[0]])
        conn.commit()
        conn.close()


def test_search_pages_read_only_their_candidates(archive: Path) -> None:
    searches = [f"/archive/articles?_search={words[reach]}"
                for words in PLANTED.values() for reach in ("rare", "2%", "50%")]  # fmt: skip
    filtered = [
        "/archive/articles?_search=technology&_page=3",
        # Filters go inside the candidate query (a lookup of each match): still bounded.
        "/archive/articles?_search=technology&site=wicwuzhen.cn&_sort_desc=published",
        "/archive/articles?_search=乌镇&language=en",  # no match passes: every match read
    ]
    for path, page, traces in traced(archive, *searches, *filtered):
        assert 'class="wic-hit"' in page or "No article contains" in page, path
        assert full_scans(archive, traces) == {}, path
        # Every search of the index is bounded: the newest candidates, or the rowids of
        # one page of hits among them.
        searches = [t["sql"] for t in traces
                    if t.get("database") == "archive" and " match " in t["sql"]]  # fmt: skip
        assert searches, path
        for sql in searches:
            bounds = (
                f"order by rowid desc limit {search.MAX_CANDIDATES}",
                "order by rowid desc limit :wic_most + 1",
                "s.rowid between :low and :high",
            )
            assert any(bound in sql for bound in bounds), (path, sql)
        if "&site=" in path or "&language=" in path:
            # Filtered: the matches are read and looked up once for the table, its count
            # and facets (a list of rowids after that), and once for the hit list.
            looked_up = [sql for sql in searches if "exists (select 1 from articles" in sql]
            assert len(looked_up) == 2, (path, looked_up)


def test_the_articles_table_is_sorted_by_an_index_and_its_facets_are_kept_counts(
    archive: Path,
) -> None:
    (_, page, traces), (_, api, _) = traced(
        archive, "/archive/articles", "/archive/articles.json?_size=1"
    )
    scans = full_scans(archive, traces)
    main = next(sql for sql in scans if "order by published desc" in sql)
    # Read in the index's order, stopped at the page's 50 rows; and the row count, over
    # the smallest index (Datasette's; linear, but a few bytes an article).
    assert scans.pop(main) == ["SCAN articles USING INDEX idx_articles_published"]
    assert list(scans) == ["select count(*) from articles"]
    assert "timed out" not in page
    assert any("from article_facet_counts" in t["sql"] for t in traces)
    facets = json.loads(api)["facet_results"]
    conn = sqlite3.connect(archive)
    for column in COUNTED_FACETS:
        # Years newest first, as a reader browses by time; the others most frequent first.
        order = f"{column} desc" if column == "published_year" else f"count(*) desc, {column}"
        counted = conn.execute(
            f"select {column}, count(*) from articles where {column} is not null "
            f"group by {column} order by {order} limit 30"
        ).fetchall()
        shown = [(r["value"], r["count"]) for r in facets[column]["results"]]
        assert shown == [tuple(row) for row in counted], column
        assert all(f"{column}=" in r["toggle_url"] for r in facets[column]["results"])


def test_the_kept_counts_follow_every_write_of_articles(tmp_path: Path, archive: Path) -> None:
    copy = tmp_path / "copy.db"
    sqlite3.connect(archive).execute(f"vacuum into '{copy}'")
    conn = sqlite3.connect(copy)
    conn.execute("update articles set section = 'Moved', language = 'fr' where rowid <= 5")
    conn.execute("update articles set published_year = null where rowid between 6 and 8")
    conn.execute("update articles set title = 'only the title' where rowid = 9")
    conn.execute("delete from articles_search where rowid between 10 and 12")
    conn.execute("delete from articles where rowid between 10 and 12")
    conn.commit()
    for column in COUNTED_FACETS:
        kept = conn.execute(
            "select value, articles from article_facet_counts where facet = ? and articles > 0 "
            "order by value",
            [column],
        ).fetchall()
        counted = conn.execute(
            f"select {column}, count(*) from articles where {column} is not null "
            f"group by {column} order by {column}"
        ).fetchall()
        assert kept == counted, column
    assert ("section", "Moved", 5) in conn.execute("select * from article_facet_counts").fetchall()
    kept_months = conn.execute(
        "select month, articles from article_month_counts where articles > 0 order by month"
    ).fetchall()
    assert kept_months == conn.execute(MONTHS_COUNTED).fetchall()


MONTHS_COUNTED = (
    "select substr(published, 1, 7) as m, count(*) from articles "
    "where published glob '[0-9][0-9][0-9][0-9]-[0-1][0-9]*' group by m order by m"
)


def test_the_month_counts_follow_every_write_and_are_filled_for_an_existing_archive(
    tmp_path: Path, archive: Path
) -> None:
    copy = tmp_path / "copy.db"
    sqlite3.connect(archive).execute(f"vacuum into '{copy}'")
    conn = sqlite3.connect(copy)
    months = conn.execute(MONTHS_COUNTED).fetchall()
    assert len(months) >= 12  # the archive spreads its articles over months
    conn.execute("update articles set published = '1990-02-03T04:05:06+08:00' where rowid <= 4")
    conn.execute("update articles set published = null where rowid between 5 and 6")
    conn.execute("update articles set published = 'unknown' where rowid = 7")
    conn.execute("update articles set title = 'only the title' where rowid = 8")
    conn.execute("delete from articles_search where rowid between 10 and 12")
    conn.execute("delete from articles where rowid between 10 and 12")
    conn.commit()
    kept = "select month, articles from article_month_counts where articles > 0 order by month"
    assert conn.execute(kept).fetchall() == conn.execute(MONTHS_COUNTED).fetchall()
    assert ("1990-02", 4) in conn.execute(kept).fetchall()
    # An archive from before the counts: the migration counts its articles.
    for trigger in ("insert", "update", "delete"):
        conn.execute(f"drop trigger article_month_counts_{trigger}")
    conn.execute("drop table article_month_counts")
    conn.execute("delete from _sqlite_migrations where name = 'add_month_counts'")
    conn.commit()
    conn.close()
    open_database(copy).close()
    conn = sqlite3.connect(copy)
    assert conn.execute(kept).fetchall() == conn.execute(MONTHS_COUNTED).fetchall()
    conn.close()


def test_the_timeline_and_a_date_range_read_no_whole_table(archive: Path) -> None:
    conn = sqlite3.connect(archive)
    (month,) = conn.execute(
        "select month from article_month_counts order by articles desc limit 1"
    ).fetchone()
    (expected,) = conn.execute(
        "select count(*) from articles where substr(published, 1, 7) = ?", [month]
    ).fetchone()
    conn.close()
    path = f"/archive/articles?_from={month}-01&_to={month}-28"
    ((_, whole, whole_traces), (_, page, traces), (_, api, _)) = traced(
        archive,
        "/archive/articles",
        path,
        path.replace("articles?", "articles.json?_shape=objects&"),
    )
    assert 'class="wic-timeline-chart"' in whole and f'data-month="{month}"' in whole
    assert any("from article_month_counts" in t["sql"] for t in whole_traces)
    assert 'name="_from" value="' in page
    assert full_scans(archive, traces) == {}  # the range is read from the published index
    found = json.loads(api)
    assert 0 < found["filtered_table_rows_count"] <= expected
    assert all(r["published"][:7] == month for r in found["rows"])


def ranks(db_path: Path, query: str) -> dict[str, float]:
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        f"select a.id, {search.RANK_SQL} from articles_search s join articles a "
        "on a.rowid = s.rowid where articles_search match ?",
        [search_query(query)],
    ).fetchall()
    conn.close()
    return dict(rows)


@pytest.mark.parametrize("word", ["technology", "乌镇"])
def test_the_pages_of_hits_are_every_match_once_best_first(archive: Path, word: str) -> None:
    expected = ranks(archive, word)
    pages = -(-len(expected) // HITS)
    assert pages >= 3  # the archive must give the word several pages of hits
    answers = traced(archive, *(f"/archive/articles?_search={word}&_page={n}"
                                for n in range(1, pages + 2)))  # fmt: skip
    listed = [article_ids(page) for _, page, _ in answers]
    assert all(len(ids) == HITS for ids in listed[: pages - 1])
    assert listed[-1] == []  # past the last page: no hit
    every = [i for ids in listed for i in ids]
    assert sorted(every) == sorted(expected)  # each match once
    got = [expected[i] for i in every]
    assert got == sorted(got)  # best first, across pages
    first, last = answers[0][1], answers[pages - 1][1]
    assert f"{len(expected)} results" in first and 'rel="next"' in first
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_a_search_that_finds_more_than_it_reads_says_so(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MAX_CANDIDATES", 30)
    conn = sqlite3.connect(archive)
    newest = {row[0] for row in conn.execute(
        "select a.id from articles_search s join articles a on a.rowid = s.rowid "
        "where articles_search match ? order by s.rowid desc limit 30",
        [search_query("technology")],
    )}  # fmt: skip
    conn.close()
    ((_, page, _),) = traced(archive, "/archive/articles?_search=technology")
    text = " ".join(page.split())
    assert "More than 30 results for <strong>technology</strong>" in text
    assert "the 30 most recently stored" in text
    assert set(article_ids(page)) <= newest and len(article_ids(page)) == HITS
    assert re.search(r"<h3>30 rows where search matches", text), "the table reads the same 30"
