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
