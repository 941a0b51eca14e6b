"""Discovery documents: RSS/Atom feeds and XML sitemaps, as streams of addresses to fetch.

Parsed with lxml with entities, DTDs and network access off, so a hostile feed
cannot expand entities or make the parser fetch anything. Parsed incrementally
(a pull parser fed in pieces, each entry dropped once read), and a ``.gz`` file is
inflated piece by piece under the body cap, so the crawler can stop reading as
soon as its page budget is spent: a sitemap of 874,000 addresses costs what the
first few hundred cost, not 800 MB.
"""

from __future__ import annotations

import email.utils
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from core.errors import body_too_large
from core.records import Found
from core.settings import DEFAULTS
from core.urls import http_url

Kind = Literal["feed", "sitemap", "sitemapindex"]
DEFAULT_LIMIT = DEFAULTS.max_bytes
_PIECE = 64 * 1024  # bytes fed to the parser at a time
_ISO_DATE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")
_ROOTS: dict[str, Kind] = {
    "rss": "feed",
    "feed": "feed",
    "RDF": "feed",
    "urlset": "sitemap",
    "sitemapindex": "sitemapindex",
}
_ENTRIES: dict[Kind, tuple[str, ...]] = {
    "feed": ("item", "entry"),
    "sitemap": ("url",),
    "sitemapindex": ("sitemap",),
}
_GZIP_MAGIC = b"\x1f\x8b"


class _TooLarge(Exception):
    """The inflated document passed the cap before its end."""


@dataclass(frozen=True)
class Discovery:
    """A feed or sitemap; ``entries()`` reads its addresses lazily, in document order."""

    kind: Kind
    body: bytes = field(repr=False)
    limit: int = DEFAULT_LIMIT
    url: str = "the document"  # for messages

    def entries(self) -> Iterator[Found]:
        """Pages (or, in a sitemap index, more sitemaps), read as they are asked for.

        Raises FetchError if a gzipped document inflates past ``limit`` before its
        end; the entries before that point have been given.
        """
        wanted = _ENTRIES[self.kind]
        read = _feed_entry if self.kind == "feed" else _sitemap_entry
        try:
            for event, element in _events(self.body, self.limit):
                if event != "end" or _local(element.tag) not in wanted:
                    continue
                found = read(element)
                # Drop what was read, so memory stays flat however long the document.
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
                if found is not None:
                    yield found
        except _TooLarge:
            raise body_too_large(self.url, self.limit, " once decompressed") from None


def _pieces(body: bytes, limit: int) -> Iterator[bytes]:
    """The document in pieces; a .gz file (not Content-Encoding) inflated as it goes."""
    if body[:2] != _GZIP_MAGIC:
        for start in range(0, len(body), _PIECE):
            yield body[start : start + _PIECE]
        return
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    data, total = body, 0
    while True:
        try:
            out = inflater.decompress(data, _PIECE)
        except zlib.error:
            return  # corrupt: what was read stands, the rest is not a document
        data = inflater.unconsumed_tail
        total += len(out)
        if total > limit:
            raise _TooLarge
        if out:
            yield out
        # A full piece may leave output pending inside zlib even with no input left.
        if inflater.eof or (not data and len(out) < _PIECE):
            return


def _events(body: bytes, limit: int) -> Iterator[tuple[str, etree._Element]]:
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
    )
    first = True
    for piece in _pieces(body, limit):
        if first:
            head = piece[:512].removeprefix(b"\xef\xbb\xbf").lstrip()
            if not head.startswith(b"<") or head.lower().startswith((b"<!doctype html", b"<html")):
                return
            first = False
        try:
            parser.feed(piece)
        except etree.XMLSyntaxError:
            return
        yield from parser.read_events()


def parse_discovery(
    body: bytes, limit: int = DEFAULT_LIMIT, url: str = "the document"
) -> Discovery | None:
    """A feed or sitemap (its entries read lazily); None if ``body`` is neither."""
    try:
        for event, element in _events(body, limit):
            if event == "start":  # the first is the root: it says what the document is
                kind = _ROOTS.get(_local(element.tag))
                return Discovery(kind, body, limit, url) if kind else None
    except _TooLarge:  # no root element within the cap: not a document to follow
        return None
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


def _feed_entry(item: etree._Element) -> Found | None:
    url = _text(item, "link")
    if url is None:  # Atom: <link href="..."/>, the "alternate" one if marked
        links = [x for x in item.iter("{*}link") if x.get("href")]
        chosen = [x for x in links if x.get("rel", "alternate") == "alternate"] or links
        url = chosen[0].get("href") if chosen else None
    date = _date(_text(item, "pubDate", "published", "updated", "date"))
    if url and (url := http_url(url)):
        return Found(url, date)
    return None


def _sitemap_entry(entry: etree._Element) -> Found | None:
    url = http_url(_text(entry, "loc"))
    return Found(url, _date(_text(entry, "lastmod"))) if url else None
