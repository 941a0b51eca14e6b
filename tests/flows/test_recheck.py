"""`wic-etl recheck` against a real HTTP server whose pages a test changes.

Real-markup pages (fixtures/real/: an English and a Chinese China Daily article) are
served from 127.0.0.1 by ``tests/changing_site.py``, ingested by their address, then
changed on the server as a site changes them (a paragraph rewritten, the time line
moved, a 404, the page back, a redirect to the home page...), with `wic-etl recheck`
after each change. The database must then hold exactly the versions and events the
changes make, with their HTTP statuses and increasing times.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.changing_site import ChangingSite
from tests.conftest import FIXTURES, SAVED, run_cli

# Whole command runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

REAL = FIXTURES / "real"


@dataclass(frozen=True)
class Story:
    """A real page, where the test site serves it, and the changes a test makes to it."""

    path: str
    data: bytes
    paragraph: tuple[bytes, bytes]  # a body paragraph rewritten
    time_line: tuple[bytes, bytes]  # the time line moved
    spacing: tuple[bytes, bytes]  # whitespace only

    def edited(self) -> bytes:
        return _edit(self.data, self.paragraph)

    def minor(self) -> bytes:
        """The edited page with only its time line and spacing changed."""
        return _edit(self.edited(), self.time_line, self.spacing)


def _edit(data: bytes, *changes: tuple[bytes, bytes]) -> bytes:
    for old, new in changes:
        assert data.count(old) == 1, old  # the one place meant, not a meta tag's copy
        data = data.replace(old, new, 1)
    return data


STORIES = {
    "en": Story(
        "/a/202512/20/WS6945ede4a310d6866eb2f9ad.html",
        (REAL / "en_2025_article_wcxb.html").read_bytes(),
        (b"The research team claimed that it is the first time",
         b"The research team said on Saturday that it is the first time"),
        (b"Updated: 2025-12-20 08:29", b"Updated: 2025-12-20 09:45"),
        (b"<p>Generative AI is increasingly being applied",
         b"<p>\n      Generative  AI is   increasingly being applied"),
    ),
    "zh": Story(
        "/a/202311/17/WS65571297a310d5acd876f404.html",
        (REAL / "zh_china_2023_newspaper4k.html").read_bytes(),
        ("<p>在美国旧金山举行的中美元首会晤吸引了全世界的目光。多名外国专家告诉".encode(),
         "<p>在美国旧金山举行的中美元首会晤吸引了全世界的目光。多名外国专家近日告诉".encode()),
        (b"2023-11-17 15:13", b"2023-11-17 16:40"),
        ("<p>美中合作基金会执行主席".encode(), "<p>\n      美中合作基金会执行主席".encode()),
    ),
}  # fmt: skip


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def ingest(site: ChangingSite, db: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    run = run_cli("ingest", *(site.url(p) for p in paths), "--db", str(db),
                  "--allow-host", "127.0.0.1")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def recheck(db: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    run = run_cli("recheck", "--db", str(db), "--allow-host", "127.0.0.1", *args)
    assert run.returncode == expect, run.stdout + run.stderr
    return run


def changes_line(run: subprocess.CompletedProcess[str]) -> str:
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("changes:")]
    return line


def removed_at(db: Path, url: str) -> str | None:
    ((stamp,),) = rows(db, "select removed_at from articles where url = ?", url)
    return stamp


@pytest.mark.parametrize("language", ["en", "zh"])
def test_edit_minor_edit_404_back_and_redirect_home(tmp_path, language):
    story = STORIES[language]
    db = tmp_path / "wic.db"
    with ChangingSite() as site:
        url = site.url(story.path)
        site.serve(story.path, story.data)
        ingest(site, db, story.path)

        site.serve(story.path, story.edited())
        edited = recheck(db, "--all")
        assert "changes: 1 edited, 0 minor, 0 removed, 0 restored" in changes_line(edited)

        site.serve(story.path, story.minor())
        minor = recheck(db, "--all")
        assert "0 edited, 1 minor, 0 removed" in changes_line(minor)

        site.gone(story.path, 404)
        gone = recheck(db, "--all")
        assert "0 edited, 0 minor, 1 removed, 0 restored" in changes_line(gone)
        assert removed_at(db, url) is not None

        site.serve(story.path, story.minor())
        back = recheck(db, "--all")
        assert "0 removed, 1 restored" in changes_line(back)
        assert removed_at(db, url) is None
        # Asked for plainly: the validators a removed article had are a gone page's.
        assert site.requests_to(story.path)[-1].if_none_match is None

        site.clear()
        site.redirect(story.path, "/", 301)
        home = recheck(db, "--all")
        assert "1 removed" in changes_line(home)
        assert removed_at(db, url) is not None
        # The validators went to the article's address only, not to the home page.
        (article_hit,) = site.requests_to(story.path)
        assert article_hit.if_none_match is not None and article_hit.status == 301
        assert site.requests_to("/")[-1].if_none_match is None

    versions = rows(db, "select version, change from article_versions order by version")
    assert versions == [(1, "first"), (2, "edited"), (3, "minor")]
    events = rows(db, "select kind, http_status, url, at, detail from article_events order by id")
    assert [(kind, status, where) for kind, status, where, _, _ in events] == [
        ("edited", 200, url),
        ("removed", 404, url),
        ("restored", 200, url),
        ("removed", 301, url),
    ]
    times = [at for _, _, _, at, _ in events]
    assert times == sorted(times) and len(set(times)) == 4
    assert events[1][4] == "HTTP 404 Not Found"
    assert events[3][4].endswith(": the home page") and "301 redirect to" in events[3][4]
    # The article stays, marked, its latest version shown, and searchable.
    ((version, removed),) = rows(db, "select version, removed_at from articles")
    assert version == 3 and removed == times[3]
    # Every check of the article was recorded; the last one says what it found.
    ((outcome, status, checked),) = rows(
        db, "select outcome, http_status, checked_at from article_checks"
    )
    assert (outcome, status) == ("removed", 301) and checked >= times[3]
    # The 404's body is kept as a page that says the article is gone, not a version.
    assert rows(db, "select http_status from pages where status = 'not-found'") == [(404,)]
    runs = rows(
        db, "select flow, status, edited, minor, removed, restored from runs order by started"
    )
    assert runs[1:] == [
        ("recheck", "completed", 1, 0, 0, 0),
        ("recheck", "completed", 0, 1, 0, 0),
        ("recheck", "completed", 0, 0, 1, 0),
        ("recheck", "completed", 0, 0, 0, 1),
        ("recheck", "completed", 0, 0, 1, 0),
    ]


def _variant(data: bytes, n: int) -> bytes:
    """The English page as another article: its own title and first sentence (everywhere
    the page has them: title, headline, meta tags)."""
    for old, new in (
        (b"New optical chip can help advance generative AI",
         f"New optical chip number {n} can help advance generative AI".encode()),
        (b"Shanghai Jiao Tong University announced",
         f"Shanghai Jiao Tong University (lab {n}) announced".encode()),
    ):  # fmt: skip
        assert old in data, old
        data = data.replace(old, new)
    return data


def _address(n: int) -> str:
    return f"/a/202512/20/WS{n:024x}.html"


def test_410_soft_404_moved_section_another_article_and_a_failure(tmp_path):
    en = STORIES["en"].data
    db = tmp_path / "wic.db"
    names = ("gone", "soft", "moved", "section", "other", "failing", "same")
    paths = {name: _address(n) for n, name in enumerate(names, start=1)}
    pages = {name: _variant(en, n) for n, name in enumerate(names, start=1)}
    with ChangingSite() as site:
        for name, path in paths.items():
            site.serve(path, pages[name])
        ingest(site, db, *paths.values())
        new_home = _address(100)
        # The same article at a new address (its page there not byte for byte the same).
        site.serve(new_home, pages["moved"] + b"\n<!-- at its new address -->\n")
        site.serve(_address(101), _variant(en, 101))  # another article
        site.serve("/china/", b"<html><head><title>China</title></head><body><ul>"
                   b"<li><a href='/a/1.html'>x</a></li></ul></body></html>")  # fmt: skip
        site.gone(paths["gone"], 410)
        site.serve(paths["soft"], (FIXTURES / "site" / "not_found_en.html").read_bytes())
        site.redirect(paths["moved"], new_home, 301)
        site.redirect(paths["section"], "/china/", 302)
        site.redirect(paths["other"], _address(101), 302)
        site.fail(paths["failing"], 503)
        run = recheck(db, "--all", expect=1)  # the 503 is a failure; removals are not
        assert "0 edited, 0 minor, 4 removed, 0 restored, 1 moved, 1 not modified (304)" in (
            changes_line(run)
        )
        again = recheck(db, "--all", expect=1)
        assert "0 removed" in changes_line(again)
        assert "still removed: 4 articles marked removed are still gone" in again.stdout

    def events(name: str) -> list[tuple]:
        return rows(db, "select kind, http_status, detail from article_events e join articles a "
                    "on a.id = e.article_id where a.url = ? order by e.id",
                    site.url(paths[name]))  # fmt: skip

    assert events("gone") == [("removed", 410, "HTTP 410 Gone")]
    ((kind, status, detail),) = events("soft")
    assert (kind, status) == ("removed", 200) and detail.startswith("soft 404: ")
    assert "Sorry, the page you requested does not exist" in detail
    assert events("moved") == [("moved", 301, f"moved to {site.url(new_home)}")]
    # The article at the new address is known by it alone: no event of the old one's.
    assert rows(db, "select e.kind from article_events e join articles a on a.id = "
                "e.article_id where a.url = ?", site.url(new_home)) == []  # fmt: skip
    assert rows(db, "select source from pages where url = ?", site.url(new_home)) == [
        (site.url(new_home),)
    ]
    ((kind, status, detail),) = events("section")
    assert (kind, status) == ("removed", 302) and detail.endswith("a section or listing page")
    ((kind, status, detail),) = events("other")
    assert (kind, status) == ("removed", 302) and "another article" in detail
    assert events("failing") == [] and events("same") == []
    # A failure is a failure row, twice (each run tried again), and not a removal.
    failures = rows(db, "select source, message from failures where source = ?",
                    site.url(paths["failing"]))  # fmt: skip
    assert len(failures) == 2 and "HTTP 503" in failures[0][1]
    # Nor a look at the article: its last check is still the ingest's, due as it was.
    ((outcome, checked_at, seen_at),) = rows(
        db, "select c.outcome, c.checked_at, v.last_seen_at from article_checks c "
        "join article_versions v using (article_id) join articles a on a.id = c.article_id "
        "where a.url = ?", site.url(paths["failing"]))  # fmt: skip
    assert outcome == "failed" and checked_at == seen_at
    # No page became a version but the first ones; the moved article was loaded at its
    # new address, a copy of the first.
    assert rows(db, "select count(*), min(change), max(change) from article_versions") == [
        (len(names) + 1, "first", "first")
    ]
    ((duplicate_of,),) = rows(db, "select duplicate_of from articles where url = ?",
                              site.url(new_home))  # fmt: skip
    assert duplicate_of is not None
    # The soft 404's page is kept, as a page that says the article is gone.
    kept = rows(db, "select http_status, article_id from pages where status = 'not-found'")
    assert sorted(kept) == [(200, None), (410, None)]
    ((removed,),) = rows(db, "select count(*) from articles where removed_at is not null")
    assert removed == 4


def test_every_page_of_a_multi_page_article_is_checked(tmp_path):
    base = "/a/201901/11/WS5c37cfaea3106c65c34e3c9e"
    files = {f"{base}.html": "canal_town_p1.html", f"{base}_2.html": "canal_town_p2.html",
             f"{base}_3.html": "canal_town_p3.html"}  # fmt: skip
    db = tmp_path / "wic.db"
    with ChangingSite() as site:
        data = {path: (SAVED / "multipage" / name).read_bytes() for path, name in files.items()}
        for path, body in data.items():
            site.serve(path, body)
        ingest(site, db, f"{base}.html")
        assert rows(db, "select page_count from articles") == [(3,)]
        page_2 = data[f"{base}_2.html"]
        paragraph = re.search(rb"<p>([^<]{40,})</p>", page_2)
        assert paragraph is not None
        site.serve(f"{base}_2.html", page_2.replace(paragraph.group(1), b"A new paragraph."))
        site.clear()
        run = recheck(db, "--all")
        assert "1 edited" in changes_line(run)
        assert sorted((h.path, h.status) for h in site.hits if h.path != "/robots.txt") == [
            (f"{base}.html", 304), (f"{base}_2.html", 200), (f"{base}_3.html", 304)
        ]  # fmt: skip
        assert all(h.if_none_match for h in site.hits if h.path != "/robots.txt")
        site.gone(f"{base}.html", 404)
        site.clear()
        gone = recheck(db, "--all")
        assert "1 removed" in changes_line(gone)
        # The first page decides: gone, its other pages are not asked for.
        assert [h.path for h in site.hits if h.path != "/robots.txt"] == [f"{base}.html"]
    versions = rows(db, "select change from article_versions order by version")
    assert versions == [("first",), ("edited",)]
    ((body,),) = rows(db, "select body from articles")
    assert "A new paragraph." in body


def test_a_plain_recheck_fetches_only_what_is_due(tmp_path):
    en = STORIES["en"].data
    db = tmp_path / "wic.db"
    with ChangingSite() as site:
        paths = [_address(n) for n in (1, 2, 3)]
        for n, path in enumerate(paths, start=1):
            site.serve(path, _variant(en, n))
        ingest(site, db, *paths)
        site.clear()
        nothing = recheck(db)
        assert site.hits == [] and "recheck: 0 articles due" in nothing.stdout
        # The first article last changed two days ago and was last looked at 25 hours
        # ago: on the daily rung, it is due; the others, seen a moment ago, are not.
        with sqlite3.connect(db) as conn:
            conn.execute(
                "update article_checks set "
                "changed_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-2 days'), "
                "checked_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-25 hours'), "
                "due_at = null where url = ?",
                [site.url(paths[0])],
            )
        due = recheck(db)
        assert "recheck: 1 articles due, 1 pages" in due.stdout
        assert [(h.path, h.status) for h in site.hits if h.path != "/robots.txt"] == [
            (paths[0], 304)
        ]
        ((due_at,),) = rows(db, "select due_at from article_checks where url = ?",
                            site.url(paths[0]))  # fmt: skip
        ((checked_at,),) = rows(db, "select checked_at from article_checks where url = ?",
                                site.url(paths[0]))  # fmt: skip
        # Two days old, on the daily rung: due again a day after this check.
        gap = datetime.fromisoformat(due_at) - datetime.fromisoformat(checked_at)
        assert gap == timedelta(hours=24)


def test_a_redirect_to_a_login_page_is_no_removal(tmp_path):
    story = STORIES["en"]
    db = tmp_path / "wic.db"
    with ChangingSite() as site:
        site.serve(story.path, story.data)
        ingest(site, db, story.path)
        site.redirect(story.path, "/passport/login?return=/a/x.html", 302)
        site.serve("/passport/login?return=/a/x.html", b"<html><body><form>Sign in</form>"
                   b"</body></html>")  # fmt: skip
        recheck(db, "--all", expect=1)  # the login page is a failure to look at
    assert rows(db, "select kind from article_events") == []
    assert removed_at(db, site.url(story.path)) is None
    assert rows(db, "select outcome from article_checks") == [("failed",)]


def test_a_redirect_to_its_own_address_with_a_query_is_no_move(tmp_path):
    story = STORIES["en"]
    db = tmp_path / "wic.db"
    tracked = story.path + "?from=rss"
    with ChangingSite() as site:
        site.serve(story.path, story.data)
        ingest(site, db, story.path)
        site.redirect(story.path, tracked, 301)
        site.serve(tracked, story.edited())
        run = recheck(db, "--all")
    assert changes_line(run).startswith("changes: 1 edited, 0 minor, 0 removed"), run.stdout
    assert rows(db, "select kind from article_events") == [("edited",)]
    assert rows(db, "select url, version, removed_at from articles") == [
        (site.url(story.path), 2, None)
    ]
    assert rows(db, "select outcome from article_checks") == [("fetched",)]
