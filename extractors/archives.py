"""Saved-page containers: MHTML (one page and its resources) and WARC (many responses).

Each yields the HTML documents inside as RawPages carrying their own address
and declared content type; images, scripts and styles inside are not pages.
"""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Iterator
from dataclasses import dataclass

from extractors.records import RawPage
from wic_etl.errors import SourceError

MHTML_SUFFIXES = (".mht", ".mhtml")
WARC_SUFFIXES = (".warc", ".warc.gz")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_archive(path: str) -> bool:
    return path.lower().endswith(MHTML_SUFFIXES + WARC_SUFFIXES)


@dataclass(frozen=True)
class ArchiveRead:
    pages: list[RawPage]
    error: SourceError | None  # damage found after ``pages`` were read


def read_archive(path: str, data: bytes) -> ArchiveRead:
    """The HTML documents in an archive; a damaged one still gives those before the damage."""
    pages: list[RawPage] = []
    reader = _mhtml if path.lower().endswith(MHTML_SUFFIXES) else _warc
    try:
        for page in reader(path, data):
            pages.append(page)
    except SourceError as exc:
        return ArchiveRead(pages, exc)
    if not pages:
        kind = "MHTML" if reader is _mhtml else "WARC"
        return ArchiveRead(pages, SourceError(
            f"{path}: no HTML page inside this {kind} file; save the page again "
            f"(for WARC: only HTTP 200 responses with an HTML content type are read)"
        ))  # fmt: skip
    return ArchiveRead(pages, None)


def _is_html(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() in _HTML_TYPES


def _mhtml(path: str, data: bytes) -> Iterator[RawPage]:
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if not message.is_multipart():
        raise SourceError(f"{path}: not an MHTML file (no multipart/related body); save it again")
    snapshot = message.get("Snapshot-Content-Location")
    for part in message.walk():
        if part.is_multipart() or not _is_html(part.get("Content-Type")):
            continue
        payload = part.get_payload(decode=True)
        if not payload:
            continue
        yield RawPage(
            source=path,
            data=payload,
            url=part.get("Content-Location") or snapshot,
            content_type=part.get("Content-Type"),
        )
        return  # the first HTML part is the page; later ones are its frames


def _warc(path: str, data: bytes) -> Iterator[RawPage]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            if record.http_headers.get_statuscode() != "200":
                continue
            content_type = record.http_headers.get_header("Content-Type")
            if not _is_html(content_type):
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            payload = record.content_stream().read()
            declared = record.http_headers.get_header("Content-Length")
            encoded = record.http_headers.get_header("Content-Encoding") or (
                record.http_headers.get_header("Transfer-Encoding")
            )
            if declared and declared.isdigit() and not encoded and len(payload) < int(declared):
                raise SourceError(
                    f"{path}: the response for {url} stops after {len(payload)} of its "
                    f"{declared} bytes: the WARC file is truncated; fetch or save it again"
                )
            yield RawPage(
                source=f"{path}#{url}",
                data=payload,
                url=url,
                content_type=content_type,
            )
    except (ArchiveLoadFailed, ValueError, OSError, EOFError) as exc:
        raise SourceError(
            f"{path}: the WARC file is damaged ({exc}); fetch or save it again"
        ) from exc
