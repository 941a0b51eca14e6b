"""Which WARC records of the crawl a WACZ keeps, from real WARC files written by warcio."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from writers.wacz import RecordFilter, WarcReadError, _copy_kept, select_records

DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)


def fetch(writer: WARCWriter, url: str, response_at: str, request_at: str | None = None,
          body: bytes = b"<html>page</html>") -> str:  # fmt: skip
    """A request and response pair; the response's record id."""
    response = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), length=len(body),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], "HTTP/1.1"),
        warc_headers_dict={"WARC-Date": response_at},
    )  # fmt: skip
    request = writer.create_warc_record(
        url, "request", payload=io.BytesIO(b""), length=0,
        http_headers=StatusAndHeaders(f"GET {url} HTTP/1.1", [], is_http_request=True),
        warc_headers_dict={"WARC-Date": request_at or response_at},
    )  # fmt: skip
    writer.write_request_response_pair(request, response)
    return response.rec_headers["WARC-Record-ID"]


def revisit(writer: WARCWriter, url: str, at: str, original: str | None, date: str) -> None:
    """A revisit of the response at ``url`` dated ``date``: named by its record id, or only
    by its address and date (as warcio's own revisits are) when ``original`` is None."""
    record = writer.create_revisit_record(
        url, "sha1:AAAA", url, date,
        http_headers=StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1"),
    )  # fmt: skip
    record.rec_headers.replace_header("WARC-Date", at)
    if original:
        record.rec_headers.add_header("WARC-Refers-To", original)
    writer.write_record(record)


@pytest.fixture
def crawl(tmp_path: Path) -> Path:
    path = tmp_path / "wic-20261201000000-0.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        # A fetch across midnight: its request is of November, its response of December.
        fetch(writer, "https://www.chinadaily.com.cn/a/1.html", "2026-12-01T00:00:00Z",
              "2026-11-30T23:59:59Z")  # fmt: skip
        old = fetch(writer, "https://www.chinadaily.com.cn/a/2.html", "2026-11-20T00:00:00Z")
        revisit(writer, "https://www.chinadaily.com.cn/a/2.html", "2026-12-02T00:00:00Z", old,
                "2026-11-20T00:00:00Z")  # fmt: skip
        fetch(writer, "https://www.chinadaily.com.cn/a/6.html", "2026-11-21T00:00:00Z")
        revisit(writer, "https://www.chinadaily.com.cn/a/6.html", "2026-12-02T00:00:00Z", None,
                "2026-11-21T00:00:00Z")  # fmt: skip
        fetch(writer, "https://cn.chinadaily.com.cn/a/3.html", "2026-12-03T00:00:00Z")
        fetch(writer, "https://www.wicwuzhen.cn/a/4.html", "2026-12-03T00:00:00Z")
        fetch(writer, "https://www.chinadaily.com.cn/a/5.html", "2026-11-01T00:00:00Z")
    return path


def kept(crawl: Path, keep: RecordFilter) -> list[tuple[str, str | None]]:
    selection = select_records([crawl], keep)
    return sorted((r.kind, r.url) for i, r in enumerate(selection.records) if i in selection.kept)


def test_no_bound_keeps_every_record(crawl):
    selection = select_records([crawl], RecordFilter())
    assert len(selection.kept) == len(selection.records) == 1 + 2 * 6 + 2


def test_since_keeps_a_fetch_whole_and_the_original_a_revisit_needs(crawl):
    records = kept(crawl, RecordFilter(since=DEC_1))
    urls = {url for _, url in records}
    assert ("request", "https://www.chinadaily.com.cn/a/1.html") in records  # dated Nov 30
    assert ("response", "https://www.chinadaily.com.cn/a/2.html") in records  # the original
    assert ("revisit", "https://www.chinadaily.com.cn/a/2.html") in records
    assert ("response", "https://www.chinadaily.com.cn/a/6.html") in records  # by address, date
    assert "https://www.chinadaily.com.cn/a/5.html" not in urls  # November, nothing needs it
    assert ("warcinfo", None) in records


def test_a_site_keeps_its_hosts_and_subdomains_only(crawl):
    urls = {url for _, url in kept(crawl, RecordFilter(site="chinadaily.com.cn"))}
    assert "https://cn.chinadaily.com.cn/a/3.html" in urls
    assert "https://www.wicwuzhen.cn/a/4.html" not in urls
    urls = {url for _, url in kept(crawl, RecordFilter(site="wicwuzhen.cn"))}
    assert urls == {None, "https://www.wicwuzhen.cn/a/4.html"}


def test_a_cut_file_keeps_its_whole_records_and_says_so(crawl, tmp_path):
    data = crawl.read_bytes()
    cut = tmp_path / "cut" / crawl.name
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) - 40])  # the last record loses its end
    selection = select_records([cut], RecordFilter())
    assert selection.problems and cut.name in selection.problems[0]
    assert 0 < len(selection.records) < 15
    out = tmp_path / "out"
    out.mkdir()
    written, count = _copy_kept(selection, out)
    with written[0].open("rb") as stream:
        read = [r.rec_type for r in ArchiveIterator(stream)]  # reads to the end: all whole
    assert len(read) == count == len(selection.records)


def test_a_file_that_is_no_warc_is_a_clear_error(tmp_path):
    bad = tmp_path / "wic-20261201000000-0.warc.gz"
    bad.write_bytes(b"this is not a WARC file at all\n" * 10)
    with pytest.raises(WarcReadError, match="not a readable WARC file"):
        select_records([bad], RecordFilter())


def test_the_images_of_the_exported_articles_come_whatever_their_host_and_day(crawl):
    photo = "https://www.wicwuzhen.cn/a/4.html"  # stands for an image on another host
    keep = RecordFilter(since=DEC_1, site="chinadaily.com.cn", always=frozenset({photo}))
    assert ("response", photo) in kept(crawl, keep)
    assert ("request", photo) in kept(crawl, keep)
    assert ("response", "https://www.chinadaily.com.cn/a/5.html") not in kept(crawl, keep)
