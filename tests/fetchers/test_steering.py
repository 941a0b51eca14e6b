"""Issue 9: a site (or its DNS) must not be able to steer the crawler.

Each test reproduces one attack or fault against a real HTTP server on 127.0.0.1;
only name resolution is faked (no real DNS server can be made to answer
differently on the second call, nor to put a name on 127.0.0.1).
"""

from __future__ import annotations

import gzip
import itertools
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fetchers.crawl import CrawlOptions
from fetchers.http import FetchSettings
from fetchers.policy import HostPolicy
from fetchers.robots import Robots
from tests.fetchers.test_crawl import PANDA, crawl, titles
from tests.site_server import FIXTURES, FixtureSite

PUBLIC = "93.184.216.34"  # a global address; never connected to (resolution is faked)
CANAL = "/a/201901/11/WS5c37cfaea3106c65c34e3c9e.html"
QUICK = FetchSettings(read_timeout=1, tries=1)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names -> the addresses they resolve to, one per call; the last one sticks."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: str | bytes | None, port: object, *args: object, **kw: object) -> list:
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            queue = answers[name]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return real(address, port, *args, **kw)  # type: ignore[arg-type]
        return real(host, port, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite(drip_seconds=0.3) as served:
        yield served


def on(site: FixtureSite, host: str, path: str) -> str:
    return site.url(path).replace("127.0.0.1", host, 1)


# --- DNS rebinding ------------------------------------------------------------------


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused(site, dns, tmp_path):
    host = "rebind.chinadaily.com.cn"  # an allowed family, never named by the user
    dns[host] = [PUBLIC, "127.0.0.1"]
    _, counts = crawl(tmp_path / "w.db", [on(site, host, PANDA)], allow_hosts=(), fetch=QUICK)
    assert site.requests == [], "a request reached 127.0.0.1 through a rebound name"
    (failure,) = counts.failures
    assert "127.0.0.1" in failure.message and "non-public" in failure.message
    assert "wic-etl bug" not in failure.message


def test_a_redirect_hop_to_a_rebinding_name_is_refused(site, dns, tmp_path):
    host = "rebind.wicwuzhen.cn"
    dns[host] = [PUBLIC, "127.0.0.1"]
    site.extra["/robots.txt"] = (b"User-agent: *\nAllow: /\n", "text/plain")
    target = on(site, host, PANDA)
    site.redirects["/faults/hop.html"] = target
    _, counts = crawl(tmp_path / "w.db", [site.url("/faults/hop.html")], fetch=QUICK)
    assert [r.path for r in site.requests] == ["/robots.txt", "/faults/hop.html"]
    (failure,) = counts.failures
    assert host in failure.message and "127.0.0.1" in failure.message


# --- A total deadline per request ---------------------------------------------------


def test_a_body_dripped_slower_than_the_deadline_fails_the_page(site, tmp_path):
    fetch = FetchSettings(read_timeout=1, tries=1, deadline=1.5)
    started = time.monotonic()
    _, counts = crawl(tmp_path / "w.db", [site.url("/faults/drip.html")], fetch=fetch)
    assert time.monotonic() - started < 4
    (failure,) = counts.failures
    assert "1.5 s" in failure.message and "deadline" in failure.message


def test_the_deadline_defaults_to_two_minutes():
    assert FetchSettings().deadline == 120.0


# --- robots.txt as RFC 9309 says ------------------------------------------------------


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [
        (b"User-agent: *\nAllow: /\nDisallow: /a/202308/\n", False),  # longest match wins
        (b"User-agent: *\nDisallow: /a/*/14/\n", False),  # * matches any characters
        (b"User-agent: *\nDisallow: /*.html$\n", False),  # $ anchors the end
        (b"User-agent: *\nDisallow: /*.htm$\n", True),  # ... so .html is not .htm
        (b"\xef\xbb\xbfUser-agent: *\nDisallow: /a/\n", False),  # a UTF-8 BOM is not a rule
        (b"User-agent: wic-etl\nAllow: /a/\n\nUser-agent: *\nDisallow: /\n", True),
    ],
)
def test_robots_txt_rules_are_read_as_rfc_9309_says(site, tmp_path, robots, allowed):
    site.extra["/robots.txt"] = (robots, "text/plain")
    _, counts = crawl(tmp_path / "w.db", [site.url(PANDA)], fetch=QUICK)
    assert bool(site.requested(PANDA)) is allowed
    assert counts.new == int(allowed)


def test_robots_status_and_crawl_delay_semantics():
    assert Robots.from_response(404, b"").allows("http://h.test/a")
    assert not Robots.from_response(503, b"").allows("http://h.test/a")
    assert not Robots.unreachable("timeout").allows("http://h.test/a")
    assert Robots.from_response(200, b"User-agent: *\nCrawl-delay: 2.5\n").crawl_delay() == 2.5
    assert Robots.from_response(200, b"User-agent: *\nCrawl-delay: 3600\n").crawl_delay() == 60
    assert Robots.from_response(200, b"User-agent: *\nDisallow:\n").crawl_delay() is None


def test_crawl_delay_spaces_requests(site, tmp_path):
    site.extra["/robots.txt"] = (b"User-agent: *\nCrawl-delay: 0.4\n", "text/plain")
    crawl(tmp_path / "w.db", [site.url(CANAL)], fetch=QUICK)
    times = [r.at for r in site.requests if r.path != "/robots.txt"]
    # The article's three pages and the images of its first two: paced alike.
    assert len(times) == 5
    assert sum(r.path.startswith("/images/") for r in site.requests) == 2
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.4 - 0.02


# --- Budgets --------------------------------------------------------------------------


def sitemap(urls: Iterator[str]) -> bytes:
    entries = "".join(f"<url><loc>{u}</loc><lastmod>2025-12-01</lastmod></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</urlset>"
    ).encode()


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.lines.append(record.getMessage())


def logger() -> tuple[logging.Logger, Lines]:
    log = logging.getLogger("test.budget")
    log.setLevel(logging.DEBUG)
    log.handlers[:] = [handler := Lines()]
    log.propagate = False
    return log, handler


def test_a_huge_gzipped_sitemap_stops_being_read_when_the_budget_is_spent(site, tmp_path):
    n = 300_000  # about 20 MB inflated, twice the body cap
    body = gzip.compress(sitemap(site.url(f"/a/n{i}.html") for i in range(n)), 1)
    site.extra["/big.xml.gz"] = (body, "application/x-gzip")
    log, lines = logger()
    started = time.monotonic()
    report, counts = crawl(tmp_path / "w.db", [site.url("/big.xml.gz")], max_pages=3, log=log)
    assert time.monotonic() - started < 3
    assert [r.path for r in site.requests] == ["/robots.txt", "/big.xml.gz", "/a/n0.html",
                                               "/a/n1.html"]  # fmt: skip
    assert counts.failed == 2  # the two 404s
    assert len(lines.lines) < 10, lines.lines[:5]
    assert len(report.stops) == 1 and "--max-pages 3" in report.stops[0]


def test_skips_are_summed_up_not_logged_one_line_each(site, tmp_path):
    body = sitemap(site.url(f"/a/n{i}.html") for i in range(5_000))
    site.extra["/old.xml"] = (body, "application/xml")
    log, lines = logger()
    report, _ = crawl(tmp_path / "w.db", [site.url("/old.xml")], since="2026-01-01", log=log)
    assert report.skipped["listed before --since 2026-01-01"] == 5_000
    assert len(lines.lines) < 10, lines.lines[:5]


def test_a_gzipped_sitemap_is_capped_once_inflated(site, tmp_path):
    # Entries of another host: ignored, so no budget stops the reading before the cap.
    body = gzip.compress(sitemap(f"http://www.example.org/n{i}.html" for i in range(30_000)))
    assert len(body) < 500_000 < len(gzip.decompress(body))
    site.extra["/inflating.xml.gz"] = (body, "application/x-gzip")
    fetch = FetchSettings(read_timeout=1, tries=1, max_bytes=500_000)
    _, counts = crawl(tmp_path / "w.db", [site.url("/inflating.xml.gz")], fetch=fetch)
    (failure,) = counts.failures
    assert "500,000-byte limit once decompressed" in failure.message


def test_an_article_announcing_999_pages_gets_only_max_article_pages(site, tmp_path):
    page = (FIXTURES / "saved/multipage/canal_town_p1.html").read_bytes()
    pager = page.replace(b"e_3.html", b"e_999.html")
    assert pager != page
    site.extra[CANAL] = (pager, "text/html; charset=utf-8")
    report, _ = crawl(tmp_path / "w.db", [site.url(CANAL)], max_pages=1, max_article_pages=5)
    parts = [r.path for r in site.requests if r.path.startswith(CANAL.removesuffix(".html"))]
    assert len(parts) == 5, parts
    reason = "pages of an article past max_article_pages 5 (its pager announced 999)"
    assert report.skipped == {reason: 994}


def test_max_article_pages_defaults_to_fifty():
    assert CrawlOptions().max_article_pages == 50


# --- --allow-host is exact unless asked for subdomains --------------------------------------


def test_a_named_host_does_not_allow_its_subdomains():
    policy = HostPolicy.allowing(["www.example.org"])
    assert policy.allows_host("www.example.org") and policy.allows_host("WWW.Example.org")
    assert not policy.allows_host("intranet.www.example.org")
    assert not policy.allows_host("example.org")
    wild = HostPolicy.allowing(["*.example.org"])
    assert wild.allows_host("intranet.www.example.org") and wild.allows_host("example.org")
    assert not wild.allows_host("badexample.org")


def test_a_subdomain_of_a_named_host_on_loopback_is_not_fetched(site, dns, tmp_path):
    dns["intranet.www.example.org"] = ["127.0.0.1"]
    url = on(site, "intranet.www.example.org", PANDA)
    _, counts = crawl(tmp_path / "w.db", [url], allow_hosts=("www.example.org",), fetch=QUICK)
    assert site.requests == []
    (failure,) = counts.failures
    assert "host intranet.www.example.org is not allowed" in failure.message


def test_a_wildcard_allows_the_subdomains(site, dns, tmp_path: Path):
    dns["intranet.www.example.org"] = ["127.0.0.1"]
    url = on(site, "intranet.www.example.org", PANDA)
    _, counts = crawl(tmp_path / "w.db", [url], allow_hosts=("*.example.org",), fetch=QUICK)
    assert counts.new == 1 and titles(tmp_path / "w.db") == {url}


# --- Unusable redirect targets ------------------------------------------------------------


def test_a_redirect_to_an_unparseable_address_is_a_typed_refusal(site, tmp_path):
    _, counts = crawl(tmp_path / "w.db", [site.url("/faults/bad-location.html")], fetch=QUICK)
    (failure,) = counts.failures
    assert "http:169.254.169.254/" in failure.message
    assert "wic-etl bug" not in failure.message
    assert not [r for r in site.requests if "169.254" in r.path]
