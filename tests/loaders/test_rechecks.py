"""Which known articles are due for a re-check, kept up by the loads themselves (triggers).

Real pages (fixtures/real/) are loaded through ``Store.load`` as fetched pages; the
tests then ask ``Store.due_for_recheck`` at chosen moments, record checks, change the
ladder, and look at the query plan the due query gets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.records import RawPage
from core.schedule import check_ladder
from core.settings import DEFAULTS
from extractors.extract import RULESET, extract_page
from loaders.rechecks import FAILED, NEVER, NOT_MODIFIED, Check, retry_delay
from loaders.schema import migrations, open_database
from tests.conftest import FIXTURES, SAVED, store_of

LADDER = check_ladder(DEFAULTS.recheck_ladder)
EN = (FIXTURES / "real" / "en_2025_article_wcxb.html").read_bytes()
SITE = "http://127.0.0.1:8000"
PATH = "/a/202512/20/WS6945ede4a310d6866eb2f9ad.html"


def _fetched(data: bytes, url: str):
    headers = (("ETag", '"x"'), ("Last-Modified", "Mon, 01 Dec 2025 00:00:00 GMT"))
    page = RawPage(url, data, url, "text/html; charset=utf-8", 200, headers)
    return extract_page(page)


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "wic.db")
    for run in ("run-1", "run-2", "run-3"):
        store_of(database).start_run(run, "ingest", ["test"])
    yield database
    database.close()


def _row(db, article_id: str) -> dict:
    (row,) = db.query("select * from article_checks where article_id = ?", [article_id])
    return row


def _at(stamp: str, hours: float = 0) -> datetime:
    return datetime.fromisoformat(stamp) + timedelta(hours=hours)


def test_a_loaded_article_is_due_an_hour_after_it_was_seen(db):
    store = store_of(db)
    store.load([_fetched(EN, SITE + PATH)], "run-1", RULESET)
    (article,) = db.query("select id from articles")
    row = _row(db, article["id"])
    assert row["changed_at"] == row["checked_at"] and row["due_at"] is None
    assert store.due_for_recheck(LADDER, at=_at(row["checked_at"], 0.99)) == []
    (due,) = store.due_for_recheck(LADDER, at=_at(row["checked_at"], 1))
    assert (due.id, due.url, due.parts, due.removed) == (article["id"], SITE + PATH, (), False)
    assert _row(db, article["id"])["due_at"] == _at(row["checked_at"], 1).isoformat(
        timespec="milliseconds"
    )


def test_a_check_moves_the_next_one_and_a_failed_check_puts_it_off(db):
    store = store_of(db)
    store.load([_fetched(EN, SITE + PATH)], "run-1", RULESET)
    (article,) = db.query("select id from articles")
    before = _row(db, article["id"])
    store.due_for_recheck(LADDER)  # works the due time out
    start = datetime.now(UTC)
    store.record_checks([Check(article["id"], FAILED, 503)], "run-2", LADDER)
    end = datetime.now(UTC)
    failed = _row(db, article["id"])
    assert (failed["outcome"], failed["http_status"], failed["run_id"]) == (FAILED, 503, "run-2")
    assert failed["checked_at"] == before["checked_at"]  # not looked at
    assert failed["failed_checks"] == 1
    retry = timedelta(hours=1)  # an hour after the failed check
    assert start + retry - timedelta(milliseconds=1) <= _at(failed["due_at"]) <= end + retry
    store.record_checks([Check(article["id"], NOT_MODIFIED, 304)], "run-3", LADDER)
    checked = _row(db, article["id"])
    assert checked["failed_checks"] == 0
    assert checked["checked_at"] > before["checked_at"]
    assert checked["due_at"] == _at(checked["checked_at"], 1).isoformat(timespec="milliseconds")
    assert checked["changed_at"] == before["changed_at"]  # a 304 is no change


def test_failed_checks_put_the_next_try_off_longer_each_time(db):
    assert [retry_delay(n) for n in (1, 2, 3, 9, 100)] == [
        timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(days=7),
        timedelta(days=7),
    ]  # fmt: skip
    store = store_of(db)
    store.load([_fetched(EN, SITE + PATH)], "run-1", RULESET)
    (article,) = db.query("select id from articles")
    store.due_for_recheck(LADDER)
    for failures in (1, 2, 3):
        store.record_checks([Check(article["id"], FAILED, 503)], "run-2", LADDER)
        row = _row(db, article["id"])
        assert row["failed_checks"] == failures
        # The next try is the delay after the check (its run's time), not before.
        assert _at(row["due_at"]) - retry_delay(failures) > _at(row["checked_at"])


def test_an_article_that_keeps_failing_does_not_take_the_turn_of_the_others(db):
    store = store_of(db)
    zh = (FIXTURES / "real" / "zh_china_2023_newspaper4k.html").read_bytes()
    store.load([_fetched(EN, SITE + PATH), _fetched(zh, SITE + "/a/zh.html")], "run-1", RULESET)
    seen = max(row["checked_at"] for row in db.query("select checked_at from article_checks"))
    first, second = store.due_for_recheck(LADDER, at=_at(seen, 2))
    store.record_checks([Check(first.id, FAILED, None)], "run-2", LADDER)
    # A run with room for one article a little later takes the one that did not fail.
    (turn,) = store.due_for_recheck(LADDER, at=_at(seen, 2.5), limit=1)
    assert turn.id == second.id


def test_an_edit_and_an_event_make_the_article_young_again(db):
    store = store_of(db)
    store.load([_fetched(EN, SITE + PATH)], "run-1", RULESET)
    (article,) = db.query("select id from articles")
    db.execute(
        "update article_checks set changed_at = '2025-01-01T00:00:00.000+00:00', "
        "checked_at = '2025-06-01T00:00:00.000+00:00', due_at = null"
    )
    db.conn.commit()
    store.due_for_recheck(LADDER)
    assert _row(db, article["id"])["due_at"] == "2025-07-01T00:00:00.000+00:00"  # monthly
    edited = EN.replace(b"announced a breakthrough", b"announced a major breakthrough")
    store.load([_fetched(edited, SITE + PATH)], "run-2", RULESET)
    row = _row(db, article["id"])
    (version,) = db.query("select seen_at from article_versions where version = 2")
    assert row["changed_at"] == version["seen_at"] and row["due_at"] is None
    store.record_removal(SITE + PATH, "run-3", 404, "HTTP 404 Not Found")
    (event,) = db.query("select at from article_events where kind = 'removed'")
    assert _row(db, article["id"])["changed_at"] == event["at"]
    (due,) = store.due_for_recheck(LADDER, everything=True)
    assert due.removed  # asked for plainly next time


def test_an_article_with_no_web_address_is_never_due(db):
    store = store_of(db)
    page = SAVED / "text" / "cd_text_library_night.txt"  # a text save naming no address
    store.load([extract_page(RawPage(str(page), page.read_bytes()))], "run-1", RULESET)
    ((article_id, url),) = db.execute("select id, url from articles").fetchall()
    assert url is None
    later = datetime.now(UTC) + timedelta(days=3650)
    assert store.due_for_recheck(LADDER, at=later) == []
    assert store.due_for_recheck(LADDER, everything=True) == []
    assert _row(db, article_id)["due_at"] == NEVER


def test_a_multi_page_article_is_rechecked_at_each_page_it_was_fetched_from(db):
    store = store_of(db)
    base = SITE + "/a/201901/11/WS5c37cfaea3106c65c34e3c9e"
    names = ["canal_town_p1.html", "canal_town_p2.html", "canal_town_p3.html"]
    urls = [f"{base}.html", f"{base}_2.html", f"{base}_3.html"]
    outcomes = [
        _fetched((SAVED / "multipage" / name).read_bytes(), url)
        for name, url in zip(names, urls, strict=True)
    ]
    store.load(outcomes, "run-1", RULESET)
    (due,) = store.due_for_recheck(LADDER, everything=True)
    assert (due.url, due.parts) == (urls[0], tuple(urls[1:]))


def test_another_ladder_works_every_due_time_out_again(db):
    store = store_of(db)
    store.load([_fetched(EN, SITE + PATH)], "run-1", RULESET)
    (article,) = db.query("select id from articles")
    seen = _row(db, article["id"])["checked_at"]
    store.due_for_recheck(LADDER)
    assert _row(db, article["id"])["due_at"] == _at(seen, 1).isoformat(timespec="milliseconds")
    quarter = check_ladder([[0, 0.25], [3, 1]])
    store.due_for_recheck(quarter)
    assert _row(db, article["id"])["due_at"] == _at(seen, 0.25).isoformat(timespec="milliseconds")


def test_the_due_query_reads_one_index_range(db):
    plan = " ".join(
        row[3]
        for row in db.execute(
            "explain query plan select article_id from article_checks where due_at <= ? "
            "order by due_at limit 100",
            ["2026-01-01"],
        ).fetchall()
    )
    assert "USING INDEX idx_article_checks_due_at (due_at<?)" in plan
    assert "TEMP B-TREE" not in plan  # no sort: the index gives the order


def test_add_rechecks_gives_existing_articles_their_row(tmp_path):
    db = open_database(tmp_path / "old.db")
    store = store_of(db)
    store.start_run("run-1", "ingest", ["x"])
    store.load([_fetched(EN, SITE + PATH)], "run-1", RULESET)
    store.record_removal(SITE + PATH, "run-1", 410, "HTTP 410 Gone")
    (version,) = db.query("select seen_at, last_seen_at from article_versions")
    (event,) = db.query("select at from article_events")
    # Back to before add_rechecks: its tables (and triggers) gone, then migrated again.
    for table in ("article_checks", "recheck_schedule"):
        db.execute(f"drop table {table}")
    for trigger in ("article_checks_version", "article_checks_seen", "article_checks_event"):
        db.execute(f"drop trigger {trigger}")
    db.execute("delete from _sqlite_migrations where name = 'add_rechecks'")
    db.conn.commit()
    migrations.apply(db)
    (row,) = db.query("select changed_at, checked_at, due_at from article_checks")
    assert row == {"changed_at": event["at"], "checked_at": event["at"], "due_at": None}
    assert version["seen_at"] <= event["at"]
