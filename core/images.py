"""What an image's bytes are: told by their first bytes (magic), never by a name or a header.

A server's Content-Type and a file's suffix only say what the bytes claim to be; an
error page served as ``photo.jpg`` with ``image/jpeg`` is still HTML. An image is kept
only when its bytes begin as one of the formats below, and it is then stored and
served under the type its bytes show.

SVG is kept (news graphics use it) but it is a document that can hold scripts: the
archive shows it only through ``<img>`` and serves it otherwise as a download (see
``loaders/datasette_app/images.py``).
"""

from __future__ import annotations

import re

from core.errors import ImageError

SVG = "image/svg+xml"
# (offset, magic, type): the signatures of the formats news pages use.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"\x00\x00\x01\x00", "image/x-icon"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
)
_FTYP = {b"avif": "image/avif", b"avis": "image/avif", b"heic": "image/heic",
         b"heix": "image/heic", b"mif1": "image/heif"}  # fmt: skip
# An SVG document: optional BOM, XML declaration, comments and doctype, then <svg.
_SVG = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]",
    re.S | re.I,
)
_SNIFF = 2048  # bytes looked at for the SVG signature


def image_type(data: bytes) -> str | None:
    """The image type the bytes begin as (``image/jpeg``, ...), or None if no known image."""
    for offset, magic, kind in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _FTYP:
        return _FTYP[data[8:12]]
    if _SVG.match(data[:_SNIFF]):
        return SVG
    return None


def checked_image(data: bytes, declared: str | None, where: str) -> str:
    """The type to keep ``data`` under, or ImageError saying why it is no image.

    ``declared`` is the Content-Type it came with (None for a file read from disk):
    when given it must be an image type. ``where`` names the image in the message.
    """
    declared_type = (declared or "").split(";")[0].strip().lower()
    if declared is not None and not declared_type.startswith("image/"):
        raise ImageError(
            f"{where}: served as {declared_type or 'no content type'}, not as an image; "
            "not kept (the page's other images and its article are)"
        )
    kind = image_type(data)
    if kind is None:
        begins = data[:40].decode("latin-1").replace("\n", " ").replace("\r", " ")
        said = f"served as {declared_type}" if declared_type else "read as an image"
        looks = "HTML" if data.lstrip()[:1] == b"<" else "no known image format"
        raise ImageError(
            f"{where}: {said} but its bytes are {looks} (they begin {begins!r}); "
            "not kept: an image is kept only when its bytes are one"
        )
    return kind
