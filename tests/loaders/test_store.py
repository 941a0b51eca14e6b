"""Loading outcomes into a real SQLite file: idempotent, transactional, searchable."""

import dataclasses
import sqlite3

import pytest

from core.records import Extracted, Failed, RawPage
from extractors.extract import RULESET, extract_page
from loaders.raw_pages import stored_raw_page
from loaders.schema import PAGE_SIZE, open_database
from loaders.search import matching
from tests import seed_facts
from tests.conftest import BAD, SAVED, saved_pages, store_of

SINGLE = [p for p in saved_pages() if p.suffix in (".txt", ".html")]
DATA_TABLES = (
    "articles", "images", "organizers", "article_organizers", "removed_lines", "pages",
    "articles_search",
)  # fmt: skip


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "wic.db")
    for run in ("run-1", "run-2"):
        store_of(database).start_run(run, "ingest", ["test"])
    yield database
    database.close()


def outcome(path):
    return extract_page(RawPage(str(path), path.read_bytes()))


def counts_of(db):
    return {table: db[table].count for table in DATA_TABLES}


def test_loading_twice_changes_nothing(db, seed):
    first = store_of(db).load([outcome(seed)], "run-1", RULESET)
    assert (first.new, first.unchanged) == (1, 0)
    before = counts_of(db)
    rows_before = list(db.query("select * from articles"))
    second = store_of(db).load([outcome(seed)], "run-2", RULESET)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 1)
    assert counts_of(db) == before
    assert list(db.query("select * from articles")) == rows_before
    assert before["organizers"] == 10 and before["article_organizers"] == 10


def test_seed_rows_link_organizers_in_page_order(db, seed):
    store_of(db).load([outcome(seed)], "run-1", RULESET)
    names = [
        row["name"]
        for row in db.query(
            "select o.name from article_organizers ao join organizers o on o.id = ao.organizer_id "
            "order by ao.position"
        )
    ]
    assert len(names) == seed_facts.ORGANIZERS
    for position, name in seed_facts.ORGANIZER_AT.items():
        assert names[position] == name


def test_a_changed_article_is_updated_and_its_children_replaced(db, seed):
    store_of(db).load([outcome(seed)], "run-1", RULESET)
    changed = seed.read_text(encoding="utf-8").replace("National Internet Emergency Center\n", "")
    result = store_of(db).load([extract_page(RawPage("edited.txt", changed.encode()))], "run-2",
                           RULESET)  # fmt: skip
    assert (result.new, result.updated) == (0, 1)
    assert db["article_organizers"].count == 9
    assert db["organizers"].count == 10  # the organisation itself is not forgotten
    article = next(db.query("select first_run, last_changed_run from articles"))
    assert article == {"first_run": "run-1", "last_changed_run": "run-2"}
    assert db["pages"].count == 2  # both versions' raw bytes are kept


def test_failures_keep_their_raw_bytes_and_a_reason(db):
    bad = BAD / "truncated.html"
    result = store_of(db).load([outcome(bad)], "run-1", RULESET)
    assert result.failed == 1
    failure = next(db.query("select * from failures"))
    assert failure["stage"] == "extract" and "incompletely" in failure["message"]
    page = db["pages"].get(failure["page_sha256"])
    assert stored_raw_page(db, page["sha256"]) == bad.read_bytes()
    assert page["status"] == "failed"
    assert db["articles"].count == 0


def test_an_article_the_database_refuses_is_a_failure_and_the_batch_still_commits(db, seed):
    good = outcome(SINGLE[0])
    broken = outcome(seed)
    broken = dataclasses.replace(broken, article=dataclasses.replace(broken.article, title=None))
    result = store_of(db).load([good, broken], "run-1", RULESET)
    assert (result.new, result.failed) == (1, 1)
    assert "NOT NULL constraint failed: articles.title" in result.failures[0].message
    assert db["articles"].count == 1
    assert db["images"].count_where("article_id = ?", [broken.article.id]) == 0


def test_a_batch_is_one_transaction(db, seed, monkeypatch):
    items = [outcome(p) for p in SINGLE[:3]]

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr("loaders.store._record_failure", locked)
    with pytest.raises(sqlite3.OperationalError):
        store_of(db).load([*items, Failed("x", "read", "SourceError", "gone")], "run-1", RULESET)
    assert db["articles"].count == 0  # the three articles before it were rolled back
    assert db["pages"].count == 0


def test_schema_declares_foreign_keys_fts_and_wal(db, seed):
    store_of(db).load([outcome(seed)], "run-1", RULESET)
    assert db.journal_mode == "wal"
    # Pages big enough that a raw page is a short chain of them (see PAGE_SIZE).
    assert db.execute("pragma page_size").fetchone()[0] == PAGE_SIZE
    references = {
        (table, fk.column, fk.other_table)
        for table in ("images", "article_organizers", "removed_lines", "articles", "failures")
        for fk in db[table].foreign_keys
    }
    assert ("article_organizers", "organizer_id", "organizers") in references
    assert ("images", "article_id", "articles") in references
    assert ("failures", "run_id", "runs") in references
    assert list(db.execute("pragma foreign_key_check").fetchall()) == []
    (hit,) = matching(db, "Wuzhen residents")
    assert db["articles"].get(hit)["title"] == "Exploit Internet to empower the country"


def test_unchanged_pages_are_recognised_by_content_and_ruleset(db, seed):
    item = outcome(seed)
    store_of(db).load([item], "run-1", RULESET)
    assert store_of(db).unchanged_pages([item.page.sha256, "f" * 64], RULESET) == {item.page.sha256}
    assert store_of(db).unchanged_pages([item.page.sha256], "wicwuzhen/0") == set()


def test_extracted_outcomes_are_records(seed):
    item = outcome(seed)
    assert isinstance(item, Extracted)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.article.title = "changed"  # type: ignore[misc]


def test_a_republished_story_is_linked_to_its_first_copy_without_losing_either(db):
    copy = outcome(SAVED / "html" / "wic_en_ai_rules_republished.html")
    original = outcome(SAVED / "html" / "chinadaily_en_ai_rules.html")
    store_of(db).load([copy], "run-1", RULESET)  # the later copy arrives first
    assert next(db.query("select duplicate_of from articles"))["duplicate_of"] is None
    store_of(db).load([original], "run-2", RULESET)
    rows = {row["site"]: row for row in db.query("select id, site, duplicate_of from articles")}
    assert rows["chinadaily.com.cn"]["duplicate_of"] is None
    assert rows["wicwuzhen.cn"]["duplicate_of"] == rows["chinadaily.com.cn"]["id"]
    assert copy.article.fingerprint == original.article.fingerprint
    assert copy.article.id != original.article.id


def test_a_listing_is_kept_as_a_page_with_its_links_not_as_an_article(db):
    from tests.conftest import listing_pages

    (path,) = listing_pages()
    for run in ("run-1", "run-2"):
        counts = store_of(db).load([outcome(path)], run, RULESET)
        assert (counts.listings, counts.new) == (1, 0)
    assert db["articles"].count == 0
    assert db["listing_links"].count == 3
    assert next(db.query("select status from pages"))["status"] == "listing"


def test_a_new_page_row_is_written_once_with_its_article(db, seed):
    # An UPDATE rewrites a whole row: a page's raw bytes (often 100 KB and more)
    # written again just to set article_id doubled the loader's heaviest work.
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    store_of(db).load([outcome(seed)], "run-1", RULESET)
    db.conn.set_trace_callback(None)
    page_writes = [s for s in statements if '"pages"' in s and s.split()[0] in ("insert", "update")]
    assert len(page_writes) == 1 and page_writes[0].startswith("insert")
    row = db.execute("select article_id, size, sha256 from pages").fetchone()
    article = db.execute("select id, page_sha256 from articles").fetchone()
    assert row[:2] == (article[0], seed.stat().st_size)
    assert stored_raw_page(db, row[2]) == seed.read_bytes()
    assert article[1] == db.execute("select sha256 from pages").fetchone()[0]
    assert not list(db.query("pragma foreign_key_check"))
