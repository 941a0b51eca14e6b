"""The fetcher's exchanges (``on_exchange``): what the WARC of a crawl is written from,
taken from real requests to the fixture server."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest

from core.errors import FetchError
from core.records import Exchange, header_value
from fetchers.http import Fetcher, FetchSettings
from fetchers.policy import HostPolicy
from tests.site_server import FixtureSite


@pytest.fixture(scope="module")
def site():
    with FixtureSite(slow_seconds=2.0, drip_seconds=0.3) as served:
        yield served


def fetch(site: FixtureSite, path: str, **settings: object) -> tuple[list[Exchange], object]:
    """Fetch ``path``; the exchanges handed out, and the response or the FetchError."""
    exchanges: list[Exchange] = []
    options = {"read_timeout": 1.0, "tries": 1, "backoff": 0.05, **settings}
    fetch_settings = FetchSettings(on_exchange=exchanges.append, **options)  # type: ignore[arg-type]

    async def go() -> object:
        fetcher = Fetcher(fetch_settings, HostPolicy.allowing(["127.0.0.1"]))
        try:
            return await fetcher.get(site.url(path))
        except FetchError as exc:
            return exc
        finally:
            await fetcher.close()

    return exchanges, asyncio.run(go())


def test_robots_and_the_page_are_each_an_exchange_with_the_body_as_sent(site):
    exchanges, response = fetch(site, "/rss.xml")
    assert [e.url.removeprefix(site.base) for e in exchanges] == ["/robots.txt", "/rss.xml"]
    feed = exchanges[1]
    assert header_value(feed.response_headers, "Content-Encoding") == "gzip"
    assert feed.raw_body[:2] == b"\x1f\x8b" and gzip.decompress(feed.raw_body) == feed.body
    assert feed.body == site.body_of("/rss.xml")[0] == response.body
    assert (feed.method, feed.target, feed.status, feed.reason) == ("GET", "/rss.xml", 200, "OK")
    assert feed.http_version == "HTTP/1.1" and feed.ip_address == "127.0.0.1"
    sent = dict(feed.request_headers)
    assert sent["Accept-Encoding"] == "gzip, deflate" and sent["User-Agent"].startswith("wic-etl/")
    assert feed.truncated is None


def test_a_redirect_is_an_exchange_of_its_own(site):
    exchanges, _ = fetch(site, "/faults/moved.html")
    hops = [(e.url.removeprefix(site.base), e.status) for e in exchanges[1:]]
    assert hops == [("/faults/moved.html", 301),
                    ("/a/202308/14/WS64d98a23a31035260b81b8c2.html", 200)]  # fmt: skip


def test_each_try_is_an_exchange(site):
    exchanges, response = fetch(site, "/faults/flaky.html", tries=2)
    assert [e.status for e in exchanges[1:]] == [500, 200] and response.status == 200


def test_a_raw_deflate_body_is_kept_compressed(site):
    (_, page), _ = fetch(site, "/faults/deflate.html")
    assert zlib.decompress(page.raw_body, -zlib.MAX_WBITS) == page.body


def test_cut_bodies_say_why(site):
    (_, broke), error = fetch(site, "/faults/truncated.html")
    assert isinstance(error, FetchError) and broke.truncated == "disconnect"
    assert 0 < len(broke.raw_body) < int(header_value(broke.response_headers, "Content-Length"))
    (_, bomb), error = fetch(site, "/faults/bomb.html", max_bytes=100_000)
    assert isinstance(error, FetchError) and bomb.truncated == "length"
    assert bomb.raw_body and site._bomb.startswith(bomb.raw_body)  # what came, as it came
    (_, drip), error = fetch(site, "/faults/drip.html", deadline=1.0, read_timeout=5.0)
    assert isinstance(error, FetchError) and drip.truncated == "time"
    assert 0 < len(drip.raw_body) < 20


def test_a_request_that_got_no_answer_is_no_exchange(site):
    exchanges, error = fetch(site, "/faults/slow.html", read_timeout=0.5)
    assert isinstance(error, FetchError)
    assert [e.url.removeprefix(site.base) for e in exchanges] == ["/robots.txt"]


def test_no_callback_no_capture(site):
    async def go() -> bytes:
        fetcher = Fetcher(FetchSettings(tries=1), HostPolicy.allowing(["127.0.0.1"]))
        try:
            return (await fetcher.get(site.url("/rss.xml"))).body
        finally:
            await fetcher.close()

    assert asyncio.run(go()) == site.body_of("/rss.xml")[0]


def test_a_read_cancelled_midway_is_kept_marked_cut(site):
    exchanges: list[Exchange] = []

    async def go() -> None:
        settings = FetchSettings(on_exchange=exchanges.append, tries=1, read_timeout=5.0)
        fetcher = Fetcher(settings, HostPolicy.allowing(["127.0.0.1"]))
        task = asyncio.ensure_future(fetcher.get(site.url("/faults/drip.html")))
        while len(exchanges) < 1:  # robots.txt, then the page starts dripping
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        task.cancel()  # as Ctrl-C cancels the crawl's tasks
        with pytest.raises(asyncio.CancelledError):
            await task
        await fetcher.close()

    asyncio.run(go())
    drip = exchanges[-1]
    assert drip.url.endswith("/faults/drip.html") and drip.truncated == "unspecified"
    assert 0 < len(drip.raw_body) < 10


def test_bytes_past_the_end_of_a_gzip_body_are_held_no_further_than_the_cap(site):
    # zlib sets bytes after the end of the stream aside without inflating them: only a
    # cap on the bytes as they come stops a server sending them for ever.
    exchanges, error = fetch(site, "/faults/gzip-tail.html", max_bytes=4 * 1024 * 1024)
    assert isinstance(error, FetchError) and "4,194,304-byte limit" in str(error)
    (page,) = [e for e in exchanges if e.url.endswith("/faults/gzip-tail.html")]
    assert len(page.raw_body) <= 4 * 1024 * 1024 and page.truncated == "length"
