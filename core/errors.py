"""The project's exception hierarchy.

Every error that can reach a user is one of these; its message says what went
wrong with which input and what to do about it. ``stage`` is the pipeline step
that failed and ends up in the ``failures`` table.

    WicEtlError              stage "pipeline": an input or setting the pipeline cannot use
    ├── NothingToReadError   the sources hold no page wic-etl reads
    ├── SourceError          "read": a saved file or archive cannot be read
    ├── FetchError           "fetch": an HTTP fetch failed (``retryable`` if another try may pass)
    ├── DecodeError          "decode": the bytes are not text in any charset tried
    ├── ExtractError         "extract": no article in the page (unknown layout, no title...)
    │   └── NotFoundPageError    the site's "page not found" page, served as a page (soft 404)
    ├── LoadError            "load": the database refused a record
    └── ImageError           "image": an article's image not kept (not fetched, or no image)
"""

from __future__ import annotations


class WicEtlError(Exception):
    """Base class: an input or setting the pipeline cannot use."""

    stage = "pipeline"


class NothingToReadError(WicEtlError):
    """The sources exist but hold no page wic-etl reads (a folder of images, say)."""


class SourceError(WicEtlError):
    """A source could not be read (missing file, no permission, ...)."""

    stage = "read"


class FetchError(WicEtlError):
    """A page could not be fetched over HTTP.

    ``retryable`` marks a failure that may pass on another try (a timeout, a 5xx);
    ``body`` keeps whatever bytes arrived, so a failure row loses nothing;
    ``retry_after`` is the wait in seconds the server asked for, if any.
    """

    stage = "fetch"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        body: bytes | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.body = body
        self.retry_after = retry_after


class DecodeError(WicEtlError):
    """The bytes are not text in any encoding we can tell (binary, empty, ...)."""

    stage = "decode"


class ExtractError(WicEtlError):
    """The text was read but no article could be taken out of it."""

    stage = "extract"


class NotFoundPageError(ExtractError):
    """The page is its site's "page not found" page served with HTTP 200 (a soft 404).

    Not an article, and no version of one: a re-check takes it as the article taken
    down; an ingest records it as a failure.
    """


class LoadError(WicEtlError):
    """The database refused the records."""

    stage = "load"


class ImageError(WicEtlError):
    """An image of an article could not be kept: not fetched, or its bytes are no image.

    Never the article's failure: the article is loaded, the image's row left unkept.
    """

    stage = "image"


def too_large(what: str, limit: int, size: int | None = None, after: str = "") -> str:
    """The message for input over the size cap: its size if known, the cap, how to raise it."""
    size_text = f"{size:,} bytes, " if size is not None else ""
    return (
        f"{what} is {size_text}more than the {limit:,}-byte limit{after}; it was not read "
        "further (raise --max-bytes if the page is real)"
    )


def body_too_large(url: str, limit: int, after: str = "") -> FetchError:
    """A fetched body (or an inflated sitemap) over the cap: most likely not the document meant."""
    return FetchError(
        f"{url}: the body is larger than the {limit:,}-byte limit{after}; it was not read "
        "further. Check that the address is a page, feed or sitemap (a big sitemap: start "
        "from its sitemap index or from a section listing instead)"
    )
