"""Multi-page articles (``..._2.html``, ``..._3.html``) stitched into one record.

Every page of such an article is extracted on its own, as a part with the
same article id (taken from the first page's address). Parts are joined in
page order: the first page gives the metadata, all pages give paragraphs and
images; boilerplate every page repeats is recorded once.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from urllib.parse import urlunsplit

from core.records import Article, Image, RemovedLine
from core.urls import split_http

_PAGE_SUFFIX = re.compile(r"_(?P<n>\d{1,3})(?P<ext>\.s?html?)$", re.I)


def split_page_url(url: str) -> tuple[str, int]:
    """``.../WS5c37.._3.html`` -> (``.../WS5c37...html``, 3); other addresses are page 1."""
    parts = split_http(url)
    match = _PAGE_SUFFIX.search(parts.path) if parts else None
    if parts is None or not match:
        return url, 1
    path = parts.path[: match.start()] + match["ext"]
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")), int(match["n"])


def page_urls(url: str, count: int) -> list[str]:
    """Every page address of an article of ``count`` pages, page 1 first."""
    base, _ = split_page_url(url)
    parts = split_http(base)
    match = re.search(r"\.s?html?$", parts.path, re.I) if parts else None
    if parts is None or match is None:
        return [url]
    stem, ext = parts.path[: match.start()], match.group()
    others = (
        urlunsplit((parts.scheme, parts.netloc, f"{stem}_{n}{ext}", parts.query, ""))
        for n in range(2, count + 1)
    )
    return [base, *others]


def pages_linked(page_url: str, hrefs: Iterable[str]) -> int:
    """The number of pages the pagination links of ``page_url`` announce (1 if none)."""
    base, current = split_page_url(page_url)
    numbers = {current}
    for href in hrefs:
        linked_base, number = split_page_url(href)
        if linked_base == base:
            numbers.add(number)
    return max(numbers)


def stitch(parts: Iterable[Article]) -> Article:
    """The pages of one multi-page article joined into one article, in page order."""
    by_page = {part.page_number: part for part in parts}
    ordered = [by_page[n] for n in sorted(by_page)]
    first = ordered[0]
    images: list[Image] = []
    removed: list[RemovedLine] = list(first.removed)
    seen = {(line.kind, line.text) for line in removed}
    for part in ordered:
        start = len(images)
        images.extend(
            dataclasses.replace(image, position=start + 1 + i)
            for i, image in enumerate(part.images)
        )
        for line in part.removed if part is not first else ():
            if (line.kind, line.text) not in seen:
                seen.add((line.kind, line.text))
                removed.append(line)
    return dataclasses.replace(
        first,
        paragraphs=tuple(p for part in ordered for p in part.paragraphs),
        images=tuple(images),
        removed=tuple(removed),
        page_number=1,
        pages_expected=max(part.pages_expected for part in ordered),
        page_count=len(ordered),
        warnings=tuple(dict.fromkeys(w for part in ordered for w in part.warnings)),
        subheads=tuple(s for part in ordered for s in part.subheads),
    )
