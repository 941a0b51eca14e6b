"""Saved-page containers: MHTML (one page and its resources) and WARC (many responses).

Each yields the HTML documents inside as RawPages carrying their own address
and declared content type; images, scripts and styles inside are not pages. The
images inside (MHTML parts, WARC responses with an image type, each one whose bytes
are an image) travel with the pages as their ``resources``: the flow keeps those an
article shows, matched by address (Content-Location, WARC-Target-URI).
"""

from __future__ import annotations

import email
import email.policy
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, BinaryIO

from core.errors import ImageError, SourceError, too_large
from core.images import checked_image
from core.records import ImageFile, RawPage
from core.settings import DEFAULTS

if TYPE_CHECKING:
    from warcio.recordloader import ArcWarcRecord

MHTML_SUFFIXES = (".mht", ".mhtml")
WARC_SUFFIXES = (".warc", ".warc.gz")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHUNK = 1 << 16
# Compressed bytes read per step: zlib inflates a block whole, up to ~1000x, so this
# bounds the memory one step of a decompression bomb can take to about 1 MB.
_BLOCK = 1024


def is_archive(path: str) -> bool:
    """Whether the path names an MHTML or WARC file (by its suffix)."""
    return path.lower().endswith(MHTML_SUFFIXES + WARC_SUFFIXES)


@dataclass(frozen=True)
class RecordFailure:
    """One page inside an archive that cannot be read; the archive's other pages still are."""

    source: str  # archive#address, as a page read from it would be named
    error: SourceError


@dataclass(frozen=True)
class ArchiveRead:
    """The pages an archive holds, the records that failed, and any damage after them."""

    pages: list[RawPage]
    error: SourceError | None  # damage found after ``pages`` were read
    failures: list[RecordFailure] = field(default_factory=list)  # damaged or oversize records


def read_archive(path: str, data: bytes, max_bytes: int = DEFAULTS.max_bytes) -> ArchiveRead:
    """The HTML documents in an archive; a damaged one still gives those before the damage.

    Each document is capped at ``max_bytes`` once decompressed, like a saved file.
    """
    pages: list[RawPage] = []
    failures: list[RecordFailure] = []
    images: list[ImageFile] = []
    reader = _mhtml if path.lower().endswith(MHTML_SUFFIXES) else _warc
    try:
        for item in reader(path, data, max_bytes):
            if isinstance(item, RawPage):
                pages.append(item)
            elif isinstance(item, ImageFile):
                images.append(item)
            else:
                failures.append(item)
    except SourceError as exc:
        return ArchiveRead(_with_images(pages, images), exc, failures)
    if not pages and not failures:
        kind = "MHTML" if reader is _mhtml else "WARC"
        return ArchiveRead(pages, SourceError(
            f"{path}: no HTML page inside this {kind} file; save the page again "
            f"(for WARC: only HTTP 200 responses with an HTML content type are read)"
        ))  # fmt: skip
    return ArchiveRead(_with_images(pages, images), None, failures)


def _with_images(pages: list[RawPage], images: list[ImageFile]) -> list[RawPage]:
    """Each page with the archive's images (one tuple shared by all its pages)."""
    if not images:
        return pages
    resources = tuple(images)
    return [replace(page, resources=resources) for page in pages]


def _image(data: bytes, declared: str | None, url: str | None, source: str) -> ImageFile | None:
    """An image part or record, if its bytes are an image (anything else is left out)."""
    if not url or not (declared or "").strip().lower().startswith("image/"):
        return None
    try:
        return ImageFile(url, data, checked_image(data, declared, url), source)
    except ImageError:
        return None


def _unfolded(value: str | None) -> str | None:
    """A header value as one line: a writer may fold a long address over several (RFC 5322),
    and an address has no line breaks of its own to keep."""
    return re.sub(r"\r?\n[ \t]*", "", value).strip() if value else value


def _is_html(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() in _HTML_TYPES


def _mhtml(path: str, data: bytes, max_bytes: int) -> Iterator[RawPage | RecordFailure | ImageFile]:
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    if not message.is_multipart():
        raise SourceError(f"{path}: not an MHTML file (no multipart/related body); save it again")
    snapshot = _unfolded(message.get("Snapshot-Content-Location"))
    page_found = False
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type, location = part.get("Content-Type"), _unfolded(part.get("Content-Location"))
        html = _is_html(content_type)
        if page_found and html:
            continue  # the first HTML part is the page; later ones are its frames
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        if not html:
            if len(payload) <= max_bytes and (
                image := _image(payload, content_type, location, f"{path}#{location}")
            ):
                yield image
            continue
        # Decoding base64 or quoted-printable only shrinks, so the file's own cap bounds
        # this; the check holds a stored archive re-read under a lower cap to it too.
        if len(payload) > max_bytes:
            raise SourceError(too_large(f"{path}: its page", max_bytes, len(payload)))
        page_found = True
        yield RawPage(
            source=path,
            data=payload,
            url=location or snapshot,
            content_type=content_type,
        )


def _read_capped(stream: BinaryIO, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes: enough to tell a stream is over the cap, never more."""
    out = bytearray()
    while len(out) <= max_bytes:
        chunk = stream.read(min(_CHUNK, max_bytes + 1 - len(out)))
        if not chunk:
            break
        out += chunk
    return bytes(out)


def _warc(path: str, data: bytes, max_bytes: int) -> Iterator[RawPage | RecordFailure | ImageFile]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        # Small blocks: each gzip block read is inflated whole (up to ~1000x its size).
        for record in ArchiveIterator(io.BytesIO(data), block_size=_BLOCK):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            if record.http_headers.get_statuscode() != "200":
                continue
            content_type = record.http_headers.get_header("Content-Type")
            url = record.rec_headers.get_header("WARC-Target-URI")
            if not _is_html(content_type):
                if (content_type or "").strip().lower().startswith("image/"):
                    try:
                        body = _payload(record, url, max_bytes)
                    except SourceError:
                        continue  # an image past the cap or damaged: not kept, no page lost
                    if image := _image(body, content_type, url, f"{path}#{url}"):
                        yield image
                continue
            try:
                payload = _payload(record, url, max_bytes)
            except SourceError as exc:
                # The iterator skips the rest of this record in blocks; later ones are read.
                yield RecordFailure(f"{path}#{url}", SourceError(f"{path}: {exc}"))
                continue
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


def _payload(record: ArcWarcRecord, url: str | None, max_bytes: int) -> bytes:
    """A response's body as the server meant it (de-chunked, decompressed), capped.

    ``url`` is the record's WARC-Target-URI, for the messages.
    """
    from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

    headers = record.http_headers
    # The body as sent is never larger than as decoded but for a few bytes of framing,
    # so one over the cap is refused before any decompression.
    raw = _read_capped(record.raw_stream, max_bytes)
    if len(raw) > max_bytes:
        raise SourceError(too_large(f"the response for {url}", max_bytes))
    chunked = (headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
    declared = (headers.get_header("Content-Length") or "").strip()
    if declared.isdigit() and not chunked and int(declared) != len(raw):
        short = len(raw) < int(declared)
        raise SourceError(
            f"the response for {url} {'stops after' if short else 'has'} {len(raw):,} bytes "
            f"but its Content-Length says {int(declared):,} bytes: the record is damaged"
            f"{' or the WARC file is truncated' if short else ''}; fetch or save it again"
        )
    encoding = (headers.get_header("Content-Encoding") or "").strip().lower()
    decomp = encoding if encoding in BufferedReader.get_supported_decompressors() else None
    if not chunked and decomp is None:
        return raw
    reader_class = ChunkedDataReader if chunked else BufferedReader
    decoded = _read_capped(
        reader_class(io.BytesIO(raw), block_size=_BLOCK, decomp_type=decomp), max_bytes
    )
    if len(decoded) > max_bytes:
        raise SourceError(too_large(f"the response for {url}", max_bytes, after=" decompressed"))
    return decoded
