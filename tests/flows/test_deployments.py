"""Deployments as a user runs them: a served process, `prefect deployment run`, a real server.

`wic-etl serve` runs against the test session's Prefect server, with ingest/daily
pointed at the fixture site on 127.0.0.1; each deployment is started with the
command docs/prefect.md shows, and the database is checked afterwards. recheck/daily
goes through an article's life on a server whose pages the test changes
(tests/changing_site.py), one deployment run per change.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database

from tests.changing_site import ChangingSite
from tests.conftest import BIN, FIXTURES, ROOT, run_cli
from tests.site_server import FixtureSite

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

LISTING = "/china/society/"


@dataclass
class Served:
    db: Path
    site: FixtureSite
    env: dict[str, str]
    deployments: dict[str, dict]  # by "flow/name": ingest/daily, recheck/daily, ...


def deployment_run(served: Served, name: str, *params: str) -> subprocess.CompletedProcess[str]:
    args = [arg for p in params for arg in ("--param", p)]
    return subprocess.run(
        [str(BIN / "prefect"), "deployment", "run", name, *args,
         "--watch", "--watch-timeout", "240"],
        cwd=ROOT, env=served.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory, prefect_api) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve")
    db_path = tmp / "wic.db"
    env = {**os.environ, "PREFECT_RUNNER_POLL_FREQUENCY": "1", "COLUMNS": "250"}
    with FixtureSite() as site, (tmp / "serve.log").open("w") as log:
        serving = subprocess.Popen(
            [str(BIN / "wic-etl"), "serve", "--db", str(db_path),
             "--start-page", site.url(LISTING), "--allow-host", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            names = ["daily", "saved", "all"]  # ingest/daily and recheck/daily: two "daily"
            deadline = time.monotonic() + 90
            while True:
                query = {"deployments": {"name": {"any_": names}}}
                found = httpx.post(f"{prefect_api}/deployments/filter", json=query,
                                   timeout=10).json()  # fmt: skip
                if len(found) == 4:
                    break
                assert serving.poll() is None, (tmp / "serve.log").read_text()
                assert time.monotonic() < deadline, "the deployments were not registered"
                time.sleep(0.5)
            flows = {
                d["flow_id"]: httpx.get(f"{prefect_api}/flows/{d['flow_id']}", timeout=10).json()
                for d in found
            }
            by_name = {f"{flows[d['flow_id']]['name']}/{d['name']}": d for d in found}
            assert set(by_name) == {
                "ingest/daily",
                "recheck/daily",
                "ingest/saved",
                "reextract/all",
            }
            yield Served(db_path, site, env, by_name)
        finally:
            os.killpg(serving.pid, signal.SIGTERM)
            serving.wait(timeout=30)


def test_ingest_saved_runs_with_parameters(served, prefect_api, seed):
    run = deployment_run(served, "ingest/saved", f'sources=["{seed}"]', f"db={served.db}")
    assert run.returncode == 0, run.stdout + run.stderr
    db = Database(served.db)
    titles = [a["title"] for a in db["articles"].rows]
    assert "Exploit Internet to empower the country" in titles
    row = next(db.query("select id from runs where sources like ?", [f"%{seed.name}%"]))
    flow_run = httpx.get(f"{prefect_api}/flow_runs/{row['id']}", timeout=10).json()
    assert flow_run["state"]["type"] == "COMPLETED"
    assert flow_run["deployment_id"] == served.deployments["ingest/saved"]["id"]


def test_ingest_daily_is_scheduled_and_crawls_its_start_pages(served, prefect_api):
    daily = served.deployments["ingest/daily"]
    (schedule,) = daily["schedules"]
    assert schedule["schedule"]["cron"] == "0 6 * * *"
    assert schedule["schedule"]["timezone"] == "Asia/Shanghai"
    run = deployment_run(served, "ingest/daily")
    assert run.returncode == 0, run.stdout + run.stderr
    db = Database(served.db)
    crawled = {a["url"] for a in db["articles"].rows}
    canal_town = served.site.url("/a/201901/11/WS5c37cfaea3106c65c34e3c9e.html")
    assert canal_town in crawled  # from the listing, all three pages
    assert served.site.requested("/china/society/page_2.html")
    row = next(db.query("select * from runs where sources like ?", [f"%{LISTING}%"]))
    # Nothing failed; the listing's robots-disallowed draft was skipped, not fetched.
    assert (row["failed"], row["skipped"], row["status"]) == (0, 1, "completed")
    assert not served.site.requested("/private/draft.html")
    flow_run = httpx.get(f"{prefect_api}/flow_runs/{row['id']}", timeout=10).json()
    assert flow_run["deployment_id"] == daily["id"]


def test_recheck_daily_is_scheduled_hourly_and_records_an_articles_life(served, prefect_api):
    daily = served.deployments["recheck/daily"]
    (schedule,) = daily["schedules"]
    assert schedule["schedule"]["cron"] == "15 * * * *"
    assert schedule["schedule"]["timezone"] == "Asia/Shanghai"
    assert daily["parameters"]["allow_hosts"] == ["127.0.0.1"]  # from serve --allow-host
    page = (FIXTURES / "real" / "en_2025_article_wcxb.html").read_bytes()
    path = "/a/202512/20/WS6945ede4a310d6866eb2f9ad.html"
    edited = page.replace(b"The research team claimed that", b"The research team said that")
    minor = edited.replace(b"Updated: 2025-12-20 08:29", b"Updated: 2025-12-20 09:45")
    db_path = served.db.with_name("recheck.db")
    with ChangingSite() as site:
        url = site.url(path)
        site.serve(path, page)
        ingested = run_cli("ingest", url, "--db", str(db_path), "--allow-host", "127.0.0.1")
        assert ingested.returncode == 0, ingested.stdout + ingested.stderr
        steps = [
            lambda: site.serve(path, edited),
            lambda: site.serve(path, minor),
            lambda: site.gone(path, 404),
            lambda: site.serve(path, minor),
            lambda: site.redirect(path, "/", 301),
        ]
        for change in steps:
            change()
            run = deployment_run(served, "recheck/daily", f"db={db_path}", "all=true")
            assert run.returncode == 0, run.stdout + run.stderr
    db = Database(db_path)
    versions = db.query("select change from article_versions order by version")
    assert [v["change"] for v in versions] == ["first", "edited", "minor"]
    events = list(db.query("select kind, http_status, url, at from article_events order by id"))
    assert [(e["kind"], e["http_status"], e["url"]) for e in events] == [
        ("edited", 200, url), ("removed", 404, url), ("restored", 200, url), ("removed", 301, url),
    ]  # fmt: skip
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    ((removed_at,),) = db.execute("select removed_at from articles").fetchall()
    assert removed_at == events[-1]["at"]
    runs = list(db.query("select id from runs where flow = 'recheck' order by started"))
    assert len(runs) == 5
    for row in runs:
        flow_run = httpx.get(f"{prefect_api}/flow_runs/{row['id']}", timeout=10).json()
        assert flow_run["deployment_id"] == daily["id"]
        assert flow_run["state"]["type"] == "COMPLETED"
    artifacts = httpx.post(
        f"{prefect_api}/artifacts/filter",
        json={"artifacts": {"flow_run_id": {"any_": [runs[0]["id"]]}}},
        timeout=10,
    ).json()
    assert [a["key"] for a in artifacts] == ["recheck-summary"]
    assert "changes: 1 edited, 0 minor, 0 removed, 0 restored" in artifacts[0]["data"]
    assert "| edited |" in artifacts[0]["data"]
