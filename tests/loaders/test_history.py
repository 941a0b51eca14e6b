"""Versions and events of articles, loaded through Store.load from real pages edited here.

The pages are the real China Daily pages in fixtures/real/ (an English article and a
Chinese one); a test edits their bytes as the site would (a body paragraph rewritten,
the time line moved, whitespace and punctuation touched, an edit reverted) and loads
each state as the pipeline does: ``extract_page(RawPage(...))`` then ``Store.load``.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.records import Extracted, RawPage, sha256_hex
from extractors.extract import RULESET, extract_page
from loaders.schema import open_database
from loaders.search import matching
from tests.conftest import FIXTURES, SAVED, store_of

REAL = FIXTURES / "real"
EN = (REAL / "en_2025_article_wcxb.html").read_bytes()
ZH = (REAL / "zh_china_2023_newspaper4k.html").read_bytes()
EN_URL = "https://www.chinadaily.com.cn/a/202512/20/WS6945ede4a310d6866eb2f9ad.html"
# Where the page was really fetched from (see fixtures/real/PROVENANCE.md): here asked
# for there, and redirected to its own address.
EN_FETCHED = "http://usa.chinadaily.com.cn/a/202512/20/WS6945ede4a310d6866eb2f9ad.html"


def _edit(data: bytes, *changes: tuple[bytes, bytes]) -> bytes:
    for old, new in changes:
        assert old in data, old
        data = data.replace(old, new)
    return data


# A body paragraph rewritten.
EN_EDITED = _edit(
    EN,
    (b"announced a breakthrough in computing power chips on Friday",
     b"announced a major breakthrough in computing power chips on Thursday"),
)  # fmt: skip
# Only the time line moved, a comma added and spacing changed: a minor edit.
EN_MINOR = _edit(
    EN,
    (b"Updated: 2025-12-20 08:29", b"Updated: 2025-12-20 11:45"),
    (b"The research team claimed that", b"The research  team\n   claimed, that"),
)
# The same text as the original, saved again (other bytes: a comment the save added).
EN_SAVED_AGAIN = EN + b"\n<!-- saved again -->\n"
EN_EDITED_SAVED_AGAIN = EN_EDITED + b"\n<!-- saved again -->\n"


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "wic.db")
    for run in ("run-1", "run-2", "run-3", "run-4", "run-5"):
        store_of(database).start_run(run, "ingest", ["test"])
    yield database
    database.close()


def _outcome(data: bytes, name: str = "page.html", **fetched: object) -> Extracted:
    outcome = extract_page(RawPage(name, data, **fetched))  # type: ignore[arg-type]
    assert isinstance(outcome, Extracted), outcome
    return outcome


def _load(db, data: bytes, run: str, name: str = "page.html", **fetched: object):
    return store_of(db).load([_outcome(data, name, **fetched)], run, RULESET)


def _fetched(data: bytes, run: str, db):
    return _load(db, data, run, EN_FETCHED, url=EN_URL, status=200)


def _versions(db) -> list[tuple]:
    return [
        tuple(row)
        for row in db.execute(
            "select version, change, previous_version, run_id, record_sha256, page_sha256 "
            "from article_versions order by article_id, version"
        ).fetchall()
    ]


def _events(db) -> list[tuple]:
    return [
        tuple(row)
        for row in db.execute(
            "select kind, run_id, version, http_status, url, detail from article_events order by id"
        ).fetchall()
    ]


def _article(db) -> dict:
    (row,) = db.query("select * from articles")
    return row


def _record(data: bytes) -> str:
    return _outcome(data).article.record_sha256


def test_a_new_article_is_its_version_1(db):
    counts = _load(db, EN, "run-1")
    assert (counts.new, counts.edited, counts.minor, counts.restored) == (1, 0, 0, 0)
    assert _versions(db) == [(1, "first", None, "run-1", _record(EN), sha256_hex(EN))]
    row = next(db.query("select * from article_versions"))
    article = _article(db)
    for name in ("title", "author", "source", "published", "section", "body", "record_sha256"):
        assert row[name] == article[name], name
    assert row["page_sha256s"] == f'{{"1": "{sha256_hex(EN)}"}}'
    assert (article["version"], article["removed_at"]) == (1, None)
    assert _events(db) == []  # news, not a change


def test_an_edited_body_is_a_new_version_with_an_event_naming_the_field(db):
    _load(db, EN, "run-1")
    counts = _load(db, EN_EDITED, "run-2")
    assert (counts.updated, counts.edited, counts.minor) == (1, 1, 0)
    assert _versions(db) == [
        (1, "first", None, "run-1", _record(EN), sha256_hex(EN)),
        (2, "edited", 1, "run-2", _record(EN_EDITED), sha256_hex(EN_EDITED)),
    ]
    assert _events(db) == [("edited", "run-2", 2, None, EN_URL, "body")]
    article = _article(db)
    assert article["version"] == 2 and "a major breakthrough" in article["body"]
    old = next(db.query("select body from article_versions where version = 1"))["body"]
    assert "announced a breakthrough in computing" in old  # what the site first said, kept


def test_a_moved_time_line_spacing_and_punctuation_are_a_minor_version_without_an_event(db):
    _load(db, EN, "run-1")
    counts = _load(db, EN_MINOR, "run-2")
    assert (counts.updated, counts.edited, counts.minor) == (1, 0, 1)
    assert _versions(db) == [
        (1, "first", None, "run-1", _record(EN), sha256_hex(EN)),
        (2, "minor", 1, "run-2", _record(EN_MINOR), sha256_hex(EN_MINOR)),
    ]
    assert _events(db) == []
    assert _article(db)["published"] == "2025-12-20T11:45:00+08:00"  # articles: the latest


def test_a_page_flipping_between_two_versions_never_piles_up_versions(db):
    _load(db, EN, "run-1")
    _load(db, EN_EDITED, "run-2")
    back = _load(db, EN_SAVED_AGAIN, "run-3")  # a later save: the original text again
    assert (back.updated, back.restored, back.edited) == (1, 1, 0)
    assert _article(db)["version"] == 1
    again = _load(db, EN_EDITED_SAVED_AGAIN, "run-4")
    assert (again.restored, again.edited) == (1, 0)
    assert [v[:4] for v in _versions(db)] == [
        (1, "first", None, "run-1"),
        (2, "edited", 1, "run-2"),
    ]
    assert _article(db)["version"] == 2
    assert [(e[0], e[1], e[2], e[5]) for e in _events(db)] == [
        ("edited", "run-2", 2, "body"),
        ("restored", "run-3", 1, "shows version 1 again"),
        ("restored", "run-4", 2, "shows version 2 again"),
    ]
    seen = dict(db.execute("select version, last_seen_at from article_versions").fetchall())
    assert seen[1] < seen[2]  # version 2 seen last


def test_a_reverted_edit_with_minor_differences_is_a_restored_version(db):
    _load(db, EN, "run-1")
    _load(db, EN_EDITED, "run-2")
    counts = _load(db, EN_MINOR, "run-3")  # the edit reverted, the time line moved
    assert (counts.restored, counts.edited, counts.minor) == (1, 0, 0)
    assert [v[:4] for v in _versions(db)] == [
        (1, "first", None, "run-1"),
        (2, "edited", 1, "run-2"),
        (3, "restored", 2, "run-3"),
    ]
    assert _events(db)[-1] == (
        "restored", "run-3", 3, None, EN_URL, "back to version 1, but for minor differences",
    )  # fmt: skip


def test_a_fetch_of_an_earlier_versions_very_bytes_shows_that_version_again(db):
    _fetched(EN, "run-1", db)
    _fetched(EN_EDITED, "run-2", db)
    store = store_of(db)
    # The crawl's writer asks which fetched pages are done: the first version's page is
    # stored, but no longer what the article shows, so it is news to load.
    assert store.unchanged_pages([sha256_hex(EN)], RULESET) == {sha256_hex(EN)}
    assert store.unchanged_pages([sha256_hex(EN)], RULESET, live=True) == set()
    assert store.unchanged_pages([sha256_hex(EN_EDITED)], RULESET, live=True) == {
        sha256_hex(EN_EDITED)
    }
    counts = _fetched(EN, "run-3", db)
    assert (counts.restored, counts.updated) == (1, 1)
    assert _article(db)["version"] == 1 and len(_versions(db)) == 2
    assert _events(db)[-1] == ("restored", "run-3", 1, 200, EN_URL, "shows version 1 again")


def test_the_same_saved_bytes_read_again_are_no_news(db):
    _load(db, EN, "run-1")
    _load(db, EN_EDITED, "run-2")
    counts = _load(db, EN, "run-3")  # an old save read again (a WARC is always read)
    assert (counts.unchanged, counts.restored, counts.updated) == (1, 0, 0)
    assert _article(db)["version"] == 2
    assert [e[0] for e in _events(db)] == ["edited"]


def test_one_chinese_page_saved_in_two_charsets_is_one_version(db):
    declared = b'content="text/html; charset=utf-8"'
    assert ZH.count(declared) == 1
    gb = ZH.decode("utf-8").encode("gb18030")
    gb = gb.replace(declared, b'content="text/html; charset=gb18030"')
    assert gb != ZH and sha256_hex(gb) != sha256_hex(ZH)
    first, second = _outcome(ZH, "zh.html"), _outcome(gb, "zh-gb.html")
    assert (first.document.encoding, second.document.encoding) == ("utf-8", "gb18030")
    assert first.article.record_sha256 == second.article.record_sha256
    store_of(db).load([first], "run-1", RULESET)
    counts = store_of(db).load([second], "run-2", RULESET)
    assert (counts.unchanged, counts.minor, counts.edited) == (1, 0, 0)
    assert [v[:4] for v in _versions(db)] == [(1, "first", None, "run-1")]
    assert db["pages"].count == 2  # both saves kept
    assert _events(db) == []
    (seen, last) = db.execute("select seen_at, last_seen_at from article_versions").fetchone()
    assert last > seen  # the second save gave this version again


def test_a_chinese_edit_and_a_moved_time_are_told_apart(db):
    zh_time = _edit(ZH, (b"2023-11-17 15:13", b"2023-11-17 16:40"))
    zh_edit = _edit(zh_time, ("中美合作共赢是大势所趋".encode(), "中美合作是大势所趋".encode()))
    _load(db, ZH, "run-1")
    assert _load(db, zh_time, "run-2").minor == 1
    assert _load(db, zh_edit, "run-3").edited == 1
    assert [v[1] for v in _versions(db)] == ["first", "minor", "edited"]
    assert [(e[0], e[5]) for e in _events(db)] == [("edited", "body")]


def test_a_removal_is_marked_once_and_the_article_stays_searchable(db):
    _fetched(EN, "run-1", db)
    store = store_of(db)
    # Found by the address its page was fetched from, not only by its own address.
    (article_id,) = store.record_removal(EN_FETCHED, "run-2", 404, "404 Not Found")
    assert store.record_removal(EN_FETCHED, "run-2", 404, "404 Not Found") == []
    assert store.record_removal(EN_URL, "run-3", 404, "404 Not Found") == []  # still removed
    assert _events(db) == [("removed", "run-2", None, 404, EN_FETCHED, "404 Not Found")]
    article = _article(db)
    assert article["removed_at"] is not None and article["id"] == article_id
    assert matching(db, "LightGen") == [article_id]
    assert store.unchanged_pages([sha256_hex(EN)], RULESET, live=True) == set()

    counts = _fetched(EN, "run-4", db)  # the site has it again, unchanged
    assert counts.restored == 1 and counts.edited == 0
    assert _article(db)["removed_at"] is None
    assert _events(db)[-1] == ("restored", "run-4", 1, 200, EN_URL, "back after removal")
    assert len(_versions(db)) == 1
    assert store.record_removal(EN_URL, "run-5", 410, "410 Gone") == [article_id]


def test_an_article_back_after_removal_with_an_edit_logs_both(db):
    _load(db, EN, "run-1")
    store_of(db).record_removal(EN_URL, "run-2", None, "redirected to the home page")
    counts = _load(db, EN_EDITED, "run-3")
    assert (counts.edited, counts.restored) == (1, 1)
    assert [(e[0], e[5]) for e in _events(db)] == [
        ("removed", "redirected to the home page"),
        ("edited", "body"),
        ("restored", "back after removal"),
    ]
    assert _article(db)["removed_at"] is None


def test_a_move_is_logged_once(db):
    _load(db, EN, "run-1")
    store = store_of(db)
    new_url = EN_URL.replace("WS6945", "WS7000")
    (article_id,) = store.record_move(EN_URL, new_url, "run-2", 301)
    assert store.record_move(EN_URL, new_url, "run-3", 301) == []
    assert _events(db) == [("moved", "run-2", None, 301, EN_URL, f"moved to {new_url}")]
    assert store.record_move("https://example.com/none.html", new_url, "run-3", 301) == []
    assert _article(db)["id"] == article_id and _article(db)["removed_at"] is None


# Multi-page articles: the pages of one version come one at a time.
TWO_RUNS_V1, TWO_RUNS_V2 = (1, "first", None, "run-1"), (2, "edited", 1, "run-2")
CANAL = sorted((SAVED / "multipage").glob("canal_town_p*.html"))


def _canal(n: int) -> bytes:
    return CANAL[n - 1].read_bytes()


def test_the_pages_of_a_multi_page_article_make_one_version_in_one_run_or_over_several(db):
    store_of(db).load([_outcome(_canal(1), "p1"), _outcome(_canal(3), "p3")], "run-1", RULESET)
    counts = _load(db, _canal(2), "run-2", "p2")  # the page a stopped crawl had not reached
    assert (counts.updated, counts.edited, counts.minor) == (1, 0, 0)
    (row,) = db.query("select * from article_versions")
    assert (row["version"], row["change"], row["run_id"]) == (1, "first", "run-1")
    shas = {str(n): sha256_hex(_canal(n)) for n in (1, 2, 3)}
    assert row["page_sha256s"] == str(shas).replace("'", '"')
    assert row["record_sha256"] == _article(db)["record_sha256"]
    assert _article(db)["page_count"] == 3 and _events(db) == []


def test_an_edited_page_of_a_multi_page_article_is_one_new_version(db):
    store_of(db).load([_outcome(_canal(n), f"p{n}") for n in (1, 2, 3)], "run-1", RULESET)
    p2 = _edit(_canal(2), (b"Visitor numbers rose by a fifth", b"Visitor numbers rose by a third"))
    p3 = _edit(_canal(3), (b"<p>", b"<p>Updated. "))
    counts = store_of(db).load([_outcome(p2, "p2"), _outcome(p3, "p3")], "run-2", RULESET)
    assert (counts.edited, counts.minor, counts.restored) == (1, 0, 0)
    assert [v[:4] for v in _versions(db)] == [
        (1, "first", None, "run-1"),
        (2, "edited", 1, "run-2"),
    ]
    (detail,) = [e[5] for e in _events(db)]
    assert detail == "body"
    (row,) = db.query("select page_sha256s, body from article_versions where version = 2")
    assert sha256_hex(p2) in row["page_sha256s"] and sha256_hex(p3) in row["page_sha256s"]
    assert sha256_hex(_canal(1)) in row["page_sha256s"]
    assert "rose by a third" in row["body"] and "Updated. " in row["body"]
    # Both pages back as they were, in a later run: on its way back the article is
    # briefly neither version (page 2 back, page 3 not yet), a version that is taken back
    # once page 3 comes: version 1 shown again, nothing added, one restoration counted.
    again = store_of(db).load(
        [_outcome(_canal(2) + b"<!-- -->", "p2"), _outcome(_canal(3) + b"<!-- -->", "p3")],
        "run-3",
        RULESET,
    )
    assert (again.edited, again.minor, again.restored, again.updated) == (0, 0, 1, 2)
    assert [v[:4] for v in _versions(db)] == [
        (1, "first", None, "run-1"),
        (2, "edited", 1, "run-2"),
    ]
    assert _article(db)["version"] == 1
    assert [(e[0], e[1], e[2], e[5]) for e in _events(db)] == [
        ("edited", "run-2", 2, "body"),
        ("restored", "run-3", 1, "shows version 1 again"),
    ]


# Re-extraction after a profile change: versions rewritten from their own pages, none added.
def _next_profile(page: RawPage) -> Extracted:
    """The pipeline's extraction with a profile whose new version reads titles in capitals."""
    outcome = extract_page(page)
    assert isinstance(outcome, Extracted)
    article = dataclasses.replace(
        outcome.article,
        title=outcome.article.title.upper(),
        extractor=outcome.article.extractor + "-next",
    )
    return dataclasses.replace(outcome, article=article)


def _reextract(db, extract=_next_profile, backwards=False):
    store = store_of(db)
    pages = store.stored_raw_pages(store.stored_page_ids())
    outcomes = [extract(page) for page in (reversed(pages) if backwards else pages)]
    return store.load(outcomes, "run-5", RULESET, reextracting=True)


def test_reextraction_rewrites_each_version_from_its_own_page_and_adds_nothing(db):
    _load(db, EN, "run-1")
    _load(db, EN_EDITED, "run-2")
    _load(db, EN_SAVED_AGAIN, "run-3")  # shows version 1 again
    versions, events = _versions(db), _events(db)
    counts = _reextract(db)
    assert (counts.edited, counts.minor, counts.restored, counts.new) == (0, 0, 0, 0)
    assert counts.updated == 1  # the article row, from the version it shows
    after = _versions(db)
    assert [v[:4] for v in after] == [v[:4] for v in versions]  # same versions, same order
    assert _events(db) == events
    titles = [row[0] for row in db.execute("select title from article_versions order by version")]
    assert titles == ["NEW OPTICAL CHIP CAN HELP ADVANCE GENERATIVE AI"] * 2
    new_records = {
        sha256_hex(data): _next_profile(RawPage("x", data)).article.record_sha256
        for data in (EN, EN_EDITED)
    }
    assert [(v[4], v[5]) for v in after] == [
        (new_records[sha256_hex(EN)], sha256_hex(EN)),
        (new_records[sha256_hex(EN_EDITED)], sha256_hex(EN_EDITED)),
    ]
    article = _article(db)
    assert article["version"] == 1 and article["title"].isupper()
    assert article["record_sha256"] == after[0][4]
    assert "a major breakthrough" not in article["body"]
    rows = list(db.query("select * from article_versions"))
    assert _reextract(db).updated == 0  # and again: nothing left to do
    assert list(db.query("select * from article_versions")) == rows  # last_seen_at too


@pytest.mark.parametrize("backwards", [False, True], ids=["oldest-first", "newest-first"])
def test_two_versions_a_new_profile_reads_as_one_become_one(db, backwards):
    _load(db, EN, "run-1")
    _load(db, EN_EDITED, "run-2")
    _load(db, EN_MINOR, "run-3")  # version 3: restored

    def forgets_the_edit(page: RawPage) -> Extracted:
        outcome = _next_profile(page)
        body = outcome.article.paragraphs
        fixed = tuple(p.replace("a major breakthrough", "a breakthrough")
                      .replace("on Thursday", "on Friday") for p in body)  # fmt: skip
        return dataclasses.replace(
            outcome, article=dataclasses.replace(outcome.article, paragraphs=fixed)
        )

    _reextract(db, forgets_the_edit, backwards)
    # Versions 1 and 2 are one record now, whichever page is extracted first: 2 folded
    # into 1, 3 became 2, and is classified again: only its time line differs from 1.
    assert [v[:3] for v in _versions(db)] == [(1, "first", None), (2, "minor", 1)]
    assert _article(db)["version"] == 2
    assert [(e[0], e[2]) for e in _events(db)] == [("edited", 1), ("restored", 2)]


def test_a_new_extractor_version_at_ingest_rewrites_the_version_of_the_same_bytes(db):
    # Pages read again after an upgrade (the ruleset differs, so they are not skipped):
    # the same bytes are never an edit, whichever way the new extractor reads them.
    _load(db, EN, "run-1")
    outcome = _next_profile(RawPage("page.html", EN))
    counts = store_of(db).load([outcome], "run-2", RULESET + "-next")
    assert (counts.updated, counts.edited, counts.minor) == (1, 0, 0)
    assert [v[:4] for v in _versions(db)] == [(1, "first", None, "run-1")]
    assert _article(db)["title"].isupper() and _events(db) == []


def test_recent_changes_lists_the_events_newest_first(db):
    from loaders.datasette_metadata import QUERIES

    _load(db, EN, "run-1")
    _load(db, EN_EDITED, "run-2")
    store_of(db).record_removal(EN_URL, "run-3", 410, "410 Gone")
    rows = db.execute(QUERIES["recent_changes"]["sql"]).fetchall()
    assert [(row[1], row[2]) for row in rows] == [("removed", "410 Gone"), ("edited", "body")]
    assert rows[1][4] == "New optical chip can help advance generative AI"
