"""The WARC of a crawl: `wic-etl ingest URL...` and `wic-etl recheck` against the fixture site.

Files are read back with warcio's own command line (`warcio check`, `index`, `extract`)
and its ArchiveIterator, and compared with the fixture server's log of the requests
it answered and the bytes it serves.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import BIN, FIXTURES, ROOT, run_cli
from tests.site_server import FixtureSite, Request

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

# Served as they are (no gzip, no validators): the same bytes every time; a page the
# fixture site serves nowhere else, or its first copy would be another address's.
PLAIN = "/plain/notice.html"
PLAIN_BODY = (FIXTURES / "saved/html/generic_blog_garden_notes.html").read_bytes()
START = [
    "/china/society/",
    "/rss.xml",
    "/sitemap.xml",
    "/faults/moved.html",
    "/faults/chunked.html",
    "/faults/truncated.html",
    PLAIN,
]
CRAWL = ["--allow-host", "127.0.0.1", "--timeout", "2", "--retries", "0"]


@dataclass
class Record:
    file: Path
    offset: int
    type: str
    headers: dict[str, str]
    http: object
    raw: bytes

    @property
    def path(self) -> str:
        parts = urlsplit(self.headers.get("WARC-Target-URI", ""))
        return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    requests: list[Request]  # what the server answered during the run
    files: list[Path]  # the WARC files the run wrote


@dataclass
class Crawls:
    site: FixtureSite
    db: Path
    folder: Path
    first: Run
    second: Run
    recheck: Run


def read(path: Path) -> list[Record]:
    out = []
    with path.open("rb") as f:
        it = ArchiveIterator(f)
        for record in it:
            raw = record.raw_stream.read()
            out.append(
                Record(
                    path,
                    it.get_record_offset(),
                    record.rec_type,
                    dict(record.rec_headers.headers),
                    record.http_headers,
                    raw,
                )
            )
    return out


def records(files: list[Path], kind: str | None = None) -> list[Record]:
    found = [r for f in files for r in read(f)]
    return [r for r in found if kind is None or r.type == kind]


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def run(site: FixtureSite, folder: Path, *args: str) -> Run:
    before = set(folder.glob("*")) if folder.exists() else set()
    site.requests.clear()
    result = run_cli(*args)
    files = sorted(set(folder.glob("*")) - before) if folder.exists() else []
    return Run(result, list(site.requests), files)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory) -> Crawls:
    db = tmp_path_factory.mktemp("warc") / "wic.db"
    folder = db.with_name("wic-warc")
    with FixtureSite(extra={PLAIN: (PLAIN_BODY, "text/html; charset=utf-8")}) as site:
        urls = [site.url(p) for p in START]
        first = run(site, folder, "ingest", *urls, "--db", str(db), *CRAWL)
        second = run(site, folder, "ingest", *urls, "--db", str(db), *CRAWL)
        recheck = run(
            site, folder, "recheck", "--all", "--db", str(db), "--allow-host", "127.0.0.1"
        )
        return Crawls(site, db, folder, first, second, recheck)


def test_every_file_passes_warcio_check_and_index(crawls):
    files = sorted(crawls.folder.iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files)  # none left open
    for f in files:
        check = subprocess.run(
            [str(BIN / "warcio"), "check", "-v", str(f)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
        index = subprocess.run(
            [str(BIN / "warcio"), "index", str(f)], capture_output=True, text=True
        )
        assert index.returncode == 0, index.stderr
        assert len(index.stdout.splitlines()) == len(read(f))
        assert read(f)[0].type == "warcinfo"


def test_every_request_the_server_answered_has_its_request_and_response(crawls):
    for done in (crawls.first, crawls.second, crawls.recheck):
        asked = Counter(r.path for r in done.requests)
        assert asked, done.result.stdout
        sent = records(done.files, "request")
        assert Counter(r.path for r in sent) == asked
        answers = {
            r.headers["WARC-Record-ID"]: r
            for r in records(done.files)
            if r.type in ("response", "revisit")
        }
        for request in sent:
            answer = answers[request.headers["WARC-Concurrent-To"]]
            assert answer.path == request.path
            assert answer.headers["WARC-Date"] == request.headers["WARC-Date"]
            assert answer.headers["WARC-IP-Address"] == "127.0.0.1"


def test_requests_are_kept_as_sent_validators_included(crawls):
    sent = records(crawls.second.files, "request")
    conditional = [r for r in crawls.second.requests if "If-None-Match" in r.headers]
    assert conditional
    for asked in conditional:
        kept = [r for r in sent if r.path == asked.path]
        assert any(
            r.http.get_header("If-None-Match") == asked.headers["If-None-Match"] for r in kept
        )
    for request in sent:
        assert request.http.protocol == "GET"
        assert request.http.get_header("User-Agent").startswith("wic-etl/")
        assert request.http.get_header("Accept-Encoding") == "gzip, deflate"


def test_gzip_bodies_are_kept_as_sent(crawls):
    (feed,) = [r for r in records(crawls.first.files, "response") if r.path == "/rss.xml"]
    assert feed.http.get_header("Content-Encoding") == "gzip"
    assert feed.raw[:2] == b"\x1f\x8b" and int(feed.http.get_header("Content-Length")) == len(
        feed.raw
    )
    assert gzip.decompress(feed.raw) == crawls.site.body_of("/rss.xml")[0]


def test_warcio_extract_gives_the_exact_bytes_served(crawls):
    (plain,) = [r for r in records(crawls.first.files, "response") if r.path == PLAIN]
    assert plain.raw == PLAIN_BODY
    extract = subprocess.run(
        [str(BIN / "warcio"), "extract", "--payload", str(plain.file), str(plain.offset)],
        capture_output=True,
    )
    assert extract.returncode == 0 and extract.stdout == PLAIN_BODY


def test_a_chunked_answer_is_kept_dechunked_without_claiming_chunks(crawls):
    (chunked,) = [
        r for r in records(crawls.first.files, "response") if r.path == "/faults/chunked.html"
    ]
    assert chunked.raw == (FIXTURES / "saved/html/cd_panda_cubs.html").read_bytes()
    assert chunked.http.get_header("Transfer-Encoding") is None
    assert chunked.headers["WIC-Removed-Transfer-Encoding"] == "chunked"


def test_redirects_are_kept_hop_by_hop_and_cut_bodies_marked(crawls):
    answers = records(crawls.first.files, "response")
    (moved,) = [r for r in answers if r.path == "/faults/moved.html"]
    assert moved.http.get_statuscode() == "301"
    assert moved.http.get_header("Location").endswith("WS64d98a23a31035260b81b8c2.html")
    (cut,) = [r for r in answers if r.path == "/faults/truncated.html"]
    assert cut.headers["WARC-Truncated"] == "disconnect"
    assert 0 < len(cut.raw) < int(cut.http.get_header("Content-Length"))


def test_the_second_run_writes_revisits(crawls):
    revisits = records(crawls.second.files, "revisit")
    profiles = Counter(r.headers["WARC-Profile"].rsplit("/", 1)[1] for r in revisits)
    # The fixture site's pages answer a conditional request with a 304; its faults never.
    conditional = {
        r.path
        for r in crawls.second.requests
        if "If-None-Match" in r.headers and not r.path.startswith("/faults/")
    }
    not_modified = {
        r.path for r in revisits if r.headers["WARC-Profile"].endswith("server-not-modified")
    }
    assert not_modified == conditional  # the fixture site answers each with a 304
    assert profiles["identical-payload-digest"] >= 1
    (plain,) = [r for r in revisits if r.path == PLAIN]
    first = next(r for r in records(crawls.first.files, "response") if r.path == PLAIN)
    assert plain.headers["WARC-Refers-To"] == first.headers["WARC-Record-ID"]
    assert plain.headers["WARC-Refers-To-Target-URI"] == first.headers["WARC-Target-URI"]
    assert plain.headers["WARC-Refers-To-Date"] == first.headers["WARC-Date"]
    assert plain.headers["WARC-Payload-Digest"] == first.headers["WARC-Payload-Digest"]


def test_a_recheck_writes_its_fetches_too(crawls):
    assert crawls.recheck.result.returncode == 0, crawls.recheck.result.stdout
    revisits = records(crawls.recheck.files, "revisit")
    assert revisits and all(
        r.headers["WARC-Profile"].endswith("server-not-modified")
        for r in revisits
        if r.http.get_statuscode() == "304"
    )
    assert "WARC:" in crawls.recheck.result.stdout


def test_each_article_has_a_metadata_record_with_its_record(crawls):
    articles = dict(rows(crawls.db, "select id, title from articles where url is not null"))
    metadata = records(crawls.first.files, "metadata")
    assert metadata
    by_id = {}
    for record in metadata:
        assert record.headers["Content-Type"] == "application/json"
        data = json.loads(record.raw)
        by_id.setdefault(data["article"]["id"], data)
    assert set(articles) <= set(by_id)
    responses = {r.headers["WARC-Record-ID"]: r for r in records(crawls.first.files)}
    for record in metadata:
        assert responses[record.headers["WARC-Refers-To"]].path == record.path
    for article_id, title in articles.items():
        if by_id[article_id]["article"]["page_number"] == 1:
            assert by_id[article_id]["article"]["title"] == title


def test_every_record_is_indexed_where_it_is(crawls):
    indexed = {
        (f, o): (t, uri)
        for f, o, t, uri in rows(
            crawls.db, "select file, offset, record_type, target_uri from warc_records"
        )
    }
    found = {
        (r.file.name, r.offset): (r.type, r.headers.get("WARC-Target-URI"))
        for f in sorted(crawls.folder.iterdir())
        for r in read(f)
    }
    assert indexed == found
    # An exporter finds an article's answer through the page it became.
    (orphans,) = rows(
        crawls.db,
        """select count(*) from pages p where p.url is not null
        and p.http_status = 200 and not exists (select 1 from warc_records w
        where w.page_sha256 = p.sha256)""",
    )
    assert orphans == (0,)


def test_the_summary_says_what_was_archived_and_where(crawls):
    out = crawls.first.result.stdout
    assert "WARC:" in out and "wic-warc" in out and "response" in out


def test_files_rotate_at_the_size_given(tmp_path):
    db = tmp_path / "rotated.db"
    with FixtureSite(extra={PLAIN: (PLAIN_BODY, "text/html; charset=utf-8")}) as site:
        result = run_cli(
            "ingest",
            *(site.url(p) for p in START),
            "--db",
            str(db),
            *CRAWL,
            "--warc-file-size",
            "20000",
        )
    assert "WARC:" in result.stdout, result.stdout + result.stderr
    files = sorted((tmp_path / "rotated-warc").iterdir())
    assert len(files) >= 3
    for f in files:
        assert read(f)[0].type == "warcinfo"
        assert subprocess.run([str(BIN / "warcio"), "check", str(f)]).returncode == 0
    assert all(f.stat().st_size >= 20000 for f in files[:-1])


def test_no_warc_writes_nothing(tmp_path):
    db = tmp_path / "plain.db"
    with FixtureSite() as site:
        result = run_cli("ingest", site.url("/rss.xml"), "--db", str(db), *CRAWL, "--no-warc")
        assert site.requests, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "plain-warc").exists()
    assert rows(db, "select count(*) from warc_records") == [(0,)]
    assert "WARC:" not in result.stdout


def test_a_killed_crawl_leaves_a_readable_file_the_next_run_closes_and_reports(
    tmp_path, prefect_api
):
    db = tmp_path / "killed.db"
    folder = tmp_path / "killed-warc"
    with FixtureSite(extra={PLAIN: (PLAIN_BODY, "text/html; charset=utf-8")}) as site:
        urls = [site.url(p) for p in START]
        command = [
            str(BIN / "wic-etl"),
            "ingest",
            *urls,
            "--db",
            str(db),
            *CRAWL,
            "--rate-limit",
            "3",
        ]
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while len(site.requests) < 8:
            assert proc.poll() is None and time.monotonic() < deadline, "the crawl ended early"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        (left,) = folder.glob("*.warc.gz.open")
        whole = read(left)  # readable as it is: every record written so far
        assert len(whole) >= 1 + 2 * 5
        # A kill in the middle of a write leaves half a gzip member at the end.
        size = left.stat().st_size
        with left.open("ab") as f:
            f.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + PLAIN_BODY)[:300])

        again = run_cli("ingest", site.url("/rss.xml"), "--db", str(db), *CRAWL)
    assert again.returncode == 0, again.stdout + again.stderr
    closed = left.with_name(left.name.removesuffix(".open"))
    assert not left.exists() and closed.stat().st_size == size
    assert subprocess.run([str(BIN / "warcio"), "check", str(closed)]).returncode == 0
    assert [r.type for r in read(closed)] == [r.type for r in whole]
    notes = [line for line in again.stdout.splitlines() if "left unclosed" in line]
    assert len(notes) == 1 and closed.name in notes[0] and "cut off" in notes[0], again.stdout
    # Its records are in the index, whether or not the killed run had written them there.
    assert rows(db, "select count(*) from warc_records where file = ?", closed.name) == [
        (len(whole),)
    ]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_crawl_closes_its_file_and_indexes_it(tmp_path, stop, prefect_api):
    db = tmp_path / "stopped.db"
    with FixtureSite() as site:
        command = [str(BIN / "wic-etl"), "ingest", *(site.url(p) for p in START[:3]),
                   "--db", str(db), *CRAWL, "--rate-limit", "3"]  # fmt: skip
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 120
        while len(site.requests) < 5:
            assert proc.poll() is None and time.monotonic() < deadline, "the crawl ended early"
            time.sleep(0.05)
        os.kill(proc.pid, stop)  # the command's own process, as Ctrl-C or a service manager
        proc.wait(timeout=60)
    assert proc.returncode != 0  # stopped, not finished
    (closed,) = (tmp_path / "stopped-warc").iterdir()
    assert closed.name.endswith(".warc.gz")
    assert subprocess.run([str(BIN / "warcio"), "check", str(closed)]).returncode == 0
    assert rows(db, "select count(*) from warc_records") == [(len(read(closed)),)]
