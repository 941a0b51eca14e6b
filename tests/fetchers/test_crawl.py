"""The crawler on its own (no Prefect): discovery limits, politeness, what it asks for."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.accounting import RunCounts
from extractors.profiles import host_families
from fetchers.crawl import Crawler, CrawlOptions, CrawlReport
from fetchers.http import FetchSettings
from flows.batch import OutcomeWriter
from flows.ingest import PARSERS
from loaders.schema import open_database
from loaders.store import Store
from tests.site_server import FixtureSite

LISTING = "/china/society/"
PAGE_2 = "/china/society/page_2.html"
BATTERY = "/a/202403/05/WS65e66c1ea31082fc043baf11.html"  # listed 2025-12-05, on page 1
PANDA = "/a/202308/14/WS64d98a23a31035260b81b8c2.html"  # listed 2025-11-20, on page 2


@pytest.fixture
def site():
    with FixtureSite(slow_seconds=2.0) as served:
        yield served


def crawl(
    db_path: Path,
    urls: list[str],
    *,
    allow_hosts: tuple[str, ...] = ("127.0.0.1",),
    log: logging.Logger | None = None,
    **options: object,
) -> tuple[CrawlReport, RunCounts]:
    fetch = options.pop("fetch", FetchSettings(read_timeout=1, tries=2, backoff=0.05))
    with Store.open(str(db_path)) as store:
        store.start_run("run", "ingest", urls)
        writer = OutcomeWriter(store, "run", 10)
        opts = CrawlOptions(
            families=host_families(), allow_hosts=allow_hosts, fetch=fetch, **options
        )  # type: ignore[arg-type]
        log = log or logging.getLogger("test")
        report = Crawler(opts, store.crawl_state(), writer, log, PARSERS).run(urls)
        writer.flush()
    return report, writer.counts


def titles(db_path: Path) -> set[str]:
    db = open_database(db_path)
    try:
        return {row[0] for row in db.execute("select url from articles")}
    finally:
        db.close()


def test_a_listing_is_followed_through_its_pages_and_multi_page_articles_whole(site, tmp_path):
    report, counts = crawl(tmp_path / "w.db", [site.url(LISTING)])
    urls = titles(tmp_path / "w.db")
    assert site.url(BATTERY) in urls and site.url(PANDA) in urls
    assert site.requested(PAGE_2), "pagination not followed"
    assert site.requested("/a/201901/11/WS5c37cfaea3106c65c34e3c9e_3.html")
    assert counts.listings == 2 and counts.failed == 0
    # Off-site and robots-disallowed links are never requested.
    assert not site.requested("/private/draft.html")
    assert report.skipped["disallowed by robots.txt"] == 1
    assert all(r.path != "/a/elsewhere.html" for r in site.requests)


def test_since_stops_at_older_items(site, tmp_path):
    report, _ = crawl(tmp_path / "w.db", [site.url(LISTING)], since="2025-12-06")
    assert not site.requested(BATTERY), "an item listed 2025-12-05 was fetched"
    assert not site.requested(PAGE_2), "pagination followed past items older than --since"
    assert site.requested("/a/202512/08/WS6936a1b2a310d6866eb2c7f1.html")
    assert report.skipped["listed before --since 2025-12-06"] == 1


def test_a_run_of_known_articles_ends_the_listing(site, tmp_path):
    db = tmp_path / "w.db"
    crawl(db, [site.url(LISTING)])
    site.requests.clear()
    report, counts = crawl(db, [site.url(LISTING)], stop_after_known=2)
    assert report.stops and "2 known articles in a row" in report.stops[0]
    assert not site.requested(PAGE_2)
    assert not site.requested(BATTERY)  # came after the two known ones
    assert counts.new == 0


def test_max_pages_bounds_each_start_address(site, tmp_path):
    report, _ = crawl(tmp_path / "w.db", [site.url(LISTING)], max_pages=3)
    # Images of the articles fetched are not pages: they do not count against the budget.
    fetched = {r.path for r in site.requests if not r.path.startswith("/images/")}
    fetched -= {"/robots.txt"}
    # The listing and two articles; the canal-town article's other pages still come,
    # so that it is whole.
    assert fetched - {f"/a/201901/11/WS5c37cfaea3106c65c34e3c9e_{n}.html" for n in (2, 3)} == {
        LISTING,
        "/a/202512/08/WS6936a1b2a310d6866eb2c7f1.html",
        "/a/201901/11/WS5c37cfaea3106c65c34e3c9e.html",
    }
    assert report.skipped["over --max-pages 3"] >= 2


def test_the_rate_limit_spaces_requests_to_a_host(site, tmp_path):
    crawl(tmp_path / "w.db", [site.url(LISTING)], fetch=FetchSettings(rate_limit=5.0))
    times = [r.at for r in site.requests]
    assert len(times) > 8
    # Slots of 0.2 s: no request comes before its slot. (Gaps between arrivals can be
    # shorter when one request left its slot late, on a busy machine; none is early.)
    early = [k for k, at in enumerate(times) if at - times[0] < k * 0.2 - 0.02]
    assert early == [], [round(at - times[0], 3) for at in times]


def test_requests_name_the_project_and_ask_for_compression(site, tmp_path):
    crawl(tmp_path / "w.db", [site.url(PANDA)])
    request = site.requested(PANDA)[0]
    assert request.headers["User-Agent"].startswith("wic-etl/")
    assert "gzip" in request.headers["Accept-Encoding"]


def test_a_retry_after_beyond_the_limit_is_not_waited_for(site, tmp_path):
    fetch = FetchSettings(tries=3, backoff=0.05, max_wait=0.5)
    _, counts = crawl(tmp_path / "w.db", [site.url("/faults/busy.html")], fetch=fetch)
    assert counts.failed == 1
    assert "asked to wait 1 s" in counts.failures[0].message
    assert len(site.requested("/faults/busy.html")) == 1


def test_retry_after_is_honoured(site, tmp_path):
    _, counts = crawl(tmp_path / "w.db", [site.url("/faults/busy.html")])
    first, second = site.requested("/faults/busy.html")
    assert second.at - first.at >= 0.95
    assert counts.new == 1


def test_hosts_not_named_are_refused_before_any_request(site, tmp_path):
    store = Store.open(str(tmp_path / "w.db"))
    store.start_run("run", "ingest", [])
    writer = OutcomeWriter(store, "run", 10)
    report = Crawler(
        CrawlOptions(families=host_families()),
        store.crawl_state(),
        writer,
        logging.getLogger("t"),
        PARSERS,
    ).run([site.url(PANDA), "ftp://127.0.0.1/x.html", "http://localhost:1/"])
    writer.flush()
    assert site.requests == [] and report.requests == 0
    messages = [f.message for f in writer.counts.failures]
    assert any("host 127.0.0.1 is not allowed" in m and "--allow-host 127.0.0.1" in m
               for m in messages)  # fmt: skip
    assert any("not an http:// or https:// address" in m for m in messages)
    assert len(messages) == 3


def test_a_raw_deflate_body_is_read_like_a_zlib_one(site, tmp_path):
    _, counts = crawl(tmp_path / "w.db", [site.url("/faults/deflate.html")])
    assert (counts.new, counts.failed) == (1, 0)


class _Terminated(BaseException):
    """What Prefect raises in the main thread on SIGTERM (its TerminationSignal)."""


def test_a_signal_raised_inside_a_worker_stops_the_crawl_not_the_worker(site, tmp_path):
    # A signal handler that raises runs in whatever task step the main thread is in:
    # a worker that died of it while the others finished the crawl made a SIGTERM'd run
    # end as a complete one.
    seen: list[object] = []

    def sink(outcome: object) -> None:
        seen.append(outcome)
        if len(seen) == 2:
            raise _Terminated

    store = Store.open(str(tmp_path / "w.db"))
    crawler = Crawler(
        CrawlOptions(families=host_families(), allow_hosts=("127.0.0.1",)),
        store.crawl_state(),
        sink,
        logging.getLogger("t"),
        PARSERS,
    )
    with pytest.raises(_Terminated):
        crawler.run([site.url("/china/society/")])
    assert len(seen) == 2  # nothing more was fetched or written after it
