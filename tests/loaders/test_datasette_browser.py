"""wic-etl's Datasette in a real browser (headless Chromium): what a person sees.

Serves a database of the fixtures with ``wic-etl datasette`` and opens, in
Chromium, an article page, a Chinese search and an English search; and a database of
a changing site (tests/loaders/changing_site.py): an edited article's diff, English and
Chinese, and the recent changes. Checks the text a reader sees, and saves screenshots
to build/screenshots/ for review after each run (git ignores them; docs/datasette.md
shows copies kept in docs/screenshots/).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.batch import ingest_batch
from loaders.schema import open_database
from loaders.store import Store
from tests.conftest import FIXTURES, ROOT, datasette_server, saved_pages
from tests.loaders import changing_site

pytestmark = pytest.mark.slow  # a browser and a server: seconds each

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "build" / "screenshots"
REAL = FIXTURES / "real"
EN_ARTICLE = REAL / "en_2024_article_magichtml.html"


def chromium(url: str, *args: str, profile: Path) -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make setup` installs it (Debian package chromium)")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", f"--user-data-dir={profile}",
        # The article's images are on China Daily's servers: not reached from a test.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        *args, url,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def seen(dom: str) -> str:
    """Roughly the text a reader sees: tags out, entities decoded, hidden parts kept."""
    text = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", dom)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp = tmp_path_factory.mktemp("browse")
    db_path = tmp / "wic.db"
    pages = [str(p) for p in [*saved_pages(), *sorted(REAL.glob("*.html"))]]
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, pages, "run-1")
    with datasette_server(db_path) as server:
        yield server.url, db_path


def look(url: str, name: str, tmp_path: Path, height: int = 2000) -> str:
    """The page's DOM once loaded, and a screenshot of it saved as build/screenshots/NAME."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dom = chromium(url, "--dump-dom", profile=tmp_path / "dom")
    shot = SCREENSHOTS / name
    shot.unlink(missing_ok=True)
    chromium(url, f"--screenshot={shot}", f"--window-size=1280,{height}", "--hide-scrollbars",
             profile=tmp_path / "shot")  # fmt: skip
    assert shot.stat().st_size > 20_000, "a blank screenshot"
    return dom


def article(db_path: Path, where: str) -> dict:
    db = open_database(db_path)
    try:
        return next(db.query(f"select * from articles where {where}"))
    finally:
        db.close()


def test_an_article_page_reads_like_the_article(served, tmp_path):
    base, db_path = served
    row = article(db_path, "url like '%chinadaily.com.cn%' and language = 'en' "
                           "and exists (select 1 from images where article_id = articles.id) "
                           "order by length(body) limit 1")  # fmt: skip
    dom = look(f"{base}/articles/{row['id']}", "article.png", tmp_path)
    text = seen(dom)
    assert f"<h1>{html.escape(row['title'], quote=False)}</h1>" in dom  # the headline on top
    paragraphs = row["body"].split("\n\n")
    assert all(" ".join(p.split()) in text for p in paragraphs)  # every paragraph, as printed
    assert text.index(" ".join(paragraphs[0].split())) < text.index(
        " ".join(paragraphs[-1].split())
    )
    assert f'href="{html.escape(row["url"])}"' in dom  # the original page
    assert row["published"][:10] in text and row["site"] in text
    db = open_database(db_path)
    (caption,) = db.execute(
        "select caption from images where article_id = ? order by position limit 1", [row["id"]]
    ).fetchone()
    db.close()
    assert "<figcaption>" in dom and " ".join(caption.split()) in text


def test_a_chinese_search_shows_hits_with_a_highlighted_snippet(served, tmp_path):
    base, db_path = served
    dom = look(f"{base}/articles?_search=乌镇", "search-zh.png", tmp_path)
    hits = re.findall(r'<li class="wic-hit".*?</li>', dom, re.S)
    db = open_database(db_path)
    expected = {t for (t,) in db.execute("select title from articles where body like '%乌镇%' "
                                         "or title like '%乌镇%'")}  # fmt: skip
    db.close()
    assert len(hits) == len(expected) >= 3
    for hit in hits:
        snippet = re.search(r'<p class="wic-snippet">(.*?)</p>', hit, re.S).group(1)
        assert "<mark>乌镇</mark>" in snippet  # the word, highlighted in its sentence
        assert re.search(r"\d{4}-\d\d-\d\d · wicwuzhen.cn", hit)  # date and site
    titles = {re.sub(r"<[^>]+>|\s", "", re.search(r"<h3.*?</h3>", h, re.S).group()) for h in hits}
    assert titles == expected
    assert 'value="乌镇"' in dom  # the box keeps what was typed


def test_an_english_search_shows_hits_with_a_highlighted_snippet(served, tmp_path):
    base, _ = served
    dom = look(f"{base}/articles?_search=quantum+testbed", "search-en.png", tmp_path)
    (hit,) = re.findall(r'<li class="wic-hit".*?</li>', dom, re.S)
    assert "Hefei lab opens its quantum testbed to outside researchers" in seen(hit)
    snippet = re.search(r'<p class="wic-snippet">(.*?)</p>', hit, re.S).group(1)
    assert re.search(r"<mark>quantum</mark>", snippet, re.I)


def test_tables_are_listed_project_first_and_organizers_link_to_their_articles(served, tmp_path):
    base, _ = served
    dom = chromium(base, "--dump-dom", profile=tmp_path / "p")
    listed = re.findall(r'<h3><a href="/wic/([^"]+)">', dom)
    assert listed[:4] == ["articles", "images", "image_files", "organizers"]
    assert listed.index("runs") < listed.index("failures")
    assert "_sqlite_migrations" not in listed and "articles_search_data" not in listed
    organizers = chromium(f"{base}/organizers", "--dump-dom", profile=tmp_path / "o")
    assert "/wic/articles_by_organizer?organizer=" in organizers


@pytest.fixture(scope="module")
def changing(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, changing_site.ChangingSite]]:
    site = changing_site.build(tmp_path_factory.mktemp("changing") / "wic.db")
    with datasette_server(site.db_path) as server:
        yield server.url, site


def marked(dom: str, version: int) -> tuple[list[str], list[str]]:
    """The deleted and the inserted texts of a version's diff, as the browser has them."""
    item = re.search(rf'<li class="wic-version[^"]*" id="version-{version}">(.*?)</li>', dom, re.S)
    assert item, f"no version {version} on the page"
    deleted = [html.unescape(t) for t in re.findall(r"<del>(.*?)</del>", item.group(1), re.S)]
    inserted = [html.unescape(t) for t in re.findall(r"<ins>(.*?)</ins>", item.group(1), re.S)]
    return deleted, inserted


def test_an_edited_article_shows_the_removed_and_inserted_words(changing, tmp_path):
    base, site = changing
    # The whole page, tall enough for the versions below the article: headless Chromium
    # screenshots a page scrolled to a #fragment blank.
    dom = look(f"{base}/articles/{site.en_id}", "article-diff.png", tmp_path, 2750)
    assert marked(dom, 2) == (changing_site.EN_DELETED, changing_site.EN_INSERTED)
    text = seen(dom)
    assert "Version 3 of 3" in text and "Changes from version 1:" in text
    assert text.index("Version 3 minor") < text.index("Version 2 edited")  # newest first


def test_an_edited_chinese_article_shows_the_changed_characters(changing, tmp_path):
    base, site = changing
    dom = look(f"{base}/articles/{site.zh_id}", "article-diff-zh.png", tmp_path, 2100)
    assert marked(dom, 2) == (changing_site.ZH_DELETED, changing_site.ZH_INSERTED)
    assert "Removed from the site" in seen(dom)


def test_recent_changes_list_the_edits_and_removals_with_a_feed(changing, tmp_path):
    base, site = changing
    dom = look(f"{base}/-/changes?minor=1", "changes.png", tmp_path, 900)
    rows = re.findall(r'<tr class="wic-change-row wic-change-(\w+)">(.*?)</tr>', dom, re.S)
    assert [kind for kind, _ in rows] == ["removed", "removed", "minor", "edited", "edited",
                                          "edited"]  # fmt: skip
    links = [re.search(r'<a href="([^"]+)">', row).group(1) for _, row in rows]
    assert links[0] == f"/wic/articles/{site.other_id}"
    assert links[2] == f"/wic/articles/{site.en_id}#version-3"
    assert '<link rel="alternate" type="application/atom+xml"' in dom
