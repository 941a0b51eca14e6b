"""Images from the archive: ``/<database>/-/image/<sha256>`` serves a kept image's bytes.

The article page shows its images from here, never from the live site: the archive
stays whole offline and the reader's browser tells the site nothing. The bytes are
from the sites, so they are served defensively: under the type their bytes showed
when kept (core/images.py), with ``nosniff`` (the browser may not guess another
type), a Content-Security-Policy that allows nothing to run or load (``sandbox``), and
SVG, a document that can carry scripts, as a download: the article page shows it
through ``<img>``, where no script runs; opened by itself it is never a document.
"""

from __future__ import annotations

import re
from typing import Any

from datasette.utils.asgi import NotFound, Response

# Any last segment: one that is no digest gets this route's 404, not Datasette's.
ROUTE = r"^/(?P<database>[^/]+)/-/image/(?P<sha256>[^/]+)$"
_DIGEST = re.compile(r"[0-9a-f]{64}")
# Types a browser shows as pictures, without any script or further request.
SHOWN_INLINE = frozenset(
    ("image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp",
     "image/x-icon", "image/tiff", "image/heic", "image/heif")
)  # fmt: skip
POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
_SUFFIX = re.compile(r"[^a-z0-9]+")


def image_path(datasette: Any, database: str, sha256: str | None) -> str | None:
    """The archive's address of a kept image, or None when it is not kept."""
    if not sha256:
        return None
    return f"{datasette.urls.database(database)}/-/image/{sha256}"


async def image_view(datasette: Any, request: Any) -> Response:
    """A kept image's bytes, by their SHA-256, under their own type and a strict policy."""
    database, sha256 = request.url_vars["database"], request.url_vars["sha256"]
    try:
        db = datasette.get_database(database)
    except KeyError:
        raise NotFound(f"Database not found: {database}") from None
    await datasette.ensure_permissions(
        request.actor,
        [("view-table", (database, "image_files")), ("view-database", database),
         "view-instance"],
    )  # fmt: skip
    if not _DIGEST.fullmatch(sha256):
        raise NotFound(f"{sha256!r} is no image's SHA-256 (64 hex digits)")
    if not await db.table_exists("image_files"):
        raise NotFound("This database keeps no images yet: open it with wic-etl to add them.")
    rows = (
        await db.execute("select content_type, data from image_files where sha256 = ?", [sha256])
    ).rows
    if not rows:
        raise NotFound(f"No image {sha256} in the archive")
    content_type, data = rows[0]
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": POLICY,
        "Cross-Origin-Resource-Policy": "same-origin",
        # Named by their bytes: the same address is the same image for ever.
        "Cache-Control": "public, max-age=31536000, immutable",
    }
    if content_type not in SHOWN_INLINE:
        suffix = _SUFFIX.sub("", content_type.split("/")[-1].split("+")[0]) or "bin"
        headers["Content-Disposition"] = f'attachment; filename="{sha256[:16]}.{suffix}"'
    return Response(bytes(data), status=200, headers=headers, content_type=content_type)
