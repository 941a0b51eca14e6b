"""trafilatura's generic extraction: whole pages of unknown hosts, and single fields of
known pages whose selectors found nothing.

A page of a host no profile knows is extracted by it entirely, and the record
says so (``extractor`` = ``trafilatura/VERSION``): its fields are a best effort,
without organizers, sections or removed-boilerplate rows. A known page takes from
it only the fields its profile and its meta tags could not give, and lists them
in the article's warnings (``title:generic``, ``body:generic``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import ExtractError
from core.records import Article, Document
from core.urls import canonical_url, host_of
from extractors.layout import article_id, clean_line, language_of


def extractor_name() -> str:
    """The generic extractor's name and version, as ``articles.extractor`` records it."""
    from importlib.metadata import version

    return f"trafilatura/{version('trafilatura')}"


@dataclass(frozen=True)
class GenericReading:
    """What the generic extractor (trafilatura) read of a page."""

    title: str | None
    paragraphs: tuple[str, ...]
    published: str | None
    sitename: str | None


def read_generic(html: str, url: str | None) -> GenericReading:
    """trafilatura's reading of a page (tables included), or None."""
    import trafilatura  # imported here: most pages never need it

    result: Any = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        # Older layouts (the 2000s China Daily pages) set the article in a table cell.
        include_tables=True,
        favor_precision=True,
    )
    text = getattr(result, "text", None) or ""
    return GenericReading(
        title=clean_line(getattr(result, "title", None) or "") or None,
        paragraphs=tuple(p for p in map(clean_line, text.split("\n")) if p),
        published=getattr(result, "date", None) or None,
        sitename=getattr(result, "sitename", None) or None,
    )


def extract_generic(document: Document) -> Article:
    """An article from trafilatura alone, for a page of no known site."""
    reading = read_generic(document.text, document.url)
    title = reading.title
    if not reading.paragraphs or not title:
        what = "no article text" if not reading.paragraphs else "no title"
        raise ExtractError(
            f"unknown layout: the page is from no site with a profile, and the generic "
            f"extractor (trafilatura) found {what} in it"
        )
    url = canonical_url(document.url)
    host = host_of(url) or ""
    site = host.removeprefix("www.") or "unknown"
    paragraphs = reading.paragraphs
    return Article(
        id=article_id(url, site, title, reading.published),
        url=url,
        site=site,
        language=language_of(title + " " + " ".join(paragraphs)),
        section=None,
        title=title,
        author=None,  # trafilatura guesses authors from bylines too loosely ("Posted")
        editor=None,
        source=reading.sitename or site,
        published=reading.published,
        paragraphs=paragraphs,
        extractor=extractor_name(),
    )
