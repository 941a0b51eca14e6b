"""What Datasette users see: markup stored in text columns is shown escaped, never run."""

import asyncio
import re
from pathlib import Path

from datasette.app import Datasette

from core.records import Extracted, RawPage
from extractors.extract import RULESET, extract_page
from loaders.schema import open_database
from loaders.store import Store
from tests.conftest import SAVED, SITES, store_of

PAYLOAD = "<script>alert('wic')</script><img src=x onerror=alert(1)>"


def test_markup_in_text_columns_is_escaped_in_datasette(tmp_path):
    page = (SAVED / "text" / "wic_en_digital_silk_road.txt").read_text("utf-8")
    page = page.replace(
        "The conference will publish a summary",
        f"A reader wrote {PAYLOAD} in a comment. The conference will publish a summary",
    )
    outcome = extract_page(RawPage("hostile.txt", page.encode()))
    assert isinstance(outcome, Extracted)
    assert PAYLOAD in outcome.article.body  # text in a text save is kept as text
    db_path = tmp_path / "wic.db"
    db = open_database(db_path)
    store_of(db).start_run("run-1", "ingest", ["hostile.txt"])
    store_of(db).load([outcome], "run-1", RULESET)
    db.close()

    async def fetch(path: str) -> str:
        response = await Datasette([str(db_path)]).client.get(path)
        assert response.status_code == 200
        return response.text

    for path in (f"/wic/articles/{outcome.article.id}", "/wic/articles?_search=reader"):
        html = asyncio.run(fetch(path))
        assert "&lt;script&gt;alert(" in html
        assert PAYLOAD not in html
        assert "<script>alert(" not in html


def browse(db_path, path: str) -> dict:
    from loaders.datasette_metadata import metadata

    async def fetch() -> dict:
        datasette = Datasette([str(db_path)], metadata=metadata(db_path.stem, SITES))
        response = await datasette.client.get(path)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    return asyncio.run(fetch())


def loaded_fixtures(tmp_path):
    from flows.batch import ingest_batch
    from tests.conftest import BAD, listing_pages, saved_pages

    db_path = tmp_path / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages() + listing_pages()], "run-1")
        store.start_run("run-2", "ingest", ["bad"])
        ingest_batch(store, [str(BAD / "truncated.html"), str(BAD / "empty.txt")], "run-2")
    return db_path


def test_search_facets_and_canned_queries(tmp_path):
    from tests.conftest import gold_article_ids

    db_path = loaded_fixtures(tmp_path)
    hits = browse(db_path, "/wic/articles.json?_search=quantum&_shape=array")
    assert [h["title"] for h in hits] == [
        "Hefei lab opens its quantum testbed to outside researchers"
    ]

    table = browse(db_path, "/wic/articles.json?_size=0")
    facets = {name: {r["value"]: r["count"] for r in f["results"]}
              for name, f in table["facet_results"].items()}  # fmt: skip
    assert set(facets) >= {"site", "section", "language", "published_year"}
    assert sum(facets["site"].values()) == len(gold_article_ids())
    assert facets["language"]["zh"] == 7
    assert facets["published_year"][2015] == 1

    view = browse(db_path, "/wic/articles_with_organizers.json?_size=0")
    organizers = {r["value"]: r["count"] for r in view["facet_results"]["organizers"]["results"]}
    assert organizers["Cyberspace Administration of China"] == 8

    latest = browse(db_path, "/wic/latest_articles.json?_shape=array")
    assert latest[0]["published"] == max(r["published"] for r in latest)
    by_organizer = browse(
        db_path, "/wic/articles_by_organizer.json?_shape=array&organizer=国际电信联盟"
    )
    assert len(by_organizer) == 4  # the Chinese WIC pages that list it
    icp = browse(db_path, "/wic/removed_by_kind.json?_shape=array&kind=icp")
    assert icp[0]["text"] == "京ICP备13028878号-23"
    failures = browse(db_path, "/wic/failures_of_the_last_run.json?_shape=array")
    assert [f["stage"] for f in failures] == ["extract", "decode"]


def test_only_web_addresses_become_links_on_an_article_page(tmp_path: Path) -> None:
    db_path = loaded_fixtures(tmp_path)
    db = open_database(db_path)
    (article_id,) = db.execute("select id from articles where url like 'http%' limit 1").fetchone()
    addresses = (
        "javascript:alert(document.domain)", " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>", "HTTPS://www.chinadaily.com.cn/a.html",
    )  # fmt: skip

    async def page(path: str) -> str:
        from loaders.datasette_app import make_datasette

        response = await make_datasette(db_path, SITES).client.get(path)
        assert response.status_code == 200
        return response.text

    for address in addresses:
        db.execute("update articles set url = ? where id = ?", [address, article_id])
        db.conn.commit()
        html = asyncio.run(page(f"/wic/articles/{article_id}"))
        original = re.search(r'<p class="wic-original">(.*?)</p>', html, re.S)
        assert original, address
        links = re.findall(r'href="([^"]*)"', original.group(1))
        if address.lower().startswith("https://"):
            assert links == [address]
        else:
            assert links == [], address  # shown as text, never a link
            assert "Original page:" in original.group(1)
    db.close()
