"""The project's exception hierarchy.

Every error that can reach a user is one of these; its message says what went
wrong with which input and what to do about it. ``stage`` is the pipeline step
that failed and ends up in the ``failures`` table.
"""

from __future__ import annotations


class WicEtlError(Exception):
    """Base class: an input or setting the pipeline cannot use."""

    stage = "pipeline"
    exit_code = 2  # of the command, when this error stops it: a usage error


class NothingToReadError(WicEtlError):
    """The sources exist but hold no page wic-etl reads (a folder of images, say)."""

    exit_code = 1


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


class LoadError(WicEtlError):
    """The database refused the records."""

    stage = "load"
