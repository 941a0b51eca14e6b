"""Section (listing) pages: the articles they link to and the pages that follow.

A listing is not an article: it is returned for discovery (issue: live
crawling follows these links) and kept as a page, never stored in ``articles``.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from core.records import Document, ListedLink, Listing
from core.urls import join
from extractors.dates import find_date
from extractors.html_page import xml_safe
from extractors.layout import clean_line
from extractors.lookup import selector

# chinadaily.com.cn section pages; items as ``span.tw3_01_2_t h4 a`` with the time in a ``b``.
ITEM_LINKS = "span.tw3_01_2_t h4 a"
PAGINATION = "#div_currpage a"
_LISTING_PAGE = re.compile(r"/page_(\d+)\.html?$")
_SIGNATURE = "tw3_01_2_t"


def looks_like_listing(document: Document) -> bool:
    """Whether an HTML page is a China Daily section listing."""
    return document.format == "html" and _SIGNATURE in document.text


def parse_listing(document: Document) -> Listing | None:
    """The links a section page lists (with the time printed beside each) and its pager."""
    try:
        root = lxml.html.document_fromstring(xml_safe(document.text))
    except (etree.ParserError, ValueError):
        return None
    base = document.url or ""
    links = []
    for anchor in selector(ITEM_LINKS)(root):
        href = anchor.get("href")
        if not href:
            continue
        span = next(anchor.iterancestors("span"), None)
        stamp = next(span.iter("b"), None) if span is not None else None
        found = find_date(stamp.text_content()) if stamp is not None else None
        if url := join(base, href):
            title = clean_line(anchor.text_content())
            links.append(ListedLink(url, title, found.iso if found else None))
    if not links:
        return None
    numbered: dict[int, str] = {}
    last = None
    for anchor in selector(PAGINATION)(root):
        href = anchor.get("href") or ""
        url = join(base, href)
        if url and (match := _LISTING_PAGE.search(url)):
            numbered[int(match[1])] = url
        if clean_line(anchor.text_content()) == ">>|":
            match = _LISTING_PAGE.search(href)
            last = int(match[1]) if match else None
    return Listing(
        url=document.url,
        links=tuple(links),
        pages=tuple(numbered[n] for n in sorted(numbered)),
        last_page=last,
    )


def listing_page_number(url: str | None) -> int:
    """``.../society/page_3.html`` -> 3; a section's first page has no number."""
    match = _LISTING_PAGE.search(url or "")
    return int(match[1]) if match else 1


def next_listing_page(listing: Listing) -> str | None:
    """The address of the page after this one, if the listing links to it."""
    wanted = listing_page_number(listing.url) + 1
    return next((u for u in listing.pages if listing_page_number(u) == wanted), None)
