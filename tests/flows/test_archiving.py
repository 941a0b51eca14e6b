"""flows/archiving.py: a run's WARC indexed through its Store, and what it does when the
disk refuses it (the crawl goes on, the summary says the archive stopped)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from core.records import Exchange
from flows.archiving import CrawlArchive, crawl_archive, warcinfo
from loaders.store import Store
from writers.warc import WarcFiles, warc_folder

PAGE = b"<html><body><p>" + b"news " * 500 + b"</p></body></html>"


def exchange(path: str, status: int = 200, raw: bytes = PAGE) -> Exchange:
    url = f"http://127.0.0.1:8000{path}"
    host = (("Host", "127.0.0.1:8000"),)
    return Exchange(url, datetime.now(UTC), "GET", "HTTP/1.1", host, status, "OK", (), raw, raw)


def test_records_are_indexed_and_a_later_run_writes_revisits_of_them(tmp_path):
    db = tmp_path / "wic.db"
    log = logging.getLogger("test")
    with Store.open(str(db)) as store:
        store.start_run("r1", "ingest", [])
        with crawl_archive(store, "r1", True, 10**9, log) as archive:
            assert archive is not None
            archive.exchange(exchange("/a.html"))
        store.start_run("r2", "ingest", [])
        with crawl_archive(store, "r2", True, 10**9, log) as again:
            assert again is not None
            again.exchange(exchange("/b.html"))  # the same body at another address
            again.exchange(exchange("/a.html", 304, b""))
        rows = store.db.execute(
            "select run_id, record_type, target_uri, refers_to, page_sha256 from warc_records "
            "where record_type in ('response', 'revisit') order by id"
        ).fetchall()
        (record_id,) = store.db.execute(
            "select record_id from warc_records where record_type = 'response'"
        ).fetchone()
    first = rows[0]
    assert first[:3] == ("r1", "response", "http://127.0.0.1:8000/a.html") and first[4]
    assert [r[1] for r in rows[1:]] == ["revisit", "revisit"]
    (record_id,) = (
        Store.open(str(db))
        .db.execute("select record_id from warc_records where record_type = 'response'")
        .fetchone()
    )
    assert rows[1][3] == record_id and rows[2][3] == record_id
    assert len(list(warc_folder(db).iterdir())) == 2
    assert "2 revisit" in " ".join(again.summary())


def test_a_folder_that_cannot_be_written_stops_the_archive_not_the_crawl(tmp_path):
    db = tmp_path / "wic.db"
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    with Store.open(str(db)) as store:
        store.start_run("r1", "ingest", [])
        files = WarcFiles(blocked, warcinfo(), 10**9)
        archive = CrawlArchive(store, "r1", files, logging.getLogger("test"))
        archive.exchange(exchange("/a.html"))  # no exception reaches the crawl
        archive.exchange(exchange("/b.html"))
        archive.files.close()
        archive.flush()
        (count,) = store.db.execute("select count(*) from warc_records").fetchone()
    assert count == 0
    (line,) = archive.summary()
    assert line.startswith("WARC: writing stopped") and "run again" in line


def test_the_records_of_a_file_closed_by_rotation_are_indexed_at_once(tmp_path):
    # A run killed after a file rotated must not lose that file's rows: the next run
    # recovers only files left open.
    db = tmp_path / "wic.db"
    with Store.open(str(db)) as store:
        store.start_run("r1", "ingest", [])
        files = WarcFiles(warc_folder(db), warcinfo(), max_size=4000)
        archive = CrawlArchive(store, "r1", files, logging.getLogger("test"))
        for n in range(4):  # distinct bodies: responses, not revisits
            archive.exchange(exchange(f"/{n}.html", raw=PAGE + os.urandom(3000)))
        closed = [p.name for p in warc_folder(db).glob("*.warc.gz")]
        assert closed  # rotated at least once; killed here, nothing else is flushed
        indexed = {row[0] for row in store.db.execute("select distinct file from warc_records")}
    assert set(closed) <= indexed
