"""A search finds a word whatever form it is typed in, and a typo never breaks the page.

Full-width letters and digits (``５Ｇ``), Chinese punctuation between words, searches
FTS5 cannot read; Chinese excerpts as long to read as English ones. Through wic-etl's
Datasette over HTTP, on databases of the fixtures.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from core.records import Extracted, RawPage
from extractors.extract import RULESET, extract_page
from flows.batch import ingest_batch
from loaders.datasette_app import make_datasette
from loaders.schema import migrations, open_database
from loaders.search import SEARCH_TABLE, matching
from loaders.store import Store
from tests.conftest import SAVED, SITES, saved_pages, store_of


@pytest.fixture(scope="module")
def fixtures_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db_path = tmp_path_factory.mktemp("search_forms") / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages()], "run-1")
    return str(db_path)


def pages(db_path: str, *paths: str) -> list[str]:
    async def fetch_all() -> list[str]:
        client = make_datasette(db_path, SITES).client
        answers = [await client.get(path) for path in paths]
        for path, answer in zip(paths, answers, strict=True):
            assert answer.status_code == 200, (path, answer.text[:300])
        return [a.text for a in answers]

    return asyncio.run(fetch_all())


def hit_ids(page: str) -> list[str]:
    return re.findall(r'<h3 class="wic-hit-title"><a href="[^"]*/articles/([0-9a-f]+)"', page)


def search(db_path: str, *queries: str) -> list[list[str]]:
    return [hit_ids(p) for p in pages(db_path, *(f"/wic/articles?_search={quote(q)}"
                                                 for q in queries))]  # fmt: skip


def test_full_width_letters_and_digits_find_what_the_plain_forms_find(fixtures_db: str) -> None:
    plain_5g, wide_5g, plain_ai, wide_ai = search(fixtures_db, "5G", "５Ｇ", "AI", "ＡＩ")
    assert plain_5g and wide_5g == plain_5g
    assert plain_ai and wide_ai == plain_ai


def test_a_page_printed_in_full_width_forms_is_found_by_the_plain_ones(tmp_path: Path) -> None:
    page = (SAVED / "text" / "wic_zh_digital_economy.txt").read_text("utf-8")
    assert "移动支付" in page
    page = page.replace("移动支付", "移动支付和５Ｇ网络", 1)
    outcome = extract_page(RawPage("wide.txt", page.encode()))
    assert isinstance(outcome, Extracted) and "５Ｇ" in outcome.article.body
    db_path = tmp_path / "wic.db"
    db = open_database(db_path)
    store_of(db).start_run("run-1", "ingest", ["wide.txt"])
    store_of(db).load([outcome], "run-1", RULESET)
    db.close()
    plain, wide = search(str(db_path), "5g", "５Ｇ")
    assert plain == wide == [outcome.article.id]
    (html,) = pages(str(db_path), "/wic/articles?_search=5G")
    assert re.search(r"<mark>5G</mark>", html)  # the excerpt marks the word found


def test_chinese_punctuation_between_words_splits_them(fixtures_db: str) -> None:
    spaced, comma, enumeration, quoted = search(
        fixtures_db, "乌镇 互联网", "乌镇，互联网", "乌镇、互联网", "“乌镇”“互联网”"
    )
    assert spaced and comma == spaced and enumeration == spaced and quoted == spaced


@pytest.mark.parametrize(
    "query", ['"', "+", '""', "(", "(wuzhen", "wuzhen)", "NOT", "AND", "OR wuzhen", "wuzhen NOT",
              "NEAR(", "*", "^wuzhen", "title:", "-wuzhen", "{title}: wuzhen"],
)  # fmt: skip
def test_a_search_fts5_cannot_parse_keeps_the_page_and_its_box(
    fixtures_db: str, query: str
) -> None:
    for mode in ("", "&_searchmode=raw"):
        (page,) = pages(fixtures_db, f"/wic/articles?_search={quote(query)}{mode}")
        assert "Invalid SQL" not in page, (query, mode)
        assert 'id="_search"' in page, (query, mode)  # the search box, to try again
        said = re.search(r'class="wic-(?:hits-count|search-refused)">(.*?)</p>', page, re.S)
        assert said or hit_ids(page), (query, mode)  # hits, or a sentence


def test_a_search_of_plain_words_in_syntax_finds_the_words(fixtures_db: str) -> None:
    plain, bracketed, with_operator = search(fixtures_db, "wuzhen", "(wuzhen", "wuzhen NOT")
    assert plain and bracketed == plain
    assert set(with_operator) <= set(plain)  # "NOT" is a word searched for too


def test_a_chinese_excerpt_reads_about_as_long_as_an_english_one(fixtures_db: str) -> None:
    zh, en = pages(fixtures_db, "/wic/articles?_search=乌镇", "/wic/articles?_search=Wuzhen")

    def excerpts(page: str) -> list[str]:
        found = re.findall(r'<p class="wic-snippet">(.*?)</p>', page, re.S)
        return [re.sub(r"<[^>]+>|…", "", s).strip() for s in found]

    chinese = [len(s) for s in excerpts(zh) if len(s) > 0]
    english_words = [len(s.split()) for s in excerpts(en)]
    assert chinese and english_words
    assert max(chinese) >= 100  # where the article is long enough: not 40-odd characters
    assert max(chinese) <= 130 and max(english_words) <= 50


def test_the_migration_indexes_folded_forms_of_articles_stored_before_it(tmp_path: Path) -> None:
    page = (SAVED / "text" / "wic_zh_digital_economy.txt").read_text("utf-8")
    page = page.replace("移动支付", "移动支付和５Ｇ网络", 1)
    outcome = extract_page(RawPage("wide.txt", page.encode()))
    assert isinstance(outcome, Extracted)
    db_path = tmp_path / "old.db"
    db = open_database(db_path)
    store_of(db).start_run("run-1", "ingest", ["x"])
    store_of(db).load([outcome], "run-1", RULESET)
    # Back to an index written before folding: the text as printed.
    rowid, body = db.execute("select rowid, body from articles").fetchone()
    db.execute(f"update {SEARCH_TABLE} set body = ? where rowid = ?", [body, rowid])
    db.execute("delete from _sqlite_migrations where name = 'fold_search_letters'")
    db.conn.commit()
    assert matching(db, "5G") == []
    assert "fold_search_letters" in {m.name for m in migrations.pending(db)}
    db.close()
    db = open_database(db_path)
    assert matching(db, "5G") == [outcome.article.id]
    db.close()


def test_fold_changes_letters_and_digits_only_and_keeps_punctuation() -> None:
    import unicodedata

    from loaders.search import fold

    for code in range(0x80, 0x10000):
        char = chr(code)
        folded, plain = fold(char), unicodedata.normalize("NFKC", char)
        assert folded in (char, plain), hex(code)
        if folded != char:
            assert plain.isalnum(), hex(code)  # never punctuation
    wide = "".join(map(chr, [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                             *range(0xFF41, 0xFF5B)]))  # fmt: skip
    assert fold(wide) == unicodedata.normalize("NFKC", wide)
    assert fold("乌镇，５Ｇ网络“ＡＩ”……①") == "乌镇，5G网络“AI”……1"
