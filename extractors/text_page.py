"""Pages a browser saved as text: one line per block, no markup.

The byline (``chinadaily.com.cn Updated: 2015-12-15``) anchors the layout: the
title is the line above it, site navigation and the breadcrumb come before
that, the body follows it, and the footer is the run of boilerplate (with the
short organizer or menu lines among it) at the end.
"""

from __future__ import annotations

from core.errors import ExtractError
from core.records import Document
from extractors.boilerplate import split_boilerplate
from extractors.layout import Parts, clean_line, find_tail_start, is_breadcrumb
from extractors.metaline import parse_meta
from extractors.profiles.base import SiteProfile

# A byline further down than this is not the article's.
_BYLINE_WITHIN = 80


def parts_from_text(document: Document, profile: SiteProfile) -> Parts:
    """The parts of a browser's text save, laid out around its byline."""
    lines = [line for line in map(clean_line, document.text.splitlines()) if line]
    for byline_at, line in enumerate(lines[:_BYLINE_WITHIN]):
        meta = parse_meta(line)
        if meta is not None and byline_at > 0:
            break
    else:
        raise ExtractError(
            f"no byline with a date (like 'chinadaily.com.cn Updated: 2015-12-15') in the "
            f"first {_BYLINE_WITHIN} lines; this text save does not look like a "
            f"{profile.site} article page"
        )
    title_at = byline_at - 1
    while title_at >= 0 and _is_furniture(lines[title_at], profile):
        title_at -= 1
    if title_at < 0:
        raise ExtractError("the page has no title line above its byline; is it an article page?")
    head = lines[:title_at]
    breadcrumb = next((line for line in reversed(head) if is_breadcrumb(line)), None)
    if breadcrumb is not None:
        head.remove(breadcrumb)
    tail_at = max(find_tail_start(lines, profile), byline_at + 1)
    return Parts(
        title=lines[title_at],
        meta=meta,
        body=list(lines[byline_at + 1 : tail_at]),
        head=head,
        breadcrumb=breadcrumb,
        footer=lines[tail_at:],
    )


def _is_furniture(line: str, profile: SiteProfile) -> bool:
    return (
        is_breadcrumb(line)
        or split_boilerplate(line) is not None
        or any(p.search(line) for p in profile.navigation)
    )
