"""Pages a browser saved as HTML: the profile's selectors locate each part.

Parsed with lxml (through its CSS selectors): a full BeautifulSoup parse of a
real 100-200 KB page costs 20-40 ms, lxml's a tenth of that, and this is the
heavy step of every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache, partial
from typing import TypeAlias

import lxml.html
from lxml import etree

from core.errors import ExtractError
from core.records import Document
from core.stitch import pages_linked
from core.urls import http_url, join, split_http
from extractors.dates import find_date, in_beijing
from extractors.fallback import read_generic
from extractors.layout import (
    Block,
    Figure,
    Parts,
    Subhead,
    clean_line,
    is_breadcrumb,
    parse_caption,
)
from extractors.lookup import PageLookup
from extractors.metaline import Meta, parse_meta
from extractors.profiles.base import SiteProfile

_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg")
_TEXT_BLOCKS = frozenset(
    ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "figcaption")
)
_BLOCKS = _TEXT_BLOCKS | frozenset(
    ("div", "section", "article", "ul", "ol", "dl", "table", "tr", "td", "th", "tbody",
     "thead", "center", "header", "footer", "nav", "aside", "main", "figure", "form", "br")
)  # fmt: skip
_SUBHEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
# A subhead is a phrase: longer, or ending as a sentence does, a bold paragraph is text.
_SUBHEAD_MAX = 80
_SUBHEAD_END = tuple(".!?;,:。！？；，：…")
# A browser's "Save page, complete" points images at its own folder beside the file.
_SAVED_RESOURCE = re.compile(r"^(?:\./)?[^/:]*_files/")
# lxml refuses a str that still declares its encoding; the text is decoded already.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)

# Characters XML cannot hold; lxml refuses to move text that has them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same characters one by one: a page almost never has any, and looking for each
# with ``in`` (memchr) costs a sixth of a regex pass over 100 KB of markup.
_CONTROL_CHARS = tuple(c for c in (*map(chr, range(0x20)), "\ufffe", "\uffff") if _CONTROL.match(c))
_NONCHARACTERS = ("\ufffe", "\uffff")
_CONTROL_BYTES = tuple(c.encode() for c in _CONTROL_CHARS if c not in _NONCHARACTERS)


def _html_parser(encoding: str | None = None) -> lxml.html.HTMLParser:
    """lxml.html's parser, with each element's class picked in C.

    lxml.html picks it in Python (a method call for every element Python touches:
    a few percent of a page's extraction), to give form controls classes of their
    own (``.value`` and the like), which nothing here uses. Every element is still
    an HtmlElement, every comment an HtmlComment.

    Nor does anything here ask libxml2 for an element by its ID (XPath's id(),
    XMLID): the table of IDs it would build on every parse (a few percent of the
    parse) is left out; ``PageLookup`` finds ids with XPath on the attributes.
    """
    parser = lxml.html.HTMLParser(encoding=encoding, collect_ids=False)
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


_PARSER = _html_parser()
# Reads bytes known to be UTF-8 as UTF-8, whatever the page declares.
_UTF8_PARSER = _html_parser(encoding="utf-8")

Element: TypeAlias = lxml.html.HtmlElement

_SENTENCE_END = tuple(".!?。！？")
_CREDIT_MAX = 80  # a credit names a photographer and an outlet, never a sentence

# Meta tags a page may carry its date in, besides the profile's byline.
_META_DATES = ("article:published_time", "publishdate", "pubdate")


def xml_safe(text: str) -> str:
    """``text`` with the characters lxml refuses made spaces; most pages have none."""
    return _CONTROL.sub(" ", text) if any(c in text for c in _CONTROL_CHARS) else text


def parse_html(text: str, utf8: bytes | None = None) -> Element:
    """The parsed page, comments still in it (a profile may need them to find its body).

    ``utf8``, when given, is ``text`` in UTF-8 (the page's own bytes): lxml parses a
    str by converting it to UTF-8 first (a fifth of the parse, for a page with
    Chinese in it), and these bytes are that conversion already made.
    """
    _refuse_truncated(text)
    try:
        # match, not sub: sub would try the anchored pattern at every position of the page.
        if declaration := _XML_DECLARATION.match(text):
            text = text[declaration.end() :]
        elif utf8 is not None and _xml_safe_utf8(text, utf8):
            # The parser's encoding set, a <meta charset> in the page cannot override it.
            return lxml.html.document_fromstring(utf8, parser=_UTF8_PARSER)
        return lxml.html.document_fromstring(xml_safe(text), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError(f"the HTML cannot be parsed ({exc}); save the page again") from exc


def _xml_safe_utf8(text: str, utf8: bytes) -> bool:
    """Whether ``xml_safe`` leaves ``text`` (``utf8`` in UTF-8) as it is.

    The C0 controls are looked for in the bytes, where each is a byte of its own and
    ``in`` is a memchr; in a str holding Chinese (two bytes a character) it is not.
    U+FFFE and U+FFFF in the str, where ``in`` is free unless it holds characters
    beyond U+00FF.
    """
    return not any(c in utf8 for c in _CONTROL_BYTES) and not any(c in text for c in _NONCHARACTERS)


def _strip_furniture(root: Element) -> None:
    unwanted = [el for el in root.iter(*_DROP, etree.Comment, etree.ProcessingInstruction)]
    for element in unwanted:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the text that follows it


def page_meta(root: Element) -> dict[str, str]:
    """``<meta name|property=... content=...>`` of the page, first of each name, names lowered."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = clean_line(meta.get("content") or "")
        if name and content and name not in found:
            found[name] = content
    return found


def _meta_published(meta: dict[str, str]) -> str | None:
    for name in _META_DATES:
        if value := meta.get(name):
            try:
                moment: datetime | None = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None and (iso := in_beijing(moment)):
                return iso
            if found := find_date(value):
                return found.iso
    return None


def _url_date(url: str | None, profile: SiteProfile) -> str | None:
    parts = split_http(url)
    if parts is None:
        return None
    for pattern in profile.url_dates:
        if (match := pattern.search(parts.path)) and (found := find_date("-".join(match.groups()))):
            return found.iso
    return None


def parts_from_html(document: Document, profile: SiteProfile, lookup: PageLookup) -> Parts:
    """The page's parts; a field the profile's selectors miss comes from the page's meta
    tags, else from the generic extractor, and is named in ``Parts.warnings``.

    ``lookup`` holds the parsed page (``lookup.root``) and the layout check's lookups,
    which are reused.
    """
    root = lookup.root
    located = None
    if profile.locate_body:
        located = profile.locate_body(root)
        lookup.forget()  # it moves elements: earlier matches may be out of order
    _strip_furniture(root)
    meta = page_meta(root)
    warnings: list[str] = []
    # Browsers' saved-from comment and the canonical link come first (documents.py);
    # the 2017+ China Daily pages carry their address only in og:url.
    url = document.url or http_url(meta.get("og:url"))
    # trafilatura's reading of the page: made the first time a field needs it (it is
    # slow), then the same reading for every other.
    generic = cache(partial(read_generic, document.text, url))

    title_element = lookup.first(profile.title)
    title = _text(title_element) if title_element is not None else ""
    if not title and (title := meta.get("og:title", "")):
        warnings.append("title:meta")
    if not title and (title := generic().title or ""):
        warnings.append("title:generic")
    if not title:
        raise ExtractError(
            f"no title: none of {', '.join(profile.title)} holds text, and neither the "
            "page's meta tags nor the generic extractor give one"
        )

    byline = _byline(lookup, profile)
    line_meta = parse_meta(byline, dated=False) if byline else None
    published = line_meta.published if line_meta else None
    if published is None:
        if published := _meta_published(meta):
            warnings.append("published:meta")
        elif published := _url_date(url, profile):
            warnings.append("published:url")
        elif published := generic().published:
            warnings.append("published:generic")
        else:
            warnings.append("published:missing")
    source = line_meta.source if line_meta else None
    if source is None:
        source = meta.get("source")
        warnings.append("source:meta" if source else "source:missing")
    author = line_meta.author if line_meta else None
    if line_meta is None and not profile.meta_author_is_editor and (author := meta.get("author")):
        warnings.append("author:meta")

    body = located if located is not None else lookup.first(profile.body)
    pagination = lookup.first(profile.pagination)
    pages_expected = 1
    if pagination is not None and url:
        hrefs = [h for a in pagination.iter("a") if (h := join(url, a.get("href") or ""))]
        pages_expected = pages_linked(url, hrefs)
    if pagination is not None:
        pagination.drop_tree()  # "1 2 3 Next" is not article text
    if body is not None:
        for part in (title_element, lookup.first(profile.info)):
            if part is not None and part is not body and _inside(part, body):
                part.drop_tree()  # a layout that prints title and byline in the body cell
    blocks: list[Block] = list(_blocks(body, url)) if body is not None else []
    if not any(isinstance(b, str) for b in blocks):
        blocks = [
            line for line in generic().paragraphs if line != title and not is_breadcrumb(line)
        ]
        if not blocks:
            looked = ", ".join(profile.body)
            raise ExtractError(
                f"no article body: none of {looked} holds text, and the generic "
                "extractor finds none either"
            )
        warnings.append("body:generic")
    editor_line = lookup.first(profile.editor)
    if editor_line is not None and not (body is not None and _inside(editor_line, body)):
        blocks.extend(_lines(editor_line))  # the editor rule in layout takes it as metadata
    editor = meta.get("editor")
    if editor is None and profile.meta_author_is_editor:
        editor = meta.get("author")

    breadcrumb = lookup.first(profile.breadcrumb)
    section = None
    if breadcrumb is None and profile.breadcrumb:
        if section := meta.get("article:section"):
            warnings.append("section:meta")
        else:
            warnings.append("section:missing")
    footer = lookup.first(profile.footer)
    organizers = None
    if profile.organizer_items:
        items = [li for css in profile.organizer_items for li in lookup.all(css)]
        if items:
            organizers = [_text(li) for li in items]
            for li in items:
                li.drop_tree()
    return Parts(
        title=title,
        meta=Meta(published, source, author),
        body=_attach_captions(blocks),
        breadcrumb=_text(breadcrumb) if breadcrumb is not None else None,
        footer=_lines(footer) if footer is not None else [],
        organizers=organizers,
        pages_expected=pages_expected,
        url=url,
        editor=editor,
        section=section,
        warnings=tuple(warnings),
    )


def _byline(lookup: PageLookup, profile: SiteProfile) -> str:
    for css in profile.info:
        if found := lookup.all(css):
            chosen = found if profile.info_joined else found[:1]
            return clean_line(" ".join(_text(el) for el in chosen))
    return ""


def _inside(element: Element, container: Element) -> bool:
    return element is container or any(a is container for a in element.iterancestors())


_HTML_END = re.compile(r"</html", re.I)


def _refuse_truncated(text: str) -> None:
    if _opens_html(text) and not _closes_html(text, max(0, len(text) - 65536)):
        raise ExtractError(
            f"the HTML stops without closing </html> after {len(text)} characters: the page "
            "was saved or downloaded incompletely; save it again"
        )


def _opens_html(text: str) -> bool:
    """Whether ``<html`` (any case) is in the first 4 KB: the two usual spellings by
    find, the 4 KB copied and lowered only when neither is there."""
    return (
        text.find("<html", 0, 4096) >= 0
        or text.find("<HTML", 0, 4096) >= 0
        or "<html" in text[:4096].lower()
    )


def _closes_html(text: str, start: int) -> bool:
    """Whether ``</html`` (any case) begins at or after ``start``.

    The two usual spellings are looked for from the end, where they are, by rfind;
    the case-blind regex, which would read up to 64 KB, only when neither is there.
    """
    return (
        text.rfind("</html", start) >= 0
        or text.rfind("</HTML", start) >= 0
        or _HTML_END.search(text, start) is not None
    )


def _text(element: Element) -> str:
    """All the text under ``element``, pieces joined by a space (like get_text(" "))."""
    return clean_line(" ".join(element.itertext()))


def _unwrap(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def _lines(element: Element) -> list[str]:
    """Text lines of ``element``, one per block element or ``<br>``."""
    if not len(element):
        # The usual paragraph, text alone: its one line (clean_line takes the newlines
        # that _unwrap would make spaces for spaces itself).
        line = clean_line(element.text or "")
        return [line] if line else []
    pieces: list[str] = []

    def walk(node: Element) -> None:
        block = node.tag in _BLOCKS
        if block:
            pieces.append("\n")
        # A newline in the source is a space (the 2000s pages hard-wrap their paragraphs);
        # lines end only at block elements and <br>.
        if node.text:
            pieces.append(_unwrap(node.text))
        for child in node:
            walk(child)
            if child.tail:
                pieces.append(_unwrap(child.tail))
        if block:
            pieces.append("\n")

    walk(element)
    return [line for part in "".join(pieces).split("\n") if part and (line := clean_line(part))]


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
            text, credit = _nbsp_credit(caption) if caption is not None else ("", None)
            yield Figure(text, _image_src(img, base) if img is not None else None, credit)
        elif tag == "img":
            yield Figure("", _image_src(child, base))
        elif tag in _TEXT_BLOCKS:
            if len(child):  # a paragraph of text alone has no image to look for
                for img in child.iter("img"):
                    yield Figure("", _image_src(img, base))
            if _is_subhead(child) and (line := _text(child)):
                yield Subhead(line)
            else:
                yield from _lines(child)
        elif tag in _BLOCKS:
            yield from _blocks(child, base)
        elif tag is not None and (text := _text(child)):
            yield text
        if tail := clean_line(child.tail or ""):
            yield tail


def _is_subhead(element: Element) -> bool:
    """Whether a text block is a subhead: a heading below the title, or a short
    paragraph whose every piece of text is bold, with no sentence's end."""
    if element.tag in _SUBHEADINGS:
        return True
    if element.tag != "p" or len(element) != 1 or (element.text or "").strip():
        return False
    (bold,) = element
    if bold.tag not in ("strong", "b") or (bold.tail or "").strip():
        return False
    if any(child.tag == "br" for child in bold.iter()):
        return False  # lines of their own: a bold paragraph, not a heading
    text = _text(bold)
    return 0 < len(text) <= _SUBHEAD_MAX and not text.endswith(_SUBHEAD_END)


def _nbsp_credit(caption: Element) -> tuple[str, str | None]:
    """``Joggers run ... in December.&nbsp;LIU CHAOFU/FOR CHINA DAILY``: China Daily's
    2017+ figcaptions set the credit off with a no-break space alone, no brackets."""
    raw = " ".join(caption.itertext()).strip()
    before, nbsp, after = raw.rpartition("\u00a0")
    text, credit = clean_line(before), clean_line(after)
    if (
        nbsp
        and text.endswith(_SENTENCE_END)
        and credit
        and len(credit) <= _CREDIT_MAX
        and not credit.endswith(_SENTENCE_END)
    ):
        return text, credit
    return clean_line(raw), None


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
