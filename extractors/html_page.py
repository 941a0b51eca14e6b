"""Pages a browser saved as HTML: the profile's selectors locate each part.

Parsed with lxml (through its CSS selectors): a full BeautifulSoup parse of a
real 100-200 KB page costs 20-40 ms, lxml's a tenth of that, and this is the
heavy step of every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from extractors.layout import Block, Figure, Parts, clean_line, parse_caption
from extractors.metaline import parse_meta
from extractors.profiles.base import SiteProfile
from extractors.records import Document
from extractors.stitch import pages_linked
from extractors.urls import join
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
# lxml refuses a str that still declares its encoding; the text is decoded already.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

# Characters XML cannot hold; lxml refuses to move text that has them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Element = lxml.html.HtmlElement


@cache
def _selector(css: str) -> CSSSelector:
    return CSSSelector(css)


def parts_from_html(document: Document, profile: SiteProfile) -> Parts:
    _refuse_truncated(document.text)
    root = _parse(document.text)
    title = _first(root, profile.title)
    if title is None or not _text(title):
        raise ExtractError(f"no title: none of {', '.join(profile.title)} holds text")
    info = _first(root, profile.info)
    if info is None:
        looked = ", ".join(profile.info)
        raise ExtractError(f"no byline: none of {looked} is on the page; cannot date the article")
    byline = _text(info)
    meta = parse_meta(byline)
    if meta is None:
        raise ExtractError(
            f"the byline {byline[:120]!r} holds no valid date; cannot date the article"
        )
    body = _first(root, profile.body)
    if body is None:
        raise ExtractError(f"no article body: none of {', '.join(profile.body)} is on the page")
    pagination = _first(root, profile.pagination)
    pages_expected = 1
    if pagination is not None and document.url:
        hrefs = [h for a in pagination.iter("a") if (h := join(document.url, a.get("href") or ""))]
        pages_expected = pages_linked(document.url, hrefs)
    if pagination is not None:
        pagination.drop_tree()  # "1 2 3 Next" is not article text
    blocks = list(_blocks(body, document.url))
    editor = _first(root, profile.editor)
    if editor is not None and not any(a is body for a in editor.iterancestors()):
        blocks.extend(_lines(editor))  # the editor rule in layout takes it as metadata
    breadcrumb = _first(root, profile.breadcrumb)
    footer = _first(root, profile.footer)
    organizers = None
    if profile.organizer_items:
        items = [li for selector in profile.organizer_items for li in _selector(selector)(root)]
        if items:
            organizers = [_text(li) for li in items]
            for li in items:
                li.drop_tree()
    return Parts(
        title=_text(title),
        meta=meta,
        body=_attach_captions(blocks),
        breadcrumb=_text(breadcrumb) if breadcrumb is not None else None,
        footer=_lines(footer) if footer is not None else [],
        organizers=organizers,
        pages_expected=pages_expected,
    )


def _parse(text: str) -> Element:
    try:
        text = _CONTROL.sub(" ", _XML_DECLARATION.sub("", text, count=1))
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"the HTML cannot be parsed ({exc}); save the page again") from exc
    unwanted = [el for el in root.iter(*_DROP, etree.Comment, etree.ProcessingInstruction)]
    for element in unwanted:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the text that follows it
    return root


_HTML_END = re.compile(r"</html", re.I)


def _refuse_truncated(text: str) -> None:
    if "<html" in text[:4096].lower() and not _HTML_END.search(text, max(0, len(text) - 65536)):
        raise ExtractError(
            f"the HTML stops without closing </html> after {len(text)} characters: the page "
            "was saved or downloaded incompletely; save it again"
        )


def _first(root: Element, selectors: tuple[str, ...]) -> Element | None:
    for css in selectors:
        found = _selector(css)(root)
        if found:
            return found[0]
    return None


def _text(element: Element) -> str:
    """All the text under ``element``, pieces joined by a space (like get_text(" "))."""
    return clean_line(" ".join(element.itertext()))


def _lines(element: Element) -> list[str]:
    """Text lines of ``element``, one per block element or ``<br>``."""
    pieces: list[str] = []

    def walk(node: Element) -> None:
        block = node.tag in _BLOCKS
        if block:
            pieces.append("\n")
        if node.text:
            pieces.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(child.tail)
        if block:
            pieces.append("\n")

    walk(element)
    return [line for line in map(clean_line, "".join(pieces).split("\n")) if line]


def _image_src(img: Element, base: str | None) -> str | None:
    src = (img.get("src") or img.get("data-src") or "").strip()
    if not src or src.startswith("data:"):
        return None
    if _SAVED_RESOURCE.match(src):
        return src
    if base:
        return join(base, src)
    return "https:" + src if src.startswith("//") else src


def _blocks(element: Element, base: str | None) -> Iterator[Block]:
    if text := clean_line(element.text or ""):
        yield text
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else None
        if tag == "figure":
            img = next(child.iter("img"), None)
            caption = next(child.iter("figcaption"), None)
            yield Figure(
                _text(caption) if caption is not None else "",
                _image_src(img, base) if img is not None else None,
            )
        elif tag == "img":
            yield Figure("", _image_src(child, base))
        elif tag in _TEXT_BLOCKS:
            for img in child.iter("img"):
                yield Figure("", _image_src(img, base))
            yield from _lines(child)
        elif tag in _BLOCKS:
            yield from _blocks(child, base)
        elif tag is not None and (text := _text(child)):
            yield text
        if tail := clean_line(child.tail or ""):
            yield tail


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
