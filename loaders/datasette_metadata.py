"""What Datasette shows: titles, descriptions of every table and column, facets, canned queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ARTICLE_COLUMNS = {
    "id": "Stable id: 16 hex characters of a SHA-256 of the canonical URL (or site + title + date)",
    "url": "Canonical address of the article (its first page)",
    "site": "Host family the page came from (the known sites are filled in by metadata())",
    "language": "en or zh, from the article's letters",
    "section": "Last item of the page's breadcrumb",
    "title": "Headline",
    "author": "Byline author (By NAME / 作者：)",
    "editor": "Editor line (责任编辑：/ Editor:), kept out of the body",
    "source": "Who wrote it, from the byline (chinadaily.com.cn, Xinhua, 新华网 ...)",
    "published": "ISO 8601, Beijing time (+08:00) where the page gives a time",
    "published_year": "Year of publication, for faceting",
    "body": "Article text, paragraphs separated by one blank line",
    "word_count": "Words, each Han character counting as one",
    "content_sha256": "SHA-256 of body",
    "record_sha256": "SHA-256 of the whole extracted record; changes mean an update",
    "extractor": "Site profile (or trafilatura) and version that made the record",
    "page_sha256": "The raw page this record was last extracted from",
    "first_run": "Run that first stored the article",
    "last_changed_run": "Run that last changed it",
    "page_count": "Pages stitched into the article",
    "pages_expected": "Pages its pagination announces",
    "fingerprint": "Hash of the body without case, spacing or punctuation: same story, same value",
    "duplicate_of": "For a later copy of a story (syndication), the id of its first copy",
    "version": "The version of the article this row shows (article_versions): the latest, "
    "or an earlier one the site went back to",
    "removed_at": "When the site was found to have taken the article down (null: it has not)",
}

TABLES: dict[str, dict[str, Any]] = {
    "articles": {
        "description": "One row per article; multi-page articles are stitched into one",
        "columns": ARTICLE_COLUMNS,
        "facets": ["site", "section", "language", "published_year"],
        "sort_desc": "published",
        # Each row is 26 columns: drawing 100 of them took 150 ms of the page's 250 ms,
        # whatever the archive's size; 50 rows a page is still more than a screen.
        "size": 50,
        # Segmented for Chinese (loaders/search.py); its rowid is the article's rowid,
        # Datasette's default fts_pk. Escaped search mode (the default): the plugin's
        # escape_fts is what segments the query.
        "fts_table": "articles_search",
        "fts_pk": "rowid",
    },
    "articles_with_organizers": {
        "description": "Articles with the organizers listed on their pages, in page order",
        "columns": {"organizers": "JSON array of organizer names, in page order"},
        "facets": ["site", "published_year", {"array": "organizers"}],
        "sort_desc": "published",
    },
    "images": {
        "description": "Images of an article, with caption and credit",
        "columns": {
            "article_id": "The article", "position": "Order on the page, from 1",
            "src": "Image address (a browser's *_files/ path is kept as saved)",
            "caption": "Caption text without its credit", "credit": "[Photo/IC] gives IC",
            "sha256": "The image kept in the archive (image_files); empty: not kept",
            "content_type": "Its type, as its bytes show", "size": "Its size in bytes",
        },
    },
    "image_files": {
        "description": "Images of articles kept in the archive, one row per distinct image, "
        "bytes as they came; an article's page shows them from here",
        "columns": {
            "sha256": "SHA-256 of the bytes", "content_type": "Type the bytes show",
            "size": "Bytes", "url": "Address first kept from (or a saved page's _files/ path)",
            "source": "Where the bytes were read: address fetched, file, or archive#address",
            "first_run": "Run that kept it", "data": "The bytes",
        },
    },
    "organizers": {
        "description": "Organisations listed as organizers on WIC pages",
        "columns": {"name": "Name as printed"},
    },
    "article_organizers": {
        "description": "Which organizers each article's page lists, in page order",
        "columns": {"position": "Order on the page, from 1"},
    },
    "removed_lines": {
        "description": "Boilerplate stripped from each article's page, piece by piece",
        "columns": {
            "kind": "navigation, copyright, icp, licence, contact, notice or editor",
            "text": "The piece as printed",
        },
        "facets": ["kind"],
    },
    "pages": {
        "description": "Every distinct raw document read, with its bytes (raw) for re-extraction",
        "columns": {
            "sha256": "SHA-256 of the raw bytes", "source": "Path or archive#url first read from",
            "status": "ok, failed or listing", "encoding": "Encoding used to decode it",
            "ruleset": "Extractor versions that produced the status",
            "raw": "The bytes as stored (compressed): the link downloads the original bytes",
            "compression": "zstd, or empty for bytes stored as they came",
            "dictionary_id": "The raw_dictionaries row it was compressed with",
            "base_sha256": "Stored as a delta of this page (another version of its address)",
        },
        "facets": ["status", "format", "encoding"],
    },
    "raw_dictionaries": {
        "description": "zstd dictionaries of the raw store, one or more per site and layout; "
        "never changed once made, so every page stays readable",
        "columns": {
            "layout": "Extractor profile of the pages' articles (none: pages with no article)",
            "samples": "Pages it was made from", "size": "Bytes",
        },
    },
    "article_parts": {"description": "Each page of a multi-page article, as extracted"},
    "article_versions": {
        "description": "Every distinct extracted record of each article over time: what the "
        "site said, edit by edit (articles shows one of them)",
        "columns": {
            "version": "1, 2, 3 in the order first seen",
            "change": "first; edited; minor (only spacing, punctuation or the time line "
            "moved); restored (back to an earlier version but for minor differences)",
            "previous_version": "The version the article showed when this one was first seen",
            "origin": "load; migration (the article's row when versions began); kept page "
            "(a page kept from before then, made a version by wic-etl reextract)",
            "run_id": "Run that first saw it", "seen_at": "When first seen",
            "last_seen_at": "Last load of a page that gave this record",
            "record_sha256": "SHA-256 of the whole extracted record",
            "page_sha256": "The page whose load made this version",
            "page_sha256s": "JSON: page number -> SHA-256 of each page stitched into it",
        },
        "facets": ["change", "origin"],
        "sort_desc": "seen_at",
    },
    "article_events": {
        "description": "What happened to articles: edited, removed (404/410, a redirect "
        "to a home or section page, a soft 404), restored, moved",
        "columns": {
            "at": "When it was seen", "kind": "edited, removed, restored or moved",
            "http_status": "The HTTP status of the page, where fetched",
            "url": "The address it was seen at", "detail": "Which fields changed, why, where to",
            "version": "The version an edit or a restoration shows",
        },
        "facets": ["kind"],
        "sort_desc": "at",
    },
    "part_records": {"description": "Each page of a multi-page article as extracted, by its "
                     "bytes: what any version is stitched from again"},
    "unversioned_pages": {"description": "Pages kept from before versions were recorded, "
                          "not yet made into versions: wic-etl reextract does it"},
    "listing_links": {"description": "Links found on section listing pages, for discovery"},
    "article_checks": {
        "description": "Each article's last re-check and when it is due again (wic-etl recheck)",
        "columns": {
            "url": "Where its first page is fetched from; null: never re-checked (no address)",
            "changed_at": "When it last changed: a new version or an event",
            "checked_at": "When it was last looked at",
            "due_at": "When it is due again, from the re-check ladder",
            "outcome": "What the last re-check found: not-modified, fetched, removed, moved, "
            "failed",
        },
        "facets": ["outcome", "http_status"],
        "sort": "due_at",
    },
    "recheck_schedule": {"description": "The re-check ladder the due times were worked out with"},
    "warc_records": {
        "description": "Each record of the crawl's WARC files (beside the database, in "
        "<db stem>-warc/): where it is, what it holds",
        "columns": {
            "offset": "Where its gzip member begins in the file",
            "payload_digest": "WARC-Payload-Digest: a later identical answer is a revisit of it",
            "page_sha256": "The page (pages.sha256) the answer became",
        },
        "facets": ["record_type", "status"],
    },
    "runs": {
        "description": "One row per pipeline run (the Prefect flow run id)",
        "sort_desc": "started",
    },
    "_sqlite_migrations": {"hidden": True},  # sqlite-utils' record of the schema's migrations
    "failures": {
        "description": "Inputs that did not become an article, with the reason, per run",
        "columns": {"stage": "read, decode, extract or load", "message": "What went wrong"},
        "facets": ["stage", "error_class"],
    },
}  # fmt: skip

QUERIES = {
    "latest_articles": {
        "title": "Latest articles",
        "sql": "select id, published, site, section, title, source, author from articles "
        "order by published desc limit 50",
    },
    "articles_by_organizer": {
        "title": "Articles by organizer",
        "sql": "select a.id, a.published, a.site, a.title from articles a "
        "join article_organizers ao on ao.article_id = a.id "
        "join organizers o on o.id = ao.organizer_id where o.name = :organizer "
        "order by a.published desc",
    },
    "removed_by_kind": {
        "title": "Removed boilerplate by kind",
        "sql": "select kind, text, count(*) as pieces, count(distinct article_id) as articles "
        "from removed_lines where kind = :kind group by kind, text order by pieces desc",
    },
    "recent_changes": {
        "title": "Recent changes",
        "sql": "select e.at, e.kind, e.detail, e.version, a.title, e.url, e.article_id "
        "from article_events e join articles a on a.id = e.article_id "
        "order by e.at desc, e.id desc limit 100",
    },
    "failures_of_the_last_run": {
        "title": "Failures of the last run",
        "sql": "select source, stage, error_class, message from failures "
        "where run_id = (select id from runs order by started desc, rowid desc limit 1) "
        "order by id",
    },
}


def metadata(database: str, sites: Sequence[str]) -> dict[str, Any]:
    """Datasette metadata for a wic-etl database served under the name ``database``.

    ``sites`` are the sites wic-etl has profiles for (the flow or command reads them
    from the site profiles: the loaders do not know them).
    """
    known = ", ".join(sites)
    site = f"Host family the page came from: {known}, or another host"
    articles = {**TABLES["articles"], "columns": {**ARTICLE_COLUMNS, "site": site}}
    tables = {**TABLES, "articles": articles}
    return {
        "title": "wic-etl: China Daily and World Internet Conference articles",
        "description": f"Articles extracted from {' and '.join(sites)} pages: "
        "clean text, bylines, images, organizers, and the boilerplate removed from each page.",
        "source": f"Web pages of {known}",
        "license": "Article text and images belong to their publishers (China Daily "
        "Information Co, the World Internet Conference); for research and reference only",
        "databases": {database: {"tables": tables, "queries": QUERIES}},
    }
