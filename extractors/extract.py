"""One page in, one outcome out: an Extracted article or a Failed input, never an exception."""

from __future__ import annotations

from core.errors import ExtractError, NotFoundPageError, WicEtlError
from core.records import Article, Document, Extracted, Failed, Listed, Outcome, RawPage
from extractors.decoding import utf8_bytes
from extractors.discovery.listing import looks_like_listing, parse_listing
from extractors.documents import to_document
from extractors.fallback import extract_generic, extractor_name
from extractors.html_page import parse_html, parts_from_html
from extractors.layout import assemble
from extractors.lookup import PageLookup
from extractors.notfound import not_found_reason
from extractors.profiles import PROFILES, pick_profile
from extractors.text_page import parts_from_text

# Every extractor version that can produce a record: a page already extracted under
# this exact set is not extracted again.
RULESET = "+".join([*(p.extractor for p in PROFILES), extractor_name()])


def extract_document(document: Document, data: bytes | None = None) -> Article:
    """The article in a decoded page (raises ExtractError when there is none).

    ``data``: the raw bytes ``document`` was decoded from, if at hand; the HTML
    parser may read them instead of the text when they are its UTF-8.
    """
    if document.format != "html":
        profile = pick_profile(document)
        assert profile is not None  # a text save of no known site is refused there
        return assemble(parts_from_text(document, profile), profile, document)
    # Parsed once: the layout check and the parts share the tree and its CSS lookups.
    utf8 = utf8_bytes(data, document.text, document.encoding) if data is not None else None
    lookup = PageLookup(parse_html(document.text, utf8))
    # Before any layout is tried: an error page may have none, and the generic extractor
    # would make it an article titled "Page not found".
    if (reason := not_found_reason(document, lookup)) is not None:
        raise NotFoundPageError(
            f"the site's 'page not found' page, served as a page (a soft 404): {reason}; "
            "not an article"
        )
    profile = pick_profile(document, lookup)
    if profile is None:
        return extract_generic(document)
    return assemble(parts_from_html(document, profile, lookup), profile, document)


def extract_page(page: RawPage) -> Outcome:
    """Raw bytes to an Extracted, Listed or Failed outcome; raises only MemoryError."""
    document = None
    try:
        document = to_document(page)
        if looks_like_listing(document) and (listing := parse_listing(document)) is not None:
            return Listed(page, document, listing)
        return Extracted(page, document, extract_document(document, page.data))
    except WicEtlError as exc:
        error: Exception = exc
    except RecursionError:
        error = ExtractError("the page nests its markup too deeply to parse")
    except MemoryError:
        raise  # the process's memory cap, not the page's fault alone: its caller decides
    except Exception as exc:  # a bug of ours must not stop the run or lose the page
        error = ExtractError(
            f"unexpected {type(exc).__name__}: {exc}. This is a wic-etl bug: "
            "report it with the page attached"
        )
    return Failed.from_error(page.source, error, page, document)
