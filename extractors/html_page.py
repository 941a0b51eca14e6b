"""Pages a browser saved as HTML: the profile's selectors locate each part."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from extractors.layout import Block, Figure, Parts, clean_line, parse_caption
from extractors.metaline import parse_meta
from extractors.profiles.base import SiteProfile
from extractors.records import Document
from extractors.stitch import pages_linked
from wic_etl.errors import ExtractError

_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg")
_TEXT_BLOCKS = frozenset(
    ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "figcaption")
)
_BLOCKS = _TEXT_BLOCKS | frozenset(
    ("div", "section", "article", "ul", "ol", "dl", "table", "tr", "td", "th", "tbody",
     "thead", "center", "header", "footer", "nav", "aside", "main", "figure", "form", "br")
)  # fmt: skip
# A browser's "Save page, complete" points images at its own folder beside the file.
_SAVED_RESOURCE = re.compile(r"^(?:\./)?[^/:]*_files/")


def parts_from_html(document: Document, profile: SiteProfile) -> Parts:
    _refuse_truncated(document.text)
    soup = BeautifulSoup(document.text, "lxml")
    for tag in soup(_DROP):
        tag.decompose()
    title = _first(soup, profile.title)
    if title is None or not clean_line(title.get_text()):
        raise ExtractError(f"no title: none of {', '.join(profile.title)} holds text")
    info = _first(soup, profile.info)
    if info is None:
        looked = ", ".join(profile.info)
        raise ExtractError(f"no byline: none of {looked} is on the page; cannot date the article")
    byline = clean_line(info.get_text(" "))
    meta = parse_meta(byline)
    if meta is None:
        raise ExtractError(
            f"the byline {byline[:120]!r} holds no valid date; cannot date the article"
        )
    body = _first(soup, profile.body)
    if body is None:
        raise ExtractError(f"no article body: none of {', '.join(profile.body)} is on the page")
    pagination = _first(soup, profile.pagination)
    pages_expected = 1
    if pagination is not None and document.url:
        hrefs = [urljoin(document.url, a.get("href", "")) for a in pagination.find_all("a")]
        pages_expected = pages_linked(document.url, hrefs)
    if pagination is not None:
        pagination.decompose()  # "1 2 3 Next" is not article text
    blocks = list(_blocks(body, document.url))
    editor = _first(soup, profile.editor)
    if editor is not None and body not in editor.parents:
        blocks.extend(_lines(editor))  # the editor rule in layout takes it as metadata
    breadcrumb = _first(soup, profile.breadcrumb)
    footer = _first(soup, profile.footer)
    organizers = None
    if profile.organizer_items:
        items = [li for selector in profile.organizer_items for li in soup.select(selector)]
        if items:
            organizers = [clean_line(li.get_text(" ")) for li in items]
            for li in items:
                li.decompose()
    return Parts(
        title=title.get_text(" "),
        meta=meta,
        body=_attach_captions(blocks),
        breadcrumb=clean_line(breadcrumb.get_text(" ")) if breadcrumb is not None else None,
        footer=_lines(footer) if footer is not None else [],
        organizers=organizers,
        pages_expected=pages_expected,
    )


def _refuse_truncated(text: str) -> None:
    lowered = text.lower()
    if "<html" in lowered[:4096] and "</html" not in lowered:
        raise ExtractError(
            f"the HTML stops without closing </html> after {len(text)} characters: the page "
            "was saved or downloaded incompletely; save it again"
        )


def _first(soup: BeautifulSoup, selectors: tuple[str, ...]) -> Tag | None:
    for selector in selectors:
        found = soup.select_one(selector)
        if found is not None:
            return found
    return None


def _lines(element: Tag) -> list[str]:
    """Text lines of ``element``, one per block element or ``<br>``."""
    for tag in element.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return [line for line in map(clean_line, element.get_text().split("\n")) if line]


def _image_src(img: Tag, base: str | None) -> str | None:
    src = (img.get("src") or img.get("data-src") or "").strip()
    if not src or src.startswith("data:"):
        return None
    if _SAVED_RESOURCE.match(src):
        return src
    if base:
        return urljoin(base, src)
    return "https:" + src if src.startswith("//") else src


def _blocks(element: Tag, base: str | None) -> Iterator[Block]:
    for child in element.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            if text := clean_line(str(child)):
                yield text
        elif not isinstance(child, Tag):
            continue
        elif child.name == "figure":
            img = child.find("img")
            caption = child.find("figcaption")
            yield Figure(
                clean_line(caption.get_text(" ")) if caption is not None else "",
                _image_src(img, base) if isinstance(img, Tag) else None,
            )
        elif child.name == "img":
            yield Figure("", _image_src(child, base))
        elif child.name in _TEXT_BLOCKS:
            for img in child.find_all("img"):
                yield Figure("", _image_src(img, base))
            yield from _lines(child)
        elif child.name in _BLOCKS:
            yield from _blocks(child, base)
        elif text := clean_line(child.get_text(" ")):
            yield text


def _attach_captions(blocks: list[Block]) -> list[Block]:
    """An image followed by its caption paragraph (older layouts) becomes one figure."""
    out: list[Block] = []
    for block in blocks:
        previous = out[-1] if out else None
        if (
            isinstance(block, str)
            and isinstance(previous, Figure)
            and not previous.caption
            and parse_caption(block)
        ):
            out[-1] = Figure(block, previous.src)
        else:
            out.append(block)
    return out
