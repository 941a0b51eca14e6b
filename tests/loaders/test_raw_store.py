"""The compact raw store: pages stored compressed come back byte for byte, through the
one call the code uses and through Datasette."""

import asyncio
import hashlib
import re

from core.records import RawPage
from extractors.extract import RULESET, extract_page
from loaders import raw_store
from loaders.datasette_app import make_datasette
from loaders.raw_pages import stored_raw_page, stored_raw_pages
from loaders.schema import open_database
from loaders.store import Store
from tests.conftest import FIXTURES, SAVED, SITES, saved_pages, store_of

PANDA = SAVED / "html" / "cd_panda_cubs.html"
REAL = FIXTURES / "real" / "en_2024_article_magichtml.html"
URL = "https://www.chinadaily.com.cn/a/202401/15/WS65a4b5c6a3105f21a507c2d3.html"


def load(db, data: bytes, run: str = "run-1", url: str | None = URL) -> str:
    page = RawPage(str(REAL), data, url, "text/html; charset=utf-8")
    store_of(db).start_run(run, "ingest", ["test"])
    store_of(db).load([extract_page(page)], run, RULESET)
    return page.sha256


def columns(db, sha: str) -> tuple:
    return db.execute(
        "select compression, dictionary_id, base_sha256, length(raw), size from pages "
        "where sha256 = ?",
        [sha],
    ).fetchone()


def test_pages_are_stored_compressed_and_read_back_whole(tmp_path):
    db = open_database(tmp_path / "wic.db")
    data = REAL.read_bytes()
    sha = load(db, data)
    compression, dictionary_id, base, stored, size = columns(db, sha)
    assert (compression, dictionary_id, base, size) == ("zstd", None, None, len(data))
    assert stored < size / 3
    assert stored_raw_page(db, sha) == data
    assert [p.data for p in stored_raw_pages(db, [sha])] == [data]


def test_another_version_of_an_address_is_a_delta_of_the_first(tmp_path):
    db = open_database(tmp_path / "wic.db")
    first = REAL.read_bytes()
    second = first.replace(b"</h1>", b" (updated)</h1>", 1)
    third = first.replace(b"</h1>", b" (updated again)</h1>", 1)
    shas = [load(db, data, f"run-{n}") for n, data in enumerate((first, second, third))]
    assert columns(db, shas[0])[2] is None
    # Both later versions against the first: a base is never a delta (depth 1).
    assert [columns(db, sha)[2] for sha in shas[1:]] == [shas[0], shas[0]]
    assert columns(db, shas[1])[3] < 200  # a few changed bytes, not the page again
    assert [stored_raw_page(db, sha) for sha in shas] == [first, second, third]


def test_a_site_and_layout_get_a_dictionary_and_older_ones_stay_readable(tmp_path):
    db = open_database(tmp_path / "wic.db")
    data = REAL.read_bytes()
    pages = {}
    for n in range(6):  # distinct addresses: no deltas, so the dictionaries do the work
        variant = data.replace(b"</h1>", f" {n}</h1>".encode(), 1)
        pages[load(db, variant, f"run-{n}", URL.replace(".html", f"_{n}x.html"))] = variant
    with db.conn:
        made = raw_store.train_due(db, at_least=6)
    assert len(made) == 1
    (site, layout) = db.execute("select site, layout from raw_dictionaries").fetchone()
    assert (site, layout) == ("chinadaily.com.cn", "chinadaily")
    assert {columns(db, sha)[1] for sha in pages} == {made[0]}  # all recompressed
    # A newer dictionary of the same site and layout: new pages use it, old ones still read.
    bucket = raw_store.Bucket(site, layout)
    with db.conn:
        newer = raw_store.train(db, bucket, list(pages))
    variant = data.replace(b"</h1>", b" new</h1>", 1)
    sha = load(db, variant, "run-9", URL.replace(".html", "_new.html"))
    assert columns(db, sha)[1] == newer != made[0]
    pages[sha] = variant
    got = {
        p.source and hashlib.sha256(p.data).hexdigest() for p in stored_raw_pages(db, list(pages))
    }
    assert got == set(pages)


def test_the_pages_row_links_the_original_bytes_in_datasette(tmp_path):
    from flows.batch import ingest_batch

    db_path = tmp_path / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages()], "run-1")
    data = PANDA.read_bytes()
    sha = hashlib.sha256(data).hexdigest()

    async def fetch():
        datasette = make_datasette(db_path, SITES)
        row = await datasette.client.get(f"/wic/pages/{sha}")
        link = re.search(r'href="([^"]*/-/raw/[0-9a-f]{64})"', row.text)
        assert link, "the pages row links the original bytes"
        raw = await datasette.client.get(link.group(1))
        missing = await datasette.client.get("/wic/-/raw/" + "0" * 64)
        return row, raw, missing

    row, raw, missing = asyncio.run(fetch())
    assert row.status_code == 200
    assert raw.status_code == 200 and raw.content == data
    assert raw.headers["content-type"].startswith("text/html")
    assert raw.headers["content-disposition"] == f'attachment; filename="{sha}.html"'
    assert missing.status_code == 404


def test_a_run_trains_a_dictionary_once_enough_pages_of_a_layout_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(raw_store, "TRAIN_AFTER", 4)
    db = open_database(tmp_path / "wic.db")
    data = REAL.read_bytes()
    pages = {}
    for n in range(5):  # one batch each, as a run loads them
        variant = data.replace(b"</h1>", f" {n}</h1>".encode(), 1)
        sha = load(db, variant, f"run-{n}", URL.replace(".html", f"_{n}y.html"))
        pages[sha] = variant
        made = db.execute("select count(*) from raw_dictionaries").fetchone()[0]
        assert made == (1 if n >= 3 else 0)  # after the 4th page's batch
    (dictionary_id,) = db.execute("select id from raw_dictionaries").fetchone()
    # The four waiting pages recompressed with it, the fifth stored with it at once.
    assert {columns(db, sha)[1] for sha in pages} == {dictionary_id}
    assert {p.data for p in stored_raw_pages(db, list(pages))} == set(pages.values())


def test_compact_moves_pages_to_a_newer_dictionary_only_where_it_stores_them_smaller(tmp_path):
    from loaders.compaction import convert_batch, newest_dictionaries

    db = open_database(tmp_path / "wic.db")
    data = REAL.read_bytes()
    pages = {}
    for n in range(4):
        variant = data.replace(b"</h1>", f" {n}</h1>".encode(), 1)
        pages[load(db, variant, f"run-{n}", URL.replace(".html", f"_{n}z.html"))] = variant
    bucket = raw_store.Bucket("chinadaily.com.cn", "chinadaily")
    with db.conn:
        first = raw_store.train(db, bucket, list(pages)[:2])
        raw_store.recompress(db, list(pages), bucket)
    before = {sha: columns(db, sha) for sha in pages}
    assert {c[1] for c in before.values()} == {first}
    with db.conn:  # a newer one, from every page: it knows all four
        newer = raw_store.train(db, bucket, list(pages))
    batch = convert_batch(db, 0, newest=newest_dictionaries(db))
    assert batch.pages == len(pages) and batch.changed >= 1
    for sha in pages:
        _, dictionary_id, _, stored, _ = columns(db, sha)
        assert dictionary_id in (first, newer)
        assert stored <= before[sha][3]
        if dictionary_id == newer:
            assert stored < before[sha][3]
    assert {p.data for p in stored_raw_pages(db, list(pages))} == set(pages.values())


def test_pages_that_begin_like_a_zstd_dictionary_still_make_a_usable_one(tmp_path):
    # Fewer pages than zstd trains on: the dictionary is the pages' own bytes, and bytes
    # that begin with zstd's dictionary magic would be parsed as a trained dictionary.
    db = open_database(tmp_path / "wic.db")
    hostile = b"\x37\xa4\x30\xec" + REAL.read_bytes()
    pages = {}
    for n in range(3):
        variant = hostile.replace(b"</h1>", f" {n}</h1>".encode(), 1)
        pages[load(db, variant, f"run-{n}", URL.replace(".html", f"_{n}z.html"))] = variant
    with db.conn:
        raw_store.train_due(db, at_least=3)
    after = hostile.replace(b"</h1>", b" later</h1>", 1)
    sha = load(db, after, "run-9", URL.replace(".html", "_later.html"))
    pages[sha] = after
    assert {sha: stored_raw_page(db, sha) for sha in pages} == pages
    assert columns(db, sha)[1] is not None  # stored with the dictionary


def test_a_saved_page_with_no_address_takes_its_articles_site_dictionary(tmp_path):
    db = open_database(tmp_path / "wic.db")
    data = REAL.read_bytes()
    for n in range(3):
        variant = data.replace(b"</h1>", f" {n}</h1>".encode(), 1)
        load(db, variant, f"run-{n}", URL.replace(".html", f"_{n}s.html"))
    with db.conn:
        (made,) = raw_store.train_due(db, at_least=3)
    saved = data.replace(b"</h1>", b" saved</h1>", 1).replace(URL.encode(), b"")
    saved = re.sub(rb"https?://www\.chinadaily\.com\.cn/a/[^\"' )]+", b"", saved)
    sha = load(db, saved, "run-9", None)
    assert db.execute("select url from pages where sha256 = ?", [sha]).fetchone() == (None,)
    assert columns(db, sha)[1] == made  # the site's dictionary, as training groups it
    assert stored_raw_page(db, sha) == saved


def test_a_layouts_dictionary_is_made_the_way_that_stores_its_new_pages_smallest():
    import random

    from bench.corpus import page

    # China Daily pages of the bench corpus: real China Daily pages with their
    # articles replaced, the shell the same on every page as on the site.
    rng = random.Random(7)
    pages = [page(n, rng)[1].encode() for n in range(240)][1::2]
    older, newer = pages[:100], pages[100:]
    kept = raw_store._stored_size(raw_store.make_dictionary(older), newer)
    each = [raw_store._stored_size(way(older), newer) for way in raw_store._DICTIONARY_WAYS]
    assert kept <= min(each) * 1.05
    # zstd's trainer alone, which every dictionary used to be, stores them larger.
    assert kept < raw_store._stored_size(raw_store._trained(older), newer) * 0.9
