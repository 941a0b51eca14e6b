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

Letters and digits are folded to their plain forms (NFKC: full-width ``５Ｇ`` is
``5G``, a ligature its letters) in the index and in every query alike, so either
form finds both; punctuation is left as printed, so excerpts read as the page. A
search-box query is split into terms at spaces and at Chinese punctuation
(``乌镇，互联网`` is the terms ``乌镇`` and ``互联网``).

Hits are ranked by FTS5's ``bm25()`` with the headline weighted ten times the body
(:data:`RANK_SQL`): an article with the word in its title ranks above one that only
mentions it.

What a person types is bounded (:func:`search_refusal`) before it reaches FTS5: the
cost of FTS5's ranking and highlighting grows faster than the number of terms, and
SQLite cannot interrupt one call of them.

The table's rowid is the article's rowid (what Datasette's ``fts_pk`` expects).
The loader writes it wherever it writes an article
(:func:`index_article_for_search`); :func:`rebuild_search_index` fills it from
``articles`` (the migration, or after a ``VACUUM``, which may renumber rowids).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import unicodedata

from sqlite_utils import Database

SEARCH_TABLE = "articles_search"
ZWSP = "\u200b"
# CJK Unified Ideographs with extension A, compatibility ideographs and extensions B-F.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_HAN_CHAR = re.compile(f"[{_HAN}]")
_HAN_ONLY = re.compile(f"[{_HAN}]+")
_MIN_WORD = 2  # one-character jieba words (的, 在) say nothing about a page

# The marks FTS5's highlight() puts around each match for the hit list. segment() turns
# them into spaces, so no indexed text holds one: stored text cannot forge a mark.
MARK_START, MARK_END = "\x02", "\x03"
_NO_MARKS = str.maketrans({MARK_START: " ", MARK_END: " "})

# Bounds on one search, so that the costliest one a person can send answers well within
# Datasette's time limit for one query (sql_time_limit_ms: 1 s, as wic-etl serves it).
# That limit is checked between steps of SQLite's VM, and FTS5's ranking or marking of
# a row is one step whose cost grows with the terms times their matches in the row:
# before the bounds 1,000 terms took 7.9 s, 3,000 terms 72 s, and 12 KB of "a a a ..."
# kept a core busy for minutes after the client had left. Measured with the searches of
# tests/loaders/test_search_worst_case.py (the archive's most frequent words, as many
# and as long as allowed) on 2,000 articles of 6,000 characters, one in four Chinese,
# the whole page (hit list, table, count, facets) now takes at most 0.56 s of CPU, for
# 16 frequent Chinese characters: 1.6 times a search for 的 alone (0.35 s); 16 English
# words 0.24 s, a 200-character Chinese passage 0.45 s (growing with its length).
MAX_TERMS = 16  # words or "quoted phrases": more than a search box needs
MAX_QUERY_CHARS = 200
# Raw FTS5 syntax (?_searchmode=raw) adds prefixes: word* reads the index of every word
# it begins, in one step that grows with the archive (t* 16 ms on those 2,000 articles,
# th* 7 ms);
MAX_PREFIXES = 4
MIN_PREFIX_CHARS = 2
# and NEAR(a b c, N): FTS5 pairs up more of the phrases' places the larger N, 100 ms a
# query for 16 frequent words at N = 1,000, 9 ms at 50 (N is 10 unless given).
MAX_NEAR_DISTANCE = 50
_NEAR_DISTANCE = re.compile(r",\s*(\d+)")  # a comma is FTS5 syntax only before it
NOTHING = '""'  # an FTS5 query that finds no row, at once
# The weights of bm25() for the columns title, body, words: a headline match counts ten
# times a body match; a Han term that is a jieba word also matches in words, which
# ranks such a page above one where its characters only meet across two words.
RANK_WEIGHTS = (10.0, 1.0, 1.0)
RANK_SQL = f"bm25([{SEARCH_TABLE}], {', '.join(str(w) for w in RANK_WEIGHTS)})"
# Of the articles a search finds, the most read: the most recently stored ones (the
# highest rowids, which FTS5 reads first and stops after). Ranking, the table, its count
# and facets are worked out among them, so that a search for a word in every other
# article of a 3-million-article archive costs what it costs at 10,000 articles. Each
# candidate is ranked (2-3 us) and then read by each of the table's six queries (sort,
# count, four facets: 5 us a row each on this machine), so 5,000 candidates cost about
# 0.2 s. A page says when a search found more.
MAX_CANDIDATES = 5_000

CREATE_SQL = (
    f"create virtual table if not exists [{SEARCH_TABLE}] using fts5("
    "title, body, words, "
    # The separator is declared though unicode61 already treats U+200B as one: the
    # index depends on it, not on a Unicode table that could change.
    f"tokenize = \"unicode61 separators '{ZWSP}'\")"
)
# One article's row; its rowid is the article's rowid in ``articles``.
INSERT_SQL = f"insert into [{SEARCH_TABLE}] (rowid, title, body, words) values (?, ?, ?, ?)"


_fold_table: dict[int, str] | None = None
_may_fold: re.Pattern[str] | None = None
# Ranges of the blocks above that Chinese and English text use often and where nothing
# folds (punctuation, full-width punctuation): text with only those is not copied.
_PUNCTUATION = ((0x2000, 0x206F), (0xFF00, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40),
                (0xFF5B, 0xFF65))  # fmt: skip
# The blocks where a letter or digit has a compatibility form: Latin ligatures, letter-
# like symbols, circled and parenthesised numbers, CJK compatibility ideographs and
# squared words, full-width and half-width forms, mathematical alphanumerics.
_FOLD_BLOCKS = ((0x00A0, 0x2FFF), (0x3200, 0x33FF), (0xF900, 0xFFEF), (0x1D400, 0x1D7FF))


def fold(text: str) -> str:
    """``text`` with each letter and digit in its NFKC form (``５Ｇ`` -> ``5G``).

    Per character, and letters and digits only: full-width punctuation (``，``) stays
    as printed, so an excerpt of the indexed text reads as the page; and a character
    keeps its place (folding never joins two). Applied to the index and to queries.
    """
    global _fold_table, _may_fold
    if text.isascii():
        return text
    if _fold_table is None or _may_fold is None:
        _fold_table, _may_fold = _fold_tables()
    # A few blocks, found at C speed (50 us for 6,000 characters): most Chinese text
    # has nothing to fold, and translating it would cost 15 times that.
    return text.translate(_fold_table) if _may_fold.search(text) else text


def _fold_tables() -> tuple[dict[int, str], re.Pattern[str]]:
    """What each foldable character becomes, and a pattern of the blocks that hold them."""
    table = {}
    for low, high in _FOLD_BLOCKS:
        for code in range(low, high + 1):
            plain = unicodedata.normalize("NFKC", chr(code))
            if plain != chr(code) and plain.isalnum():
                table[code] = plain
    # The blocks, less the punctuation ranges that hold nothing foldable.
    cuts = [(low, -high) for low, high in _PUNCTUATION
            if not any(low <= code <= high for code in table)]  # fmt: skip
    edges = sorted([*_FOLD_BLOCKS, *cuts])
    ranges: list[tuple[int, int]] = []
    for low, high in edges:
        if high >= 0:
            ranges.append((low, high))
        else:  # cut (low, -high) out of the block it lies in
            block_low, block_high = ranges.pop()
            ranges += [(block_low, low - 1), (-high + 1, block_high)]
    pattern = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges if a <= b)
    return table, re.compile(f"[{pattern}]")


def has_han(text: str) -> bool:
    """True if ``text`` holds any Chinese (Han) character."""
    return _HAN_CHAR.search(text) is not None


def mostly_han(text: str) -> bool:
    """True if a quarter or more of ``text`` is Han characters: a Chinese text."""
    return len(_HAN_CHAR.findall(text)) * 4 >= len(text) > 0


def segment(text: str) -> str:
    """``text`` with a zero-width space each side of every Han character (each a token),
    letters and digits folded (:func:`fold`).

    The hit list's marks (``MARK_START``, ``MARK_END``) become spaces: they are control
    characters no article needs, and kept they would read as marks.
    """
    if MARK_START in text or MARK_END in text:
        text = text.translate(_NO_MARKS)
    text = fold(text)
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
    return segment(title), segment(body), jieba_words(fold(f"{title}\n{body}"))


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


# Terms are split at spaces and at the punctuation Chinese puts between words (full-width
# and ideographic: ，。、；：？！“” and the like), which a person may type between words.
_CHINESE_BREAKS = (
    "\u00b7\u2014\u2015\u2018-\u201f\u2026\u3000-\u3003\u3008-\u3011\u3014-\u301f"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
)


def reindex_folded_articles(db: Database) -> int:
    """Index again the articles whose text :func:`fold` changes; the number indexed.

    What an index written before folding needs: every other article's row is the same.
    Read in batches by rowid, so the archive is never held in memory at once.
    """
    create_search_table(db)
    done, last = 0, 0
    while True:
        rows = db.execute(
            "select rowid, title, body from articles where rowid > ? order by rowid limit 1000",
            [last],
        ).fetchall()
        if not rows:
            return done
        for rowid, title, body in rows:
            title, body = title or "", body or ""
            if fold(title) != title or fold(body) != body:
                index_article_for_search(db, rowid, title, body)
                done += 1
        last = rows[-1][0]


_TERMS = re.compile(rf'[\s{_CHINESE_BREAKS}]+|(".*?")')
# A raw FTS5 query's pieces: "strings", barewords (FTS5 takes any non-ASCII character
# into one), and single characters (brackets, :, *, ^, +, -, braces).
_STRING = re.compile(r'"(?:[^"]|"")*"?')
_RAW_TOKEN = re.compile(rf"(?P<string>{_STRING.pattern})|(?P<bare>[\w\x1a\x80-\U0010ffff]+)|\S")
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
_WORD = re.compile(r"[^\W_]+")


def search_query(query: str) -> str:
    """An FTS5 query for ``articles_search`` from what a person typed in a search box.

    As Datasette's ``escape_fts``: every whitespace-separated term, or "quoted
    phrase", must be present (no FTS5 operators), but each is segmented as the
    index is, so a Chinese term is a phrase of its characters. A term given twice is
    searched once. A search over the bounds (:func:`search_refusal`) finds nothing,
    at once: the page says why.
    """
    if search_refusal(query) is not None:
        return NOTHING
    # AND spelled out: FTS5 reads two neighbouring phrases as AND, but not a (group).
    # No term at all (a lone quote, spaces) finds nothing, rather than an FTS5 error.
    return " AND ".join(dict.fromkeys(_term(t) for t in _escaped_terms(query))) or NOTHING


def _escaped_terms(query: str) -> list[str]:
    """The terms of a search-box query, quotes taken off phrases."""
    query = fold(query)
    if query.count('"') % 2:
        query += '"'
    terms = [t for t in _TERMS.split(query) if t and t != '""']
    return [t[1:-1] if t.startswith('"') else t for t in terms]


def _raw_phrases(query: str) -> list[tuple[str, bool]]:
    """(text, is a prefix) of each phrase of a raw FTS5 query; operators, columns left out.

    Only counted, never searched.
    """
    phrases = []
    in_braces = after_comma = False
    for match in _RAW_TOKEN.finditer(query):
        token = match.group()
        distance, after_comma = after_comma, token == ","  # NEAR(a b, 10): 10 is no phrase
        if token in ("{", "}"):
            in_braces = token == "{"  # {title body}: column names
            continue
        if in_braces or distance or token in _OPERATORS or match.lastgroup is None:
            continue
        rest = query[match.end() :].lstrip()
        if rest.startswith(":"):
            continue  # title: quantum
        text = token.strip('"').replace('""', '"') if match.lastgroup == "string" else token
        phrases.append((text, rest.startswith("*")))
    return phrases


_checker = threading.local()


def fts5_syntax_error(query: str) -> str | None:
    """SQLite's message if ``query`` is not a valid FTS5 query for ``articles_search``.

    Asked of an empty table of the same columns in memory: microseconds, no data read.
    """
    conn = getattr(_checker, "conn", None)
    if conn is None:
        conn = _checker.conn = sqlite3.connect(":memory:")
        conn.execute(CREATE_SQL)
    try:
        conn.execute(
            f"select count(*) from [{SEARCH_TABLE}] where [{SEARCH_TABLE}] match ?", [query]
        ).fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    return None


def search_refusal(query: str, raw: bool = False) -> str | None:
    """Why ``query`` is not searched, as a sentence for the page; ``None`` if it is.

    ``raw``: the query is FTS5 syntax (Datasette's ``_searchmode=raw``), checked too.
    The length is checked first, so a query of any size costs microseconds here.
    """
    if len(query) > MAX_QUERY_CHARS:
        return (
            f"This search is {len(query)} characters long; a search can be at most "
            f"{MAX_QUERY_CHARS} characters. Shorten it."
        )
    phrases = _raw_phrases(query) if raw else [(t, False) for t in _escaped_terms(query)]
    if len(phrases) > MAX_TERMS:
        return (
            f"This search has {len(phrases)} words; a search can have at most {MAX_TERMS} "
            "words or quoted phrases. Leave some out."
        )
    if not raw:
        return None
    distances = [int(n) for n in _NEAR_DISTANCE.findall(_STRING.sub('""', query))]
    if distances and max(distances) > MAX_NEAR_DISTANCE:
        return (
            f"This search asks for words up to {max(distances)} apart (NEAR); a search can "
            f"ask for at most {MAX_NEAR_DISTANCE}."
        )
    prefixes = [text for text, is_prefix in phrases if is_prefix]
    if len(prefixes) > MAX_PREFIXES:
        return (
            f"This search has {len(prefixes)} prefix searches (word*); a search can have "
            f"at most {MAX_PREFIXES}."
        )
    for text in prefixes:
        if len((_WORD.findall(text) or [""])[-1]) < MIN_PREFIX_CHARS:
            return (
                f"A prefix search (word*) needs {MIN_PREFIX_CHARS} letters or more before "
                f"the *: {text}* has fewer."
            )
    if (error := fts5_syntax_error(query)) is not None:
        return (
            f"This search is not FTS5 syntax ({error}). Check its quotes, brackets, column "
            "names and operators (AND, OR, NOT, NEAR: in capitals, between words), or "
            "search without _searchmode=raw."
        )
    return None


def _term(term: str) -> str:
    phrase = '"{}"'.format(segment(term).replace('"', '""'))
    if _HAN_ONLY.fullmatch(term) and len(term) >= _MIN_WORD:
        return f'({phrase} OR words : "{term}")'
    return phrase


def matching(db: Database, query: str) -> list[str]:
    """Ids of the articles that ``query`` finds, best first (for tests and scripts)."""
    rows = db.execute(
        f"select a.id from [{SEARCH_TABLE}] s join articles a on a.rowid = s.rowid "
        f"where [{SEARCH_TABLE}] match ? order by {RANK_SQL}",
        [search_query(query)],
    ).fetchall()
    return [row[0] for row in rows]
