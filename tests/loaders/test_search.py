"""Chinese full-text search, through wic-etl's Datasette as a person uses it.

The words are ones a reader would type, picked by hand from the pages' text (the
real Chinese page of fixtures/real and the written Chinese fixtures); which pages
each must find is worked out from the stored text, never written down here.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3

from core.records import Extracted, RawPage
from extractors.extract import RULESET, extract_page
from flows.batch import ingest_batch
from loaders.datasette_app import make_datasette
from loaders.schema import migrations, open_database
from loaders.search import SEARCH_TABLE, matching, search_query, segment, unsegment
from loaders.store import Store
from tests.conftest import FIXTURES, SAVED, SITES, saved_pages, store_of

REAL_ZH = FIXTURES / "real" / "zh_china_2023_newspaper4k.html"

WORDS = (
    # the real page (china.chinadaily.com.cn, 2023)
    "外国专家", "中美合作", "合作共赢", "国际社会", "旧金山", "元首会晤", "一带一路",
    "供应链", "可持续发展", "人类命运共同体", "国家安全", "脱钩", "多极世界", "中国日报",
    "联合国", "巴基斯坦",
    # the written Chinese pages
    "数字经济", "乌镇", "世界互联网大会", "跨境电子商务", "移动支付", "中小企业",
    "夏令营", "网络安全", "充电桩", "新能源汽车", "博物馆", "直播", "互联网之光",
    "博览会", "中国",
)  # fmt: skip


def load(tmp_path) -> str:
    db_path = tmp_path / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in [*saved_pages(), REAL_ZH]], "run-1")
    return str(db_path)


def browse(db_path: str, *paths: str) -> list[str]:
    async def fetch_all() -> list[str]:
        client = make_datasette(db_path, SITES).client
        texts = []
        for path in paths:
            response = await client.get(path)
            assert response.status_code == 200, response.text[:500]
            texts.append(response.text)
        return texts

    return asyncio.run(fetch_all())


def texts(db_path: str) -> dict[str, str]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("select id, title || char(10) || body from articles").fetchall()
    return dict(rows)


def test_chinese_words_are_found_through_datasette_where_they_are_and_nowhere_else(tmp_path):
    db_path = load(tmp_path)
    pages = texts(db_path)
    assert sum("乌镇" in text for text in pages.values()) >= 3  # the fixtures loaded
    paths = [f"/wic/articles.json?_search={w}&_shape=array&_col=id&_size=max" for w in WORDS]
    answers = browse(db_path, *paths)
    expected_hits = found_hits = false_hits = absent = 0
    missed = []
    for word, answer in zip(WORDS, answers, strict=True):
        found = {row["id"] for row in json.loads(answer)}
        expected = {i for i, text in pages.items() if word in text}
        assert expected, f"{word} is on none of the pages: not a word taken from them"
        absent += len(pages) - len(expected)
        expected_hits += len(expected)
        found_hits += len(found & expected)
        false_hits += len(found - expected)
        if expected - found:
            missed.append(word)
    recall = found_hits / expected_hits
    print(f"\n{len(WORDS)} words, {expected_hits} (word, page) hits, recall {recall:.3f}, "
          f"{false_hits} false hits over {absent} (word, page) pairs without the word")  # fmt: skip
    assert len(WORDS) >= 20
    assert recall >= 0.95, f"missed: {missed}"
    assert false_hits == 0
    assert absent > 0


def test_the_search_box_keeps_the_query_and_english_search_is_unchanged(tmp_path):
    db_path = load(tmp_path)
    page, english = browse(
        db_path, "/wic/articles?_search=数字经济", "/wic/articles.json?_search=quantum&_shape=array"
    )
    assert 'value="数字经济"' in page  # the box shows what was typed, not the FTS5 query
    assert "乌镇峰会聚焦数字经济国际合作" in page
    assert "青少年网络文明夏令营在乌镇开营" not in page  # no 数字经济 there
    assert [r["title"] for r in json.loads(english)] == [
        "Hefei lab opens its quantum testbed to outside researchers"
    ]


def test_a_query_jieba_splits_still_matches_as_a_phrase(tmp_path):
    import jieba

    assert len(list(jieba.cut("数字经济"))) > 1  # jieba makes two words of it
    db = open_database(tmp_path / "wic.db")
    store_of(db).start_run("run-1", "ingest", ["x"])
    page = (SAVED / "text" / "wic_zh_digital_economy.txt").read_bytes()
    outcome = extract_page(RawPage("zh.txt", page))
    assert isinstance(outcome, Extracted)
    store_of(db).load([outcome], "run-1", RULESET)
    assert matching(db, "数字经济") == [outcome.article.id]
    assert matching(db, "济数") == []  # characters that never stand together
    assert matching(db, "乌镇 电子商务") == [outcome.article.id]  # terms are all required
    assert matching(db, "乌镇 夏令营") == []


def test_segmented_text_reads_back_and_queries_are_escaped():
    text = "第三届世界互联网大会在浙江乌镇举行，5G网络 and AI."
    assert unsegment(segment(text)) == text
    assert segment("Digital Silk Road") == "Digital Silk Road"
    assert search_query("silk road") == '"silk" AND "road"'  # as Datasette's own escape_fts
    assert search_query('"silk road"') == '"silk road"'
    assert search_query('unbalanced "quote') == '"unbalanced" AND "quote"'
    assert search_query("乌镇") == '("\u200b乌\u200b镇\u200b" OR words : "乌镇")'
    assert search_query('OR "") NEAR(') == '"OR" AND ")" AND "NEAR("'  # no operators


def test_a_rewritten_article_is_reindexed(tmp_path):
    db = open_database(tmp_path / "wic.db")
    store_of(db).start_run("run-1", "ingest", ["x"])
    page = (SAVED / "text" / "wic_zh_digital_economy.txt").read_text("utf-8")
    first = extract_page(RawPage("zh.txt", page.encode()))
    store_of(db).load([first], "run-1", RULESET)
    second = extract_page(RawPage("zh.txt", page.replace("移动支付", "扫码付款").encode()))
    assert isinstance(second, Extracted) and second.article.id == first.article.id
    store_of(db).start_run("run-2", "ingest", ["x"])
    assert store_of(db).load([second], "run-2", RULESET).updated == 1
    assert matching(db, "扫码付款") == [first.article.id]
    assert matching(db, "移动支付") == []
    assert db[SEARCH_TABLE].count == 1


def test_the_migration_indexes_articles_stored_before_it(tmp_path):
    db_path = tmp_path / "old.db"
    db = open_database(db_path)
    store_of(db).start_run("run-1", "ingest", ["x"])
    page = (SAVED / "text" / "wic_zh_digital_economy.txt").read_bytes()
    store_of(db).load([extract_page(RawPage("zh.txt", page))], "run-1", RULESET)
    # Back to the schema before the migration: the old index, none of the new one.
    db.execute(f"drop table {SEARCH_TABLE}")
    db["articles"].enable_fts(["title", "body"], create_triggers=True)
    db.execute("delete from _sqlite_migrations where name = 'add_chinese_search'")
    db.conn.commit()
    assert "add_chinese_search" in {m.name for m in migrations.pending(db)}
    db.close()
    db = open_database(db_path)
    assert matching(db, "移动支付") != []
    assert not db["articles_fts"].exists()
