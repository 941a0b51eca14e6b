"""An Atom 1.0 feed (RFC 4287) written with the standard library: pure.

The recent-changes feed is one small document; ElementTree escapes every text
and attribute, so nothing here writes markup by hand. What XML 1.0 cannot hold
at all (control characters a page may carry) is dropped, or the whole feed
would be refused by a reader for one article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
# Characters XML 1.0 does not allow in a document, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Entry:
    """One entry: ``id`` an absolute IRI that stays the entry's, ``updated`` ISO 8601,
    ``link`` the page it is about, ``content_html`` HTML shown by the reader."""

    id: str
    title: str
    updated: str
    link: str
    summary: str
    content_html: str


def clean(text: str | None) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text or "")


def rfc3339(value: str | None, default: str | None = None) -> str:
    """An ISO 8601 time as an Atom date (RFC 3339, always with its offset): a time
    without one is taken as UTC (wic-etl writes UTC); one that cannot be read gives
    ``default`` (or the Unix epoch)."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return default or "1970-01-01T00:00:00Z"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Milliseconds as wic-etl stores them, not the microseconds isoformat() pads to.
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        element.text = clean(text)
    return element


def atom_feed(
    feed_id: str,
    title: str,
    self_link: str,
    html_link: str,
    entries: Sequence[Entry],
    updated: str | None = None,
) -> bytes:
    """The feed as UTF-8 bytes: ``entries`` in the order given (newest first).

    ``updated`` is the newest entry's time (the first one's), or ``updated`` given for
    an empty feed (now, if not). The feed names wic-etl as author, so that entries
    need none of their own (RFC 4287 4.1.1).
    """
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed")
    _add(root, "id", feed_id)
    _add(root, "title", title)
    newest = entries[0].updated if entries else updated
    _add(root, "updated", rfc3339(newest, datetime.now(UTC).isoformat()))
    _add(root, "link", rel="self", type=MEDIA_TYPE, href=self_link)
    _add(root, "link", rel="alternate", type="text/html", href=html_link)
    _add(_add(root, "author"), "name", "wic-etl")
    _add(root, "generator", "wic-etl")
    for entry in entries:
        item = _add(root, "entry")
        _add(item, "id", entry.id)
        _add(item, "title", entry.title)
        _add(item, "updated", rfc3339(entry.updated))
        _add(item, "link", rel="alternate", type="text/html", href=entry.link)
        _add(item, "summary", entry.summary)
        _add(item, "content", entry.content_html, type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
