"""The reextract flow keeps an archive's versions: rewritten from their own pages, none added."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from core.records import RawPage
from extractors.extract import RULESET, extract_page
from flows.reextract import reextract
from loaders.store import Store
from tests.conftest import FIXTURES

# A whole flow run against the session's Prefect server, with worker processes.
pytestmark = pytest.mark.slow

EN = (FIXTURES / "real" / "en_2025_article_wcxb.html").read_bytes()
EDITED = EN.replace(b"announced a breakthrough", b"announced a major breakthrough")


def test_reextract_rewrites_every_version_and_adds_no_version_or_event(tmp_path, prefect_api):
    db_path = str(tmp_path / "wic.db")
    with Store.open(db_path) as store:
        for run, data in (("run-1", EN), ("run-2", EDITED)):
            store.start_run(run, "ingest", ["x"])
            store.load([extract_page(RawPage(f"{run}.html", data))], run, RULESET)
    db = Database(db_path)
    good = list(db.query("select * from article_versions order by version"))
    events = list(db.query("select * from article_events"))
    assert [v["change"] for v in good] == ["first", "edited"] and len(events) == 1
    # As if an older extractor had read both versions wrong.
    db.execute("update article_versions set title = 'wrong', record_sha256 = 'old-' || version")
    db.execute("update articles set title = 'wrong', record_sha256 = 'old-2'")
    db.conn.commit()

    summary = reextract(db=db_path, workers=1)
    assert summary.ok
    assert (summary.counts.updated, summary.counts.edited, summary.counts.restored) == (1, 0, 0)
    db = Database(db_path)
    assert list(db.query("select * from article_versions order by version")) == good
    assert list(db.query("select * from article_events")) == events
    (article,) = db.query("select title, version, record_sha256 from articles")
    assert article == {"title": good[1]["title"], "version": 2,
                       "record_sha256": good[1]["record_sha256"]}  # fmt: skip
