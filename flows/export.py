"""Exports: read the Store and the crawl's WARC folder, feed the WACZ and JSONL writers.

No Prefect here: an export is one read of the database and the files, run by the
command in its own process, with nothing to retry or schedule.

The WACZ takes, for the chosen articles (``--since``, ``--site``):

- the crawl's WARC records (``<db folder>/<db stem>-warc/*.warc.gz``) of those days
  and that site;
- every page of those articles that no kept WARC response record became (by
  ``warc_records``: pages read from saved files; fetched pages stored before WARCs
  were written, whatever was captured at their address since) as a ``resource``
  record of the bytes as read, at the page's address, or at ``urn:wic-etl:page:<sha256>``
  where the page has no address, with a metadata record of where they came from;
- kept image files of those articles that no WARC record captured, the same way;
- a pages list line per article: its address (the page's ``urn:`` where it has none),
  the time of its capture, title and text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

from loaders.store import Store
from writers.jsonl import write_jsonl
from writers.wacz import (
    PageEntry,
    RecordFilter,
    Resource,
    WaczSummary,
    WarcReadError,
    select_records,
    write_wacz,
)
from writers.warc import warc_folder

RAW_CHUNK = 50  # pages' bytes read at a time: a page can be megabytes
ARTICLE_CHUNK = 200  # articles whose pages and images are looked up at a time
URN_PREFIX = "urn:wic-etl:page:"
CONTENT_TYPES = {"html": "text/html", "text": "text/plain", "mhtml": "multipart/related"}


def software() -> str:
    try:
        return f"wic-etl {version('wic-etl')}"
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "wic-etl"


def warc_files(folder: Path) -> list[Path]:
    """The WARC files of a folder, oldest name first (their names start with the time)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith((".warc.gz", ".warc")))


@dataclass(frozen=True)
class ExportCounts:
    articles: int
    summary: WaczSummary | None = None


def _since_time(since: date | None) -> datetime | None:
    return datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None


def page_target(page: dict[str, object]) -> str:
    """The address a page's resource record gets: its own, or a ``urn:`` of its digest."""
    url = page.get("url")
    return str(url) if url else f"{URN_PREFIX}{page['sha256']}"


def _content_type(page: dict[str, object]) -> str:
    stored = page.get("content_type")
    if stored:
        return str(stored)
    kind = CONTENT_TYPES.get(str(page.get("format") or ""), "application/octet-stream")
    encoding = page.get("encoding")
    return f"{kind}; charset={encoding}" if encoding and kind.startswith("text/") else kind


def _provenance(page: dict[str, object]) -> tuple[tuple[str, str], ...]:
    fields: list[tuple[str, str]] = [("via", f"{software()} export")]
    fetched = page.get("http_status") is not None
    fields.append(("fetched-from" if fetched else "saved-file", str(page.get("source") or "")))
    for name, key in (
        ("format", "format"),
        ("encoding", "encoding"),
        ("read-at", "read_at"),
        ("http-status", "http_status"),
        ("page-sha256", "sha256"),
        ("article-id", "article_id"),
    ):
        if page.get(key) is not None:
            fields.append((name, str(page[key])))
    mtime = page.get("file_mtime_ns")
    if isinstance(mtime, int):
        fields.append(("file-modified", datetime.fromtimestamp(mtime / 1e9, UTC).isoformat()))
    headers = page.get("headers")
    if headers:
        fields.append(("http-headers", str(headers)))
    if page.get("url") is None:
        fields.append(("note", "no address known: the record's address is its digest"))
    return tuple(fields)


def _page_resources(
    store: Store, pages: Sequence[dict[str, object]], archived: set[str]
) -> Iterator[Resource]:
    # A fetched page whose response is in the kept WARC records is there already, as it
    # came over the wire. Told by its bytes, not its address: another capture of the
    # address (a later version, a 304's revisit, a 404) is not this page.
    wanted = [p for p in pages if p["sha256"] not in archived]
    for start in range(0, len(wanted), RAW_CHUNK):
        chunk = wanted[start : start + RAW_CHUNK]
        raw = {
            page.sha256: page.data
            for page in store.stored_raw_pages([str(p["sha256"]) for p in chunk])
        }
        for page in chunk:
            data = raw.get(str(page["sha256"]))
            if data is None:
                continue  # a page without its bytes (never happens to a stored page)
            yield Resource(
                page_target(page),
                data,
                _content_type(page),
                str(page.get("read_at") or ""),
                _provenance(page),
            )


def _image_resources(images: Sequence[dict[str, object]], captured: set[str]) -> Iterator[Resource]:
    for image in images:
        url = str(image.get("url") or f"urn:wic-etl:image:{image['sha256']}")
        data = image.get("data")
        if url in captured or not isinstance(data, bytes):
            continue
        yield Resource(
            url,
            data,
            str(image.get("content_type") or "application/octet-stream"),
            str(image.get("read_at") or ""),
            (
                ("via", f"{software()} export"),
                ("image-sha256", str(image["sha256"])),
                ("article-id", str(image.get("article_id") or "")),
                # Where wic-etl read the bytes: the address fetched, a file, archive#address.
                ("image-source", str(image.get("source") or "")),
            ),
        )


def _page_entries(
    articles: Iterator[dict[str, object]], pages: Sequence[dict[str, object]]
) -> Iterator[PageEntry]:
    first_page: dict[str, dict[str, object]] = {}
    for stored in pages:
        first_page.setdefault(str(stored["article_id"]), stored)
    by_sha = {str(p["sha256"]): p for p in pages}
    for article in articles:
        # The page its record was extracted from, where it is in this export: a fetched
        # page's address may not be the article's canonical one.
        own = by_sha.get(str(article.get("page_sha256")))
        page = own or first_page.get(str(article["id"]))
        if page is None:
            continue  # none of its pages is in this export (read before --since)
        url = page_target(own) if own else str(article.get("url") or page_target(page))
        yield PageEntry(str(article["id"]), str(url), str(article["title"]), str(article["body"]))


def export_wacz(
    db_path: str, out: Path, since: date | None = None, site: str | None = None
) -> ExportCounts:
    """Write the WACZ of the articles (of ``site``, read since ``since``) and their captures."""
    what = f" of {site}" if site else ""
    when = f" read since {since.isoformat()}" if since else ""
    with Store.open_read_only(db_path) as store:
        ids = store.export_article_ids(since, site)
        # An article's images come with it, fetched on whatever day, from whatever host
        # (a site's images are often on another's servers).
        images = store.export_image_addresses(ids) if since or site else set()
        selection = select_records(
            warc_files(warc_folder(db_path)),
            RecordFilter(_since_time(since), site, frozenset(images)),
        )
        captured = set(selection.captured())
        archived = store.export_archived_pages(selection.responses())
        # Read while written, a chunk of articles at a time: an archive of millions of
        # pages is never in memory. The resources are written first, then the pages list.
        summary = write_wacz(
            out,
            selection,
            _resources(store, ids, since, archived, captured),
            _entries(store, ids, since),
            title=f"wic-etl archive{what}",
            software=software(),
            description=f"Articles{what}{when} from {Path(db_path).name}, with their captures.",
        )
    return ExportCounts(summary.pages, summary)


def _id_chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), ARTICLE_CHUNK):
        yield ids[start : start + ARTICLE_CHUNK]


def _resources(
    store: Store, ids: Sequence[str], since: date | None, archived: set[str], captured: set[str]
) -> Iterator[Resource]:
    for chunk in _id_chunks(ids):
        yield from _page_resources(store, store.export_pages(chunk, since), archived)
        yield from _image_resources(store.export_images(chunk), captured)


def _entries(store: Store, ids: Sequence[str], since: date | None) -> Iterator[PageEntry]:
    for chunk in _id_chunks(ids):
        yield from _page_entries(store.export_articles(chunk), store.export_pages(chunk, since))


def stored_sites(db_path: str) -> list[str]:
    """The sites the database holds articles of."""
    with Store.open_read_only(db_path) as store:
        return store.stored_sites()


def export_jsonl(
    db_path: str, out: TextIO, since: date | None = None, site: str | None = None
) -> ExportCounts:
    """Write the articles (of ``site``, read since ``since``) one a line to ``out``."""
    with Store.open_read_only(db_path) as store:
        ids = store.export_article_ids(since, site)
        return ExportCounts(write_jsonl(store.export_articles(ids), out))


__all__ = ["ExportCounts", "WarcReadError", "export_jsonl", "export_wacz", "warc_folder"]
