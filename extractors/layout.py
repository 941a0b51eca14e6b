"""From the located parts of a page to an Article: the rules both save formats share.

A format engine (``text_page``, ``html_page``) finds where the title, byline,
body and footer are; this module decides what each line is: paragraph, image
caption, organizer, or boilerplate of some kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.errors import ExtractError
from core.records import Article, Document, Image, RemovedLine, sha256_hex
from core.stitch import split_page_url
from core.urls import canonical_url
from extractors.boilerplate import split_boilerplate
from extractors.metaline import Meta
from extractors.profiles.base import SiteProfile


@dataclass(frozen=True)
class Figure:
    """An image in the body: its caption text as printed (credit included) and its address."""

    caption: str
    src: str | None = None
    credit: str | None = None  # when the markup sets it apart (else parsed from the caption)


class Subhead(str):
    """A body line the page sets as a heading: an ``<h2>``-``<h6>``, or a paragraph all
    of whose text is bold (``<strong>``, ``<b>``), as Chinese pages mark their subheads."""


Block = str | Figure  # a Subhead is a str: every rule for lines applies to it alike


@dataclass(frozen=True)
class Parts:
    """The parts a profile located on a page, before the shared rules assemble them."""

    title: str
    meta: Meta
    body: list[Block]  # text lines as clean_line leaves them (each engine cleans its own)
    head: list[str] = field(default_factory=list)  # site furniture above the title
    breadcrumb: str | None = None
    footer: list[str] = field(default_factory=list)
    organizers: list[str] | None = None  # None: find them among the footer lines
    pages_expected: int = 1  # from the page's pagination links
    url: str | None = None  # an address found in the page (og:url), when the document had none
    editor: str | None = None  # from meta tags; an editor line in the body wins
    section: str | None = None  # from meta tags, for a page with no breadcrumb
    # Fields the profile could not find where it declares them: "FIELD:meta",
    # "FIELD:generic" (trafilatura) or "FIELD:missing".
    warnings: tuple[str, ...] = ()


_CAPTION = re.compile(
    r"^(?P<caption>.*?)\s*[\[【](?P<credit>(?:Photo|Photos|Image|Video|图|图片|摄影)[^\]】]{0,80})[\]】]$",
    re.I,
)
# Lines reach these patterns through clean_line (one space between words), and none
# lets two neighbouring parts match the same blanks, so each stays linear in the line.
_CREDIT_PREFIX = re.compile(r"^(?:Photos?|Image|Video|图片?|摄影)\s*(?:(?:/|by\b|:|：)\s*)?", re.I)
_BREADCRUMB = re.compile(r"^(?:Home|首页)\s*(?:>|›|»|/|＞|→)", re.I)
_CRUMB_SPLIT = re.compile(r"\s*(?:>|›|»|/|＞|→)\s*")
_EDITOR = re.compile(
    r"^[\[【(（]?\s*(?P<label>Editor|责任编辑|编辑)\s*[:：]\s*(?P<v>[^\]】)）]+?)\s*[\]】)）]?$",
    re.I,
)
# 责任编辑 (the editor in charge) names one person; a （编辑：…） line may list several.
_EDITOR_RANK = {"责任编辑": 2}
_SENTENCE_END = tuple('.!?;,:"”’。！？；，：…')
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")  # what _LETTER matches of ASCII


def clean_line(text: str) -> str:
    """A line with its spaces collapsed and trimmed."""
    # Most lines come clean already (a page's lines are cleaned once where they are
    # found, then again where they are used). isprintable is False for every character
    # split() splits at but the ASCII space, and for the two below: a printable line
    # with no doubled, leading or trailing space is its own result, told in one pass
    # rather than split into words and joined again.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    # str.split() knows every Unicode space (NBSP, ideographic space) but not these two.
    return " ".join(text.replace("\u200b", " ").replace("\ufeff", " ").split())


def is_breadcrumb(line: str) -> bool:
    """Whether a line is a breadcrumb (``Home > News``)."""
    return bool(_BREADCRUMB.match(line))


def is_name_like(line: str) -> bool:
    """A short label (organization, menu entry), not a sentence."""
    return (
        len(line) <= 100
        and len(line.split()) <= 14
        and not line.endswith(_SENTENCE_END)
        and ":" not in line  # labels (Editor:, 责任编辑：) are metadata, never names
        and "：" not in line
        and not parse_caption(line)
    )


def parse_caption(text: str) -> tuple[str, str | None] | None:
    """A caption and its credit (``[Photo/IC]`` -> ``IC``), or None if not a caption."""
    if not text.endswith(("]", "】")):
        return None  # most lines: skip the regex, which scans the whole line
    match = _CAPTION.match(text)
    if not match:
        return None
    credit = _CREDIT_PREFIX.sub("", match["credit"]).strip() or None
    return match["caption"].strip(), credit


def find_tail_start(lines: list[str], profile: SiteProfile) -> int:
    """Index where the page's footer begins: boilerplate, and the short lines among it."""
    start = len(lines)
    saw_boilerplate = False
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if split_boilerplate(line):
            saw_boilerplate = True
        elif not (is_name_like(line) or _matches(profile.navigation, line)):
            break
        start = index
    # No boilerplate at the end: the save stops at the article, and its last short
    # lines are the article's own.
    return start if saw_boilerplate else len(lines)


def _matches(patterns: tuple[re.Pattern[str], ...], line: str) -> bool:
    return any(p.search(line) for p in patterns)


def article_id(url: str | None, site: str, title: str, published: str | None) -> str:
    """16 hex characters: of the canonical URL, or of site + title + date."""
    if url:
        # http and https copies of one address are one article.
        key = "url:" + url.split("://", 1)[1]
    else:
        key = f"page:{site}|{title}|{(published or '')[:10]}"
    return sha256_hex(key)[:16]


def language_of(text: str) -> str:
    """'zh' or 'en', from the share of Han characters."""
    sample = text[:4000]  # enough to tell, and a long article costs no more
    if sample.isascii():  # O(1) in CPython: no CJK, so any letter makes it English
        return "en" if _ASCII_LETTER.search(sample) else "und"
    letters = len(_LETTER.findall(sample))
    if not letters:
        return "und"
    return "zh" if len(_CJK.findall(sample)) / letters > 0.3 else "en"


def _removed(line: str, kind: str) -> tuple[RemovedLine, ...]:
    return split_boilerplate(line) or (RemovedLine(kind, line),)


def assemble(parts: Parts, profile: SiteProfile, document: Document) -> Article:
    """The Article from a page's parts: body, boilerplate, organizers, images."""
    title = clean_line(parts.title)
    if not title:
        raise ExtractError("the page has no title; is it an article page?")
    removed: list[RemovedLine] = []
    for line in parts.head:
        removed.extend(_removed(line, "navigation"))
    section = parts.section
    if parts.breadcrumb:
        crumbs = [c for c in _CRUMB_SPLIT.split(clean_line(parts.breadcrumb)) if c]
        section = crumbs[-1] if len(crumbs) > 1 else None
        removed.append(RemovedLine("navigation", clean_line(parts.breadcrumb)))

    paragraphs: list[str] = []
    subheads: list[str] = []
    images: list[Image] = []
    editor, editor_rank = None, -1
    for block in parts.body:
        if isinstance(block, Figure):
            caption = clean_line(block.caption)
            text, credit = parse_caption(caption) or (caption, block.credit)
            images.append(Image(len(images) + 1, text, credit, block.src))
            continue
        line = block  # clean already: see Parts.body
        if not line:
            continue
        if caption_credit := parse_caption(line):
            images.append(Image(len(images) + 1, caption_credit[0], caption_credit[1], None))
        elif match := _EDITOR.match(line):
            if (rank := _EDITOR_RANK.get(match["label"], 1)) >= editor_rank:
                editor, editor_rank = match["v"].strip(), rank
            removed.append(RemovedLine("editor", line))
        elif pieces := split_boilerplate(line):
            removed.extend(pieces)
        elif _matches(profile.navigation, line):
            removed.append(RemovedLine("navigation", line))
        else:
            paragraphs.append(str(line))
            if isinstance(line, Subhead):
                subheads.append(str(line))
    if not paragraphs:
        raise ExtractError(
            f"no article text between the byline and the footer of {title!r}; "
            "the page may be a listing, a video page, or saved before it finished loading"
        )

    organizers = [line for o in parts.organizers or [] if (line := clean_line(o))]
    footer = [line for raw in parts.footer if (line := clean_line(raw))]
    if parts.organizers is None and profile.footer_block == "organizers":
        first_boilerplate = next(
            (i for i, line in enumerate(footer) if split_boilerplate(line)), len(footer)
        )
        start = first_boilerplate
        while start > 0 and is_name_like(footer[start - 1]):
            start -= 1
        organizers = footer[start:first_boilerplate]
        footer = footer[:start] + footer[first_boilerplate:]
    for line in footer:
        removed.extend(_removed(line, "navigation"))

    url = canonical_url(document.url or parts.url)
    page_number = 1
    if url:
        url, page_number = split_page_url(url)  # every page of an article has one id
    return Article(
        id=article_id(url, profile.site, title, parts.meta.published),
        url=url,
        site=profile.site,
        language=language_of(title + " " + " ".join(paragraphs)),
        section=section,
        title=title,
        author=parts.meta.author,
        editor=editor or parts.editor,
        source=parts.meta.source,
        published=parts.meta.published,
        paragraphs=tuple(paragraphs),
        extractor=profile.extractor,
        images=tuple(images),
        organizers=tuple(dict.fromkeys(organizers)),
        removed=tuple(removed),
        page_number=page_number,
        pages_expected=max(parts.pages_expected, page_number),
        warnings=parts.warnings,
        subheads=tuple(subheads),
    )
