"""The typed records that extraction produces and loaders store."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlsplit

_HAN = "\u3400-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+(?:['’.,-][^\W_{_HAN}]+)*")


_FINGERPRINT_KEEP = re.compile(r"[^\W_]+")


def word_tokens(text: str) -> list[str]:
    """Words as a reader counts them: each Han character is one word, like one Latin word."""
    return _WORD.findall(text)


def count_words(text: str) -> int:
    """How many words ``text`` has, as ``word_tokens`` counts them."""
    return len(word_tokens(text))


def header_value(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The first value of an HTTP header, names compared case-insensitively."""
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)


def storable_text(text: str) -> str:
    """``text`` with any byte that was not UTF-8 written ``\\xNN``, so SQLite and JSON take it.

    A file name that is not UTF-8 reaches Python with each such byte as a lone
    surrogate (os.fsdecode); SQLite refuses those. Names that are UTF-8 are unchanged.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate no file name gives: \udNNN then
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    return text


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of text as UTF-8."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileStamp:
    """What a saved file looked like when it was read: how a later run knows it unchanged.

    Taken from the open file just before its bytes were read; ``read_ns`` is this
    host's clock then. Times are nanoseconds since the epoch.
    """

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    read_ns: int

    @classmethod
    def of(cls, info: Any, read_ns: int) -> FileStamp:
        """The stamp of an ``os.stat_result`` taken at ``read_ns``."""
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
                   read_ns)  # fmt: skip

    def same_file(self, info: Any) -> bool:
        """Whether ``info`` (an ``os.stat_result``) is this file, not written since."""
        return (self.device, self.inode, self.size, self.mtime_ns, self.ctime_ns) == (
            info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns,
        )  # fmt: skip


@dataclass(frozen=True)
class SavedFile:
    """A saved file read whole: its path, its stamp then, and the page its bytes made."""

    path: str
    stamp: FileStamp
    sha256: str


@dataclass(frozen=True)
class ImageFile:
    """An image's bytes, checked to be an image, kept in ``image_files`` (as they came:
    images are compressed already).

    ``url`` is the address an article names it by (its ``images.src``): the address
    fetched, an image's address inside an MHTML or WARC file, or a saved page's
    ``Name_files/...`` path. ``source`` says where the bytes were read: the address
    fetched (after redirects), the file, or ``archive#address``.
    """

    url: str
    data: bytes
    content_type: str  # as the bytes show (core/images.py), not as a header claimed
    source: str

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the bytes: the image's identity in ``image_files``."""
        return sha256_hex(self.data)


@dataclass(frozen=True)
class RawPage:
    """A document exactly as it was read or fetched; never altered, always kept."""

    source: str
    data: bytes
    url: str | None = None
    content_type: str | None = None
    # Fetched pages only: the HTTP status and response headers, archived with the bytes.
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    # A saved file read whole (not a page inside an archive): its stamp when read.
    file: FileStamp | None = None
    # Images saved with the page (beside it in ``Name_files/``, inside its MHTML or
    # WARC file): only those its article shows travel on to the writer, which keeps them.
    resources: tuple[ImageFile, ...] = field(default=(), repr=False, compare=False)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the raw bytes: the page's identity in ``pages``."""
        return sha256_hex(self.data)

    def header(self, name: str) -> str | None:
        """The first value of an HTTP response header, if the page was fetched."""
        return header_value(self.headers, name)

    def without_bytes(self) -> RawPage:
        """This page, its SHA-256 kept and its bytes left out: what a re-extraction's
        worker hands back to the writer, which has the bytes stored already."""
        light = replace(self, data=b"")
        light.__dict__["sha256"] = self.sha256  # where cached_property keeps it
        return light


@dataclass(frozen=True)
class Validators:
    """What the last good fetch of an address said, to ask the server "has it changed?"."""

    etag: str | None
    last_modified: str | None
    sha256: str  # of the page then received


@dataclass(frozen=True)
class Document:
    """A decoded page: its text, how it was decoded and what kind of save it is."""

    text: str
    encoding: str
    format: str  # "text" or "html"
    url: str | None = None


@dataclass(frozen=True)
class Image:
    """An image of an article, in page order, with its caption and credit."""

    position: int
    caption: str
    credit: str | None = None
    src: str | None = None


@dataclass(frozen=True)
class RemovedLine:
    """A piece of boilerplate stripped from a page, kept to show what was removed."""

    kind: str  # copyright, icp, contact, navigation, licence, editor, notice
    text: str


@dataclass(frozen=True)
class Article:
    """One article as extracted: the ``articles`` row and its children."""

    id: str
    url: str | None
    site: str
    language: str
    section: str | None
    title: str
    author: str | None
    editor: str | None
    source: str | None
    published: str | None
    paragraphs: tuple[str, ...]
    extractor: str
    images: tuple[Image, ...] = field(default=())
    organizers: tuple[str, ...] = field(default=())
    removed: tuple[RemovedLine, ...] = field(default=())
    # Multi-page articles: which page this record came from, how many pages the
    # page's pagination announces, and how many pages were stitched into it.
    page_number: int = 1
    pages_expected: int = 1
    page_count: int = 1
    # Fields taken from somewhere other than where the profile looks ("published:meta",
    # "section:missing", ...): layout drift shows here first.
    warnings: tuple[str, ...] = field(default=())
    # The paragraphs the page sets as subheads (a heading, or a paragraph all bold), in
    # order: each is also in ``paragraphs``, where it stands.
    subheads: tuple[str, ...] = field(default=())

    @property
    def is_part(self) -> bool:
        """Whether this record is one page of a multi-page article."""
        return self.pages_expected > 1 or self.page_number > 1

    # Cached: the loader asks for each more than once, and a worker process that
    # extracted the article computes them there, so they travel with it (pickled in
    # the instance's __dict__) and the run's one writer does not compute them again.
    # Fields are frozen, so a cached value never goes stale.
    @cached_property
    def body(self) -> str:
        """The paragraphs, separated by one blank line."""
        return "\n\n".join(self.paragraphs)

    @cached_property
    def word_count(self) -> int:
        """Words as a reader counts them (each Han character one word)."""
        return count_words(self.body)

    @cached_property
    def content_sha256(self) -> str:
        """SHA-256 of the body."""
        return sha256_hex(self.body)

    @cached_property
    def fingerprint(self) -> str:
        """The body with case, punctuation and spacing gone: the same story on two sites."""
        normal = unicodedata.normalize("NFKC", self.body).casefold()
        return sha256_hex("".join(_FINGERPRINT_KEEP.findall(normal)))[:32]

    @cached_property
    def record_sha256(self) -> str:
        """A fingerprint of everything extraction produced, children included.

        The dataclass repr lists every field (and every image and removed line) in a
        fixed order, cached values left out; it is several times cheaper than JSON.
        """
        return sha256_hex(repr(self))


@dataclass(frozen=True)
class Extracted:
    """One page that became one article."""

    page: RawPage
    document: Document
    article: Article
    # The article's search-index columns (title, body, words), where a worker process
    # computed them (Chinese word segmentation costs 1-5 ms a page); None: the writer does.
    search: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class Failed:
    """One input that could not become an article, and why."""

    source: str
    stage: str
    error_class: str
    message: str
    page: RawPage | None = None
    document: Document | None = None

    @classmethod
    def from_error(
        cls,
        source: str,
        error: BaseException,
        page: RawPage | None = None,
        document: Document | None = None,
    ) -> Failed:
        """The failure ``error`` made of ``source``: its stage, class and message."""
        stage = getattr(error, "stage", "pipeline")
        return cls(source, stage, type(error).__name__, str(error), page, document)


@dataclass(frozen=True)
class Found:
    """An address a feed, sitemap or listing points at, and the date it gives for it."""

    url: str
    date: str | None  # ISO date (YYYY-MM-DD)


@dataclass(frozen=True)
class ListedLink:
    """A link on a section listing page, with the time printed beside it."""

    url: str
    title: str
    listed: str | None  # the time printed beside the link, ISO 8601


@dataclass(frozen=True)
class Listing:
    """A section listing page: its article links and its pager."""

    url: str | None
    links: tuple[ListedLink, ...]
    pages: tuple[str, ...]  # other pages of the listing linked from this one, in page order
    last_page: int | None  # from the ">>|" link


@dataclass(frozen=True)
class Listed:
    """A section (listing) page: links to articles, for discovery; not an article."""

    page: RawPage
    document: Document
    listing: Listing


Outcome = Extracted | Failed | Listed


def article_from_dict(data: dict[str, Any]) -> Article:
    """The inverse of ``dataclasses.asdict`` for an Article."""
    return Article(
        **{
            **data,
            "paragraphs": tuple(data["paragraphs"]),
            "images": tuple(Image(**image) for image in data["images"]),
            "organizers": tuple(data["organizers"]),
            "removed": tuple(RemovedLine(**line) for line in data["removed"]),
            "warnings": tuple(data.get("warnings", ())),
            "subheads": tuple(data.get("subheads", ())),
        }
    )


# Why a body in a WARC is shorter than what the server meant to send (WARC/1.1's
# WARC-Truncated values): over the byte cap, past the deadline, the connection broke,
# or the read stopped for another reason (a corrupt compressed body).
Truncation = Literal["length", "time", "disconnect", "unspecified"]


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its answer as they went over the wire, for the WARC of a crawl.

    ``raw_body`` is the body as received (Content-Encoding still on, chunking removed
    by the client); ``body`` the same decoded, as the crawler read it (empty for a
    redirect or a 304). ``truncated`` says why ``raw_body`` is not the whole body.
    """

    url: str
    started: datetime  # when the request was sent (UTC)
    method: str
    http_version: str  # as the answer said: HTTP/1.1, HTTP/2
    request_headers: tuple[tuple[str, str], ...]  # as sent, validators included
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]  # as received
    raw_body: bytes
    body: bytes = b""
    ip_address: str | None = None  # of the server answering, when the connection tells
    truncated: Truncation | None = None

    @property
    def target(self) -> str:
        """The request target of the request line: path and query."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class ArchivedRecord:
    """Where one WARC record of the crawl is, and what it holds (a row of ``warc_records``)."""

    file: str  # the WARC file's name in the WARC folder
    offset: int  # of the record's gzip member in the file
    length: int  # of the gzip member, in bytes
    record_type: str  # warcinfo, request, response, revisit, metadata
    record_id: str  # <urn:uuid:...>
    target_uri: str | None
    date: str  # WARC-Date
    status: int | None = None  # the HTTP status of a response or revisit
    payload_digest: str | None = None  # sha1:BASE32, as WARC-Payload-Digest
    page_sha256: str | None = None  # of the decoded body, the page's identity in ``pages``
    refers_to: str | None = None  # the record id a revisit or metadata record refers to
    article_id: str | None = None  # a metadata record's article
