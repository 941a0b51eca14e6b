"""Raw bytes to a Document: decode, tell text saves from HTML saves, find the page's address."""

from __future__ import annotations

import re
from email.message import Message

from core.records import Document, RawPage
from core.urls import http_url
from extractors.decoding import decode

# Every pattern here runs over untrusted text, so none may match one stretch of it in
# more than one way: "(?:<!--.*?-->\s*)*" could split a run of comments in 2^n ways,
# and "<link\b[^>]*rel=...[^>]*href" could place rel and href in n^2 ways per tag.
# Comments and tags are found with str.find instead, and each regex sees one of them.
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.I)
# [^\s>] and \s are disjoint, so the address ends in one place only.
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)\s*(https?://[^\s>]+?)\s*-->", re.I)
_LINK_TAG = re.compile(r"<link\b[^<>]*", re.I)  # stops at the next tag: one tag per match
_REL_CANONICAL = re.compile(r"""\brel=["']?canonical""", re.I)
_HEAD = 65536  # where a page's address may be found
_HREF = re.compile(r"""\bhref=["']?(https?://[^"'\s>]+)""", re.I)


def looks_like_html(text: str) -> bool:
    """Does ``text`` hold a doctype, html, head or body tag in its first 4 KB?

    Not only at its start: a page whose first bytes were lost (a damaged save) is
    still markup, and read as a text save its tags and scripts would become article
    text. A browser's text save holds no such tags.
    """
    return _HTML_TAG.search(text, 0, 4096) is not None


def page_url(html: str) -> str | None:
    """The address a browser recorded when saving, else the page's canonical link."""
    # The first 64 KB, as an end position: a slice would copy them.
    if match := _SAVED_FROM.search(html, 0, _HEAD):
        return match.group(1)
    for tag in _LINK_TAG.finditer(html, 0, _HEAD):
        # rel before href, as the sites write it; each tag is scanned once.
        if (rel := _REL_CANONICAL.search(tag.group())) and (
            href := _HREF.search(tag.group(), rel.end())
        ):
            return href.group(1)
    return None


def _declared(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    return message.get_param("charset")  # type: ignore[return-value]


def to_document(page: RawPage) -> Document:
    """Decode a raw page and tell a text save from HTML; find its address."""
    text, encoding = decode(page.data, declared=_declared(page.content_type))
    # A malformed address (from a saved page or an archive record) is dropped rather
    # than carried on to crash whichever step parses it next.
    if looks_like_html(text):
        return Document(text, encoding, "html", http_url(page.url) or http_url(page_url(text)))
    return Document(text, encoding, "text", http_url(page.url))
