"""Discovery documents: RSS/Atom feeds and XML sitemaps, as lists of addresses to fetch.

Parsed with lxml with entities, DTDs and network access off, so a hostile feed
cannot expand entities or make the parser fetch anything.
"""

from __future__ import annotations

import email.utils
import re
import zlib
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from extractors.urls import http_url

Kind = Literal["feed", "sitemap", "sitemapindex"]
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)
_ISO_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_ROOTS: dict[str, Kind] = {
    "rss": "feed",
    "feed": "feed",
    "RDF": "feed",
    "urlset": "sitemap",
    "sitemapindex": "sitemapindex",
}
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Found:
    url: str
    date: str | None  # ISO date (YYYY-MM-DD) the document gives for it


@dataclass(frozen=True)
class Discovery:
    kind: Kind
    entries: tuple[Found, ...]  # pages, or for a sitemap index, more sitemaps


def _root(body: bytes, limit: int) -> etree._Element | None:
    if body[:2] == _GZIP_MAGIC:  # sitemap.xml.gz served as a file, not Content-Encoding
        try:
            body = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(body, limit)
        except zlib.error:
            return None
    head = body[:512].lstrip()
    if not head.startswith(b"<?xml") and not head.startswith(b"<"):
        return None
    if head.lower().startswith((b"<!doctype html", b"<html")):
        return None
    try:
        return etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _date(text: str | None) -> str | None:
    if not text:
        return None
    if match := _ISO_DATE.match(text):
        return match[1]
    try:
        return email.utils.parsedate_to_datetime(text.strip()).date().isoformat()
    except (TypeError, ValueError):
        return None


def _text(element: etree._Element, *names: str) -> str | None:
    for name in names:
        found = element.find(f"{{*}}{name}")
        if found is None:
            found = element.find(name)
        if found is not None and (found.text or "").strip():
            return found.text.strip()
    return None


def _feed_entries(root: etree._Element) -> list[Found]:
    found = []
    for item in root.iter("{*}item", "item", "{*}entry"):
        url = _text(item, "link")
        if url is None:  # Atom: <link href="..."/>, the "alternate" one if marked
            links = [x for x in item.iter("{*}link") if x.get("href")]
            chosen = [x for x in links if x.get("rel", "alternate") == "alternate"] or links
            url = chosen[0].get("href") if chosen else None
        date = _date(_text(item, "pubDate", "published", "updated", "date"))
        if url and (url := http_url(url)):
            found.append(Found(url, date))
    return found


def _sitemap_entries(root: etree._Element, child: str) -> list[Found]:
    found = []
    for entry in root.iter(f"{{*}}{child}", child):
        url = http_url(_text(entry, "loc"))
        if url:
            found.append(Found(url, _date(_text(entry, "lastmod"))))
    return found


def parse_discovery(body: bytes, limit: int = 50 * 1024 * 1024) -> Discovery | None:
    """A feed or sitemap's entries in document order; None if ``body`` is neither."""
    root = _root(body, limit)
    if root is None:
        return None
    kind = _ROOTS.get(_local(root.tag))
    if kind is None:
        return None
    if kind == "feed":
        entries = _feed_entries(root)
    else:
        entries = _sitemap_entries(root, "url" if kind == "sitemap" else "sitemap")
    return Discovery(kind, tuple(dict.fromkeys(entries)))
