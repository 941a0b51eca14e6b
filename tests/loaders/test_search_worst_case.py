"""The most expensive searches a person can send, against a large archive, over HTTP.

An archive of long articles (``tests.corpus.make_archive``: 6,000 characters each,
one in four Chinese) is loaded by the project's loader and served by ``wic-etl
datasette``; the searches are made of the archive's own most frequent words, as
many and as long as the bounds allow. Each whole page (the hit list, Datasette's
table, its count and facets) must hold the server's core for less than the SQL time
limit the app sets for one query; a search over the bounds must get its sentence
at once, and leave nothing running.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import pytest

from flows.batch import ingest_batch
from loaders.store import Store
from tests.conftest import SITES, Served, datasette_server
from tests.corpus import make_archive

pytestmark = pytest.mark.slow  # an archive of 1,200 long articles to load: about 20 s

ARTICLES = 1200
BATCH = 300
Archive = tuple[Served, Path]  # the server, and the database it serves


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    tmp = tmp_path_factory.mktemp("archive")
    pages = sorted(str(p) for p in make_archive(tmp / "pages", ARTICLES).iterdir())
    db_path = tmp / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["archive"])
        for start in range(0, len(pages), BATCH):
            counts = ingest_batch(store, pages[start : start + BATCH], "run-1")
            assert counts.failed == 0
    with datasette_server(db_path) as served:
        yield served, db_path


def time_limit_s(db_path: Path) -> float:
    from loaders.datasette_app import make_datasette

    return float(make_datasette(db_path, SITES).setting("sql_time_limit_ms")) / 1000


def frequent(conn: sqlite3.Connection, column: str, keep: str, count: int) -> list[str]:
    """The ``count`` tokens of ``column`` found most often, of those matching SQL ``keep``."""
    rows = conn.execute(
        f"select term from temp.vocab where col = ? and {keep} order by cnt desc limit ?",
        [column, count],
    )
    return [term for (term,) in rows]


def worst_searches(db_path: Path) -> dict[str, tuple[str, bool]]:
    """Name -> (search, raw mode): the costliest searches within the bounds."""
    from loaders.search import (
        MAX_NEAR_DISTANCE,
        MAX_PREFIXES,
        MAX_QUERY_CHARS,
        MAX_TERMS,
        MIN_PREFIX_CHARS,
    )

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.execute("create virtual table temp.vocab using fts5vocab(main, articles_search, col)")
    ascii_word = "term glob '[a-z]*' and term not glob '*[^a-z]*'"
    english = frequent(conn, "body", ascii_word, MAX_TERMS)
    han = frequent(conn, "body", "unicode(term) > 13311", MAX_TERMS)  # each Han character
    words = frequent(conn, "words", "1", MAX_TERMS)  # jieba words: a phrase OR a word each
    prefixes = [
        term for (term,) in conn.execute(
            f"select substr(term, 1, {MIN_PREFIX_CHARS}) as p from temp.vocab where col = 'body' "
            f"and {ascii_word} and length(term) >= {MIN_PREFIX_CHARS} group by p "
            f"order by sum(cnt) desc limit {MAX_PREFIXES}"
        )
    ]  # fmt: skip
    (zh_body,) = conn.execute("select body from articles where language = 'zh' limit 1").fetchone()
    (en_body,) = conn.execute("select body from articles where language = 'en' limit 1").fetchone()
    conn.close()
    # Quoted phrases of an article's own words filling the longest query allowed.
    en_words = en_body.split()
    step = max(1, (MAX_QUERY_CHARS // MAX_TERMS - 3) // 6)
    phrases = [" ".join(en_words[i * step : (i + 1) * step]) for i in range(MAX_TERMS)]
    quoted = " ".join(f'"{p}"' for p in phrases)[:MAX_QUERY_CHARS]
    quoted = quoted[: quoted.rfind('"') + 1]
    rest = english[: MAX_TERMS - MAX_PREFIXES]
    searches = {
        "frequent English words": (" ".join(english), False),
        "frequent Chinese characters": (" ".join(han), False),
        "frequent Chinese words": (" ".join(words), False),
        "one word, as often as allowed": (" ".join([english[0]] * MAX_TERMS), False),
        "a Chinese passage as long as allowed": ("".join(zh_body.split())[:MAX_QUERY_CHARS], False),
        "English phrases as long as allowed": (quoted, False),
        "raw: frequent words": (" OR ".join(english), True),
        "raw: shortest prefixes": (" OR ".join([f"{p}*" for p in prefixes] + rest), True),
        "raw: prefixes AND words": (" ".join([f"{p}*" for p in prefixes] + rest), True),
        "raw: NEAR over frequent words": (f"NEAR({' '.join(english)}, {MAX_NEAR_DISTANCE})", True),
    }
    for name, (search, _) in searches.items():
        assert len(search) <= MAX_QUERY_CHARS, name
    return searches


def test_the_worst_searches_allowed_answer_within_the_time_limit(archive: Archive) -> None:
    served, db_path = archive
    limit = time_limit_s(db_path)
    took: dict[str, tuple[float, float]] = {}  # name -> (seconds, CPU seconds of the server)
    for name, (search, raw) in worst_searches(db_path).items():
        url = f"{served.url}/articles?_search={quote_plus(search)}"
        url += "&_searchmode=raw" if raw else ""
        # The fastest of three: what the search costs, not what other work on a shared
        # machine took from it (the CPU time the server spent is printed beside).
        for _ in range(3):
            cpu, started = served.cpu_seconds(), time.perf_counter()
            page = httpx.get(url, timeout=60)
            spent = (time.perf_counter() - started, served.cpu_seconds() - cpu)
            took[name] = min(took.get(name, spent), spent)
            assert page.status_code == 200, (name, page.text[:500])
        assert 'class="wic-hit"' in page.text, f"{name}: no hit list (found nothing, or failed)"
        assert 'class="wic-search-refused"' not in page.text, name
    print("\n" + "\n".join(f"{s * 1000:6.0f} ms ({cpu * 1000:4.0f} ms CPU)  {name}"
                            for name, (s, cpu) in took.items()))  # fmt: skip
    # Every query of each page ran within Datasette's limit (none was interrupted: the
    # hit list and the table are there), and the whole page held the server's core for
    # less than that limit. Its wall-clock time is that CPU time on an idle machine; on
    # one shared with other work (the test suites of other checkouts) it is up to
    # twice that, hence the wider bound on it.
    for name, (seconds, cpu) in took.items():
        assert cpu < limit, f"{name}: {cpu:.2f} s of CPU, limit {limit} s"
        assert seconds < 2 * limit, f"{name}: {seconds:.2f} s, limit {limit} s"


def test_a_search_far_over_the_bounds_gets_its_sentence_at_once(archive: Archive) -> None:
    served, db_path = archive
    base = served.url
    limit = time_limit_s(db_path)
    # 12 KB of one-letter words: minutes of FTS5 work before the bounds, and a server
    # thread still busy long after the person has given up.
    for search, raw in ((" ".join(["a"] * 6000), False), (" OR ".join(["a"] * 2000), True)):
        url = f"{base}/articles?_search={quote_plus(search)}" + ("&_searchmode=raw" if raw else "")
        started = time.perf_counter()
        page = httpx.get(url, timeout=limit * 5)
        assert time.perf_counter() - started < limit
        assert page.status_code == 200
        said = page.text.split('<p class="wic-search-refused">')[1].split("</p>")[0]
        assert f"{len(search)} characters" in said
    # Nothing was left running: the server's core is idle once the answer is out.
    cpu = served.cpu_seconds()
    time.sleep(1)
    assert served.cpu_seconds() - cpu < 0.1
