"""One page over HTTP: redirects checked hop by hop, retries with backoff, a capped body."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version

import httpx

from core.errors import FetchError
from core.records import Exchange, Truncation, Validators, header_value
from core.settings import DEFAULTS
from core.urls import join
from fetchers.body import ACCEPT_ENCODING, read_body
from fetchers.connect import guarded_transport
from fetchers.policy import HostPolicy
from fetchers.politeness import HostPacer
from fetchers.robots import MAX_ROBOTS_BYTES, Robots

USER_AGENT = (
    f"wic-etl/{version('wic-etl')} (news archive crawler; +https://github.com/wic-etl/wic-etl)"
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchSettings:
    """How one request is made; defaults from core.settings.DEFAULTS."""

    connect_timeout: float = DEFAULTS.connect_timeout
    read_timeout: float = DEFAULTS.timeout
    deadline: float = DEFAULTS.deadline  # connect to last byte: a dripping server is cut off
    max_bytes: int = DEFAULTS.max_bytes
    max_redirects: int = DEFAULTS.max_redirects
    tries: int = DEFAULTS.retries + 1  # first request included
    backoff: float = DEFAULTS.backoff  # first retry's wait, doubled each try, with jitter
    max_wait: float = DEFAULTS.max_wait  # the longest Retry-After the crawler agrees to wait
    rate_limit: float | None = None  # requests/s per host; None: 1/s public, unpaced named
    user_agent: str = USER_AGENT
    # Where each exchange with a server goes as it ends (the WARC of the crawl): every
    # request that got an answer, redirect hops, retries and robots.txt included.
    on_exchange: Callable[[Exchange], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Response:
    """One HTTP answer after redirects: status, headers and the capped body."""

    url: str  # after redirects
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # The redirects followed to get here, in order: (address, its 3xx status). A re-check
    # tells a page taken down (a redirect to the home page) by them.
    redirects: tuple[tuple[str, int], ...] = ()
    # The validators sent with the request that got this answer (a 304 is an answer to
    # them): the first address's, or after a redirect those of the address redirected to.
    validators: Validators | None = None

    def header(self, name: str) -> str | None:
        """The first value of a response header (names compared case-insensitively)."""
        return header_value(self.headers, name)


async def _refuse_unusable_location(response: httpx.Response) -> None:
    """Refuse a redirect whose Location httpx cannot turn into an address.

    httpx works out the next request of every redirect, even one it will not follow,
    and raises on a Location such as ``http:169.254.169.254/``; this hook runs first
    and makes it a refusal that names the Location.
    """
    if response.status_code not in REDIRECT_STATUSES:
        return
    location = response.headers.get("location")
    if location is None:
        return
    try:  # the steps httpx takes (Client._redirect_url)
        url = httpx.URL(location)
        if url.scheme and not url.host:
            url.copy_with(host=response.request.url.host)
    except httpx.InvalidURL as exc:
        raise FetchError(
            f"{response.request.url}: HTTP {response.status_code} redirect to {location!r}, "
            f"which is not a usable address ({exc}); refused, not followed. The site sent "
            "a malformed Location: report it to the site, or drop the address"
        ) from exc


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class Fetcher:
    """Shared by every request of a crawl: one connection pool, one pacer, robots per host."""

    settings: FetchSettings
    policy: HostPolicy
    client: httpx.AsyncClient = field(init=False)
    pacer: HostPacer = field(default_factory=HostPacer)
    _robots: dict[str, asyncio.Task[Robots]] = field(default_factory=dict)
    requests: int = 0

    def __post_init__(self) -> None:
        s = self.settings
        limits = httpx.Limits(max_connections=8, max_keepalive_connections=4)
        self.client = httpx.AsyncClient(
            # HTTP/2 where offered, and every connection's peer address checked.
            transport=guarded_transport(self.policy, limits),
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            headers={
                "User-Agent": s.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            follow_redirects=False,  # each hop is checked against the policy below
            event_hooks={"response": [_refuse_unusable_location]},
            # Proxies from the environment would hide where a request really goes.
            trust_env=False,
        )

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
        for task in self._robots.values():
            task.cancel()

    async def get(
        self,
        url: str,
        validators: Validators | None = None,
        hop_validators: Callable[[str], Validators | None] | None = None,
    ) -> Response:
        """Fetch with retries; raises FetchError when the page cannot be had.

        ``validators`` make the request for ``url`` conditional; ``hop_validators``
        gives those of an address a redirect leads to (none: asked for plainly).
        """
        s = self.settings
        for attempt in range(1, s.tries + 1):
            try:
                return await self._follow(url, validators, hop_validators)
            except FetchError as exc:
                if not exc.retryable or attempt == s.tries:
                    if exc.retryable and s.tries > 1:
                        exc.args = (f"{exc.args[0]} (gave up after {s.tries} tries)",)
                    raise
                wait = s.backoff * 2 ** (attempt - 1) * random.uniform(0.75, 1.25)
                if exc.retry_after is not None:
                    if exc.retry_after > s.max_wait:
                        exc.args = (
                            f"{exc.args[0]}; the server asked to wait {exc.retry_after:.0f} s, "
                            f"longer than the {s.max_wait:.0f} s the crawler waits: try later",
                        )
                        raise
                    wait = exc.retry_after
                host = httpx.URL(url).host
                self.pacer.defer(host, wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def robots_for(self, scheme: str, netloc: str) -> Robots:
        """The host's robots.txt rules, fetched once per host per crawl."""
        key = f"{scheme}://{netloc}"
        if key not in self._robots:
            self._robots[key] = asyncio.ensure_future(self._read_robots(key))
        return await self._robots[key]

    async def _read_robots(self, origin: str) -> Robots:
        try:
            response = await self._follow(f"{origin}/robots.txt", None, robots=False)
        except FetchError as exc:
            return Robots.unreachable(str(exc))
        return Robots.from_response(response.status, response.body[:MAX_ROBOTS_BYTES])

    async def _follow(
        self,
        url: str,
        validators: Validators | None,
        hop_validators: Callable[[str], Validators | None] | None = None,
        robots: bool = True,
    ) -> Response:
        hops: list[str] = []
        statuses: list[int] = []
        current = url
        while True:
            # Each address is asked with its own validators: the first address's, sent
            # after a redirect, would ask another page "changed since?" with this one's
            # date, and a 304 from it would pass for this page unchanged.
            if hops:
                asked = hop_validators(current) if hop_validators is not None else None
            else:
                asked = validators
            try:
                status, headers, body, final = await self._once(current, asked, robots)
            except FetchError as exc:
                if hops:  # say how the crawler got there
                    exc.args = (f"{exc.args[0]} (redirected from {url})",)
                raise
            if status not in REDIRECT_STATUSES:
                redirects = tuple(zip(hops, statuses, strict=True))
                return Response(final, status, headers, body, redirects, asked)
            location = header_value(headers, "location")
            target = join(current, location) if location else None
            if target is None:
                raise FetchError(f"{current}: HTTP {status} redirect without a usable Location")
            hops.append(current)
            statuses.append(status)
            if target in hops:
                chain = " -> ".join([*hops, target])
                raise FetchError(f"redirect loop: {chain}; the site is misconfigured")
            if len(hops) > self.settings.max_redirects:
                raise FetchError(
                    f"{url}: more than {self.settings.max_redirects} redirects "
                    f"(last to {target}); not followed further"
                )
            current = target

    async def _once(
        self, url: str, validators: Validators | None, robots: bool
    ) -> tuple[int, tuple[tuple[str, str], ...], bytes, str]:
        parts = self.policy.check_url(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        public = await self.policy.check_address(host, port)
        crawl_delay = None
        if robots:
            rules = await self.robots_for(parts.scheme, parts.netloc)
            if not rules.allows(url):
                if rules.refusal is not None:
                    raise FetchError(
                        f"{url}: not fetched: the rules of {host} cannot be known, as "
                        f"{rules.refusal}; the host is skipped for this run"
                    )
                raise FetchError(
                    f"{url}: not fetched, {host} forbids it: its robots.txt disallows this path"
                )
            crawl_delay = rules.crawl_delay()
        await self.pacer.turn(host, self._interval(public, crawl_delay))
        headers = {}
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        self.requests += 1
        started = time.monotonic()
        sent_at = datetime.now(UTC)
        received = bytearray()  # kept by read_body as it comes, for a page cut off below
        # The body as it came over the wire, for the WARC: kept only if one is written.
        wire = bytearray() if self.settings.on_exchange is not None else None
        answer: httpx.Response | None = None
        peer: str | None = None
        cut: Truncation | None = None
        deadline = self.settings.deadline
        try:
            async with (
                asyncio.timeout(deadline),
                self.client.stream("GET", url, headers=headers) as response,
            ):
                answer = response
                peer = _peer_address(response) if wire is not None else None  # while connected
                status = response.status_code
                pairs = tuple(response.headers.multi_items())
                if status == 304:
                    body = b""
                elif status in REDIRECT_STATUSES:
                    body = b""
                    if wire is not None:  # a redirect's page, kept for the archive only
                        await _read_raw(response, self.settings.max_bytes, wire)
                else:
                    try:
                        body = await read_body(response, self.settings.max_bytes, received, wire)
                    except FetchError as exc:
                        cut = _truncation(exc)
                        raise
        except TimeoutError as exc:  # asyncio.timeout's: the deadline passed
            cut = "time"
            # Not retried: a server this slow would hold the page for the deadline again.
            raise FetchError(
                f"{url}: not complete within the {deadline:g} s total deadline per request "
                f"({len(received):,} bytes of the body had arrived); the server sends too "
                "slowly or without end: try the page later",
                body=bytes(received) or None,
            ) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(
                f"{url}: not an address that can be requested ({exc}); refused"
            ) from exc
        except httpx.TimeoutException as exc:
            cut = "time"
            what = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
            limit = (
                self.settings.connect_timeout if what == "connect" else self.settings.read_timeout
            )
            raise FetchError(
                f"{url}: no answer within the {limit:g} s {what} timeout "
                f"(after {time.monotonic() - started:.1f} s); the site is slow or down",
                retryable=True,
            ) from exc
        except httpx.TransportError as exc:
            cut = "disconnect"
            raise FetchError(
                f"{url}: {type(exc).__name__}: {exc or 'connection failed'}; "
                "check the address and the network",
                retryable=True,
            ) from exc
        except (asyncio.CancelledError, KeyboardInterrupt):
            cut = "unspecified"  # the run stopped mid-read: what came is kept, marked cut
            raise
        finally:
            if answer is not None and wire is not None:
                self._archive(answer, sent_at, wire, received, cut, peer)
        if status in RETRY_STATUSES:
            raise FetchError(
                f"{url}: HTTP {status} {httpx.codes.get_reason_phrase(status)}",
                retryable=True,
                body=body,
                retry_after=retry_after_seconds(header_value(pairs, "retry-after")),
            )
        return status, pairs, body, str(response.url)  # as httpx normalised it

    def _archive(
        self,
        response: httpx.Response,
        sent_at: datetime,
        wire: bytearray,
        body: bytearray,
        cut: Truncation | None,
        peer: str | None,
    ) -> None:
        """Hand the exchange to ``on_exchange``: the request as sent, the answer as received."""
        assert self.settings.on_exchange is not None
        request = response.request
        self.settings.on_exchange(
            Exchange(
                url=str(request.url),
                started=sent_at,
                method=request.method,
                http_version=response.http_version,
                request_headers=_latin1(request.headers.raw),
                status=response.status_code,
                reason=response.reason_phrase,
                response_headers=_latin1(response.headers.raw),
                raw_body=bytes(wire),
                body=bytes(body),
                ip_address=peer,
                truncated=cut,
            )
        )

    def _interval(self, public: bool, crawl_delay: float | None) -> float:
        rate = self.settings.rate_limit
        if rate is None:
            rate = 1.0 if public else 0.0  # named private/loopback hosts are the user's own
        interval = 1.0 / rate if rate > 0 else 0.0
        return max(interval, crawl_delay or 0.0)


async def _read_raw(response: httpx.Response, limit: int, wire: bytearray) -> None:
    """Read a body as it comes over the wire, up to ``limit`` bytes; the rest is left.

    For a redirect's page, which only the archive wants: a connection that breaks
    while sending it does not fail the redirect.
    """
    with contextlib.suppress(httpx.TransportError):
        async for chunk in response.aiter_raw():
            wire += chunk[: limit - len(wire)]
            if len(wire) >= limit:
                return


def _truncation(exc: FetchError) -> Truncation | None:
    """Why the body read ended early, in WARC-Truncated's words (None: it did not)."""
    if not exc.retryable:  # over the byte cap, or an encoding not asked for (nothing read)
        return "length" if "-byte limit" in str(exc) else "unspecified"
    if isinstance(exc.__cause__, httpx.TransportError):
        return "disconnect"
    if isinstance(exc.__cause__, zlib.error):
        return "unspecified"  # a corrupt compressed body: reading stopped there
    return None  # the compressed body ended early, but all the server sent is there


def _latin1(pairs: list[tuple[bytes, bytes]]) -> tuple[tuple[str, str], ...]:
    # Header bytes as they went, one character per byte (HTTP's own rule for them).
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs)


def _peer_address(response: httpx.Response) -> str | None:
    """The server's IP address, where the connection tells it (HTTP/1.1 connections do)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        address = stream.get_extra_info("server_addr")
    except Exception:  # a transport without the information: the address is optional
        return None
    return str(address[0]) if address else None
