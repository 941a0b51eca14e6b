"""open_database and the migrations: locks that survive other processes, versions brought in."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlite_utils import Database

from core.records import Extracted, RawPage
from extractors.extract import RULESET, extract_page
from loaders.schema import migrations, open_database
from tests.conftest import FIXTURES, SAVED, store_of
from tests.raw_layout import as_before_raw_store


def _other_process_reads(db_path: Path) -> str:
    """What a person querying beside a run does: open the file, read, close."""
    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        pytest.fail("the sqlite3 command line is missing: `make setup` installs it")
    done = subprocess.run(
        [sqlite, str(db_path), "select count(*) from runs"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_reader_in_another_process_does_not_take_the_wal_away(tmp_path):
    db_path = tmp_path / "wic.db"
    db = open_database(db_path)
    db.execute("insert into runs (id, flow) values ('r1', 'ingest')")
    db.conn.commit()
    assert Path(f"{db_path}-wal").exists()

    assert _other_process_reads(db_path) == "1"

    # Had this process lost its locks, the reader, believing itself the last
    # connection, would have checkpointed and deleted the -wal under us.
    assert Path(f"{db_path}-wal").exists()
    db.execute("insert into runs (id, flow) values ('r2', 'ingest')")
    db.conn.commit()
    assert _other_process_reads(db_path) == "2"
    db.close()


# The migration that brings versions (add_versions) to a database made before them.
VERSIONED_TABLES = ("article_events", "article_versions", "part_records", "unversioned_pages")


def _tables(db) -> set[str]:
    return {row[0] for row in db.execute("select name from sqlite_master where type = 'table'")}


def _columns(db, table: str) -> list[tuple]:
    return [tuple(row) for row in db.execute(f"pragma table_info({table})").fetchall()]


def _as_before_versions(db) -> None:
    """Take a database back to the schema before ``add_versions``, rows as they are.

    Rows written by the loader before versions existed are the ones it writes now
    (articles, pages, parts, runs: the same writes), so this is a database of the
    code before the change; its schema is checked against the migrations before.
    """
    # And the migrations after it (their tables, triggers and rows), before them all.
    db.execute("drop index idx_articles_duplicate_of")
    db.execute("delete from _sqlite_migrations where name = 'add_copies_index'")
    db.execute("alter table articles drop column subheads")
    db.execute("delete from _sqlite_migrations where name = 'add_article_subheads'")
    for trigger in ("insert", "update", "delete"):
        db.execute(f"drop trigger article_month_counts_{trigger}")
    db.execute("drop table article_month_counts")
    db.execute("delete from _sqlite_migrations where name = 'add_month_counts'")
    as_before_raw_store(db)
    db.execute("drop table article_facet_counts")
    for trigger in ("insert", "update", "delete"):
        db.execute(f"drop trigger article_facet_counts_{trigger}")
    db.execute(
        "delete from _sqlite_migrations where name in ('add_browsing_indexes', 'add_facet_counts')"
    )
    db.execute("drop index idx_images_sha256")
    db.table("images").transform(drop={"sha256", "content_type", "size"})
    db.execute("drop table image_files")
    for column in ("images", "images_failed"):
        db.execute(f"alter table runs drop column {column}")
    db.execute("delete from _sqlite_migrations where name = 'add_image_files'")
    for table in ("article_checks", "recheck_schedule", "warc_records"):
        db.execute(f"drop table {table}")
    db.execute("delete from _sqlite_migrations where name = 'add_rechecks'")
    for name in ("add_check_backoff", "add_warc_records"):
        db.execute("delete from _sqlite_migrations where name = ?", [name])
    for table in VERSIONED_TABLES:
        db.execute(f"drop table {table}")
    for column in ("version", "removed_at"):
        db.execute(f"alter table articles drop column {column}")
    for column in ("edited", "minor", "restored", "removed", "not_modified"):
        db.execute(f"alter table runs drop column {column}")
    db.execute("delete from _sqlite_migrations where name = 'add_versions'")
    db.conn.commit()
    reference = Database(memory=True)
    migrations.apply(reference, stop_before="add_versions")
    tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    before = {
        row[0] for row in reference.execute("select name from sqlite_master where type='table'")
    }
    assert tables == before
    for table in before - {"_sqlite_migrations"}:
        assert _columns(db, table) == _columns(reference, table), table


def test_add_versions_gives_every_article_its_version_1_and_loses_nothing(tmp_path):
    real = FIXTURES / "real"
    en = (real / "en_2025_article_wcxb.html").read_bytes()
    edited = en.replace(b"announced a breakthrough", b"announced a major breakthrough")
    reverted = en.replace(b"Updated: 2025-12-20 08:29", b"Updated: 2025-12-20 11:45")
    saved = sorted((SAVED / "html").glob("*.html"))
    canal = sorted((SAVED / "multipage").glob("canal_town_p*.html"))
    db_path = tmp_path / "old.db"
    db = open_database(db_path)
    store = store_of(db)
    for run in ("run-1", "run-2", "run-3"):
        store.start_run(run, "ingest", ["x"])
    first = [extract_page(RawPage(str(p), p.read_bytes())) for p in [*saved, *canal]]
    zh = real / "zh_china_2023_newspaper4k.html"
    first.append(extract_page(RawPage("en.html", en)))
    first.append(extract_page(RawPage(str(zh), zh.read_bytes())))
    store.load(first, "run-1", RULESET)
    store.load([extract_page(RawPage("en-later.html", edited))], "run-2", RULESET)
    store.load([extract_page(RawPage("en-last.html", reverted))], "run-3", RULESET)
    _as_before_versions(db)
    kept = {
        table: db.execute(f"select count(*) from {table}").fetchone()[0]
        for table in ("articles", "pages", "article_parts", "images", "runs", "failures")
    }
    articles_before = list(db.query("select * from articles order by id"))
    db.close()

    db = open_database(db_path)  # the migration runs
    assert kept == {
        table: db.execute(f"select count(*) from {table}").fetchone()[0] for table in kept
    }
    after = list(db.query("select * from articles order by id"))
    assert [{k: v for k, v in row.items() if k not in ("version", "removed_at", "subheads")}
            for row in after] == articles_before  # fmt: skip
    # A column added after versions: unknown (NULL) until the article is extracted again.
    assert {row["subheads"] for row in after} == {None}
    assert {(row["version"], row["removed_at"]) for row in after} == {(1, None)}
    versions = {row["article_id"]: row for row in db.query("select * from article_versions")}
    assert set(versions) == {row["id"] for row in after}
    started = dict(db.execute("select id, started from runs").fetchall())
    en_id = next(o.article.id for o in first if o.page.source == "en.html")
    for row in after:
        version = versions[row["id"]]
        assert (version["version"], version["change"], version["origin"]) == (
            1, "first", "migration",
        )  # fmt: skip
        for name in ("title", "author", "source", "published", "section", "body",
                     "record_sha256", "page_sha256", "extractor"):  # fmt: skip
            assert version[name] == row[name], (row["id"], name)
        if row["id"] != en_id:
            assert (version["run_id"], version["seen_at"]) == ("run-1", started["run-1"])
    # The edited article: version 1 is what it shows (the edit reverted), dated by its page;
    # page it had before is kept for re-extraction to make into an earlier version.
    en_version = versions[en_id]
    assert (en_version["run_id"], en_version["published"]) == ("run-3", "2025-12-20T11:45:00+08:00")
    older = db.execute("select page_sha256, article_id from unversioned_pages").fetchall()
    assert sorted(older) == sorted((RawPage("x", d).sha256, en_id) for d in (en, edited))
    canal_id = next(o.article.id for o in first if o.page.source == str(canal[0]))
    parts = json.loads(versions[canal_id]["page_sha256s"])
    assert parts == {str(n): RawPage("x", p.read_bytes()).sha256
                     for n, p in enumerate(canal, start=1)}  # fmt: skip
    assert db["part_records"].count == len(canal)
    assert db["article_events"].count == 0

    # Re-extraction makes the kept page the article's earlier version, adds no event.
    store = store_of(db)
    store.start_run("run-3", "reextract", [str(db_path)])
    pages = store.stored_raw_pages(store.stored_page_ids())
    outcomes = [extract_page(page) for page in pages]
    assert all(isinstance(o, Extracted) for o in outcomes)
    counts = store.load(outcomes, "run-3", RULESET, reextracting=True)
    assert (counts.new, counts.updated, counts.edited, counts.restored) == (0, 0, 0, 0)
    rows = list(db.query(
        "select version, change, previous_version, run_id, origin, body from article_versions "
        "where article_id = ? order by version", [en_id],
    ))  # fmt: skip
    assert [
        (r["version"], r["change"], r["previous_version"], r["run_id"], r["origin"]) for r in rows
    ] == [
        (1, "first", None, "run-1", "kept page"),
        (2, "edited", 1, "run-2", "kept page"),
        (3, "restored", 2, "run-3", "migration"),
    ]
    assert "announced a breakthrough" in rows[0]["body"]
    assert "a major breakthrough" in rows[1]["body"]
    assert db.execute("select version from articles where id = ?", [en_id]).fetchone() == (3,)
    assert db["unversioned_pages"].count == 0 and db["article_events"].count == 0
    assert db["article_versions"].count == len(after) + 2
