"""Addresses from untrusted pages: parse them without letting a malformed one crash a run.

``urllib.parse`` raises ``ValueError`` on inputs such as ``http://[oops/`` or a port out of
range; a page may carry any such string, so every address the extractors read goes
through these functions, which answer ``None`` instead.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit


# An extraction asks about one page's address four or five times (its host, its
# canonical form, its page number, beside its pager's links): split once.
@lru_cache(maxsize=64)
def split_http(url: str | None) -> SplitResult | None:
    """The parts of an absolute http(s) address with a host, or None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises for a port that is not a number in range
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def http_url(url: str | None) -> str | None:
    """``url`` itself when it is a usable http(s) address, else None."""
    return url.strip() if url and split_http(url) else None


def host_of(url: str | None) -> str | None:
    """The lower-case host of an http(s) address, or None."""
    parts = split_http(url)
    return parts.hostname if parts else None


def join(base: str | None, href: str) -> str | None:
    """``href`` resolved against ``base``; None when either is malformed."""
    try:
        joined = urljoin(base or "", href.strip())
        urlsplit(joined).port  # noqa: B018 - validates the port
    except ValueError:
        return None
    return joined


def canonical_url(url: str | None) -> str | None:
    """An address as one article is known by: no fragment, default port dropped."""
    parts = split_http(url)
    if parts is None or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path or "/", parts.query, ""))
