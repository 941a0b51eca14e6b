"""Versions and events of articles: the database side of an archive of a changing site.

State media edit published articles and take some down. ``article_versions``
keeps one row per DISTINCT extracted record of an article (unique
``(article_id, record_sha256)``), numbered 1, 2, 3 in the order first seen;
``articles`` shows one of them (``articles.version``): the latest, or an earlier
one the site went back to. ``article_events`` logs what happened: ``edited``,
``removed``, ``restored``, ``moved``. How a new record is classified (``first``,
``edited``, ``minor``, ``restored``) is ``loaders/versions.py``.

What a load does with a record of an article already stored (``place_record``):

- the record is the one the article shows: nothing new (the version's
  ``last_seen_at`` moves: the last load of a page giving it; a page skipped
  before loading as already done, same bytes and extractors, does not move it);
- the page's very bytes already make a version (its own page, or one of its
  pages), and read differently now: the same bytes cannot be an edit, so this is
  a re-extraction (another extractor version read them): the version(s) made of
  that page are rewritten from it, no version or event is added (see
  ``rewrite_from_page``). Read the same, they are that version seen again: news
  if fetched (the site serves it again: below), none if a save read once more;
- exactly an earlier version's record: no row is added (a page flipping between
  two versions never piles up versions); the article shows that version again,
  and an event ``restored`` says "shows version N again";
- otherwise a new version, classified against the shown version and the
  earlier ones; ``edited`` and ``restored`` versions log an event, ``minor``
  ones do not.

A multi-page article's version is stitched from its pages (``page_sha256s``:
page number -> sha256; each page's own record is kept in ``part_records``). Its
pages come one at a time, so a version still being assembled (made in this run,
or missing the page that just came though its pagination announced it) takes the
page in place rather than becoming a new version per page.

An article marked removed (``removed_at``) that is loaded again, from a fetch or
a save, is marked back (``restored``, "back after removal"), changed or not.
Re-extraction (``reextracting=True``) adds no version and no event: it only
rewrites versions from their own pages; a page kept from before versions were
recorded (``unversioned_pages``, filled by the migration) becomes an earlier
version there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from sqlite_utils import Database

from core.records import Article, article_from_dict
from core.stitch import stitch
from loaders.versions import (
    EDITED,
    FIRST,
    RESTORED,
    VersionFields,
    changed_fields,
    classify,
    matching_version,
)

_VERSION_COLUMNS = (
    "version, change, previous_version, origin, run_id, seen_at, record_sha256, page_sha256s, "
    "title, author, source, published, section, body"
)
_RESTORED_AFTER_REMOVAL = "back after removal"
# How a version is known (``origin``): seen by a load; the article's row when versions
# began (the migration); a page kept from before then, made a version by re-extraction.
LOAD, MIGRATION, KEPT_PAGE = "load", "migration", "kept page"


@dataclass(frozen=True)
class StoredArticle:
    """What ``articles`` holds of an article, as a load needs it."""

    rowid: int
    record_sha256: str | None
    first_run: str | None
    version: int | None
    removed_at: str | None
    pages_expected: int | None = None


@dataclass
class Placement:
    """What a load of one record did to an article's versions.

    ``record`` is what ``articles`` must now hold (None: its row stays as it is), and
    ``version`` the version it shows. ``counted`` holds the changes to add to the
    run's counters (``edited``, ``minor``, ``restored``; negative where a version
    this run made earlier was taken back while its article was still being assembled).
    """

    record: Article | None
    version: int | None
    counted: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> None:
        self.counted[name] = self.counted.get(name, 0) + n


@dataclass(frozen=True)
class _Version:
    number: int
    change: str
    previous: int | None
    origin: str | None
    run_id: str | None
    seen_at: str | None
    record_sha256: str
    pages: dict[int, str]
    fields: VersionFields


@dataclass(frozen=True)
class Seen:
    """When and where a record was seen: the run, the time, the page's address and status."""

    run_id: str
    at: str
    url: str | None = None
    http_status: int | None = None


def _pages_json(pages: dict[int, str]) -> str:
    return json.dumps({str(n): sha for n, sha in sorted(pages.items())})


def _versions(db: Database, article_id: str) -> list[_Version]:
    rows = db.conn.execute(
        f"select {_VERSION_COLUMNS} from article_versions where article_id = ? order by version",
        [article_id],
    ).fetchall()
    return [
        _Version(number, change, previous, origin, run_id, seen_at, sha,
                 {int(n): s for n, s in json.loads(pages or "{}").items()},
                 VersionFields(*texts))
        for number, change, previous, origin, run_id, seen_at, sha, pages, *texts in rows
    ]  # fmt: skip


def _insert_version(
    db: Database,
    article_id: str,
    number: int,
    change: str,
    previous: int | None,
    record: Article,
    page_sha256: str,
    pages: dict[int, str],
    run_id: str,
    at: str,
    origin: str = LOAD,
) -> None:
    db.conn.execute(
        "insert into article_versions (article_id, version, change, previous_version, origin, "
        "run_id, seen_at, last_seen_at, record_sha256, page_sha256, page_sha256s, title, "
        "author, source, published, section, body, extractor) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [article_id, number, change, previous, origin, run_id, at, at, record.record_sha256,
         page_sha256, _pages_json(pages), record.title, record.author, record.source,
         record.published, record.section, record.body, record.extractor],
    )  # fmt: skip


def _rewrite_version(
    db: Database, article_id: str, number: int, record: Article, pages: dict[int, str] | None
) -> None:
    """A version's fields and record hash made those of ``record`` (and its pages, if given)."""
    sets = ("record_sha256 = ?, title = ?, author = ?, source = ?, published = ?, "
            "section = ?, body = ?, extractor = ?")  # fmt: skip
    values: list[object] = [
        record.record_sha256,
        record.title,
        record.author,
        record.source,
        record.published,
        record.section,
        record.body,
        record.extractor,
    ]
    if pages is not None:
        sets += ", page_sha256s = ?"
        values.append(_pages_json(pages))
    db.conn.execute(
        f"update article_versions set {sets} where article_id = ? and version = ?",
        [*values, article_id, number],
    )


def _event(
    db: Database,
    article_id: str,
    kind: str,
    seen: Seen,
    detail: str,
    version: int | None = None,
    url: str | None = None,
    http_status: int | None = None,
) -> None:
    db.conn.execute(
        "insert into article_events (article_id, run_id, at, kind, http_status, url, detail, "
        "version) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [article_id, seen.run_id, seen.at, kind,
         http_status if http_status is not None else seen.http_status,
         url or seen.url, detail, version],
    )  # fmt: skip


def _seen_again(db: Database, article_id: str, number: int, at: str) -> None:
    db.conn.execute(
        "update article_versions set last_seen_at = ? where article_id = ? and version = ?",
        [at, article_id, number],
    )


def first_version(
    db: Database, article: Article, page_sha256: str, pages: dict[int, str], seen: Seen
) -> None:
    """Version 1 (``first``) of an article just stored; no event: it is news, not a change."""
    _insert_version(db, article.id, 1, FIRST, None, article, page_sha256, pages,
                    seen.run_id, seen.at)  # fmt: skip


def part_pages(db: Database, article_id: str) -> dict[int, str]:
    """The pages an article is now stitched from (``article_parts``): number -> sha256."""
    rows = db.conn.execute(
        "select page_number, page_sha256 from article_parts where article_id = ?", [article_id]
    ).fetchall()
    return {number: sha for number, sha in rows}


def keep_part_record(db: Database, part: Article, page_sha256: str) -> None:
    """One page's own record, by its bytes: what a version of its article is stitched from."""
    db.conn.execute(
        "insert or replace into part_records (page_sha256, article_id, page_number, record) "
        "values (?, ?, ?, ?)",
        [page_sha256, part.id, part.page_number, json.dumps(asdict(part), ensure_ascii=False)],
    )


def _rebuilt(
    db: Database, pages: dict[int, str], part: Article, page_sha256: str
) -> Article | None:
    """A version made of ``pages`` stitched again, ``part`` (the page just extracted, whose
    bytes are ``page_sha256``) in its place; None if a page's record is not kept."""
    if pages == {part.page_number: page_sha256} and not part.is_part:
        return part
    records = []
    for sha in pages.values():
        if sha == page_sha256:
            records.append(part)
            continue
        row = db.conn.execute(
            "select record from part_records where page_sha256 = ?", [sha]
        ).fetchone()
        if row is None:
            return None
        records.append(article_from_dict(json.loads(row[0])))
    return stitch(records)


def place_record(
    db: Database,
    stored: StoredArticle,
    article: Article,
    part: Article,
    page_sha256: str,
    seen: Seen,
    reextracting: bool = False,
) -> Placement:
    """Place a record of an article already stored among its versions (see the module).

    ``article`` is the record (stitched with the article's other pages if ``part``, the
    page's own record, is one page of several), ``page_sha256`` the page just stored;
    a page with an HTTP status (``seen.http_status``) was fetched, others were saved.
    """
    # Loaded again from a fetch or a save, an article marked removed is back, changed or
    # not; not so a re-extraction, nor a save read again (bytes already of a version).
    back = (
        stored.removed_at is not None
        and not reextracting
        and (seen.http_status is not None or not _of_a_version(db, article.id, page_sha256))
    )
    placed = _place(db, stored, article, part, page_sha256, seen, reextracting)
    if back:
        db.conn.execute("update articles set removed_at = null where id = ?", [article.id])
        _event(db, article.id, RESTORED, seen, _RESTORED_AFTER_REMOVAL, placed.version)
        placed.count(RESTORED)
    return placed


def _of_a_version(db: Database, article_id: str, page_sha256: str) -> bool:
    """Whether a page is (one of the pages) of a version of the article."""
    return (
        db.conn.execute(
            "select 1 from article_versions v, json_each(v.page_sha256s) j "
            "where v.article_id = ? and j.value = ? limit 1",
            [article_id, page_sha256],
        ).fetchone()
        is not None
    )


def _place(
    db: Database,
    stored: StoredArticle,
    article: Article,
    part: Article,
    page_sha256: str,
    seen: Seen,
    reextracting: bool,
) -> Placement:
    shown = stored.version
    if shown is not None and article.record_sha256 == stored.record_sha256:
        if not reextracting:  # re-reading a stored page is not seeing the site
            _seen_again(db, article.id, shown, seen.at)
        return Placement(None, shown)
    versions = _versions(db, article.id)
    owners = [v for v in versions if page_sha256 in v.pages.values()]
    if owners:
        # The bytes of a version already: if they read differently now, another
        # extractor read them (a re-extraction: rewritten, never an edit), as when the
        # article shows that version (its row is rewritten from it); if not, a fetch of
        # them is the site serving that version again, a save read again no news.
        if any(v.number == shown or _stale(db, v, part, page_sha256) for v in owners):
            return rewrite_from_page(db, article.id, part, page_sha256)
        if seen.http_status is None:
            return Placement(None, shown)
    if reextracting:
        if _unversioned(db, page_sha256) and not part.is_part:
            return _earlier_version(db, versions, article, page_sha256)
        return Placement(None, shown)  # no version or event comes of a re-extraction
    if not versions or shown is None:  # not yet versioned (cannot happen after the migration)
        pages = part_pages(db, article.id) if part.is_part else {1: page_sha256}
        first_version(db, article, page_sha256, pages, seen)
        return Placement(article, 1)
    current = next((v for v in versions if v.number == shown), versions[-1])
    if part.is_part:
        pages = part_pages(db, article.id)
        # A page its own pagination announced, missing (a crawl stopped short): the
        # version completed. A page beyond it is the site adding one: an edit.
        missing = part.page_number not in current.pages and part.page_number <= (
            stored.pages_expected or 1
        )
        assembling = current is versions[-1] and (current.run_id == seen.run_id or missing)
        if assembling:
            return _assemble(db, article, pages, page_sha256, current, versions, seen)
    else:
        pages = {1: page_sha256}
    return _new_record(db, article, pages, page_sha256, current, versions, seen)


def _stale(db: Database, version: _Version, part: Article, page_sha256: str) -> bool:
    """Whether a version made of this page reads differently from the page's new record."""
    record = _rebuilt(db, version.pages, part, page_sha256)
    return record is not None and record.record_sha256 != version.record_sha256


def _new_record(
    db: Database,
    article: Article,
    pages: dict[int, str],
    page_sha256: str,
    current: _Version,
    versions: Sequence[_Version],
    seen: Seen,
) -> Placement:
    """A record that is not the shown one: an earlier version again, or a new version."""
    same = next((v for v in versions if v.record_sha256 == article.record_sha256), None)
    if same is not None:
        return _show_again(db, article, same.number, seen)
    new = VersionFields.of(article)
    number = versions[-1].number + 1
    others = [v.fields for v in versions if v.number != current.number]
    change = classify(new, current.fields, others)
    _insert_version(db, article.id, number, change, current.number, article, page_sha256,
                    pages, seen.run_id, seen.at)  # fmt: skip
    placed = Placement(article, number)
    placed.count(change)
    _log_change(db, article.id, change, number, new, current.fields, versions, seen)
    return placed


def _log_change(
    db: Database,
    article_id: str,
    change: str,
    number: int,
    new: VersionFields,
    before: VersionFields,
    versions: Sequence[_Version],
    seen: Seen,
) -> None:
    """The event of a new version: ``edited`` (which fields) or ``restored``; none if minor."""
    if change == EDITED:
        _event(db, article_id, EDITED, seen, ", ".join(changed_fields(new, before)), number)
    elif change == RESTORED:
        like = matching_version(new, [(v.number, v.fields) for v in versions if v.number < number])
        _event(db, article_id, RESTORED, seen, f"back to version {like}, but for minor differences",
               number)  # fmt: skip


def _show_again(db: Database, article: Article, number: int, seen: Seen) -> Placement:
    """Exactly an earlier version: no row added, that version shown again."""
    _seen_again(db, article.id, number, seen.at)
    _event(db, article.id, RESTORED, seen, f"shows version {number} again", number)
    placed = Placement(article, number)
    placed.count(RESTORED)
    return placed


def _assemble(
    db: Database,
    article: Article,
    pages: dict[int, str],
    page_sha256: str,
    current: _Version,
    versions: Sequence[_Version],
    seen: Seen,
) -> Placement:
    """Another page of a multi-page version still being assembled, taken in place.

    The version is the newest, and was made in this run or lacks this page: its pages
    come one by one (in one run, or over several when a crawl stopped short), and
    each new one is part of the same version, not an edit of it.
    """
    this_run = current.run_id == seen.run_id
    same = next((v for v in versions if v.record_sha256 == article.record_sha256), None)
    if same is not None:
        if not this_run:
            return _show_again(db, article, same.number, seen)
        # Assembled, this run's version turns out to be an earlier one exactly: it was
        # never a version of its own. Taken back, with its event and its count.
        placed = _take_back(db, article.id, current, seen)
        if same.number == current.previous:
            placed.record, placed.version = article, same.number  # nothing changed after all
            return placed
        again = _show_again(db, article, same.number, seen)
        for name, n in placed.counted.items():
            again.count(name, n)
        return again
    _rewrite_version(db, article.id, current.number, article, pages)
    _seen_again(db, article.id, current.number, seen.at)
    placed = Placement(article, current.number)
    if not this_run or current.previous is None:
        return placed  # counted when it came; a first version stays the first
    # Made in this run: classified again, as the whole version it now is.
    before = next(v for v in versions if v.number == current.previous)
    earlier = [v.fields for v in versions if v.number < current.number and v is not before]
    new = VersionFields.of(article)
    change = classify(new, before.fields, earlier)
    if change != current.change:
        db.conn.execute(
            "update article_versions set change = ? where article_id = ? and version = ?",
            [change, article.id, current.number],
        )
        placed.count(current.change, -1)
        placed.count(change)
    _drop_events(db, article.id, current.number, seen.run_id)
    prior = [v for v in versions if v.number < current.number]
    _log_change(db, article.id, change, current.number, new, before.fields, prior, seen)
    return placed


def _drop_events(db: Database, article_id: str, number: int, run_id: str) -> None:
    """This run's events of a version (``edited``/``restored`` of it) taken back."""
    db.conn.execute(
        "delete from article_events where article_id = ? and version = ? and run_id = ? "
        "and kind in (?, ?) and detail != ?",
        [article_id, number, run_id, EDITED, RESTORED, _RESTORED_AFTER_REMOVAL],
    )


def _take_back(db: Database, article_id: str, current: _Version, seen: Seen) -> Placement:
    """Remove a version this run made (the newest), its events and its count."""
    _drop_events(db, article_id, current.number, seen.run_id)
    db.conn.execute(
        "delete from article_versions where article_id = ? and version = ?",
        [article_id, current.number],
    )
    placed = Placement(None, None)
    if current.change != FIRST:
        placed.count(current.change, -1)
    return placed


def rewrite_from_page(db: Database, article_id: str, part: Article, page_sha256: str) -> Placement:
    """Versions made of a page extracted again, rewritten from its new record.

    No version is added and no event logged; ``Placement.record`` is the record the
    article shows if it is one of them. Two versions a new extractor reads as one
    record are one version (versions are distinct records): the later is folded into
    the earlier and the versions after it move down by one.
    """
    rewritten = False
    while True:
        versions = [v for v in _versions(db, article_id) if page_sha256 in v.pages.values()]
        for version in versions:
            record = _rebuilt(db, version.pages, part, page_sha256)
            if record is None or record.record_sha256 == version.record_sha256:
                continue  # right already, or a page of it not kept: rebuilt when it comes
            rewritten = True
            twin = db.conn.execute(
                "select version from article_versions where article_id = ? and record_sha256 = ?",
                [article_id, record.record_sha256],
            ).fetchone()
            if twin is None:
                _rewrite_version(db, article_id, version.number, record, None)
                continue
            if twin[0] > version.number:
                _fold(db, article_id, twin[0], version.number)
                _rewrite_version(db, article_id, version.number, record, None)
            else:
                _fold(db, article_id, version.number, twin[0])
            break  # numbers moved: read the versions again
        else:
            break
    if rewritten:
        _reclassify(db, article_id)
    shown = db.conn.execute("select version from articles where id = ?", [article_id]).fetchone()
    number = shown[0] if shown else None
    for version in _versions(db, article_id):
        if version.number == number and page_sha256 in version.pages.values():
            return Placement(_rebuilt(db, version.pages, part, page_sha256), number)
    return Placement(None, number)


def _reclassify(db: Database, article_id: str) -> None:
    """Each version's ``change`` made again from the fields it now has (a new extractor
    may read two versions' difference otherwise), against the version shown before it."""
    versions = _versions(db, article_id)
    fields_by = {v.number: v.fields for v in versions}
    for version in versions:
        if version.previous is None or version.previous not in fields_by:
            continue
        earlier = [f for n, f in fields_by.items() if n < version.number and n != version.previous]
        change = classify(version.fields, fields_by[version.previous], earlier)
        if change != version.change:
            db.conn.execute(
                "update article_versions set change = ? where article_id = ? and version = ?",
                [change, article_id, version.number],
            )


def _after_fold(db: Database, article_id: str, show: Article | None) -> Placement:
    row = db.conn.execute("select version from articles where id = ?", [article_id]).fetchone()
    return Placement(show, row[0])


def _fold(db: Database, article_id: str, gone: int, into: int) -> None:
    """Version ``gone`` merged into ``into``; the later versions renumbered down by one."""
    numbers = [row[0] for row in db.conn.execute(
        "select version from article_versions where article_id = ? order by version",
        [article_id],
    )]  # fmt: skip
    mapping = {n: (into if n == gone else n - 1 if n > gone else n) for n in numbers}
    db.conn.execute(
        "delete from article_versions where article_id = ? and version = ?", [article_id, gone]
    )
    _renumber(db, article_id, mapping)


def _renumber(db: Database, article_id: str, mapping: dict[int, int]) -> None:
    """Versions renumbered old -> new, and every reference to them (articles, events,
    ``previous_version``) with them."""
    moved = {old: new for old, new in mapping.items() if old != new}
    if not moved:
        return
    # Through negative numbers: the primary key must hold after every single update.
    for old, new in moved.items():
        db.conn.execute(
            "update article_versions set version = ? where article_id = ? and version = ?",
            [-new, article_id, old],
        )
    db.conn.execute(
        "update article_versions set version = -version where article_id = ? and version < 0",
        [article_id],
    )
    for table, column, key in (
        ("article_versions", "previous_version", "article_id"),
        ("article_events", "version", "article_id"),
        ("articles", "version", "id"),
    ):
        cases = " ".join(f"when {old} then {new}" for old, new in moved.items())
        db.conn.execute(
            f"update {table} set {column} = case {column} {cases} else {column} end "
            f"where {key} = ? and {column} in ({', '.join(str(old) for old in moved)})",
            [article_id],
        )
    # A version folded into the one before it is not its own previous version.
    db.conn.execute(
        "update article_versions set previous_version = null where article_id = ? "
        "and previous_version = version",
        [article_id],
    )


def _unversioned(db: Database, page_sha256: str) -> bool:
    return (
        db.conn.execute(
            "select 1 from unversioned_pages where page_sha256 = ?", [page_sha256]
        ).fetchone()
        is not None
    )


def _earlier_version(
    db: Database,
    versions: Sequence[_Version],
    article: Article,
    page_sha256: str,
) -> Placement:
    """A page kept from before versions were recorded, made an earlier version.

    Dated by the page (when it was read, by which run) and put among the article's
    versions in that order; versions renumbered. The versions with no recorded
    history (those from kept pages and the one the migration made) are chained in
    that order, each classified against the one before it.
    """
    read_at, first_run = db.conn.execute(
        "select read_at, first_run from pages where sha256 = ?", [page_sha256]
    ).fetchone()
    db.conn.execute("delete from unversioned_pages where page_sha256 = ?", [page_sha256])
    same = next((v for v in versions if v.record_sha256 == article.record_sha256), None)
    if same is not None:
        if read_at and (same.seen_at is None or read_at < same.seen_at):
            db.conn.execute(
                "update article_versions set seen_at = ?, run_id = ? "
                "where article_id = ? and version = ?",
                [read_at, first_run, article.id, same.number],
            )
    else:
        placeholder = versions[-1].number + 1 if versions else 1
        _insert_version(db, article.id, placeholder, FIRST, None, article, page_sha256,
                        {1: page_sha256}, first_run, read_at, KEPT_PAGE)  # fmt: skip
        db.conn.execute(
            "update article_versions set last_seen_at = seen_at "
            "where article_id = ? and version = ?",
            [article.id, placeholder],
        )
    _chain(db, article.id)
    return _after_fold(db, article.id, None)


def _chain(db: Database, article_id: str) -> None:
    """Versions put in the order they were seen, and those with no recorded history (the
    migration's and kept pages', all seen before any load recorded one) chained in it:
    each classified against the one before it."""
    versions = _versions(db, article_id)
    order = sorted(versions, key=lambda v: (v.seen_at or "", v.number))
    _renumber(db, article_id, {v.number: n for n, v in enumerate(order, start=1)})
    fields_by = {n: v.fields for n, v in enumerate(order, start=1)}
    for n, version in enumerate(order, start=1):
        if version.origin == LOAD:
            continue
        if n == 1:
            change, previous = FIRST, None
        else:
            previous = n - 1
            earlier = [fields_by[k] for k in range(1, n - 1)]
            change = classify(version.fields, fields_by[previous], earlier)
        db.conn.execute(
            "update article_versions set change = ?, previous_version = ? "
            "where article_id = ? and version = ?",
            [change, previous, article_id, n],
        )


def _articles_at(db: Database, url: str) -> list[tuple[str, str | None]]:
    """Articles whose address is ``url`` or one of whose pages was fetched from it."""
    rows = db.conn.execute(
        "select id, removed_at from articles where url = ? union "
        "select a.id, a.removed_at from pages p join articles a on a.id = p.article_id "
        "where p.url = ? or p.source = ? order by 1",
        [url, url, url],
    ).fetchall()
    return [(article_id, removed_at) for article_id, removed_at in rows]


def record_removal(
    db: Database, url: str, seen: Seen, http_status: int | None, detail: str
) -> list[str]:
    """Articles at ``url`` marked removed, each with an event ``removed``; the ids newly
    marked. An article already marked is left as it is: still removed is no news."""
    marked = []
    for article_id, removed_at in _articles_at(db, url):
        if removed_at is not None:
            continue
        db.conn.execute("update articles set removed_at = ? where id = ?", [seen.at, article_id])
        _event(db, article_id, "removed", seen, detail, url=url, http_status=http_status)
        marked.append(article_id)
    return marked


def record_move(
    db: Database, url: str, to_url: str, seen: Seen, http_status: int | None
) -> list[str]:
    """An event ``moved`` for each article at ``url`` (detail: the new address); the ids
    given one. An article whose last event already says it moved there gets none."""
    detail = f"moved to {to_url}"
    noted = []
    for article_id, _ in _articles_at(db, url):
        last = db.conn.execute(
            "select kind, detail from article_events where article_id = ? "
            "order by at desc, id desc limit 1",
            [article_id],
        ).fetchone()
        if last == ("moved", detail):
            continue
        _event(db, article_id, "moved", seen, detail, url=url, http_status=http_status)
        noted.append(article_id)
    return noted
