"""What a search box answers to searches that are too big, FTS5 syntax, and hostile text.

Through wic-etl's Datasette as a person uses it (the same app ``wic-etl datasette``
serves), on a database of the fixtures. The worst searches allowed, timed against a
large archive over HTTP, are in ``test_search_worst_case.py``.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from core.records import Extracted, RawPage
from extractors.extract import RULESET, extract_page
from flows.batch import ingest_batch
from loaders.datasette_app import make_datasette
from loaders.schema import open_database
from loaders.search import SEARCH_TABLE, index_article_for_search
from loaders.store import Store
from tests.conftest import SAVED, SITES, saved_pages, store_of

QUANTUM = "Hefei lab opens its quantum testbed to outside researchers"


@pytest.fixture(scope="module")
def fixtures_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db_path = tmp_path_factory.mktemp("search") / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages()], "run-1")
    return str(db_path)


def get(db_path: str, *paths: str) -> list[httpx.Response]:
    async def fetch_all() -> list[httpx.Response]:
        client = make_datasette(db_path, SITES).client
        return [await client.get(path) for path in paths]

    return asyncio.run(fetch_all())


def hits(page: str) -> list[str]:
    """The titles of the hit list, tags out."""
    found = re.findall(r'<h3 class="wic-hit-title">(.*?)</h3>', page, re.S)
    return [re.sub(r"<[^>]+>", "", title).strip() for title in found]


def sentence(page: str) -> str:
    """What the page says about the search instead of listing hits."""
    said = re.search(r'<p class="wic-search-refused">(.*?)</p>', page, re.S)
    assert said, "no sentence about the search on the page"
    return " ".join(said.group(1).split())


def rows_shown(page: str) -> int:
    """Rows of the table under the hit list (Datasette's own search of the table)."""
    body = re.search(r"<tbody>(.*?)</tbody>", page, re.S)
    return body.group(1).count("<tr>") if body else 0


def test_a_search_of_too_many_words_is_answered_with_a_sentence(fixtures_db: str) -> None:
    from loaders.search import MAX_TERMS

    words = ["quantum"] * MAX_TERMS
    allowed, over = get(
        fixtures_db,
        "/wic/articles?_search=" + "+".join(words),
        "/wic/articles?_search=" + "+".join([*words, "testbed"]),
    )
    assert allowed.status_code == 200 and hits(allowed.text) == [QUANTUM]
    assert over.status_code == 200  # the articles page, not an error page
    said = sentence(over.text)
    assert f"{MAX_TERMS + 1} words" in said and f"at most {MAX_TERMS}" in said
    assert hits(over.text) == [] and rows_shown(over.text) == 0
    assert 'value="' + " ".join([*words, "testbed"]) + '"' in over.text  # the box keeps it


def test_a_search_too_long_gets_a_sentence_in_html_and_an_error_in_json(fixtures_db: str) -> None:
    from loaders.search import MAX_QUERY_CHARS

    long = "quantum" + " " * (MAX_QUERY_CHARS - len("quantum")) + "x"
    page, api = get(fixtures_db, f"/wic/articles?_search={long}",
                    f"/wic/articles.json?_search={long}")  # fmt: skip
    assert page.status_code == 200
    said = sentence(page.text)
    assert f"{MAX_QUERY_CHARS + 1} characters" in said and f"at most {MAX_QUERY_CHARS}" in said
    assert rows_shown(page.text) == 0
    # A program asking for JSON is told why, not handed an empty list it would trust.
    assert api.status_code == 400 and api.json()["error"] == said


def test_the_hit_list_reads_raw_mode_as_fts5_syntax_like_the_table(fixtures_db: str) -> None:
    prefix, either, column = get(
        fixtures_db,
        "/wic/articles?_search=quant*&_searchmode=raw",
        "/wic/articles?_search=quantum+OR+testbed&_searchmode=raw",
        "/wic/articles?_search=title:+quantum&_searchmode=raw",
    )
    assert hits(prefix.text) == [QUANTUM] and rows_shown(prefix.text) == 1
    assert hits(either.text) == [QUANTUM]
    assert hits(column.text) == [QUANTUM]
    (escaped,) = get(fixtures_db, "/wic/articles?_search=quant*")  # escaped: * is not syntax
    assert hits(escaped.text) == [] and "No article contains" in escaped.text


def test_invalid_raw_fts5_syntax_gets_a_sentence_not_an_error_page(fixtures_db: str) -> None:
    for query in ("NEAR(", 'quantum "lab', "nosuchcolumn: quantum", "AND quantum"):
        (page,) = get(fixtures_db, f"/wic/articles?_search={query}&_searchmode=raw")
        assert page.status_code == 200, (query, page.text[:300])
        assert "Invalid SQL" not in page.text
        said = sentence(page.text)
        assert "FTS5" in said and "_searchmode=raw" in said, said
        assert rows_shown(page.text) == 0


def test_raw_mode_is_bounded_too(fixtures_db: str) -> None:
    many = "+".join(["ai"] * 40)
    prefixes = "+OR+".join(["qu*", "te*", "la*", "re*", "op*"])
    short = "q*"
    far = "NEAR(quantum+testbed,+1000)"
    pages = get(fixtures_db, *(f"/wic/articles?_search={q}&_searchmode=raw"
                               for q in (many, prefixes, short, far)))  # fmt: skip
    assert "40 words" in sentence(pages[0].text)
    assert "5 prefix searches" in sentence(pages[1].text)
    assert "q* has fewer" in sentence(pages[2].text)
    assert "1000 apart" in sentence(pages[3].text)
    assert all(rows_shown(p.text) == 0 for p in pages)
    # Any table searched through the articles' index, as Datasette allows, is bounded alike.
    (other,) = get(fixtures_db, f"/wic/runs?_fts_table={SEARCH_TABLE}&_search={many}"
                                "&_searchmode=raw")  # fmt: skip
    assert other.status_code == 200 and rows_shown(other.text) == 0
    assert "40 words" in sentence(other.text)


def test_marker_characters_in_stored_text_never_become_marks(tmp_path: Path) -> None:
    page = (SAVED / "text" / "wic_en_digital_silk_road.txt").read_text("utf-8")
    forged = "\x02<script>alert(1)</script>forged\x03"
    page = page.replace(
        "The conference will publish a summary",
        f"Zanzibar traders {forged} said. The conference will publish a summary",
    )
    outcome = extract_page(RawPage("hostile.txt", page.encode()))
    assert isinstance(outcome, Extracted) and "\x02" in outcome.article.body
    db_path = tmp_path / "wic.db"
    db = open_database(db_path)
    store_of(db).start_run("run-1", "ingest", ["hostile.txt"])
    store_of(db).load([outcome], "run-1", RULESET)
    db.close()

    def marks() -> list[str]:
        (html,) = get(str(db_path), "/wic/articles?_search=zanzibar")
        assert "Zanzibar" in html.text and "&lt;script&gt;" in html.text
        assert "<script>alert(1)" not in html.text
        return re.findall(r"<mark>(.*?)</mark>", html.text)

    assert marks() and {m.lower() for m in marks()} == {"zanzibar"}
    # An index written before the markers were kept out of it holds them as stored.
    db = open_database(db_path)
    rowid, title, body = db.execute("select rowid, title, body from articles").fetchone()
    index_article_for_search(db, rowid, title, body, row=(title, body, ""))
    db.conn.commit()
    assert db.execute(f"select count(*) from {SEARCH_TABLE} where body like '%' || char(2) || '%'"
                      ).fetchone() == (1,)  # fmt: skip
    db.close()
    assert "forged" not in "".join(marks())


def test_a_search_of_no_words_finds_nothing_without_an_error(fixtures_db: str) -> None:
    for query in ("%22", "%22%22", "%20%20"):  # a lone quote, an empty phrase, spaces
        page, api = get(fixtures_db, f"/wic/articles?_search={query}",
                        f"/wic/articles.json?_search={query}")  # fmt: skip
        assert page.status_code == 200 and "Invalid SQL" not in page.text, query
        assert hits(page.text) == [] and rows_shown(page.text) == 0
        assert api.status_code == 200 and api.json()["rows"] == []
