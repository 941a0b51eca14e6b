"""Raw bytes to a Document: decode, tell text saves from HTML saves, find the page's address."""

from __future__ import annotations

import re
from email.message import Message

from extractors.decoding import decode
from extractors.records import Document, RawPage
from extractors.urls import http_url

_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)\s*(https?://[^\s>]+?)\s*-->", re.I)
_CANONICAL = re.compile(
    r"""<link\b[^>]*\brel=["']?canonical["']?[^>]*\bhref=["']?(https?://[^"'\s>]+)""", re.I
)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:4096]))


def page_url(html: str) -> str | None:
    """The address a browser recorded when saving, else the page's canonical link."""
    head = html[:65536]
    for pattern in (_SAVED_FROM, _CANONICAL):
        if match := pattern.search(head):
            return match.group(1)
    return None


def _declared(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    return message.get_param("charset")  # type: ignore[return-value]


def to_document(page: RawPage) -> Document:
    text, encoding = decode(page.data, declared=_declared(page.content_type))
    # A malformed address (from a saved page or an archive record) is dropped rather
    # than carried on to crash whichever step parses it next.
    if looks_like_html(text):
        return Document(text, encoding, "html", http_url(page.url) or http_url(page_url(text)))
    return Document(text, encoding, "text", http_url(page.url))
