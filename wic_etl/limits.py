"""Size limits shared by every reader of untrusted bytes.

One setting (``--max-bytes``) bounds a fetched body, a saved file and each page
inside an archive, so raising it for a real, large page raises it everywhere.
"""

from __future__ import annotations

MAX_BYTES = 10 * 1024 * 1024


def too_large(what: str, limit: int, size: int | None = None, after: str = "") -> str:
    """The message for input over the cap: its size if known, the cap, how to raise it."""
    size_text = f"{size:,} bytes, " if size is not None else ""
    return (
        f"{what} is {size_text}more than the {limit:,}-byte limit{after}; it was not read "
        "further (raise --max-bytes if the page is real)"
    )
