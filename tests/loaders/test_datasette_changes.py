"""Seeing changes in Datasette: an article's versions and their diffs, the archive's
recent changes (paged, minor edits on request) and their Atom feed, on a database
built through the real pipeline (tests/loaders/changing_site.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import pytest

from loaders.datasette_app import make_datasette, plugin
from tests.conftest import SITES
from tests.loaders.changing_site import (
    EN_DELETED,
    EN_INSERTED,
    HOSTILE,
    ZH_DELETED,
    ZH_INSERTED,
    ChangingSite,
    build,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> ChangingSite:
    return build(tmp_path_factory.mktemp("changes") / "wic.db")


def get(db_path: Path, path: str, status: int = 200) -> Any:
    async def fetch() -> Any:
        response = await make_datasette(db_path, SITES).client.get(path)
        assert response.status_code == status, response.text[:500]
        return response

    return asyncio.run(fetch())


def page(db_path: Path, path: str) -> Any:
    return lxml.html.fromstring(get(db_path, path).text)


def texts(node: Any, xpath: str) -> list[str]:
    return [element.text_content() for element in node.xpath(xpath)]


def test_an_article_page_lists_its_versions_newest_first_with_the_edit_marked(site):
    doc = page(site.db_path, f"/wic/articles/{site.en_id}")
    versions = doc.xpath('//section[@id="versions"]//li[contains(@class, "wic-version")]/@id')
    assert versions == ["version-3", "version-2", "version-1"]
    (edit,) = doc.xpath('//li[@id="version-2"]')
    assert "edited" in edit.xpath("string(.//h3)")
    assert "run-2" in edit.xpath('string(.//p[@class="wic-version-meta"])')
    assert texts(edit, ".//del") == EN_DELETED
    assert texts(edit, ".//ins") == EN_INSERTED
    (changed,) = edit.xpath('.//p[@class="wic-diff-changed"]')
    assert lxml.html.tostring(changed, encoding="unicode").startswith(
        '<p class="wic-diff-changed" lang="en">Shanghai Jiao Tong University '
        "<del>announced</del><ins>unveiled</ins> a <del>breakthrough</del><ins>major advance</ins>"
    )  # the paragraph in place, its changed words marked
    assert len(edit.xpath('.//p[@class="wic-diff-gap"]')) == 1  # the rest, counted, not shown
    # The minor version is listed, its diff folded away.
    (minor,) = doc.xpath('//li[@id="version-3"]')
    assert minor.xpath(".//details//ins/text()") == [","]
    assert "Version 3 of 3" in doc.xpath('string(//p[@class="wic-version-note"])')
    events = doc.xpath('//table[@class="wic-events"]//tr[contains(@class, "wic-event")]')
    assert [e.get("class").split()[-1] for e in events] == ["wic-event-edited"]
    assert "body" in events[0].text_content()


def test_a_chinese_article_is_marked_character_by_character_and_removed_on_top(site):
    doc = page(site.db_path, f"/wic/articles/{site.zh_id}")
    (edit,) = doc.xpath('//li[@id="version-2"]')
    assert texts(edit, ".//del") == ZH_DELETED
    assert texts(edit, ".//ins") == ZH_INSERTED
    assert edit.xpath('.//p[@class="wic-diff-changed"]/@lang') == ["zh", "zh"]
    (note,) = doc.xpath('//p[@class="wic-removed-note"]')
    assert "Removed from the site" in note.text_content()
    assert "404 Not Found" in note.text_content()
    article = doc.xpath('//article[@class="wic-article"]')[0]
    assert article.index(note) < article.index(article.xpath(".//h1")[0])  # at the top
    kinds = texts(doc, '//table[@class="wic-events"]//tr/td[2]')
    assert [k.split()[0] for k in kinds] == ["removed", "edited"]  # newest first
    assert "404" in texts(doc, '//table[@class="wic-events"]//tr/td[3]')


def test_markup_in_an_edit_stays_text_in_the_diff(site):
    html = get(site.db_path, f"/wic/articles/{site.other_id}").text
    assert "&lt;script&gt;alert(&#39;wic&#39;)&lt;/script&gt;</ins>" in html
    assert HOSTILE not in html and "<script>alert(" not in html
    (edit,) = lxml.html.fromstring(html).xpath('//li[@id="version-2"]')
    assert [t.strip() for t in texts(edit, ".//ins")] == [HOSTILE]  # shown as text
    assert not edit.xpath(".//script")


def change_rows(doc: Any) -> list[tuple[str, str, str]]:
    """(kind, article title, link) of each change listed on a recent-changes page."""
    return [
        (row.get("class").split("wic-change-")[-1], row.xpath("string(td[3]/a)"),
         row.xpath("string(td[3]/a/@href)"))
        for row in doc.xpath('//tr[contains(@class, "wic-change-row")]')
    ]  # fmt: skip


def titles(site: ChangingSite) -> dict[str, str]:
    from loaders.schema import open_database

    db = open_database(site.db_path)
    try:
        return {row["id"]: row["title"] for row in db.query("select id, title from articles")}
    finally:
        db.close()


def test_recent_changes_lists_edits_and_removals_newest_first_minor_on_request(site):
    title = titles(site)
    doc = page(site.db_path, "/wic/-/changes")
    expected = [
        ("removed", title[site.other_id], f"/wic/articles/{site.other_id}"),
        ("removed", title[site.zh_id], f"/wic/articles/{site.zh_id}"),
        ("edited", title[site.other_id], f"/wic/articles/{site.other_id}#version-2"),
        ("edited", title[site.zh_id], f"/wic/articles/{site.zh_id}#version-2"),
        ("edited", title[site.en_id], f"/wic/articles/{site.en_id}#version-2"),
    ]
    assert change_rows(doc) == expected
    assert doc.xpath('//link[@rel="alternate"][@type="application/atom+xml"]/@href') == [
        "/wic/-/changes.atom"
    ]
    assert doc.xpath('//a[contains(text(), "show them")]/@href') == ["/wic/-/changes?minor=1"]
    with_minor = change_rows(page(site.db_path, "/wic/-/changes?minor=1"))
    minor = ("minor", title[site.en_id], f"/wic/articles/{site.en_id}#version-3")
    assert with_minor == [*expected[:2], minor, *expected[2:]]
    # Each link leads to the article's page, which has the version it names.
    for _, _, link in with_minor:
        path, _, anchor = link.partition("#")
        article = page(site.db_path, path)
        assert not anchor or article.xpath(f'//*[@id="{anchor}"]')


def test_recent_changes_page_past_the_first_page(site, monkeypatch):
    everything = change_rows(page(site.db_path, "/wic/-/changes?minor=1"))
    monkeypatch.setattr(plugin, "PAGE", 2)
    seen, path, pages = [], "/wic/-/changes?minor=1", 0
    while path:
        doc = page(site.db_path, path)
        rows = change_rows(doc)
        assert len(rows) <= 2
        seen += rows
        pages += 1
        (path,) = doc.xpath('//a[@rel="next"]/@href') or [None]
        assert not path or "minor=1" in path
    assert seen == everything and pages == 3


def test_the_atom_feed_validates_and_lists_the_edits_and_removals(site):
    response = get(site.db_path, "/wic/-/changes.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title.endswith("recent changes")
    assert feed.feed.links[0].href == "http://localhost/wic/-/changes.atom"
    title = titles(site)
    assert [e.title for e in feed.entries] == [
        f"Removed: {title[site.other_id]}", f"Removed: {title[site.zh_id]}",
        f"Edited: {title[site.other_id]}", f"Edited: {title[site.zh_id]}",
        f"Edited: {title[site.en_id]}",
    ]  # fmt: skip
    removed, _, _, zh_edit, en_edit = feed.entries
    assert removed.link == f"http://localhost/wic/articles/{site.other_id}"
    assert "HTTP 410" in removed.summary
    assert en_edit.link == f"http://localhost/wic/articles/{site.en_id}#version-2"
    assert len({e.id for e in feed.entries}) == 5
    assert all(e.updated_parsed for e in feed.entries)
    assert feed.entries[0].updated == feed.feed.updated  # the feed is as new as its newest
    # Each edit carries its diff; feedparser's sanitiser keeps <del> and <ins>.
    en_content = lxml.html.fromstring(en_edit.content[0].value)
    assert texts(en_content, "//del") == EN_DELETED and texts(en_content, "//ins") == EN_INSERTED
    zh_content = lxml.html.fromstring(zh_edit.content[0].value)
    assert texts(zh_content, "//del") == ZH_DELETED and texts(zh_content, "//ins") == ZH_INSERTED
    with_minor = feedparser.parse(get(site.db_path, "/wic/-/changes.atom?minor=1").content)
    assert not with_minor.bozo
    assert [e.title.split(":")[0] for e in with_minor.entries].count("Minor edit") == 1


def test_the_database_page_links_recent_changes_and_an_empty_archive_has_none(tmp_path):
    from loaders.store import Store

    empty = tmp_path / "wic.db"
    Store.open(str(empty)).close()
    doc = page(empty, "/wic")
    assert doc.xpath('//p[@class="wic-changes-link"]/a/@href') == [
        "/wic/-/changes", "/wic/-/changes.atom",
    ]  # fmt: skip
    assert "No change recorded yet" in page(empty, "/wic/-/changes").text_content()
    feed = feedparser.parse(get(empty, "/wic/-/changes.atom").content)
    assert not feed.bozo and feed.entries == []
    get(empty, "/nothere/-/changes", status=404)


def test_an_article_never_changed_says_so_in_one_line(tmp_path):
    from extractors.extract import RULESET
    from loaders.store import Store
    from tests.loaders.changing_site import EN_PAGE, extracted

    db_path = tmp_path / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["one page"])
        outcome = extracted("en.html", EN_PAGE.read_bytes())
        store.load([outcome], "run-1", RULESET)
    doc = page(db_path, f"/wic/articles/{outcome.article.id}")
    (line,) = doc.xpath('//*[@id="versions"]')
    assert line.tag == "p" and line.text_content().startswith("Archived unchanged: first seen")
    assert line.xpath(".//a/@href") == ["/wic/runs/run-1"]
    assert not doc.xpath('//p[@class="wic-version-note"]') and not doc.xpath("//del | //ins")
