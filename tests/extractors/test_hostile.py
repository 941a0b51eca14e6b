"""Hostile saved inputs (issue 9): each ends as a failure of its own, quickly, in bounded memory.

Every case here stopped, hung or exhausted a whole run before it was fixed. They are
real files, FIFOs and symlinks in tmp_path, read through the same calls a run makes.
"""

from __future__ import annotations

import gzip
import io
import os
import socket
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from core.errors import SourceError
from core.records import Failed, RawPage, storable_text
from core.settings import DEFAULTS
from extractors.decoding import declared_charset
from extractors.documents import looks_like_html, page_url
from extractors.extract import extract_page
from flows.batch import read_pages
from readers.archives import read_archive
from readers.sources import expand_sources, read_page
from tests.conftest import SAVED, deadline

T = TypeVar("T")
MB = 1024 * 1024
GOOD_PAGE = SAVED / "html" / "chinadaily_en_ai_rules.html"


def timed(seconds: float, call: Callable[[], T]) -> T:
    with deadline(seconds):
        return call()


# --- regular expressions: no page may take time that grows faster than its size ---


def test_a_run_of_empty_comments_is_not_exponential():
    page = "<!---->" * 40 + "x"  # 282 bytes; each comment doubled the time before
    assert timed(1, lambda: looks_like_html(page)) is False
    assert timed(1, lambda: looks_like_html("<!-- a --> <!---->\n<!DOCTYPE html><html>")) is True
    outcome = timed(2, lambda: extract_page(RawPage("comments", page.encode())))
    assert isinstance(outcome, Failed)


def test_link_tags_without_href_are_not_cubic():
    head = "<html><head>" + "<link rel=canonical " * 3000
    assert timed(1, lambda: page_url(head)) is None
    page = '<html><head><link rel="canonical" href="https://www.chinadaily.com.cn/a/1.html">'
    assert page_url(page) == "https://www.chinadaily.com.cn/a/1.html"
    page = "<html><head><link rel=canonical type=x href='http://www.wicwuzhen.cn/b.html'>"
    assert page_url(page) == "http://www.wicwuzhen.cn/b.html"


def test_meta_charset_followed_by_spaces_is_not_quadratic():
    data = b"<meta charset=" + b" " * 4000 + b"!"
    assert timed(0.05, lambda: declared_charset(data)) is None
    assert declared_charset(b'<meta http-equiv=x content="text/html; charset= gb2312">') == "gb2312"
    assert declared_charset(b"<meta charset=' utf-8'>") == "utf-8"


# --- size: a saved file is capped like a fetched body ---


def test_a_huge_sparse_file_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "huge.html"
    with huge.open("wb") as out:
        out.truncate(1024**3)  # 1 GiB, sparse: no disk used
    with pytest.raises(SourceError) as caught:
        timed(2, lambda: read_page(str(huge)))
    message = str(caught.value)
    assert "1,073,741,824 bytes" in message and f"{DEFAULTS.max_bytes:,}" in message
    assert "--max-bytes" in message


def test_the_cap_is_a_setting_and_a_file_at_the_cap_is_read(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b"x" * 1000)
    assert len(read_page(str(page), max_bytes=1000).data) == 1000
    with pytest.raises(SourceError, match=r"1,000 bytes.*999-byte"):
        read_page(str(page), max_bytes=999)


def test_a_file_that_grows_past_its_size_is_read_no_further_than_the_cap(tmp_path):
    # /proc files say they are empty and are not: the read itself is bounded.
    with pytest.raises(SourceError, match="more than the 100-byte limit"):
        read_page("/proc/self/maps", max_bytes=100)


def test_a_symlink_to_dev_zero_is_a_failure_that_says_what_it_is(tmp_path):
    link = tmp_path / "zero.html"
    link.symlink_to("/dev/zero")
    with pytest.raises(SourceError, match="character device"):
        timed(2, lambda: read_page(str(link)))
    found = expand_sources([str(tmp_path)])
    assert found.files == () and found.skipped == 1  # a walk skips it and counts it
    named = expand_sources([str(link)])
    assert named.files == (str(link),) and named.missing == ()  # named: read, and refused


# --- archives: every payload capped; a record that lies about its length is damaged ---


def warc(*responses: tuple[str, bytes, dict[str, str]]) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for url, body, extra in responses:
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
        headers |= extra
        http = StatusAndHeaders("200 OK", list(headers.items()), protocol="HTTP/1.1")
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http, length=None
        )
        writer.write_record(record)
    return out.getvalue()


GOOD_URL = "https://www.chinadaily.com.cn/a/202601/01/good.html"


def test_a_warc_response_that_inflates_past_the_cap_is_a_failure_in_bounded_memory():
    bomb = gzip.compress(b"<html>" + b" " * (64 * MB), compresslevel=9)  # ~64 KB on disk
    data = warc(
        ("https://www.chinadaily.com.cn/a/bomb.html", bomb, {"Content-Encoding": "gzip"}),
        (GOOD_URL, GOOD_PAGE.read_bytes(), {}),
    )
    assert len(data) < MB
    tracemalloc.start()
    try:
        result = timed(20, lambda: read_archive("bomb.warc.gz", data, max_bytes=MB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB, peak
    assert [p.url for p in result.pages] == [GOOD_URL]  # the record after it is still read
    (failure,) = result.failures
    assert failure.source == "bomb.warc.gz#https://www.chinadaily.com.cn/a/bomb.html"
    assert "1,048,576-byte limit" in str(failure.error) and "--max-bytes" in str(failure.error)
    assert result.error is None


@pytest.mark.parametrize("declared", [10, 10**6], ids=["longer", "shorter"])
def test_a_warc_record_whose_length_disagrees_is_damaged_alone(declared):
    lying = b"<html><body>" + b"y" * 500 + b"</body></html>"
    data = warc(
        ("https://www.chinadaily.com.cn/a/lying.html", lying, {"Content-Length": str(declared)}),
        (GOOD_URL, GOOD_PAGE.read_bytes(), {}),
    )
    result = read_archive("lying.warc.gz", data)
    assert [p.url for p in result.pages] == [GOOD_URL]
    (failure,) = result.failures
    assert failure.source.endswith("#https://www.chinadaily.com.cn/a/lying.html")
    assert f"Content-Length says {declared:,} bytes" in str(failure.error)
    assert result.error is None


def test_an_mhtml_part_larger_than_the_cap_is_a_failure():
    data = (SAVED / "mhtml" / "chinadaily_en_rail_link.mhtml").read_bytes()
    result = read_archive("big.mhtml", data, max_bytes=1000)
    assert result.pages == []
    assert "1,000-byte limit" in str(result.error)


# --- what is not a regular file: never opened blocking, never "does not exist" ---


def test_a_fifo_in_a_folder_is_skipped_and_named_is_a_failure_not_a_hang(tmp_path):
    good = tmp_path / "good.html"
    good.write_bytes(GOOD_PAGE.read_bytes())
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    found = timed(5, lambda: expand_sources([str(tmp_path)]))
    assert found.files == (str(good),) and found.skipped == 1
    named = expand_sources([str(fifo)])
    assert named.missing == () and named.files == (str(fifo),)
    read = timed(5, lambda: read_pages(named.files))
    (failure,) = read.failures
    assert "is a FIFO (named pipe)" in failure.message and "does not exist" not in failure.message


def test_a_socket_is_a_failure_that_says_so(tmp_path):
    path = tmp_path / "s.html"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        (failure,) = timed(5, lambda: read_pages([str(path)])).failures
    assert "is a socket" in failure.message


def test_a_symlink_loop_is_a_failure_of_its_own(tmp_path):
    (tmp_path / "good.html").write_bytes(GOOD_PAGE.read_bytes())
    (tmp_path / "loop.html").symlink_to(tmp_path / "loop.html")
    (tmp_path / "a.html").symlink_to(tmp_path / "b.html")
    (tmp_path / "b.html").symlink_to(tmp_path / "a.html")
    found = expand_sources([str(tmp_path)])
    assert len(found.files) == 4
    read = read_pages(found.files)
    assert [p.source for p in read.pages] == [str(tmp_path / "good.html")]
    assert len(read.failures) == 3
    assert all("symbolic link" in f.message and "loop" in f.message for f in read.failures)


def test_a_dangling_symlink_says_where_it_points(tmp_path):
    (tmp_path / "gone.html").symlink_to(tmp_path / "nowhere.html")
    found = expand_sources([str(tmp_path / "gone.html")])
    (failure,) = read_pages(found.files).failures
    assert "nowhere.html" in failure.message


def test_a_directory_loop_through_a_symlink_is_not_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path)
    (tmp_path / "sub" / "good.html").write_bytes(b"x")
    found = timed(5, lambda: expand_sources([str(tmp_path)]))
    assert found.files == (str(tmp_path / "sub" / "good.html"),)


# --- names that are not UTF-8 ---


def test_a_name_that_is_not_utf8_is_read_and_stored_escaped(tmp_path):
    raw_name = os.fsencode(tmp_path) + b"/caf\xe9.html"
    with open(raw_name, "wb") as out:
        out.write(GOOD_PAGE.read_bytes())
    found = expand_sources([str(tmp_path)])
    (path,) = found.files
    assert os.fsencode(path) == raw_name  # the real name, to open it
    (page,) = read_pages(found.files).pages
    assert storable_text(page.source) == f"{tmp_path}/caf\\xe9.html"
    assert storable_text("中国日报.html") == "中国日报.html"  # UTF-8 names unchanged


# --- source lists ---


def test_a_nested_list_is_found_from_the_folder_of_the_list_that_names_it(tmp_path, monkeypatch):
    sub = tmp_path / "lists" / "sub"
    sub.mkdir(parents=True)
    (sub / "page.html").write_text("x")
    (sub / "inner.txt").write_text("page.html\n")
    (tmp_path / "lists" / "outer.txt").write_text("@sub/inner.txt\n")
    monkeypatch.chdir(tmp_path)  # not the lists' folder
    found = expand_sources(["@lists/outer.txt"])
    assert found.files == (str(sub / "page.html"),) and found.missing == ()


def test_any_unexpected_error_reading_one_file_fails_that_file_only(tmp_path, monkeypatch):
    good = tmp_path / "good.html"
    good.write_bytes(GOOD_PAGE.read_bytes())
    bad = tmp_path / "bad.warc"
    bad.write_bytes(b"x")

    def broken(path: str, data: bytes, max_bytes: int = DEFAULTS.max_bytes) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr("flows.batch.read_archive", broken)
    read = read_pages([str(bad), str(good)])
    assert [p.source for p in read.pages] == [str(good)]
    (failure,) = read.failures
    assert failure.source == str(bad) and "KeyError" in failure.message
