"""Prefect's dashboard from the local server wic-etl starts, and how a run ends in it.

Against real processes: `wic-etl server start` in a PREFECT_HOME of its own,
runs of `wic-etl ingest` reporting to it, the flow runs read back through
Prefect's client, and the dashboard drawn by headless Chromium.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from tests.conftest import BAD, BIN, SEED
from tests.loaders.test_datasette_browser import SCREENSHOTS, chromium, seen

pytestmark = pytest.mark.slow  # a Prefect server of its own: 15-30 s to start
# What the test session itself sets, which a user starting wic-etl has not.
SESSION_ONLY = ("PREFECT_API_URL", "PREFECT_SERVER_UI_ENABLED", "PREFECT_UI_ENABLED")


def wic_etl(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``wic-etl ARGS`` as a user with PREFECT_HOME ``home`` and their own ``env`` runs it."""
    full = {k: v for k, v in os.environ.items() if k not in SESSION_ONLY}
    full |= {"PREFECT_HOME": str(home), "COLUMNS": "250", "NO_COLOR": "1", **env}
    return subprocess.run(
        [str(BIN / "wic-etl"), *args], capture_output=True, text=True, env=full,
        timeout=240, start_new_session=True,
    )  # fmt: skip


def said(result: subprocess.CompletedProcess[str]) -> str:
    return " ".join((result.stdout + result.stderr).split())


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A PREFECT_HOME whose local server, if one was started, is stopped at the end."""
    where = tmp_path / "prefect-home"
    yield where
    wic_etl("server", "stop", home=where)


def flow_run_state(api: str, run_id: str) -> tuple[str, str]:
    from prefect.client.orchestration import SyncPrefectClient

    with SyncPrefectClient(api) as client:
        state = client.read_flow_run(UUID(run_id)).state
    assert state is not None
    return state.type.value, state.name


def last_run_id(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("select id from runs order by started desc").fetchone()[0])


def test_the_dashboard_is_served_named_and_a_run_with_failures_looks_different(home, tmp_path):
    started = wic_etl("server", "start", home=home)
    assert started.returncode == 0, said(started)
    found = re.search(r"Prefect.s dashboard: (http://127\.0\.0\.1:\d+/)v2/", started.stdout)
    assert found, said(started)
    dashboard = found[1]
    api = f"{dashboard}api"
    page = httpx.get(dashboard, headers={"accept": "text/html"}, follow_redirects=True)
    settings = httpx.get(f"{dashboard}ui-settings").json()
    assert settings["api_url"] == api  # the dashboard asks this server, not port 4200
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.url.path == "/v2/"  # "/" leads to the UI Prefect serves by default
    assert "<title>Prefect Server</title>" in page.text
    status = wic_etl("server", "status", home=home)
    assert f"Prefect's dashboard: {dashboard}v2/" in status.stdout, said(status)

    # A run where one input fails: exit 1 as ever, and its own state in Prefect.
    failing = tmp_path / "failing.db"
    run = wic_etl("ingest", str(SEED), str(BAD / "empty.txt"), "--db", str(failing), home=home)
    assert run.returncode == 1, said(run)
    run_id = last_run_id(failing)
    link = f"{dashboard}v2/runs/flow-run/{run_id}"
    assert f"In Prefect's dashboard: {link}" in run.stdout, said(run)
    assert flow_run_state(api, run_id) == ("COMPLETED", "Completed with failures")

    clean = tmp_path / "clean.db"
    run = wic_etl("ingest", str(SEED), "--db", str(clean), home=home)
    assert run.returncode == 0, said(run)
    assert flow_run_state(api, last_run_id(clean)) == ("COMPLETED", "Completed")

    # What a person sees: Prefect's own page of the run, drawn from the files in the
    # wheel (no address beyond 127.0.0.1 can be reached), naming the state.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "prefect_flow_run_with_failures.png"
    shot.unlink(missing_ok=True)
    wait = "--virtual-time-budget=15000"
    dom = chromium(link, wait, "--dump-dom", profile=tmp_path / "dom")
    assert "Completed with failures" in seen(dom), seen(dom)[:2000]
    chromium(link, wait, f"--screenshot={shot}", "--window-size=1280,900", profile=tmp_path / "s")
    assert shot.stat().st_size > 20_000, "a blank screenshot"


def test_a_dashboard_the_user_switched_off_stays_off(home):
    started = wic_etl("server", "start", home=home, PREFECT_UI_ENABLED="false")
    assert started.returncode == 0, said(started)
    assert "Prefect's dashboard is not served by this server" in said(started)
    api = re.search(r"running at (http://127\.0\.0\.1:\d+/api)", started.stdout)
    assert api, said(started)
    assert httpx.get(api[1].removesuffix("api"), headers={"accept": "text/html"}).status_code == 404
