"""Read a response body under a size cap that also holds after decompression.

httpx's own decoders inflate a whole network chunk at once, so a few kilobytes of
gzip can become gigabytes in memory before any check runs. Here the raw bytes are
inflated with ``max_length`` set to the room left under the cap: a gzip bomb stops
at cap + 1 bytes, whatever its ratio.
"""

from __future__ import annotations

import zlib

import httpx

from core.errors import FetchError, body_too_large

# What the client asks for; anything else a server sends is refused (see _inflater).
ACCEPT_ENCODING = "gzip, deflate"


class _Inflater:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._z = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._z.decompress(data, room)
        except zlib.error:
            if self._started or self._wbits != zlib.MAX_WBITS:
                raise
            # "deflate" is meant to be zlib-wrapped, but some servers send it raw.
            self._wbits = -zlib.MAX_WBITS
            self._z = zlib.decompressobj(self._wbits)
            out = self._z.decompress(data, room)
        self._started = True
        if self._z.unconsumed_tail:  # more output waiting than there is room for
            return out + b"\0"
        return out

    @property
    def complete(self) -> bool:
        return self._z.eof


def _inflater(encoding: str, url: str) -> _Inflater | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Inflater(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Inflater(zlib.MAX_WBITS)
    raise FetchError(
        f"{url}: the server sent the body as {encoding!r}, which was not asked for "
        f"(only {ACCEPT_ENCODING}); the page cannot be read"
    )


async def read_body(
    response: httpx.Response,
    limit: int,
    body: bytearray | None = None,
    raw: bytearray | None = None,
) -> bytes:
    """The decoded body, or FetchError (with the bytes received) if too large or cut short.

    ``body``, if given, is filled as the bytes come, so a caller that cancels the read
    (a deadline) still has what arrived; ``raw``, if given, the same bytes as they came
    over the wire (still compressed), for the WARC of the crawl.
    """
    url = str(response.url)
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise body_too_large(url, limit)
    inflater = _inflater(response.headers.get("content-encoding", ""), url)
    body = bytearray() if body is None else body
    wire = 0
    try:
        async for chunk in response.aiter_raw():
            # The cap holds for the bytes as they come too: bytes past the end of a gzip
            # stream are set aside by zlib, never inflated, and would pile up for ever.
            wire += len(chunk)
            if wire > limit:
                if raw is not None:
                    raw += chunk[: limit - len(raw)]
                raise body_too_large(url, limit, " as sent")
            if raw is not None:
                raw += chunk
            if inflater is not None:
                chunk = inflater.feed(chunk, limit + 1 - len(body))
            body += chunk
            if len(body) > limit:
                raise body_too_large(url, limit, " once decompressed" if inflater else "")
    except httpx.TransportError as exc:
        raise FetchError(
            f"{url}: the connection broke after {len(body):,} bytes of the body "
            f"({type(exc).__name__}: {exc}); the page is incomplete",
            retryable=True,
            body=bytes(body),
        ) from exc
    except zlib.error as exc:
        raise FetchError(
            f"{url}: the compressed body is corrupt ({exc}); the page cannot be read",
            retryable=True,
            body=bytes(body),
        ) from exc
    if inflater is not None and not inflater.complete:
        raise FetchError(
            f"{url}: the compressed body ends early after {len(body):,} bytes; "
            "the page is incomplete",
            retryable=True,
            body=bytes(body),
        )
    return bytes(body)
