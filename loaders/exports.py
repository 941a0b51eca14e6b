"""What the exports read: articles with everything hung on them, their pages and images.

Plain rows (dicts), read in the database's own order; the flow turns them into what
a writer takes. ``since`` and ``site`` pick the articles: of that site (host family),
with a page read or fetched on or after that day (UTC), the day a WARC record of the
same fetch is dated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date

from sqlite_utils import Database

CHUNK = 500  # well under SQLite's bound on parameters


def _has_table(db: Database, name: str) -> bool:
    return (
        db.execute(
            "select 1 from sqlite_master where type = 'table' and name = ?", [name]
        ).fetchone()
        is not None
    )


def _rows(db: Database, sql: str, params: Sequence[object]) -> list[dict[str, object]]:
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _chunks(ids: Sequence[str]) -> Iterator[tuple[list[str], str]]:
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        yield chunk, ",".join("?" * len(chunk))


def article_ids(db: Database, since: date | None = None, site: str | None = None) -> list[str]:
    """The articles an export takes, oldest first (the order they were stored)."""
    where, params = [], []
    if site is not None:
        where.append("a.site = ?")
        params.append(site)
    if since is not None:
        where.append("exists (select 1 from pages p where p.article_id = a.id and p.read_at >= ?)")
        params.append(since.isoformat())
    sql = "select a.id from articles a" + (f" where {' and '.join(where)}" if where else "")
    return [row[0] for row in db.execute(sql + " order by a.rowid", params).fetchall()]


def _grouped(
    db: Database, table: str, ids: list[str], marks: str, order: str, drop: str = "article_id"
) -> dict[str, list[dict[str, object]]]:
    grouped: dict[str, list[dict[str, object]]] = {}
    for row in _rows(db, f"select * from {table} where article_id in ({marks}) order by {order}",
                     ids):  # fmt: skip
        key = str(row.pop(drop))
        grouped.setdefault(key, []).append(row)
    return grouped


def articles_with_children(db: Database, ids: Sequence[str]) -> Iterator[dict[str, object]]:
    """Each article's row, every column, with its ``images``, ``organizers``,
    ``removed_lines`` and (where the table exists) ``versions``; ``warnings`` and
    ``subheads`` as lists."""
    versions = _has_table(db, "article_versions")
    for chunk, marks in _chunks(ids):
        rows = {
            str(row["id"]): row
            for row in _rows(db, f"select * from articles where id in ({marks})", chunk)
        }
        images = _grouped(db, "images", chunk, marks, "article_id, position")
        removed = _grouped(db, "removed_lines", chunk, marks, "article_id, position")
        organizers: dict[str, list[dict[str, object]]] = {}
        for row in _rows(
            db,
            "select ao.article_id, ao.position, o.id, o.name from article_organizers ao "
            f"join organizers o on o.id = ao.organizer_id where ao.article_id in ({marks}) "
            "order by ao.article_id, ao.position",
            chunk,
        ):
            organizers.setdefault(str(row.pop("article_id")), []).append(row)
        kept = (
            _grouped(db, "article_versions", chunk, marks, "article_id, version")
            if versions
            else {}
        )
        for article_id in chunk:
            row = rows[article_id]
            for column in ("warnings", "subheads"):
                if isinstance(row.get(column), str):
                    row[column] = json.loads(str(row[column]))
            row["images"] = images.get(article_id, [])
            row["organizers"] = organizers.get(article_id, [])
            row["removed_lines"] = removed.get(article_id, [])
            if versions:
                for version in kept.get(article_id, []):
                    if isinstance(version.get("page_sha256s"), str):
                        version["page_sha256s"] = json.loads(str(version["page_sha256s"]))
                row["versions"] = kept.get(article_id, [])
            yield row


def pages_of(
    db: Database, ids: Sequence[str], since: date | None = None
) -> list[dict[str, object]]:
    """The stored pages of these articles (not the bytes): address, where and when read,
    what format, and the saved file's times where it was a file read whole."""
    pages: list[dict[str, object]] = []
    after = " and p.read_at >= ?" if since is not None else ""
    for chunk, marks in _chunks(ids):
        pages += _rows(
            db,
            "select p.sha256, p.article_id, p.url, p.source, p.format, p.encoding, p.size, "
            "p.content_type, p.http_status, p.headers, p.read_at, f.mtime_ns as file_mtime_ns "
            "from pages p left join saved_files f on f.page_sha256 = p.sha256 "
            f"where p.article_id in ({marks}){after} group by p.sha256 order by p.rowid",
            [*chunk, *([since.isoformat()] if since is not None else [])],
        )
    return pages


def images_of(db: Database, ids: Sequence[str]) -> list[dict[str, object]]:
    """The kept image files of these articles' images (none where no ``image_files`` table
    is there yet): digest, type, bytes, address, and the article's first reading time."""
    if not _has_table(db, "image_files"):
        return []
    found: list[dict[str, object]] = []
    for chunk, marks in _chunks(ids):
        found += _rows(
            db,
            "select f.sha256, f.content_type, f.data, coalesce(f.url, min(i.src)) as url, "
            "f.source, "
            "min(i.article_id) as article_id, "
            "(select min(p.read_at) from pages p where p.article_id = min(i.article_id)) "
            "as read_at from images i join image_files f on f.sha256 = i.sha256 "
            f"where i.article_id in ({marks}) group by f.sha256 order by min(i.rowid)",
            chunk,
        )
    return found


def image_addresses(db: Database, ids: Sequence[str]) -> set[str]:
    """The addresses of these articles' images, as their pages give them."""
    found: set[str] = set()
    for chunk, marks in _chunks(ids):
        found |= {
            row[0]
            for row in db.execute(
                f"select distinct src from images where article_id in ({marks})", chunk
            )
            if row[0]
        }
    return found


def archived_pages(db: Database, record_ids: Sequence[str]) -> set[str]:
    """The pages (``pages.sha256``) that these WARC response records became."""
    if not _has_table(db, "warc_records"):
        return set()
    found: set[str] = set()
    for chunk, marks in _chunks(record_ids):
        found |= {
            row[0]
            for row in db.execute(
                "select page_sha256 from warc_records where record_type = 'response' "
                f"and page_sha256 is not null and record_id in ({marks})",
                chunk,
            )
        }
    return found
