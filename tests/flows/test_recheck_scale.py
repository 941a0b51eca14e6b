"""A re-check of 1,000 known articles of which 10 changed, against a real local server.

The 1,000 articles are one real China Daily page (fixtures/real/) with its own title
and first sentence each, at addresses of the site's form, ingested by address with
`wic-etl ingest @list`. Ten are then edited on the server, and `wic-etl recheck --all`
must cost 990 requests answered 304 (counted by the server) and make exactly ten new
versions; a plain `recheck` right after must fetch nothing.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.changing_site import ChangingSite
from tests.conftest import run_cli
from tests.flows.test_recheck import STORIES, _address, _variant

pytestmark = pytest.mark.slow

ARTICLES = 1000


def test_a_thousand_known_articles_of_which_ten_changed(tmp_path, capsys):
    db = tmp_path / "wic.db"
    en = STORIES["en"].data
    paths = [_address(n) for n in range(ARTICLES)]
    changed = set(paths[::100])
    with ChangingSite() as site:
        for n, path in enumerate(paths):
            site.serve(path, _variant(en, n))
        sources = tmp_path / "articles.txt"
        sources.write_text("".join(site.url(p) + "\n" for p in paths))
        started = time.monotonic()
        ingest = run_cli("ingest", f"@{sources}", "--db", str(db), "--allow-host", "127.0.0.1",
                         timeout=600)  # fmt: skip
        ingest_s = time.monotonic() - started
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        for n, path in enumerate(paths):
            if path in changed:
                site.serve(path, _variant(en, n).replace(b"claimed that", b"said that"))
        site.clear()

        started = time.monotonic()
        run = run_cli("recheck", "--all", "--db", str(db), "--allow-host", "127.0.0.1")
        recheck_s = time.monotonic() - started
        assert run.returncode == 0, run.stdout + run.stderr
        hits = [hit for hit in site.hits if hit.path != "/robots.txt"]
        assert len(hits) == ARTICLES  # one request an article, no more
        not_modified = [h for h in hits if h.status == 304 and h.if_none_match is not None]
        assert len(not_modified) == ARTICLES - len(changed)
        assert {h.path for h in hits if h.status == 200} == changed
        assert "changes: 10 edited, 0 minor, 0 removed, 0 restored, 0 moved, 990 not" in run.stdout

        site.clear()
        again = run_cli("recheck", "--db", str(db), "--allow-host", "127.0.0.1")
        assert again.returncode == 0, again.stdout + again.stderr
        assert site.hits == []  # nothing was due: not even robots.txt was asked for
        assert "recheck: 0 articles due" in again.stdout

    with sqlite3.connect(db) as conn:
        versions = conn.execute(
            "select change, count(*) from article_versions group by change order by change"
        ).fetchall()
        events = conn.execute("select kind, count(*) from article_events group by kind").fetchall()
    assert versions == [("edited", 10), ("first", ARTICLES)]
    assert events == [("edited", 10)]
    with capsys.disabled():
        print(f"\n1,000 articles: ingest {ingest_s:.1f} s, recheck --all {recheck_s:.1f} s "
              f"({len(hits)} requests, {len(not_modified)} answered 304)")  # fmt: skip
