"""The crawler's re-check of known articles, on its own (no Prefect, no database).

What each page gave comes back as a ``Rechecked``; here the test server's log says
what was really asked: conditionally or not, which pages, and nothing past the cap.
"""

from __future__ import annotations

import logging

from core.records import Extracted, RawPage, Validators
from extractors.profiles import host_families
from fetchers.crawl import Crawler, CrawlOptions, CrawlReport, Recheck, Rechecked
from fetchers.http import FetchSettings
from flows.ingest import PARSERS
from tests.changing_site import ChangingSite
from tests.conftest import SAVED

BASE = "/a/201901/11/WS5c37cfaea3106c65c34e3c9e"
PAGES = {f"{BASE}.html": "canal_town_p1.html", f"{BASE}_2.html": "canal_town_p2.html",
         f"{BASE}_3.html": "canal_town_p3.html"}  # fmt: skip


class Validated:
    """A CrawlStore that knows the validators the site gave for each address."""

    def __init__(self, site: ChangingSite) -> None:
        self.known = {
            site.url(path): Validators(resource.etag, resource.last_modified, "sha")
            for path, resource in site.resources.items()
            if resource.status == 200
        }

    def validators(self, url: str) -> Validators | None:
        return self.known.get(url)

    def stored_page(self, sha256: str) -> RawPage | None:
        return None

    def is_known(self, url: str) -> bool:
        return True

    def image_kept(self, url: str) -> bool:
        return True  # these tests are about pages: no image is fetched


def recheck(
    site: ChangingSite, targets: list[Recheck], store: Validated | None = None, **options: object
) -> tuple[list[Rechecked], CrawlReport]:
    got: list[Rechecked] = []
    opts = CrawlOptions(families=host_families(), allow_hosts=("127.0.0.1",),
                        fetch=FetchSettings(tries=2, backoff=0.05), **options)  # type: ignore[arg-type]  # fmt: skip
    store = store or Validated(site)
    crawler = Crawler(opts, store, lambda o: None, logging.getLogger("t"), PARSERS, got.append)
    report = crawler.recheck(targets)
    return got, report


def serve_canal_town(site: ChangingSite) -> None:
    for path, name in PAGES.items():
        site.serve(path, (SAVED / "multipage" / name).read_bytes())


def test_a_304_for_the_first_page_asks_for_the_stored_others_conditionally():
    with ChangingSite() as site:
        serve_canal_town(site)
        store = Validated(site)
        parts = (site.url(f"{BASE}_2.html"), site.url(f"{BASE}_3.html"))
        site.serve(f"{BASE}_3.html", b"<html><body>changed</body></html>")
        got, report = recheck(site, [Recheck("a", site.url(f"{BASE}.html"), parts)], store)
    kinds = {answer.url.rsplit("/", 1)[1]: (answer.kind, answer.status) for answer in got}
    assert kinds == {
        "WS5c37cfaea3106c65c34e3c9e.html": ("not-modified", 304),
        "WS5c37cfaea3106c65c34e3c9e_2.html": ("not-modified", 304),
        "WS5c37cfaea3106c65c34e3c9e_3.html": ("answered", 200),
    }
    assert report.not_modified == 2
    assert [a.is_part for a in got].count(True) == 2


def test_a_page_that_answers_asks_for_the_pages_its_pager_announces():
    with ChangingSite() as site:
        serve_canal_town(site)
        got, _ = recheck(site, [Recheck("a", site.url(f"{BASE}.html"), (), conditional=False)])
        assert all(hit.if_none_match is None for hit in site.hits)
    assert sorted(a.url for a in got) == sorted(site.url(p) for p in PAGES)
    assert all(a.kind == "answered" and isinstance(a.outcome, Extracted) for a in got)


def test_404_410_redirects_and_5xx_are_reported_not_decided():
    with ChangingSite() as site:
        serve_canal_town(site)
        site.gone("/a/gone.html", 404)
        site.gone("/a/gone-for-good.html", 410)
        site.redirect("/a/home.html", "/", 302)
        site.fail("/a/down.html", 503)
        paths = ("/a/gone.html", "/a/gone-for-good.html", "/a/home.html", "/a/down.html")
        targets = [Recheck(p, site.url(p)) for p in paths]
        got, _ = recheck(site, targets)
    by_id = {answer.target.article_id: answer for answer in got}
    assert (by_id["/a/gone.html"].kind, by_id["/a/gone.html"].status) == ("gone", 404)
    assert by_id["/a/gone.html"].page is not None  # the body that said so
    assert by_id["/a/gone-for-good.html"].status == 410
    home = by_id["/a/home.html"]
    assert (home.kind, home.status, home.final_url) == ("answered", 200, site.url("/"))
    assert home.redirects == ((site.url("/a/home.html"), 302),)
    down = by_id["/a/down.html"]
    assert down.kind == "failed" and "HTTP 503" in down.outcome.message  # type: ignore[union-attr]


def test_max_pages_caps_every_page_fetched():
    with ChangingSite() as site:
        serve_canal_town(site)
        others = [f"/a/20190111/{n}.html" for n in range(5)]
        for path in others:
            site.serve(path, b"<html><body><p>x</p></body></html>")
        targets = [Recheck(p, site.url(p)) for p in others]
        got, report = recheck(site, targets, max_pages=3)
        asked = [hit.path for hit in site.hits if hit.path != "/robots.txt"]
    assert len(got) == 3 and len(asked) == 3
    assert report.skipped == {"over --max-pages 3": 2}
