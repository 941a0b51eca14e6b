"""Datasette plugin hooks of wic-etl (registered by ``make_datasette``).

They give the templates in ``templates/`` what a news archive shows: the article
page's parts and its versions with what each changed, search hits with a
highlighted snippet, organizer links, the archive's recent changes and their Atom
feed (``/DB/-/changes``, ``/DB/-/changes.atom``); and they keep every search within
the bounds of ``loaders.search`` (a sentence, not a search, past them).
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.filters import FilterArguments
from datasette.utils import path_with_replaced_args, tilde_decode, tilde_encode
from datasette.utils.asgi import BadRequest, NotFound, Response
from markupsafe import Markup, escape
from sqlite_utils import Database

from loaders import search as search_bounds
from loaders.datasette_app.article_links import article_link
from loaders.datasette_app.atom import MEDIA_TYPE, Entry, atom_feed
from loaders.datasette_app.changes import (
    EDITED,
    MINOR,
    PAGE,
    Change,
    article_history,
    edit_diff,
    parse_cursor,
    recent_changes,
)
from loaders.datasette_app.images import ROUTE as IMAGE_ROUTE
from loaders.datasette_app.images import image_path, image_view
from loaders.datasette_app.search_results import (
    BEST_FIRST,
    HITS,
    Order,
    candidates_sql,
    hits_per_page,
    order_links,
    order_of,
    ordered,
)
from loaders.datasette_app.search_scope import page_filters, within
from loaders.raw_pages import stored_raw_page
from loaders.raw_store import has_raw_store
from loaders.search import (
    MARK_END,
    MARK_START,
    SEARCH_TABLE,
    mostly_han,
    search_query,
    search_refusal,
    unsegment,
)

# A hit's excerpt, in characters: two lines of English, about 40 words; a Chinese one
# of 120 characters reads about as long (a Han character says about a third of a word).
EXCERPT_CHARS = 240
EXCERPT_CHARS_CHINESE = 120
# Of a hit's body, the most read back to choose its excerpt: a long article whole.
BODY_SCAN_CHARS = 50_000
# Of a hit's marks, the most its excerpt is chosen among: the cost of the choice is
# bounded whatever the body (a page of "a a a ..." is all marks).
EXCERPT_MARKS = 200
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")
_WEB_ADDRESS = re.compile(r"https?://", re.IGNORECASE)
# The project's tables first on the database page, in reading order; the rest after.
TABLE_ORDER = (
    "articles", "images", "image_files", "organizers", "article_organizers", "removed_lines",
    "article_parts", "pages", "saved_files", "listing_links", "runs", "failures",
)  # fmt: skip
# The articles of one page of hits, by rowid. FTS5 finds each again with the search
# (highlight() needs it) in one pass over the candidates' rowid range; the rowids are
# compared after (+rowid): asked of FTS5 one by one, each is a search of its own.
# FTS5's highlight(), not snippet(): snippet() scores every place a match could start
# against every match of the row, so its cost is the square of the matches (of all the
# terms) in the row, seconds for one long article; highlight() walks the row once, and
# the excerpt is chosen here from its marks. The flags say whether the indexed copy
# held a mark character itself (an index written before segment() kept them out): its
# marks are then not trusted and the text is shown unmarked.
_PAGE_SQL = (
    "select s.rowid as rowid, a.id, a.title, a.published, a.site, a.section, a.language, "
    f"highlight([{SEARCH_TABLE}], 0, char(2), char(3)) as title_marked, "
    f"substr(highlight([{SEARCH_TABLE}], 1, char(2), char(3)), 1, {BODY_SCAN_CHARS}) "
    "as body_marked, "
    "instr(s.title, char(2)) + instr(s.title, char(3)) = 0 as title_clean, "
    "instr(s.body, char(2)) + instr(s.body, char(3)) = 0 as body_clean "
    f"from [{SEARCH_TABLE}] s cross join articles a on a.rowid = s.rowid "
    f"where [{SEARCH_TABLE}] match :fts and s.rowid between :low and :high "
    "and +s.rowid in ({rowids})"
)


# trylast: Datasette's own prepare_connection registers escape_fts, which its
# search box and ?_search= pass every query through; ours must be registered after it
# to replace it, so that a Chinese term becomes the phrase the index can find (and a
# search over the bounds finds nothing, at once).
@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("escape_fts", 1, search_query, deterministic=True)


def raw_search_mode(datasette: Any, database: str, table: str, request: Any) -> bool:
    """Whether Datasette reads this request's search as FTS5 syntax (as its filters.py)."""
    mode = request.args.get("_searchmode")
    if mode in ("raw", "escaped"):
        return bool(mode == "raw")
    return bool(datasette.table_metadata(database, table).get("searchmode") == "raw")


@hookimpl(specname="extra_template_vars")
def search_box_sort(view_name: str, table: str | None, request: Any) -> dict[str, Any]:
    """The articles page's form sends no sort unless the page was asked for one.

    The form (search box, filters) submits the sort it shows; shown the table's default
    (newest first), every search typed in the box would be listed newest first, never
    best first. The table keeps its default order all the same.
    """
    if view_name != "table" or table != "articles" or request is None:
        return {}
    if request.args.get("_sort") or request.args.get("_sort_desc"):
        return {}
    return {"sort": None, "sort_desc": None}


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """A search over the bounds, or not FTS5 syntax in raw mode, matches no row.

    Datasette's own search filter still adds its FTS5 clause; SQLite tests a constant
    false clause such as the one added here before any other, so it runs no search at
    all (nor reads the raw query's syntax: no "Invalid SQL" page). The page says why
    (``_table.html``); JSON and CSV are a 400 with the same sentence, not an empty
    answer a program would trust.
    """

    async def refuse() -> FilterArguments | None:
        searches = [request.args[key] for key in request.args
                    if key.startswith("_search") and key != "_searchmode"]  # fmt: skip
        if not searches:
            return None
        db = datasette.get_database(database)
        fts_table = (
            request.args.get("_fts_table")
            or datasette.table_metadata(database, table).get("fts_table")
            or await db.fts_table(table)
        )
        if not fts_table:
            return None  # Datasette ignores the search: so does this
        raw = raw_search_mode(datasette, database, table, request)
        for search in searches:
            if (sentence := search_refusal(search, raw=raw)) is not None:
                break
        else:
            return None
        if request.url_vars.get("format") not in (None, "html"):
            raise BadRequest(sentence)
        return FilterArguments(["0"], extra_context={"wic_search_refused": sentence})

    return refuse


def highlighted(marked: str | None, trusted: bool = True) -> Markup:
    """Text marked by FTS5's highlight() as safe HTML: escaped, the matches in <mark>.

    ``trusted`` false: the indexed text held mark characters of its own, so no mark
    can be told from a forged one; the text is shown without any.
    """
    text, spans = _marks(marked)
    return _render(text, spans if trusted else [], 0, len(text))


def excerpt(marked: str | None, trusted: bool = True) -> Markup:
    """About ``EXCERPT_CHARS`` of a marked body, where most different terms meet.

    As FTS5's snippet(): the window holding the most distinct matched words (then the
    most matches, then the earliest), centred on them, cut at spaces; linear in the
    text. Not ``trusted``: the window is chosen alike, and shown without marks.
    """
    text, spans = _marks(marked, EXCERPT_MARKS)
    chinese = mostly_han(text[:2000])
    width = EXCERPT_CHARS_CHINESE if chinese else EXCERPT_CHARS
    words = [text[a:b].lower() for a, b in spans]
    first, last, best = 0, 0, (0, 0)
    seen: dict[str, int] = {}
    j = 0
    for i, (start, _) in enumerate(spans):  # the window from each mark on: two pointers
        while j < len(spans) and spans[j][1] <= start + width:
            seen[words[j]] = seen.get(words[j], 0) + 1
            j += 1
        if (len(seen), j - i) > best:
            best, first, last = (len(seen), j - i), start, spans[j - 1][1]
        if j > i:
            seen[words[i]] -= 1
            if not seen[words[i]]:
                del seen[words[i]]
        else:
            j = i + 1  # a mark longer than the window: it alone
    begin = max(0, min(first - (width - (last - first)) // 2, len(text) - width))
    end = min(len(text), max(begin + width, last))
    if not chinese:  # whole words only: to the space before and after, if near
        if begin and (space := text.find(" ", begin, min(first, begin + 20))) >= 0:
            begin = space + 1
        if end < len(text) and (space := text.rfind(" ", max(last, end - 20), end)) >= 0:
            end = space
    more = end < len(text) or len(marked or "") >= BODY_SCAN_CHARS
    return (
        Markup("…" if begin else "")
        + _render(text, spans if trusted else [], begin, end)
        + Markup("…" if more else "")
    )


def _marks(marked: str | None, limit: int | None = None) -> tuple[str, list[tuple[int, int]]]:
    """The text without its marks, and where the first ``limit`` marks were in it."""
    text = unsegment(marked or "")
    spans = []
    for taken, match in enumerate(_MARKED.finditer(text)):
        if taken == limit:
            break
        start = match.start() - 2 * taken  # two mark characters before it per mark
        spans.append((start, start + len(match.group(1))))
    # A mark cut off by BODY_SCAN_CHARS is left unmarked; stray marks (untrusted text)
    # shift the spans only by one character each, and such spans are never shown.
    return text.replace(MARK_START, "").replace(MARK_END, ""), spans


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> Markup:
    """``text[start:end]`` escaped, with the spans inside it in <mark>."""
    out: list[str] = []
    at = start
    for a, b in spans:
        a, b = max(a, start), min(b, end)
        if a >= b or a < at:
            continue
        out += [str(escape(text[at:a])), "<mark>", str(escape(text[a:b])), "</mark>"]
        at = b
    out.append(str(escape(text[at:end])))
    return Markup("".join(out))


def web_address(url: str | None) -> str | None:
    """``url`` if it is an http or https address, else None: only those become links.

    Checked on the string as it would go into href, so a javascript: or data: address
    (or one behind spaces or control characters a browser would skip) stays text.
    """
    return url if url and _WEB_ADDRESS.match(url) else None


def organizer_link(datasette: Any, database: str, name: str) -> str:
    """Where an organizer's name leads: the articles whose pages list it."""
    path = datasette.urls.table(database, "articles_by_organizer")
    return f"{path}?organizer={quote(name)}"


@hookimpl
def render_cell(
    row: Any, value: object, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    if table == "organizers" and column == "name" and isinstance(value, str):
        return Markup('<a href="{}">{}</a>').format(
            organizer_link(datasette, database, value), value
        )
    if table == "pages" and column == "raw" and isinstance(value, bytes):
        # The stored form is compressed: Datasette's own .blob link would give that.
        return _raw_link(row, value, datasette, database)
    return article_link(row, value, column, table, database, datasette)


def _raw_link(row: Any, value: bytes, datasette: Any, database: str) -> Markup | None:
    keys = row.keys() if hasattr(row, "keys") else ()
    if "sha256" not in keys:
        return None
    size = row["size"] if "size" in keys and row["size"] is not None else len(value)
    path = f"{datasette.urls.database(database)}/-/raw/{row['sha256']}"
    return Markup('<a href="{}" download>original bytes ({:,} bytes)</a>').format(path, size)


@hookimpl
def extra_template_vars(
    view_name: str, table: str | None, database: str | None, request: Any, datasette: Any
) -> Any:
    async def article_vars() -> dict[str, Any]:
        if database is None or request is None:
            return {}
        db = datasette.get_database(database)
        if view_name == "row" and table == "articles":
            return {"wic_article": await _article(db, datasette, database, request)}
        if view_name == "table" and table == "articles" and request.args.get("_search"):
            raw = raw_search_mode(datasette, database, table, request)
            page = page_number(request.args.get("_page"))
            # The hits read the candidates the table reads: within the page's filters.
            clauses, params = await page_filters(request, database, table, datasette)
            scope = (within(SEARCH_TABLE, table, "rowid", clauses), params)
            order = order_of(request, await db.table_columns(table))
            size = hits_per_page(request)
            hits = await _hits(db, request.args["_search"], raw, page, scope, order, size)
            if hits.get("pages"):
                hits["links"] = _page_links(request, page, hits["pages"])
            hits["orders"] = order_links(request, order)
            return {"wic_hits": hits}
        if view_name == "database":
            changes = None
            if await db.table_exists("article_events"):
                changes = f"{datasette.urls.database(database)}/-/changes"
            return {"wic_table_order": TABLE_ORDER, "wic_changes_url": changes}
        return {}

    return article_vars


async def _article(db: Any, datasette: Any, database: str, request: Any) -> dict[str, Any]:
    article_id = tilde_decode(request.url_vars["pks"])
    rows = (await db.execute("select * from articles where id = ?", [article_id])).rows
    if not rows:
        return {}
    article = dict(rows[0])
    related = {
        # Every column: a database not yet opened by this wic-etl has no sha256 yet.
        "images": "select * from images where article_id = ? order by position",
        "organizers": "select o.name from article_organizers ao join organizers o "
        "on o.id = ao.organizer_id where ao.article_id = ? order by ao.position",
        "removed": "select kind, text from removed_lines where article_id = ? order by position",
    }
    for key, sql in related.items():
        article[key] = [dict(r) for r in (await db.execute(sql, [article_id])).rows]
    for image in article["images"]:
        image["archive"] = image_path(datasette, database, image.get("sha256"))
        image["link"] = web_address(image["src"])
    for organizer in article["organizers"]:
        organizer["link"] = organizer_link(datasette, database, organizer["name"])
    article["paragraphs"] = [p for p in (article["body"] or "").split("\n\n") if p.strip()]
    article["subheads"] = subheads_of(article.get("subheads"))
    article["link"] = web_address(article["url"])
    if await db.table_exists("article_versions"):
        history = await db.execute_fn(lambda conn: article_history(conn, article_id))
        article["history"] = _history_vars(history, datasette, database)
    return article


def subheads_of(stored: object) -> frozenset[str]:
    """The subheads of an article's ``subheads`` column (a JSON list; NULL or not a list of
    texts: none, the paragraphs are shown as paragraphs)."""
    try:
        found = json.loads(stored) if isinstance(stored, str) else []
    except ValueError:
        return frozenset()
    return (
        frozenset(s for s in found if isinstance(s, str))
        if isinstance(found, list)
        else frozenset()
    )


def _history_vars(history: Any, datasette: Any, database: str) -> dict[str, Any]:
    """An article's history as its page's template reads it: runs and addresses as links."""

    def run_link(run_id: str | None) -> str | None:
        return datasette.urls.row(database, "runs", tilde_encode(run_id)) if run_id else None

    def event(e: Any) -> dict[str, Any] | None:
        if e is None:
            return None
        return {**vars(e), "link": web_address(e.url), "said": said(e.http_status, e.detail)}

    return {
        **vars(history),
        "versions": [{**vars(v), "run_link": run_link(v.run_id)} for v in history.versions],
        "events": [event(e) for e in history.events],
        "removal": event(history.removal),
        "versions_link": datasette.urls.table(database, "article_versions"),
        "events_link": datasette.urls.table(database, "article_events"),
    }


KIND_LABELS = {
    "edited": "Edited", "removed": "Removed", "restored": "Restored", "moved": "Moved",
    MINOR: "Minor edit",
}  # fmt: skip
# Changes that made a version: their link goes to it on the article's page.
_WITH_VERSION = (EDITED, MINOR, "restored")
# Changes whose version is what they changed: the feed shows its diff. Not a restoration:
# the version it shows again may be old, and its diff is not what the site just did.
_WITH_DIFF = (EDITED, MINOR)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    # Under the database, after Datasette's "/-/" for its own pages: no table name can
    # take it (a table is one path segment), and plugin routes are matched first.
    return [
        (r"^/(?P<database>[^/]+)/-/changes(?P<atom>\.atom)?$", changes_view),
        (IMAGE_ROUTE, image_view),
        (r"^/(?P<database>[^/]+)/-/raw/(?P<sha256>[0-9a-f]{64})$", raw_view),
    ]


async def raw_view(datasette: Any, request: Any) -> Response:
    """A stored page's original bytes, as a download with the page's content type."""
    database, sha = request.url_vars["database"], request.url_vars["sha256"]
    try:
        db = datasette.get_database(database)
    except KeyError:
        raise NotFound(f"Database not found: {database}") from None
    await datasette.ensure_permissions(
        request.actor,
        [("view-table", (database, "pages")), ("view-database", database), "view-instance"],
    )
    found = await db.execute_fn(lambda conn: _raw_page(conn, sha))
    if found is None:
        raise NotFound(f"No page with SHA-256 {sha} is stored in {database}.")
    data, content_type = found
    return Response(
        data,
        content_type=content_type or "application/octet-stream",
        headers={
            # A download, never shown in the archive's own origin: the page's scripts
            # must not run as Datasette's.
            "content-disposition": f'attachment; filename="{sha}{_extension(content_type)}"',
            "x-content-type-options": "nosniff",
        },
    )


def _raw_page(conn: sqlite3.Connection, sha: str) -> tuple[bytes, str | None] | None:
    row = conn.execute("select content_type, format from pages where sha256 = ?", [sha]).fetchone()
    if row is None:
        return None
    # A saved file came with no content type: what it was read as says it.
    content_type = row[0] or _SAVED_TYPES.get(row[1])
    if not has_raw_store(conn):  # a database not yet opened by this wic-etl: bytes as they are
        (raw,) = conn.execute("select raw from pages where sha256 = ?", [sha]).fetchone()
        return bytes(raw), content_type
    return stored_raw_page(Database(conn), sha), content_type


_SAVED_TYPES = {"html": "text/html", "text": "text/plain"}


def _extension(content_type: str | None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    return {"text/html": ".html", "text/plain": ".txt", "application/xhtml+xml": ".html"}.get(
        kind, ""
    )


def _change_link(datasette: Any, database: str, change: Change) -> str:
    """The article's page, at the version a change made when it made one."""
    path = datasette.urls.row(database, "articles", tilde_encode(change.article_id))
    if change.version is not None and change.kind in _WITH_VERSION:
        return f"{path}#version-{change.version}"
    return str(path)


def said(http_status: int | None, detail: str | None) -> str:
    """An event's status and detail in one phrase (``HTTP 404: soft 404 page``), the
    status left out where the detail already gives it."""
    status = f"HTTP {http_status}" if http_status is not None else ""
    if status and detail and str(http_status) in detail:
        status = ""
    return ": ".join(part for part in (status, detail or "") if part)


def _detail(change: Change) -> str:
    """What the recent-changes page says of a change beside its kind."""
    if change.kind == EDITED and change.detail:
        return f"changed: {change.detail}"  # the fields, as the event lists them
    if change.kind == MINOR:
        return "spacing, punctuation or the time line"
    return said(change.http_status, change.detail)


def _when(at: str) -> str:
    """A stored time as a page shows it: ``2026-01-05 10:11`` (wic-etl writes UTC)."""
    return at[:16].replace("T", " ")


async def changes_view(datasette: Any, request: Any) -> Response:
    """Recent changes across the archive, as a page (paged) or an Atom feed (the newest)."""
    database = request.url_vars["database"]
    try:
        db = datasette.get_database(database)
    except KeyError:
        raise NotFound(f"Database not found: {database}") from None
    await datasette.ensure_permissions(
        request.actor,
        [("view-table", (database, "article_events")), ("view-database", database),
         "view-instance"],
    )  # fmt: skip
    if not await db.table_exists("article_events"):
        raise NotFound("This database keeps no versions yet: open it with wic-etl to add them.")
    minor = request.args.get("minor") not in (None, "", "0")
    feed = bool(request.url_vars.get("atom"))
    cursor = None if feed else parse_cursor(request.args.get("before"), request.args.get("key"))
    changes, next_cursor = await db.execute_fn(
        lambda conn: recent_changes(conn, PAGE, cursor, minor)
    )
    page_path = f"{datasette.urls.database(database)}/-/changes"
    if feed:
        return await _feed(datasette, request, db, database, changes, page_path, minor)
    rows = [
        {**vars(c), "link": _change_link(datasette, database, c), "when": _when(c.at),
         "label": label_of(c), "said": _detail(c)}
        for c in changes
    ]  # fmt: skip
    query = "minor=1&" if minor else ""
    next_url = None
    if next_cursor is not None:
        at, src, n = next_cursor
        next_url = f"{page_path}?{query}before={quote(at)}&key={src}{n}"
    context = {
        "database": database,
        "changes": rows,
        "minor": minor,
        "first_page": cursor is None,
        "next_url": next_url,
        "first_url": f"{page_path}?{query}".rstrip("?&"),
        "toggle_url": page_path if minor else f"{page_path}?minor=1",
        "feed_url": f"{page_path}.atom" + ("?minor=1" if minor else ""),
    }
    html = await datasette.render_template("wic_changes.html", context, request=request)
    return Response.html(html)


async def _feed(
    datasette: Any,
    request: Any,
    db: Any,
    database: str,
    changes: list[Change],
    page_path: str,
    minor: bool,
) -> Response:
    """The changes as Atom entries, each edit with its diff as the entry's content."""
    with_diff = [(c.key, c.article_id, c.version) for c in changes
                 if c.kind in _WITH_DIFF and c.version is not None]  # fmt: skip
    diffs = await db.execute_fn(
        lambda conn: {key: edit_diff(conn, a, v) for key, a, v in with_diff if v is not None}
    )
    template = datasette.jinja_env.get_template("_wic_feed_entry.html")
    entries = []
    for change in changes:
        link = datasette.absolute_url(request, _change_link(datasette, database, change))
        article_page = link.split("#")[0]
        label = label_of(change)
        summary = _summary(change)
        content = await template.render_async(
            change=change, label=label, summary=summary, diffs=diffs.get(change.key, [])
        )
        entries.append(
            Entry(
                # The article's page and the change's own key: one id per change, kept
                # when the feed is read again (a reader shows each change once).
                id=f"{article_page}#change-{change.key}",
                title=f"{label}: {change.title or change.article_id}",
                updated=change.at,
                link=link,
                summary=summary,
                content_html=content,
            )
        )
    query = "?minor=1" if minor else ""
    body = atom_feed(
        feed_id=datasette.absolute_url(request, f"{page_path}.atom{query}"),
        title=f"{datasette.metadata('title') or database}: recent changes",
        self_link=datasette.absolute_url(request, f"{page_path}.atom{query}"),
        html_link=datasette.absolute_url(request, f"{page_path}{query}"),
        entries=entries,
    )
    return Response(body, content_type=f"{MEDIA_TYPE}; charset=utf-8")


def _summary(change: Change) -> str:
    """One sentence of what happened, for a feed reader's list."""
    what = said(change.http_status, change.detail)
    if change.kind == EDITED:
        return f"Version {change.version}: changed {change.detail or 'the record'}."
    if change.kind == MINOR:
        return f"Version {change.version}: only spacing, punctuation or the time line changed."
    if change.kind == "removed":
        return f"Taken down from the site ({what or 'no longer there'})."
    return f"{label_of(change)}: {what}." if what else f"{label_of(change)}."


def label_of(change: Change) -> str:
    """What a reader calls a change's kind (Edited, Removed, Minor edit ...)."""
    return KIND_LABELS.get(change.kind, change.kind)


def _page_links(request: Any, page: int, pages: int) -> dict[str, str | None]:
    """The previous and next pages of hits, as addresses (None where there is none)."""

    def to(n: int) -> str:
        return str(path_with_replaced_args(request, {"_page": None if n == 1 else str(n)}))

    return {"previous": to(page - 1) if page > 1 else None,
            "next": to(page + 1) if page < pages else None}  # fmt: skip


def page_number(value: str | None) -> int:
    """The page of hits asked for (``?_page=``), 1 if none or not a page number."""
    return int(value) if value and value.isdigit() and 0 < int(value) < 10**6 else 1


async def _hits(
    db: Any,
    query: str,
    raw: bool,
    page: int = 1,
    scope: tuple[str, dict[str, Any]] = ("", {}),
    order: Order = BEST_FIRST,
    size: int = HITS,
) -> dict[str, Any]:
    """Page ``page`` of a search's hits, ``size`` a page, in ``order`` (best first), with
    a marked title and excerpt each.

    The search's candidates (``MAX_CANDIDATES`` at most), within ``scope`` (the page's
    filters: ``search_scope.within`` and its parameters), are ordered by their rowids,
    ranks and the order's column alone; only the page's articles are then read. Raw mode
    reads the query as FTS5 syntax, as Datasette's table then does. A search the bounds
    refuse runs no query: ``filters_from_request`` has put its sentence on the page.
    """
    if search_refusal(query, raw=raw) is not None:
        return {}
    try:
        fts = query if raw else search_query(query)
        most = search_bounds.MAX_CANDIDATES
        condition, params = scope
        sql = candidates_sql("articles", condition, order)
        found = (await db.execute(sql, {**params, "wic_fts": fts, "wic_most": most})).rows
        more = len(found) > most
        ranked = ordered([tuple(r) for r in found[:most]], order)
        shown = ranked[(page - 1) * size : page * size]
        rows = []
        if shown:
            sql = _PAGE_SQL.format(rowids=", ".join(str(int(r)) for r in shown))
            params = {"fts": fts, "low": min(shown), "high": max(shown)}
            rows = (await db.execute(sql, params)).rows
    except QueryInterrupted:
        message = "This search took too long to rank; the table below has its results."
        return {"error": True, "rows": [], "message": message}
    except sqlite3.Error:  # the table view itself says what is wrong with the query
        return {"error": True, "rows": []}
    place = {rowid: n for n, rowid in enumerate(shown)}
    hits = [
        dict(row)
        | {
            "title_marked": highlighted(row["title_marked"], bool(row["title_clean"])),
            "snippet": excerpt(row["body_marked"], bool(row["body_clean"])),
        }
        for row in sorted(rows, key=lambda row: place[row["rowid"]])
    ]
    return {
        "error": False,
        "rows": hits,
        "limit": size,
        "found": len(ranked),
        "more": more,
        "most": most,
        "page": page,
        "first": (page - 1) * size + 1,
        "pages": -(-len(ranked) // size),
        "ordered_by": order.column,
    }
