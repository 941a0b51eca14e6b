"""Re-checking known articles: which are due, at which addresses, and what each check found.

``article_checks`` holds one row per article (made by ``add_rechecks``, kept up by
triggers as articles are loaded): when it last changed (``changed_at``: its shown
version first seen, or its latest event), when it was last looked at
(``checked_at``: a re-check's answer, or a load that saw the article), and when it
is due again (``due_at``, worked out from those two with the ladder of
``core/schedule.py``). A trigger that moves either time sets ``due_at`` to null:
such rows are worked out again at the start of the next re-check (``schedule``),
so loading never needs the ladder, and the due query is one range of one index:

    select ... from article_checks where due_at <= :now order by due_at limit :n

which stays a few milliseconds at a million articles. ``recheck_schedule`` keeps
the ladder the ``due_at`` were worked out with: another ladder works them all out
again. An article with no web address (a saved page that named none) is never due.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from core.schedule import Ladder, next_check
from core.stitch import page_urls
from core.urls import http_url

# The due time of an article that cannot be fetched (no web address): never.
NEVER = "9999-12-31T23:59:59.999+00:00"
# Rows worked out per round of ``schedule``: bounded memory, whatever the table holds.
_SCHEDULE_BATCH = 5000
# What a check found (``article_checks.outcome``): a 304; a page fetched (and loaded:
# the versions say what changed); the article taken down; moved; no usable answer.
NOT_MODIFIED, FETCHED, REMOVED = "not-modified", "fetched", "removed"
MOVED, FAILED = "moved", "failed"
# A failed check's next try: an hour later, doubled with each failure in a row, at most
# a week (the ladder's slowest rung checks an old article monthly: no sooner than this).
_FIRST_RETRY, _LAST_RETRY = timedelta(hours=1), timedelta(days=7)


@dataclass(frozen=True)
class DueArticle:
    """A known article to fetch again, with what a re-check compares its answer to."""

    id: str
    url: str  # where its first page is fetched from: the address it was asked for at
    parts: tuple[str, ...]  # the addresses of its other pages, in page order
    removed: bool  # marked removed: asked for plainly, not conditionally
    title: str
    published: str | None
    fingerprint: str | None
    checked_at: str | None
    due_at: str | None


@dataclass(frozen=True)
class Check:
    """What one re-check of an article found: ``outcome`` one of the constants above."""

    article_id: str
    outcome: str
    http_status: int | None = None


def _parse(stamp: str | None) -> datetime:
    """A stored time; a missing or unreadable one as long ago (due at once)."""
    try:
        moment = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        moment = None
    if moment is None:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _address(source: str | None, page_url: str | None) -> str | None:
    """Where a stored page is fetched again: the address it was asked for at, else its own."""
    return http_url(source) or http_url(page_url)


def schedule(db: Database, ladder: Ladder) -> int:
    """Work out ``due_at`` (and the address) of every row that needs it; how many.

    A ladder other than the one the stored times were worked out with makes all of
    them need it (once).
    """
    text = json.dumps([list(rung) for rung in ladder])
    stored = db.execute("select ladder from recheck_schedule where id = 1").fetchone()
    if stored is None or stored[0] != text:
        db.execute("update article_checks set due_at = null where due_at is not null")
        db.execute("insert or replace into recheck_schedule (id, ladder) values (1, ?)", [text])
    done = 0
    while True:
        rows = db.execute(
            "select c.article_id, c.changed_at, c.checked_at, a.url, p.source, p.url "
            "from article_checks c join articles a on a.id = c.article_id "
            "left join article_versions v on v.article_id = a.id and v.version = a.version "
            "left join pages p on p.sha256 = json_extract(v.page_sha256s, '$.\"1\"') "
            "where c.due_at is null limit ?",
            [_SCHEDULE_BATCH],
        ).fetchall()
        if not rows:
            return done
        updates = []
        for article_id, changed, checked, article_url, source, page_url in rows:
            url = _address(source, page_url) or http_url(article_url)
            due = _stamp(next_check(_parse(changed), _parse(checked), ladder)) if url else NEVER
            updates.append((url, due, article_id))
        db.conn.executemany(
            "update article_checks set url = ?, due_at = ? where article_id = ?", updates
        )
        done += len(updates)


def due(
    db: Database, now: datetime, limit: int | None = None, everything: bool = False
) -> list[DueArticle]:
    """The articles due at ``now``, most overdue first (``everything``: every article with
    a web address, least recently checked first), at most ``limit``."""
    if everything:
        where, order = "c.url is not null", "c.checked_at, c.article_id"
        params: list[object] = []
    else:
        where, order = "c.due_at <= ?", "c.due_at, c.article_id"
        params = [_stamp(now)]
    rows = db.execute(
        "select c.article_id, c.url, c.checked_at, c.due_at, a.removed_at, a.title, "
        "a.published, a.fingerprint, a.pages_expected, v.page_sha256s "
        "from article_checks c join articles a on a.id = c.article_id "
        "left join article_versions v on v.article_id = a.id and v.version = a.version "
        f"where {where} order by {order} limit ?",
        [*params, -1 if limit is None else limit],
    ).fetchall()
    found = []
    for row in rows:
        article_id, url, checked, due_at, removed, title, published, fingerprint = row[:8]
        expected, pages = row[8:]
        parts = _part_addresses(db, url, json.loads(pages or "{}"), expected or 1)
        found.append(
            DueArticle(article_id, url, parts, removed is not None, title, published,
                       fingerprint, checked, due_at)
        )  # fmt: skip
    return found


def _part_addresses(
    db: Database, first: str, pages: dict[str, str], expected: int
) -> tuple[str, ...]:
    """The addresses of an article's pages after the first: those its stored pages were
    fetched from, else those its first address and page count make."""
    count = max([expected, *(int(n) for n in pages)])
    if count <= 1:
        return ()
    made = page_urls(first, count)
    addresses = []
    for number in range(2, count + 1):
        sha = pages.get(str(number))
        row = (
            db.execute("select source, url from pages where sha256 = ?", [sha]).fetchone()
            if sha
            else None
        )
        stored = _address(*row) if row else None
        addresses.append(stored or (made[number - 1] if number <= len(made) else None))
    return tuple(a for a in addresses if a)


def record_checks(db: Database, checks: Sequence[Check], run_id: str, at: str) -> None:
    """Each article's last check: its answer and outcome, and checked now; a failed check
    leaves ``checked_at`` as it was and puts the next try off by ``retry_delay``."""
    failing = [c.article_id for c in checks if c.outcome == FAILED]
    before: dict[str, int] = {}
    if failing:
        sql = (
            "select article_id, failed_checks from article_checks "
            "where article_id in (select value from json_each(?))"
        )
        before = dict(db.execute(sql, [json.dumps(failing)]).fetchall())
    rows: list[tuple[object, ...]] = []
    for c in checks:
        if c.outcome == FAILED:
            failed = before.get(c.article_id, 0) + 1
            retry = _stamp(_parse(at) + retry_delay(failed))
            rows.append((c.http_status, c.outcome, run_id, failed, None, None, retry, c.article_id))
        else:
            rows.append((c.http_status, c.outcome, run_id, 0, at, at, None, c.article_id))
    db.conn.executemany(
        "update article_checks set http_status = ?, outcome = ?, run_id = ?, failed_checks = ?, "
        "checked_at = case when ? is null then checked_at else max(coalesce(checked_at, ''), ?) "
        "end, due_at = ? where article_id = ?",
        rows,
    )


def retry_delay(failed: int) -> timedelta:
    """How long after its ``failed``-th failed check in a row an article is tried again:
    an hour, doubled with each failure, at most a week."""
    return min(_FIRST_RETRY * 2 ** min(failed - 1, 16), _LAST_RETRY)


def next_due(db: Database) -> str | None:
    """When the next article is due (after the ones due now are checked), if any."""
    row = db.execute(
        "select min(due_at) from article_checks where due_at is not null and due_at < ?", [NEVER]
    ).fetchone()
    return row[0] if row else None


def counts(db: Database, now: datetime) -> tuple[int, int]:
    """Articles due at ``now``, and articles with a web address at all."""
    due_now = db.execute(
        "select count(*) from article_checks where due_at <= ?", [_stamp(now)]
    ).fetchone()[0]
    known = db.execute("select count(*) from article_checks where url is not null").fetchone()[0]
    return due_now, known
