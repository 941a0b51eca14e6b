"""What a re-check's pages mean for their articles, written as they come: plain steps.

The crawler fetches each known article again and says what each page gave
(``fetchers.crawl.Rechecked``); ``RecheckWriter`` decides what that is:

- a 304: not modified, nothing loaded;
- a page at the same address: loaded as any fetched page (``Store.load`` places it
  among the article's versions: edited, minor, restored, or the same again);
- a 404 or 410, a redirect to an address that is no article's (the home page, a
  section), a section page served at the article's address, or the site's "page
  not found" page served with 200 (a soft 404, ``NotFoundPageError``): the
  article removed (``Store.record_removal``); the page that said so is kept as
  ``not-found``, never a version;
- a redirect to the same page by another spelling (https for http, a tracking query
  added): the article at its own address, loaded as any fetched page;
- a redirect to another article address with the same article (its body's
  fingerprint, or its title and day): moved (``Store.record_move``), and the
  page there loaded; to another article: removed;
- no usable answer (a timeout, a 5xx after retries, a refused host): a failure
  row, as in an ingest, and not a removal; the article is tried again later
  (``loaders/rechecks.py``: an hour, doubled with each failure in a row).

Every page of a multi-page article is asked for; only its first page decides
whether the article is gone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace

import httpx

from core.accounting import RunCounts
from core.errors import NotFoundPageError
from core.records import Article, Extracted, Failed, Listed, RawPage
from core.schedule import Ladder
from core.urls import canonical_url, split_http
from extractors.extract import RULESET
from extractors.profiles import is_article_address
from fetchers.crawl import Rechecked
from flows.batch import OutcomeWriter
from loaders.rechecks import FAILED, FETCHED, MOVED, NOT_MODIFIED, REMOVED, Check, DueArticle
from loaders.store import Store
from loaders.versions import normalise_published, normalise_text

_HOME_PATHS = frozenset(("", "/", "/index.html", "/index.htm", "/index.shtml"))


class RecheckWriter:
    """The single writer of a re-check: each page's answer recorded as news of its article.

    Loads go through an ``OutcomeWriter`` (a transaction per ``batch_size``
    outcomes); removals and moves are written at once; each article's check
    (``article_checks``) is written with the loads, and its next due time with it.
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        articles: Mapping[str, DueArticle],
        ladder: Ladder,
        batch_size: int,
        advance: Callable[[int], None] = lambda done: None,
    ) -> None:
        self.store = store
        self.advance = advance  # told of each article whose first page answered
        self.run_id = run_id
        self.articles = articles
        self.ladder = ladder
        self.batch_size = batch_size
        self.loads = OutcomeWriter(store, run_id, batch_size)
        self.counts = RunCounts()  # what the loads do not count: 304s, removals
        self.tally: Counter[str] = Counter()  # moves, articles still gone, ...
        self._checks: list[Check] = []

    def __call__(self, answer: Rechecked) -> None:
        article = self.articles[answer.target.article_id]
        if answer.is_part:
            self._part(answer, article)
        else:
            self._first_page(answer, article)
            self.advance(1)
        if len(self._checks) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write the loads held so far, then the checks (and so the next due times)."""
        self.loads.flush()
        checks, self._checks = self._checks, []
        if checks:
            self.store.record_checks(checks, self.run_id, self.ladder)

    def total(self) -> RunCounts:
        """Everything counted: the loads' counts and this writer's own."""
        counts = RunCounts()
        counts.add(self.loads.counts)
        counts.add(self.counts)
        return counts

    def _check(self, article: DueArticle, outcome: str, status: int | None) -> None:
        self._checks.append(Check(article.id, outcome, status))

    def _unchanged(self) -> None:
        # A 304 is a page read and found as it was: counted as an ingest counts one.
        self.counts.pages += 1
        self.counts.unchanged += 1

    def _first_page(self, answer: Rechecked, article: DueArticle) -> None:
        if answer.kind == "not-modified":
            self._unchanged()
            self._check(article, NOT_MODIFIED, answer.status)
            return
        if answer.kind == "failed":
            assert answer.outcome is not None
            self.loads(answer.outcome)  # a failure row, as an ingest records it
            self._check(article, FAILED, answer.status)
            return
        status = answer.status
        if answer.kind == "gone":
            phrase = httpx.codes.get_reason_phrase(status or 0)
            self._remove(article, status, f"HTTP {status} {phrase}", answer.page)
            return
        outcome, final = answer.outcome, answer.final_url or answer.url
        if isinstance(outcome, Extracted) and _own_address(answer.url, final):
            # http to https, or a tracking query added: the article at its own address,
            # not moved. It keeps the id and address it is known by.
            known = replace(outcome.article, id=article.id, url=article.url)
            outcome, final = replace(outcome, article=known), answer.url
        redirected = bool(answer.redirects) and canonical_url(final) != canonical_url(answer.url)
        if redirected:
            status = answer.redirects[0][1]  # the article's own address answered the redirect
        via = f"HTTP {status} redirect to {final}: " if redirected else ""
        if isinstance(outcome, Failed) and outcome.error_class == NotFoundPageError.__name__:
            self._remove(article, status, f"{via}soft 404: {outcome.message}", outcome.page)
        elif isinstance(outcome, Listed) or (redirected and _section_of(answer.url, final)):
            what = "the home page" if _is_home(final) else "a section or listing page"
            where = via or f"HTTP {status}: the address serves "
            self._remove(article, status, f"{where}{what}", None)
        elif redirected and not isinstance(outcome, Extracted):
            # A redirect to something that is no article, no listing and not the site's
            # own sections (a login, consent or maintenance page, another host): no
            # evidence the article is gone. Looked at again by the next run.
            if outcome is not None:
                self.loads(outcome)
            self._check(article, FAILED, status)
        elif redirected and isinstance(outcome, Extracted):
            if _same_article(article, outcome.article):
                moved = self.store.record_move(article.url, final, self.run_id, status)
                self.tally["moved"] += len(moved)
                # The article at its new address, known by that address alone: kept as
                # asked for at the old one, the old address's next answer would be
                # taken for this article's too.
                page = replace(outcome.page, source=final)
                self.loads(replace(outcome, page=page))
                self._check(article, MOVED, status)
            else:
                title = outcome.article.title
                self._remove(article, status, f"{via}another article ({title[:80]!r})", None)
        else:
            assert outcome is not None
            self.loads(outcome)  # an article (its versions say what changed) or a failure
            self._check(article, FETCHED if isinstance(outcome, Extracted) else FAILED, status)

    def _remove(
        self, article: DueArticle, status: int | None, detail: str, page: RawPage | None
    ) -> None:
        if page is not None:
            self.store.keep_not_found_page(page, self.run_id, RULESET)
        marked = self.store.record_removal(article.url, self.run_id, status, detail)
        self.counts.removed += len(marked)
        if not marked:
            self.tally["still removed"] += 1  # gone before, gone still: no news
        self._check(article, REMOVED, status)

    def _part(self, answer: Rechecked, article: DueArticle) -> None:
        outcome = answer.outcome
        if answer.kind == "not-modified":
            self._unchanged()
        elif isinstance(outcome, Extracted | Failed):
            self.loads(outcome)  # a page of the article, or a failure row
        else:
            # A later page gone (or now a section page) while the first is there: the
            # article is not removed for it, but the page is not to be had: a failure.
            said = f"HTTP {answer.status}" if answer.kind == "gone" else "a section page"
            self.loads(
                Failed(
                    answer.url, "fetch", "FetchError",
                    f"{answer.url}: {said}: a page of article {article.id} ({article.url}), "
                    "whose first page is still there; the article keeps the page it had",
                    answer.page,
                )
            )  # fmt: skip


def _section_of(asked: str, final: str) -> bool:
    """Whether a redirect from ``asked`` ended on the site's home or one of its sections:
    the same host, no article's address, no query (a login page carries its way back)."""
    if _is_home(final):
        return True
    there, here = split_http(final), split_http(asked)
    if there is None or here is None or there.hostname != here.hostname or there.query:
        return False
    return not is_article_address(final)


def _own_address(asked: str, final: str) -> bool:
    """Whether a redirect from ``asked`` led to the same page by another spelling: the
    same host and path, another scheme or a query where ``asked`` had none."""
    there, here = split_http(final), split_http(asked)
    if there is None or here is None:
        return False
    same_page = there.hostname == here.hostname and there.path == here.path
    return same_page and (there.query == here.query or not here.query)


def _is_home(url: str) -> bool:
    parts = split_http(url)
    return parts is not None and parts.path in _HOME_PATHS and not parts.query


def _same_article(known: DueArticle, found: Article) -> bool:
    """Whether an article found at another address is the known one: the same body (its
    fingerprint), or the same title on the same day."""
    if known.fingerprint and found.fingerprint == known.fingerprint:
        return True
    return normalise_text(found.title) == normalise_text(known.title) and normalise_published(
        found.published
    ) == normalise_published(known.published)
