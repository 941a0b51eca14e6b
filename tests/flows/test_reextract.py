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


def _contents(db_path: str) -> dict[str, list[dict[str, object]]]:
    """What a reader sees of the archive, without the ids and times of the runs."""
    db = Database(db_path)
    run_columns = {"first_run", "last_changed_run", "run_id", "seen_at", "last_seen_at"}
    tables = ("articles", "article_versions", "article_events", "images", "removed_lines",
              "article_organizers", "pages", "articles_search", "failures")  # fmt: skip
    return {
        table: [
            {k: v for k, v in row.items() if k not in run_columns}
            for row in db.query(f"select rowid as _rowid, * from [{table}] order by rowid")
        ]
        for table in tables
    }


def _two_stale_copies(first: str, second: str) -> None:
    """The saved fixture pages ingested into ``first``, every record as an older extractor
    got it wrong (each is rewritten), and ``second`` a copy of it."""
    from flows.batch import ingest_batch
    from tests.conftest import saved_pages

    with Store.open(first) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages()], "run-1")
    db = Database(first)
    db.execute("update articles set title = title || ' (old)', record_sha256 = 'old-' || id")
    db.conn.commit()
    db.conn.execute(f"vacuum into '{second}'")
    db.close()


def test_reextract_on_every_core_makes_the_database_one_process_makes(tmp_path, prefect_api):
    first, second = str(tmp_path / "one.db"), str(tmp_path / "two.db")
    _two_stale_copies(first, second)

    one = reextract(db=first, workers=1, batch_size=3)
    two = reextract(db=second, workers=2, batch_size=3)
    assert one.ok and two.ok and one.counts.updated > 3
    assert (one.counts.pages, one.counts.updated, one.counts.failed) == (
        two.counts.pages, two.counts.updated, two.counts.failed,
    )  # fmt: skip
    assert _contents(first) == _contents(second)


def test_the_commands_head_start_gives_the_same_database_and_the_flow_uses_its_batches(
    tmp_path, prefect_api, monkeypatch
):
    """What `wic-etl reextract` does: its workers start, with the first batches, before
    Prefect is imported; the flow takes them, and the database is the one without."""
    import flows.reextract
    from flows import workers
    from flows.batch import chunks
    from flows.limits import Limits

    without, ahead = str(tmp_path / "without.db"), str(tmp_path / "ahead.db")
    _two_stale_copies(without, ahead)
    with Store.open(ahead) as store:
        shas = store.stored_page_ids()  # the copy's order (VACUUM renumbers rowids)

    claimed: dict[tuple[str, ...], bool] = {}
    real_claim = flows.reextract.claim_stored

    def spy(db: str, batch: list[str]):  # type: ignore[no-untyped-def]
        started = real_claim(db, batch)
        claimed[tuple(batch)] = started is not None
        return started

    plain = reextract(db=without, workers=2, batch_size=3)
    monkeypatch.setattr(flows.reextract, "claim_stored", spy)
    workers.start_reextract_ahead(ahead, 3, 2, Limits())
    try:
        headed = reextract(db=ahead, workers=2, batch_size=3)
    finally:
        workers.release()
    # The first batches (two per worker and one more) were the ones started ahead.
    assert [claimed[tuple(b)] for b in chunks(shas, 3)][:6] == [True] * 5 + [False]
    assert headed.ok and headed.counts.updated > 3
    assert headed.counts.as_row() == plain.counts.as_row()
    assert _contents(ahead) == _contents(without)
