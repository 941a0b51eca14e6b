"""Full-text search that finds Chinese words as well as English ones.

SQLite's tokenizers split text at spaces and punctuation, and Chinese puts
neither between words: to ``unicode61`` a whole run of Han characters is one
token, so ``数字`` finds nothing inside ``数字经济发展``. ``articles_search`` (FTS5)
therefore indexes a *segmented copy* of each article:

- ``title`` and ``body``: the text with a zero-width space (U+200B, declared a
  separator) on each side of every Han character, so each Han character is a
  token and everything else (English words, numbers) is tokenized as before.
  A query term is segmented the same way and searched as a phrase, so a Chinese
  query of any length matches exactly where its characters stand together: a
  substring match, whatever a word segmenter would make of the query or the
  page. The copy reads as the original once the zero-width spaces are dropped,
  so FTS5's ``snippet()`` gives readable excerpts.
- ``words``: the jieba search-mode words (``jieba.cut_for_search``) of title and
  body, two Han characters or more. Never needed for a match; a query term that
  is all Han also asks for it (``OR words: ...``), so a page where the term is a
  word ranks above one where its characters only meet across two words
  (``中国`` in ``发展中国家``).

The table's rowid is the article's rowid (what Datasette's ``fts_pk`` expects).
The loader writes it wherever it writes an article
(:func:`index_article_for_search`); :func:`rebuild_search_index` fills it from
``articles`` (the migration, or after a ``VACUUM``, which may renumber rowids).
"""

from __future__ import annotations

import logging
import re

from sqlite_utils import Database

SEARCH_TABLE = "articles_search"
ZWSP = "\u200b"
# CJK Unified Ideographs with extension A, compatibility ideographs and extensions B-F.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_HAN_ONLY = re.compile(f"[{_HAN}]+")
_MIN_WORD = 2  # one-character jieba words (的, 在) say nothing about a page

CREATE_SQL = (
    f"create virtual table if not exists [{SEARCH_TABLE}] using fts5("
    "title, body, words, "
    # The separator is declared though unicode61 already treats U+200B as one: the
    # index depends on it, not on a Unicode table that could change.
    f"tokenize = \"unicode61 separators '{ZWSP}'\")"
)
# One article's row; its rowid is the article's rowid in ``articles``.
INSERT_SQL = f"insert into [{SEARCH_TABLE}] (rowid, title, body, words) values (?, ?, ?, ?)"


def has_han(text: str) -> bool:
    """True if ``text`` holds any Chinese (Han) character."""
    return _HAN_CHAR.search(text) is not None


def segment(text: str) -> str:
    """``text`` with a zero-width space each side of every Han character (each a token)."""
    if not has_han(text):
        return text  # English pages: the copy is the text itself, tokenized as before
    spaced = _HAN_CHAR.sub(lambda m: f"{ZWSP}{m.group()}{ZWSP}", text.replace(ZWSP, ""))
    return spaced.replace(ZWSP * 2, ZWSP)


def unsegment(text: str) -> str:
    """The original text back from a segmented copy (or a snippet of one)."""
    return text.replace(ZWSP, "")


_jieba_ready = False


def jieba_words(text: str) -> str:
    """The jieba search-mode words of ``text`` of two Han characters or more, space-separated."""
    global _jieba_ready
    if not has_han(text):
        return ""  # no Chinese: no need to load jieba's dictionary (about a second)
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(logging.WARNING)  # "Building prefix dict ..." on every run
        _jieba_ready = True
    return " ".join(
        word for word in jieba.cut_for_search(text)
        if len(word) >= _MIN_WORD and _HAN_ONLY.fullmatch(word)
    )  # fmt: skip


def search_row(title: str, body: str) -> tuple[str, str, str]:
    """The indexed columns of one article: segmented title and body, jieba words.

    Pure and worth computing where the article was extracted: jieba takes 1-5 ms
    for a Chinese page, several times what the writer spends on the rest of it.
    """
    return segment(title), segment(body), jieba_words(f"{title}\n{body}")


def create_search_table(db: Database) -> None:
    db.execute(CREATE_SQL)


def index_article_for_search(
    db: Database,
    rowid: int,
    title: str,
    body: str,
    row: tuple[str, str, str] | None = None,
) -> None:
    """(Re)index one stored article, given its rowid in ``articles``.

    Call it wherever an article row is written or rewritten; ``row`` is its
    ``search_row`` if already computed.
    """
    columns = row if row is not None else search_row(title, body)
    db.conn.execute(f"delete from [{SEARCH_TABLE}] where rowid = ?", [rowid])
    db.conn.execute(INSERT_SQL, [rowid, *columns])


def rebuild_search_index(db: Database) -> int:
    """Index every article afresh (after a migration or a VACUUM); the number indexed."""
    create_search_table(db)
    db.conn.execute(f"delete from [{SEARCH_TABLE}]")
    rows = db.execute("select rowid, title, body from articles").fetchall()
    db.conn.executemany(
        INSERT_SQL,
        ((rowid, *search_row(title or "", body or "")) for rowid, title, body in rows),
    )
    return len(rows)


_TERMS = re.compile(r'\s+|(".*?")')


def search_query(query: str) -> str:
    """An FTS5 query for ``articles_search`` from what a person typed in a search box.

    As Datasette's ``escape_fts``: every whitespace-separated term, or "quoted
    phrase", must be present (no FTS5 operators), but each is segmented as the
    index is, so a Chinese term is a phrase of its characters.
    """
    if query.count('"') % 2:
        query += '"'
    terms = [t for t in _TERMS.split(query) if t and t != '""']
    # AND spelled out: FTS5 reads two neighbouring phrases as AND, but not a (group).
    return " AND ".join(_term(t[1:-1] if t.startswith('"') else t) for t in terms)


def _term(term: str) -> str:
    phrase = '"{}"'.format(segment(term).replace('"', '""'))
    if _HAN_ONLY.fullmatch(term) and len(term) >= _MIN_WORD:
        return f'({phrase} OR words : "{term}")'
    return phrase


def matching(db: Database, query: str) -> list[str]:
    """Ids of the articles that ``query`` finds, best first (for tests and scripts)."""
    rows = db.execute(
        f"select a.id from [{SEARCH_TABLE}] s join articles a on a.rowid = s.rowid "
        f"where [{SEARCH_TABLE}] match ? order by s.rank",
        [search_query(query)],
    ).fetchall()
    return [row[0] for row in rows]
