"""A site's "page not found" page served with HTTP 200 (a soft 404), recognised.

Some sites answer an address they no longer have with their error page and a 200;
taken as an article it would become a new version of the article it replaced
(titled "Page not found"). A page is such a page, for the site profiles of its
host (all profiles for a host none owns: the pages may be served from anywhere),
when:

it has no article body (no element of the profiles' ``body`` selectors holds text:
a page with one is an article, whatever its headline says) and its title
(``<title>``, ``og:title``), one of its first headings or one of its short text
lines matches one of the profiles' ``not_found`` patterns, or it names the site's
home page or an error page as its own address (``og:url`` or the canonical link)
while it was asked for at another address.

No real "page not found" page of China Daily or WIC was available to check the
patterns against (see docs/archive.md); they are declared in the profiles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from core.records import Document
from core.urls import http_url, join, split_http
from extractors.lookup import Element, PageLookup
from extractors.profiles import PROFILES
from extractors.profiles.base import SiteProfile

# Headings looked at, and text lines of a body-less page: a message sits near the top.
_HEADINGS = 3
_TEXT_LINES = 40
_LINE_LIMIT = 200  # a longer line is a paragraph, not an error message
_HOME_PATHS = frozenset(("", "/", "/index.html", "/index.htm", "/index.shtml", "/default.html"))
_ERROR_PATH = re.compile(r"(?:^|/)(?:404|not[-_]?found|error)(?:\.s?html?)?/?$", re.I)
_SPACE = re.compile(r"\s+")
_INVISIBLE = frozenset(("script", "style", "noscript", "template"))


def profiles_for(url: str | None) -> tuple[SiteProfile, ...]:
    """The profiles of the host of ``url``; every profile for a host none of them owns."""
    parts = split_http(url)
    host = parts.hostname if parts else None
    owned = tuple(p for p in PROFILES if host and p.owns_host(host))
    return owned or PROFILES


def not_found_reason(document: Document, lookup: PageLookup) -> str | None:
    """Why the parsed page is its site's "page not found" page, or None if it is not one.

    ``lookup`` holds the parsed page (before any extraction changed its tree).
    """
    profiles = profiles_for(document.url)
    patterns = tuple(dict.fromkeys(p for profile in profiles for p in profile.not_found))
    if not patterns:
        return None
    root = lookup.root
    bodies = tuple(dict.fromkeys(css for profile in profiles for css in profile.body))
    # An article body first: a headline such as "网信办：违规内容已删除" (content deleted)
    # or "Page not found: the web's lost links" is news, not an error page.
    if any(element.text_content().strip() for css in bodies for element in lookup.all(css)):
        return None
    for what, text in _titles(root, lookup):
        if _matches(patterns, text):
            return f"its {what} says {text[:80]!r}"
    for line in _text_lines(root):
        if _matches(patterns, line):
            return f"it has no article body and says {line[:80]!r}"
    named = _own_address(root, document.url)
    if named is not None:
        return f"it has no article body and names {named} as its address"
    return None


def _matches(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


def _text(element: Element) -> str:
    return _SPACE.sub(" ", element.text_content()).strip()


def _titles(root: Element, lookup: PageLookup) -> Iterator[tuple[str, str]]:
    for element in root.iter("title"):
        if text := _text(element):
            yield "title", text
        break
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:title":
            if text := _SPACE.sub(" ", meta.get("content") or "").strip():
                yield "og:title", text
            break
    for css in ("h1", "h2"):
        for element in lookup.all(css)[:_HEADINGS]:
            if (text := _text(element)) and len(text) <= _LINE_LIMIT:
                yield f"heading <{css}>", text


def _text_lines(root: Element) -> Iterator[str]:
    """The first short lines of the page's visible text (scripts, styles and comments left
    out, the text after them kept)."""
    body = next(root.iter("body"), root)
    seen = 0
    for node in body.iter():
        visible = isinstance(node.tag, str) and node.tag not in _INVISIBLE
        for piece in (node.text if visible else None, node.tail if node is not body else None):
            if piece and (line := _SPACE.sub(" ", piece).strip()):
                seen += 1
                if len(line) <= _LINE_LIMIT:
                    yield line
                if seen >= _TEXT_LINES:
                    return


def _own_address(root: Element, asked: str | None) -> str | None:
    """The home or error address the page gives as its own (og:url, canonical), if it
    is not the address it was asked for at."""
    named: list[str] = []
    for meta in root.iter("meta"):
        if (meta.get("property") or "").strip().lower() == "og:url":
            named.append(meta.get("content") or "")
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            named.append(link.get("href") or "")
    asked_parts = split_http(asked)
    for value in named:
        address = http_url(join(asked, value.strip()) if asked else value)
        parts = split_http(address)
        if parts is None:
            continue
        home = parts.path in _HOME_PATHS
        if not home and not _ERROR_PATH.search(parts.path):
            continue
        if asked_parts is not None and asked_parts.path == parts.path:
            continue  # the home page asked for as itself
        return address
    return None
