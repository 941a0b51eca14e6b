"""The crawl: start addresses in, outcomes out, discovering pages as it goes.

Start addresses may be articles, section listings, RSS/Atom feeds or sitemaps; what
a response is, is told from its content. Listings are followed page by page (the
next page is queued only once the current one is read, so ``--since`` and the
known-article stop see the listing in order); an article announcing more pages
gets all of them queued, so it is fetched whole and stitched by the loader.

Every page is extracted here, once: its outcome feeds discovery and then goes to
``sink``, the single writer. Nothing here touches the database directly; the
``CrawlStore`` answers the few questions the crawl asks of what is already stored.

The images an extracted article shows are fetched too (job kind ``image``), with the
same politeness (robots.txt, pacing, the host policy) and byte cap as pages, each
address once per crawl and never again once kept. What comes back is kept only when
it is an image (an image type declared and its bytes one: ``core/images.py``); what
is not, or cannot be fetched, is a failure of stage ``image``, never the article's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import httpx

from core.errors import FetchError, ImageError
from core.images import checked_image
from core.records import (
    Extracted,
    Failed,
    Found,
    ImageFile,
    Listed,
    Listing,
    Outcome,
    RawPage,
    Validators,
)
from core.settings import DEFAULTS
from core.stitch import page_urls, split_page_url
from core.urls import canonical_url, host_of, join, split_http
from fetchers.http import Fetcher, FetchSettings, Response
from fetchers.policy import HostPolicy

# An image a browser saved beside a page (``Name_files/photo.jpg``), as the extractor
# keeps it: the saved page's own file, not an address on the site.
_SAVED_FILES = re.compile(r"^(?:\./)?[^/:]*_files/")

JobKind = Literal[
    "start", "listing", "article", "part", "sitemap", "recheck", "recheck-part", "image"
]


@dataclass(frozen=True)
class CrawlOptions:
    """What one crawl may do: hosts, page budgets, dates, and how to fetch."""

    # Host families of the known sites (from the site profiles), each with its subdomains.
    families: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()  # hosts the user named besides them
    # Pages (listings, articles, sitemaps) fetched per start address at most; the
    # other pages of a multi-page article are always fetched, so it stays whole.
    max_pages: int = DEFAULTS.max_pages
    max_article_pages: int = DEFAULTS.max_article_pages  # a pager's 999 is not 999 requests
    since: str | None = None  # ISO date: items listed before it are not fetched
    stop_after_known: int = DEFAULTS.stop_after_known
    concurrency: int = DEFAULTS.concurrency  # requests in flight across all hosts
    fetch: FetchSettings = field(default_factory=FetchSettings)
    images: bool = True  # fetch and keep the images of the articles extracted


class DiscoveryDocument(Protocol):
    """A feed or sitemap: what kind, and its addresses, read lazily in document order."""

    @property
    def kind(self) -> str:
        """'feed', 'sitemap' or 'sitemapindex'."""
        ...

    def entries(self) -> Iterator[Found]:
        """The addresses the document points at, in document order."""
        ...


@dataclass(frozen=True)
class PageParsers:
    """What the crawler needs to know of the pages it fetches, handed in by the flow.

    The crawler fetches and follows; it never parses a page itself (as Scrapy's
    engine leaves parsing to the spider's callbacks), so it needs no extractor.
    """

    extract: Callable[[RawPage], Outcome]
    # A feed or sitemap in the body (read under the byte cap), or None for a page.
    discover: Callable[[bytes, int, str], DiscoveryDocument | None]
    next_listing_page: Callable[[Listing], str | None]


class CrawlStore(Protocol):
    """What the crawler asks of the database (``loaders.crawl_state`` answers)."""

    def validators(self, url: str) -> Validators | None:
        """The ETag / Last-Modified of the last good fetch of ``url``, to ask conditionally."""
        ...

    def stored_page(self, sha256: str) -> RawPage | None:
        """The stored copy of a page by its SHA-256 (for a 304 answer)."""
        ...

    def is_known(self, url: str) -> bool:
        """Whether an article at this address is stored already."""
        ...

    def image_kept(self, url: str) -> bool:
        """Whether the image at this address is kept already (it is not fetched again)."""
        ...


@dataclass(frozen=True)
class Recheck:
    """A known article to fetch again: where its pages were fetched from before."""

    article_id: str
    url: str  # the address its first page was asked for at
    parts: tuple[str, ...] = ()  # the addresses of its other pages, in page order
    # Asked with the validators of the last good fetch (a 304 costs nothing). Not so for
    # an article marked removed: its validators are those of a page the site took down.
    conditional: bool = True


RecheckKind = Literal["not-modified", "answered", "gone", "failed"]


@dataclass(frozen=True)
class Rechecked:
    """What fetching one page of a known article again gave, for the flow to record.

    ``kind``: ``not-modified`` (a 304 to a conditional request: nothing to extract),
    ``answered`` (a 2xx page, extracted: ``outcome``, an Extracted, Listed or Failed),
    ``gone`` (a 404 or 410; ``page`` holds its body, if any) or ``failed`` (no usable
    answer: ``outcome`` is the Failed an ingest would record).
    """

    target: Recheck
    url: str  # the page asked for: the target's first page or one of its parts
    kind: RecheckKind
    status: int | None = None  # the last answer's HTTP status (after redirects)
    final_url: str | None = None  # where redirects ended
    redirects: tuple[tuple[str, int], ...] = ()  # (address, 3xx status) followed, in order
    outcome: Outcome | None = None
    page: RawPage | None = None

    @property
    def is_part(self) -> bool:
        """Whether this is one of the article's other pages, not its first."""
        return self.url != self.target.url


@dataclass(frozen=True)
class Job:
    """One address to fetch, what it is expected to be, and which start address led to it."""

    url: str
    kind: JobKind
    origin: int  # which start address led here
    target: Recheck | None = None  # the known article a re-check job fetches a page of


@dataclass
class CrawlReport:
    """What a crawl asked for and what it left: requests, 304s, skips, stops."""

    requests: int = 0
    not_modified: int = 0
    images_kept_before: int = 0  # images of the articles fetched that were kept already
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> pages not fetched
    stops: list[str] = field(default_factory=list)  # why discovery ended early


@dataclass
class _Trail:
    """Discovery state of one start address."""

    fetched: int = 0
    queued: int = 0  # jobs waiting that will count against --max-pages when fetched
    known_in_a_row: int = 0
    stopped: bool = False
    budget_noted: bool = False

    def budget_left(self, max_pages: int) -> int:
        return max_pages - self.fetched - self.queued


class Crawler:
    """Fetch the start addresses and what they lead to, politely and within budget."""

    def __init__(
        self,
        options: CrawlOptions,
        store: CrawlStore,
        sink: Callable[[Outcome | ImageFile], None],
        log: logging.Logger | logging.LoggerAdapter[logging.Logger],
        parsers: PageParsers,
        checked: Callable[[Rechecked], None] | None = None,
    ) -> None:
        self.options = options
        self.parsers = parsers
        self.store = store
        self._sink = sink
        self._halted = False  # a worker ended on a signal: nobody writes after it
        self.checked = checked  # where a re-check's pages go (``recheck``)
        self.log = log
        self.policy = HostPolicy.allowing(options.allow_hosts, options.families)
        self.report = CrawlReport()
        self._seen: set[str] = set()
        self._capped_articles: set[str] = set()
        self._trails: dict[int, _Trail] = {}
        self._queue: asyncio.Queue[Job] = asyncio.Queue()

    def run(self, urls: Sequence[str]) -> CrawlReport:
        """Crawl from ``urls``; each outcome goes to the sink as it comes; the report at the end."""
        jobs = [Job(url.strip(), "start", origin) for origin, url in enumerate(urls)]
        return asyncio.run(self._run(jobs))

    def recheck(self, targets: Sequence[Recheck]) -> CrawlReport:
        """Fetch known articles again, every page of each; each page's ``Rechecked`` goes to
        ``checked`` as it comes (the sink gets nothing). ``max_pages`` bounds the pages
        fetched in all; robots.txt, pacing, retries and the host policy apply as in a crawl.
        """
        if self.checked is None:
            raise ValueError("a re-check needs somewhere to report its pages: give checked")
        return asyncio.run(self._run([Job(t.url, "recheck", 0, t) for t in targets]))

    async def _run(self, jobs: Sequence[Job]) -> CrawlReport:
        self.fetcher = Fetcher(self.options.fetch, self.policy)
        for job in jobs:
            self._trails.setdefault(job.origin, _Trail())
            self._enqueue(job)
        workers = [
            asyncio.create_task(self._work()) for _ in range(max(1, self.options.concurrency))
        ]
        finished = asyncio.ensure_future(self._queue.join())
        try:
            # A worker ends only by an exception its loop does not catch: a signal's
            # (Prefect's TerminationSignal on SIGTERM is raised in whatever task step the
            # thread is in). It stops the crawl; the other workers must not finish it.
            done, _ = await asyncio.wait([finished, *workers], return_when=asyncio.FIRST_COMPLETED)
            for worker in done - {finished}:
                error = None if worker.cancelled() else worker.exception()
                if error is not None:
                    raise error
        finally:
            finished.cancel()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.report.requests = self.fetcher.requests
            await self.fetcher.close()
        return self.report

    def sink(self, outcome: Outcome | ImageFile) -> None:
        """Hand ``outcome`` to the writer, unless a signal has stopped the crawl."""
        # The other workers may still run a step in the turn the signal ended one
        # worker's: what they fetched then is not written, as if it came after.
        if self._halted:
            raise asyncio.CancelledError
        self._sink(outcome)

    def _enqueue(self, job: Job) -> None:
        """Queue ``job`` unless its page already was."""
        key = canonical_url(job.url) or job.url
        if key in self._seen:
            return
        self._seen.add(key)
        if _budgeted(job):
            self._trails[job.origin].queued += 1
        self._queue.put_nowait(job)

    def _skip(self, url: str, reason: str) -> None:
        # Counted, and summed up once in the run's notes: a line per address drowned
        # the log (a big sitemap gave 873,613 of them).
        self.report.skipped[reason] += 1
        self.log.debug("not fetched: %s (%s)", url, reason)

    def _over_budget(self, job: Job, trail: _Trail) -> bool:
        """Whether the start address's page budget is taken up (the stop noted once if so)."""
        if trail.budget_left(self.options.max_pages) > 0:
            return False
        if not trail.budget_noted:
            trail.budget_noted = True
            self.report.stops.append(
                f"--max-pages {self.options.max_pages} reached while following {job.url}; "
                "its further links were not queued (nor, in a feed or sitemap, read)"
            )
        return True

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._process_or_report(job)
            except BaseException:  # a signal or a cancel: the crawl stops, nobody writes after
                self._halted = True
                raise
            finally:
                self._queue.task_done()

    async def _process_or_report(self, job: Job) -> None:
        try:
            await self._process(job)
        except Exception as exc:  # a bug of ours must not stop the crawl or hide the page
            self.sink(
                Failed(
                    job.url, "fetch", "FetchError",
                    f"unexpected {type(exc).__name__}: {exc}. This is a wic-etl bug: "
                    "report it with the address",
                )
            )  # fmt: skip

    async def _process(self, job: Job) -> None:
        if job.target is not None:
            await self._recheck_page(job, job.target)
            return
        if job.kind == "image":
            await self._fetch_image(job)
            return
        trail = self._trails[job.origin]
        if _budgeted(job):
            trail.queued -= 1
            if trail.fetched >= self.options.max_pages:
                self._skip(job.url, f"over --max-pages {self.options.max_pages}")
                return
        if job.kind != "start" and not await self._robots_allow(job.url):
            self._skip(job.url, "disallowed by robots.txt")
            return
        trail.fetched += 1
        validators = self.store.validators(job.url)
        try:
            # Each address asked conditionally, those a redirect leads to as well: a
            # re-crawl of a redirected address costs a 304 too.
            response = await self.fetcher.get(job.url, validators, self.store.validators)
            page = self._page(job, response, response.validators)
            if page is None and response.validators is not None:  # stored copy gone: ask plainly
                response = await self.fetcher.get(job.url, None)
                page = self._page(job, response, None)
        except FetchError as exc:
            kept = RawPage(job.url, exc.body, url=job.url) if exc.body else None
            self.sink(Failed.from_error(job.url, exc, kept))
            self.log.warning("%s", exc)
            return
        if isinstance(page, Failed):
            self.sink(page)
            return
        if not isinstance(page, RawPage):
            if page is not None:
                self._follow_discovery(page, job)
            return
        # In a thread: the loop goes on answering while a page is extracted (in a worker
        # process, when the flow gave such parsers), and Ctrl-C reaches the main thread.
        outcome = await asyncio.to_thread(self.parsers.extract, page)
        self.sink(outcome)
        self._follow_outcome(outcome, job)
        self._queue_images(outcome, job)

    async def _recheck_page(self, job: Job, target: Recheck) -> None:
        """Fetch one page of a known article again and say what it gave (``Rechecked``).

        A 304, a 404/410 and a redirect are news of the article, not failures: the flow
        decides what each means. Only the first page's answer decides which other pages
        are asked for: those it announces (or, after a 304, those stored).
        """
        assert self.checked is not None  # recheck() made sure
        trail = self._trails[job.origin]
        trail.queued -= 1
        if trail.fetched >= self.options.max_pages:
            self._skip(job.url, f"over --max-pages {self.options.max_pages}")
            return
        # Taken before the first await: every job is queued at once, and the workers
        # waiting on robots.txt together must not all find the budget still open.
        trail.fetched += 1
        if not await self._robots_allow(job.url):
            trail.fetched -= 1
            self._skip(job.url, "disallowed by robots.txt")
            return
        validators = self.store.validators(job.url) if target.conditional else None
        try:
            response = await self.fetcher.get(job.url, validators)
        except FetchError as exc:
            kept = RawPage(job.url, exc.body, url=job.url) if exc.body else None
            failed = Failed.from_error(job.url, exc, kept)
            self.checked(Rechecked(target, job.url, "failed", outcome=failed))
            self.log.warning("%s", exc)
            return
        status, final, redirects = response.status, response.url, response.redirects
        if status == 304 and validators is not None:
            self.report.not_modified += 1
            self.checked(Rechecked(target, job.url, "not-modified", status, final, redirects))
            if job.kind == "recheck":
                self._recheck_parts(target.parts, job, target)
            return
        page = RawPage(job.url, response.body, final, response.header("content-type"), status,
                       response.headers)  # fmt: skip
        kept = page if response.body else None
        if status in (404, 410):
            self.checked(Rechecked(target, job.url, "gone", status, final, redirects, page=kept))
            return
        if not 200 <= status < 300:
            failed = Failed(job.url, "fetch", "FetchError", f"{job.url}: {_status_reason(status)}",
                            kept)  # fmt: skip
            self.checked(
                Rechecked(target, job.url, "failed", status, final, redirects, outcome=failed)
            )
            return
        outcome = await asyncio.to_thread(self.parsers.extract, page)
        self.checked(
            Rechecked(target, job.url, "answered", status, final, redirects, outcome=outcome)
        )
        self._queue_images(outcome, job)  # a new version's images, those at new addresses
        if (
            job.kind == "recheck"
            and not redirects
            and isinstance(outcome, Extracted)
            and (expected := outcome.article.pages_expected) > 1
        ):
            cap = min(expected, self.options.max_article_pages)
            self._recheck_parts(page_urls(final, cap)[1:], job, target)

    def _recheck_parts(self, urls: Iterable[str], job: Job, target: Recheck) -> None:
        for url in urls:
            self._enqueue(Job(url, "recheck-part", job.origin, target))

    def _queue_images(self, outcome: Outcome, job: Job) -> None:
        """Queue the images of an extracted article not kept yet, each address once."""
        if not self.options.images or not isinstance(outcome, Extracted):
            return
        base = outcome.page.url or job.url
        for image in outcome.article.images:
            if not image.src or _SAVED_FILES.match(image.src):
                continue  # no address, or a saved page's own file (kept from its folder)
            url = join(base, image.src)  # the extractor resolved most; "//host/x" too
            if url is None or split_http(url) is None:
                continue  # a data: address, or a saved page's own file: nothing to fetch
            key = canonical_url(url) or url
            if key in self._seen:
                continue  # queued, kept or counted already: each address once a crawl
            if not self.policy.allows_host(host_of(url) or ""):
                self._seen.add(key)
                self._skip(url, "image on a host not crawled (add --allow-host to fetch it)")
            elif self.store.image_kept(url):
                self._seen.add(key)
                self.report.images_kept_before += 1
            else:
                self._enqueue(Job(url, "image", job.origin))

    async def _fetch_image(self, job: Job) -> None:
        """Fetch one image; keep it (``ImageFile`` to the sink) or say why not (stage image)."""
        if not await self._robots_allow(job.url):
            self._skip(job.url, "image disallowed by robots.txt")
            return
        try:
            response = await self.fetcher.get(job.url, None)
            if not 200 <= response.status < 300:
                raise ImageError(f"{job.url}: {_status_reason(response.status)}; image not kept")
            kind = checked_image(response.body, response.header("content-type") or "", job.url)
        except (FetchError, ImageError) as exc:
            message = str(exc) if isinstance(exc, ImageError) else f"{exc}; image not kept"
            self.sink(Failed(job.url, ImageError.stage, ImageError.__name__, message))
            self.log.warning("%s", message)
            return
        self.sink(ImageFile(job.url, response.body, kind, response.url))

    async def _robots_allow(self, url: str) -> bool:
        try:
            parts = self.policy.check_url(url)
        except FetchError:
            return True  # the fetch itself reports it, as a failure
        rules = await self.fetcher.robots_for(parts.scheme, parts.netloc)
        return rules.allows(url)

    def _page(
        self, job: Job, response: Response, validators: Validators | None
    ) -> RawPage | DiscoveryDocument | Failed | None:
        if response.status == 304 and validators is not None:
            stored = self.store.stored_page(validators.sha256)
            if stored is not None:
                self.report.not_modified += 1
            return stored
        content_type = response.header("content-type")
        page = RawPage(job.url, response.body, response.url, content_type, response.status,
                       response.headers)  # fmt: skip
        if not 200 <= response.status < 300:
            reason = _status_reason(response.status)
            return Failed(job.url, "fetch", "FetchError", f"{job.url}: {reason}",
                          page if response.body else None)  # fmt: skip
        if job.kind in ("start", "sitemap") and (
            found := self.parsers.discover(response.body, self.options.fetch.max_bytes, job.url)
        ):
            return found
        return page

    def _follow_outcome(self, outcome: Outcome, job: Job) -> None:
        if isinstance(outcome, Listed):
            trail = self._trails[job.origin]
            older = self._follow_links(
                [Found(link.url, link.listed) for link in outcome.listing.links], job
            )
            following = self.parsers.next_listing_page(outcome.listing)
            if following and not trail.stopped and not older and not self._over_budget(job, trail):
                self._enqueue(Job(following, "listing", job.origin))
        elif isinstance(outcome, Extracted) and (expected := outcome.article.pages_expected) > 1:
            url = outcome.page.url or job.url
            cap = self.options.max_article_pages
            if expected > cap and (base := split_page_url(url)[0]) not in self._capped_articles:
                self._capped_articles.add(base)
                self.report.skipped[
                    f"pages of an article past max_article_pages {cap} (its pager "
                    f"announced {expected})"
                ] += expected - cap
            for part in page_urls(url, min(expected, cap)):
                self._enqueue(Job(part, "part", job.origin))

    def _follow_discovery(self, discovery: DiscoveryDocument, job: Job) -> None:
        try:
            if discovery.kind == "sitemapindex":
                self._follow_sitemaps(discovery.entries(), job)
            else:
                self._follow_links(discovery.entries(), job)
        except FetchError as exc:  # inflated past the cap: the entries before it stand
            self.sink(Failed.from_error(job.url, exc))
            self.log.warning("%s", exc)

    def _follow_sitemaps(self, entries: Iterable[Found], job: Job) -> None:
        trail = self._trails[job.origin]
        since = self.options.since
        for entry in entries:
            if since and entry.date and entry.date < since:
                self._skip(entry.url, f"sitemap last changed before --since {since}")
            elif self.policy.allows_host(host_of(entry.url) or ""):
                if self._over_budget(job, trail):
                    return
                self._enqueue(Job(entry.url, "sitemap", job.origin))

    def _follow_links(self, links: Iterable[Found], job: Job) -> bool:
        """Queue the links of a listing, feed or sitemap; True if some were older than since.

        Reading stops once the start address's page budget is taken up, so a
        sitemap is read only as far as the crawl will go.
        """
        trail = self._trails[job.origin]
        since = self.options.since
        older = False
        for index, link in enumerate(links):
            if trail.stopped:
                break
            if not self.policy.allows_host(host_of(link.url) or ""):
                continue  # another site's page: not ours to crawl
            if since and link.date and link.date[:10] < since:
                older = True
                self._skip(link.url, f"listed before --since {since}")
                continue
            if self._over_budget(job, trail):
                if isinstance(links, Sequence):  # read already: say how many were left
                    rest = sum(self.policy.allows_host(host_of(x.url) or "")
                               for x in links[index:])  # fmt: skip
                    self.report.skipped[f"over --max-pages {self.options.max_pages}"] += rest
                break
            # A known article is still asked for (conditionally: a 304 costs nothing) in
            # case it was updated, but enough of them in a row means the rest is old news.
            if self.store.is_known(canonical_url(link.url) or link.url):
                trail.known_in_a_row += 1
            else:
                trail.known_in_a_row = 0
            self._enqueue(Job(link.url, "article", job.origin))
            if trail.known_in_a_row >= self.options.stop_after_known:
                trail.stopped = True
                self.report.stops.append(
                    f"{self.options.stop_after_known} known articles in a row after {link.url}"
                )
        return older


def _budgeted(job: Job) -> bool:
    """Whether fetching ``job`` counts against --max-pages (an article's parts and images do
    not, when crawling; a re-check counts every page it fetches)."""
    return job.kind not in ("part", "start", "image")


def _status_reason(status: int) -> str:
    phrase = httpx.codes.get_reason_phrase(status) or "unexpected status"
    if status in (404, 410):
        return f"HTTP {status} {phrase}: the page is gone; drop the address from the sources"
    if status in (401, 403):
        return f"HTTP {status} {phrase}: the site refuses the crawler this page"
    return f"HTTP {status} {phrase}: no page to read"
