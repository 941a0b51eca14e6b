"""An article's versions and events, and the archive's recent changes, read for Datasette.

Plain functions of an ``sqlite3.Connection`` (the plugin runs them through
Datasette's ``execute_fn``), so that tests can call them on any connection.
Reads only what a page shows, and bounded: an article's newest ``VERSIONS_SHOWN``
versions and ``EVENTS_SHOWN`` events; recent changes a page at a time, through
the index on ``article_events.at`` (and ``article_versions.seen_at`` for minor
edits), newest first, with a cursor rather than an offset, so that the hundredth
page costs what the first does.

Minor edits (``article_versions.change = 'minor'``: spacing, punctuation, the
time line) log no event; recent changes list them only when asked.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from loaders.datasette_app.diff import FieldDiff, version_diff

VERSIONS_SHOWN = 30  # an article's newest versions on its page, each with its diff
EVENTS_SHOWN = 100  # an article's newest events on its page
PAGE = 50  # recent changes per page (and entries in the feed)
EDITED, MINOR = "edited", "minor"
_FIELD_COLUMNS = "title, author, published, section, source, body"
_CURSOR = re.compile(r"([ev])(\d{1,18})")


@dataclass(frozen=True)
class Version:
    """A version of an article as its page lists it, with what changed from the one
    before it (``against``: ``previous_version``, or the number before; None for the
    first) in ``diff``."""

    number: int
    change: str
    seen_at: str | None
    last_seen_at: str | None
    run_id: str | None
    origin: str | None
    against: int | None
    diff: tuple[FieldDiff, ...]


@dataclass(frozen=True)
class Event:
    """Something that happened to an article: ``kind`` edited, removed, restored, moved."""

    at: str | None
    kind: str
    http_status: int | None
    url: str | None
    detail: str | None
    version: int | None


@dataclass(frozen=True)
class History:
    """What an article's page shows of its history, newest first; ``versions_total``
    and ``events_total`` count all of them (the page shows the newest few)."""

    versions: tuple[Version, ...] = ()
    events: tuple[Event, ...] = ()
    versions_total: int = 0
    events_total: int = 0
    removed_at: str | None = None
    removal: Event | None = None  # the event that marked it removed, if logged
    shown: int | None = None  # the version the article shows


def _fields(row: sqlite3.Row | tuple[Any, ...], start: int) -> dict[str, str | None]:
    names = [n.strip() for n in _FIELD_COLUMNS.split(",")]
    return dict(zip(names, row[start : start + len(names)], strict=True))


def article_history(conn: sqlite3.Connection, article_id: str) -> History:
    """An article's versions (each with its diff) and events, newest first."""
    article = conn.execute(
        "select version, removed_at from articles where id = ?", [article_id]
    ).fetchone()
    if article is None:
        return History()
    shown, removed_at = article
    rows = conn.execute(
        "select version, change, seen_at, last_seen_at, run_id, origin, previous_version, "
        f"{_FIELD_COLUMNS} from article_versions where article_id = ? "
        "order by version desc limit ?",
        [article_id, VERSIONS_SHOWN + 1],  # one more: the diff of the oldest shown
    ).fetchall()
    fields = {row[0]: _fields(row, 7) for row in rows}
    versions = []
    for row in rows[:VERSIONS_SHOWN]:
        number, change, seen_at, last_seen_at, run_id, origin, previous = row[:7]
        against = previous if previous is not None else (number - 1 if number > 1 else None)
        diff: tuple[FieldDiff, ...] = ()
        if against is not None:
            if against not in fields:  # an older version, beyond the ones read
                old = conn.execute(
                    f"select {_FIELD_COLUMNS} from article_versions "
                    "where article_id = ? and version = ?",
                    [article_id, against],
                ).fetchone()
                fields[against] = _fields(old, 0) if old else {}
            diff = tuple(version_diff(fields[against], fields[number]))
        versions.append(
            Version(number, change, seen_at, last_seen_at, run_id, origin, against, diff)
        )
    events = [
        Event(*row)
        for row in conn.execute(
            "select at, kind, http_status, url, detail, version from article_events "
            "where article_id = ? order by at desc, id desc limit ?",
            [article_id, EVENTS_SHOWN],
        )
    ]
    (versions_total,) = conn.execute(
        "select count(*) from article_versions where article_id = ?", [article_id]
    ).fetchone()
    (events_total,) = conn.execute(
        "select count(*) from article_events where article_id = ?", [article_id]
    ).fetchone()
    removal = None
    if removed_at is not None:
        found = conn.execute(
            "select at, kind, http_status, url, detail, version from article_events "
            "where article_id = ? and kind = 'removed' order by at desc, id desc limit 1",
            [article_id],
        ).fetchone()
        removal = Event(*found) if found else None
    return History(tuple(versions), tuple(events), versions_total, events_total, removed_at,
                   removal, shown)  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One line of recent changes: an event, or a minor version (``kind`` minor).

    ``key`` says which row it is (``e`` and the event's id, ``v`` and the version's
    rowid): with ``at`` it orders changes made at the same moment, and it is the
    cursor of the next page.
    """

    at: str
    key: str
    kind: str
    article_id: str
    title: str | None
    language: str | None
    version: int | None
    http_status: int | None
    url: str | None
    detail: str | None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def parse_cursor(at: str | None, key: str | None) -> tuple[str, str, int] | None:
    """A page's cursor from its query string (``before``, ``key``); None if absent or
    not one this module wrote (then the first page is shown)."""
    if not at or not key or not (match := _CURSOR.fullmatch(key)):
        return None
    return at, match.group(1), int(match.group(2))


def _sort_key(change: Change) -> tuple[str, str, int]:
    return change.at, change.key[0], int(change.key[1:])


def recent_changes(
    conn: sqlite3.Connection,
    limit: int = PAGE,
    before: tuple[str, str, int] | None = None,
    minor: bool = False,
) -> tuple[list[Change], tuple[str, str, int] | None]:
    """The newest ``limit`` changes across the archive (older than ``before``, a cursor),
    minor edits among them if ``minor``; and the cursor of the next page (None: last).

    Each source is read newest first down its index and stops at ``limit + 1`` rows;
    the two are merged here. Changes are ordered by (time, source, id), newest first.
    """
    after_sql = ""
    params: dict[str, Any] = {"limit": limit + 1}
    if before is not None:
        params |= {"at": before[0], "src": before[1], "n": before[2]}
        # at <= :at lets the index on at start where the page does; the row value
        # orders changes made at the same moment.
        after_sql = "and {at} <= :at and ({at}, '{src}', {n}) < (:at, :src, :n) "
    rows: list[Change] = []
    events_sql = (
        "select e.at, 'e' || e.id, e.kind, e.article_id, a.title, a.language, e.version, "
        "e.http_status, e.url, e.detail from article_events e "
        "join articles a on a.id = e.article_id where e.at is not null "
        + after_sql.format(at="e.at", src="e", n="e.id")
        + "order by e.at desc, e.id desc limit :limit"
    )
    rows += [Change(*row) for row in conn.execute(events_sql, params)]
    if minor:
        minor_sql = (
            "select v.seen_at, 'v' || v.rowid, 'minor', v.article_id, a.title, a.language, "
            "v.version, null, null, null from article_versions v "
            "join articles a on a.id = v.article_id "
            "where v.change = 'minor' and v.seen_at is not null "
            + after_sql.format(at="v.seen_at", src="v", n="v.rowid")
            + "order by v.seen_at desc, v.rowid desc limit :limit"
        )
        rows += [Change(*row) for row in conn.execute(minor_sql, params)]
    rows.sort(key=_sort_key, reverse=True)
    page = rows[:limit]
    return page, (_sort_key(page[-1]) if len(rows) > limit else None)


def edit_diff(conn: sqlite3.Connection, article_id: str, version: int) -> list[FieldDiff]:
    """What a version changed from the one before it (its ``previous_version``)."""
    row = conn.execute(
        f"select previous_version, {_FIELD_COLUMNS} from article_versions "
        "where article_id = ? and version = ?",
        [article_id, version],
    ).fetchone()
    if row is None:
        return []
    previous = row[0] if row[0] is not None else version - 1
    old = conn.execute(
        f"select {_FIELD_COLUMNS} from article_versions where article_id = ? and version = ?",
        [article_id, previous],
    ).fetchone()
    if old is None:
        return []
    return version_diff(_fields(old, 0), _fields(row, 1))
