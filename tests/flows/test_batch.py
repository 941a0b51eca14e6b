"""The crawl's single writer: fetched pages already done are skipped, news is loaded."""

from __future__ import annotations

from core.records import RawPage
from extractors.extract import extract_page
from flows.batch import OutcomeWriter
from loaders.store import Store
from tests.conftest import FIXTURES

URL = "https://www.chinadaily.com.cn/a/202512/20/WS6945ede4a310d6866eb2f9ad.html"
EN = (FIXTURES / "real" / "en_2025_article_wcxb.html").read_bytes()
EDITED = EN.replace(b"announced a breakthrough", b"announced a major breakthrough")


def _fetch(writer: OutcomeWriter, data: bytes) -> None:
    writer(extract_page(RawPage(URL, data, URL, "text/html", 200)))
    writer.flush()


def test_a_fetch_of_an_earlier_versions_bytes_is_loaded_and_the_shown_one_skipped(tmp_path):
    with Store.open(str(tmp_path / "wic.db")) as store:
        writers = []
        for run, data in (("run-1", EN), ("run-2", EDITED), ("run-3", EN), ("run-4", EN)):
            store.start_run(run, "ingest", [URL])
            writers.append(OutcomeWriter(store, run, 10))
            _fetch(writers[-1], data)
        counts = [w.counts for w in writers]
        assert [(c.new, c.updated, c.unchanged) for c in counts] == [
            (1, 0, 0), (0, 1, 0), (0, 1, 0), (0, 0, 1),
        ]  # fmt: skip
        assert [(c.edited, c.restored) for c in counts] == [(0, 0), (1, 0), (0, 1), (0, 0)]
        shown = store.db.execute("select version from articles").fetchone()
        assert shown == (1,) and store.db["article_versions"].count == 2


def test_a_reextracted_batch_comes_back_without_the_stored_bytes_and_loads_them_intact(tmp_path):
    """A re-extraction's worker hands the writer its pages without their bytes (they are
    stored): the batch is small, and the pages' stored bytes stay what they were."""
    import pickle

    from flows.batch import load_batch, reextract_in_worker
    from loaders.raw_pages import stored_raw_pages

    db_path = str(tmp_path / "wic.db")
    data = (FIXTURES / "real" / "en_2025_article_wcxb.html").read_bytes()
    with Store.open(db_path) as store:
        store.start_run("run-1", "ingest", ["x"])
        store.load([extract_page(RawPage("a.html", data))], "run-1", "r")
        (sha,) = store.stored_page_ids()
    extracted, _ = reextract_in_worker(db_path, [sha])
    (outcome,) = extracted.outcomes
    assert outcome.page.sha256 == sha and outcome.page.data == b""
    assert len(pickle.dumps(extracted)) < len(data) / 2
    with Store.open(db_path) as store:
        store.start_run("run-2", "reextract", [db_path])
        counts = load_batch(store, extracted, "run-2", reextracting=True)
        assert counts.failed == 0
        (page,) = stored_raw_pages(store.db, [sha])
    assert page.data == data


def test_a_page_without_its_bytes_that_is_not_stored_fails_and_stores_no_empty_row(tmp_path):
    db_path = str(tmp_path / "wic.db")
    data = (FIXTURES / "real" / "en_2025_article_wcxb.html").read_bytes()
    outcome = extract_page(RawPage("a.html", data))
    light = type(outcome)(**{**outcome.__dict__, "page": outcome.page.without_bytes()})
    with Store.open(db_path) as store:
        store.start_run("run-1", "ingest", ["x"])
        counts = store.load([light], "run-1", "r")
        assert counts.failed == 1 and "without its bytes" in counts.failures[0].message
        assert store.db.execute("select count(*) from pages where size = 0").fetchone()[0] == 0
