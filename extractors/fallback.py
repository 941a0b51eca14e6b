"""Pages from hosts no site profile knows: trafilatura's generic extraction.

The record says so (``extractor`` = ``trafilatura/VERSION``): its fields are a
best effort, without organizers, sections or removed-boilerplate rows.
"""

from __future__ import annotations

from extractors.layout import article_id, canonical_url, clean_line, language_of
from extractors.records import Article, Document
from extractors.urls import host_of
from wic_etl.errors import ExtractError


def extractor_name() -> str:
    from importlib.metadata import version

    return f"trafilatura/{version('trafilatura')}"


def extract_generic(document: Document) -> Article:
    import trafilatura  # imported here: only pages of unknown hosts need it

    result = trafilatura.bare_extraction(
        document.text,
        url=document.url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    text = getattr(result, "text", None) if result is not None else None
    title = clean_line(getattr(result, "title", None) or "")
    if not text or not title:
        what = "no article text" if not text else "no title"
        raise ExtractError(
            f"unknown layout: the page is from no site with a profile, and the generic "
            f"extractor (trafilatura) found {what} in it"
        )
    url = canonical_url(document.url)
    host = host_of(url) or ""
    site = host.removeprefix("www.") or "unknown"
    paragraphs = tuple(p for p in map(clean_line, text.split("\n")) if p)
    published = getattr(result, "date", None)
    return Article(
        id=article_id(url, site, title, published),
        url=url,
        site=site,
        language=language_of(title + " " + " ".join(paragraphs)),
        section=None,
        title=title,
        author=None,  # trafilatura guesses authors from bylines too loosely ("Posted")
        editor=None,
        source=getattr(result, "sitename", None) or site,
        published=published,
        paragraphs=paragraphs,
        extractor=extractor_name(),
    )
