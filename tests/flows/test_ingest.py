"""The ingest flow against the real Prefect server of this test session."""

import time

import httpx
import pytest
from sqlite_utils import Database

from core.accounting import RunSummary
from flows.ingest import ingest
from tests.conftest import BAD, SAVED, gold_article_ids, gold_documents, listing_pages, saved_pages

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory, prefect_api) -> tuple[RunSummary, Database]:
    db_path = tmp_path_factory.mktemp("flow") / "wic.db"
    summary = ingest(sources=[str(SAVED), str(BAD / "truncated.html")], db=str(db_path),
                     batch_size=2)  # fmt: skip
    return summary, Database(db_path)


def api(prefect_api: str, method: str, path: str, body: dict | None = None):
    response = httpx.request(method, f"{prefect_api}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def poll(fetch, done, seconds: float = 30):
    """What ``fetch`` returns once ``done`` holds for it, or at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        found = fetch()
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_summary_counts(run):
    summary, _ = run
    documents, articles = gold_documents(), len(gold_article_ids())
    listings = len(listing_pages())
    assert (summary.counts.pages, summary.counts.failed, summary.counts.listings) == (
        documents + listings + 1,
        1,
        listings,
    )
    assert articles < documents
    # The WARC holds a copy of an HTML fixture's page: one article, seen twice; the
    # other pages each made or extended (multi-page) an article new in this run.
    assert summary.counts.unchanged == 1
    assert summary.counts.new == documents - 1
    assert summary.counts.failures[0].source.endswith("truncated.html")


def test_run_is_recorded_in_the_database_under_the_prefect_flow_run_id(run, prefect_api):
    summary, db = run
    row = db["runs"].get(summary.run_id)
    assert row["status"] == "completed with failures"
    assert (row["new"], row["failed"], row["pages"]) == (
        summary.counts.new,
        1,
        summary.counts.pages,
    )
    flow_run = api(prefect_api, "GET", f"/flow_runs/{summary.run_id}")
    assert flow_run["state"]["type"] == "COMPLETED"
    assert db["failures"].get(1)["run_id"] == summary.run_id


def test_work_is_batched_one_task_per_batch(run, prefect_api):
    summary, _ = run
    files = len(saved_pages()) + len(listing_pages()) + 1  # and truncated.html
    batches = -(-files // 2)
    # Task runs reach the server as events, shortly after the flow returns.
    tasks = poll(lambda: api(prefect_api, "POST", "/task_runs/filter",
                             {"flow_runs": {"id": {"any_": [summary.run_id]}}}),
                 lambda found: len(found) >= batches
                 and all(t["state"]["type"] == "COMPLETED" for t in found))  # fmt: skip
    assert len(tasks) == batches
    assert {t["state"]["type"] for t in tasks} == {"COMPLETED"}


def test_run_ends_with_a_summary_artifact(run, prefect_api):
    summary, _ = run
    artifacts = api(prefect_api, "POST", "/artifacts/filter",
                    {"artifacts": {"flow_run_id": {"any_": [summary.run_id]}}})  # fmt: skip
    assert [a["key"] for a in artifacts] == ["ingest-summary"]
    markdown = artifacts[0]["data"]
    c = summary.counts
    expected_row = f"| {c.pages} | {c.new} | 0 | {c.unchanged} | 1 | {c.listings} |"
    assert expected_row in markdown
    assert "truncated.html" in markdown and "incompletely" in markdown


def test_logs_go_through_the_run_logger_to_the_server(run, prefect_api):
    summary, _ = run
    # The log worker ships logs every few seconds.
    logs = poll(lambda: api(prefect_api, "POST", "/logs/filter",
                            {"logs": {"flow_run_id": {"any_": [summary.run_id]}}}),
                lambda found: any("truncated.html" in log["message"] for log in found))  # fmt: skip
    messages = [log["message"] for log in logs]
    assert any("files to read" in m for m in messages)
    assert any("truncated.html" in m for m in messages)


def test_a_later_save_of_an_article_is_an_edit_counted_in_the_summary(tmp_path, prefect_api):
    from tests.conftest import FIXTURES

    page = (FIXTURES / "real" / "en_2025_article_wcxb.html").read_bytes()
    first, later = tmp_path / "saved-monday.html", tmp_path / "saved-friday.html"
    first.write_bytes(page)
    later.write_bytes(page.replace(b"on Friday by introducing", b"on Friday, introducing"))
    later.write_bytes(later.read_bytes().replace(b"all-optical computing chip capable",
                                                 b"optical chip able"))  # fmt: skip
    db_path = str(tmp_path / "wic.db")
    assert ingest(sources=[str(first)], db=db_path).counts.as_row()["new"] == 1
    summary = ingest(sources=[str(later)], db=db_path)
    assert (summary.counts.updated, summary.counts.edited) == (1, 1)
    artifacts = api(prefect_api, "POST", "/artifacts/filter",
                    {"artifacts": {"flow_run_id": {"any_": [summary.run_id]}}})  # fmt: skip
    markdown = artifacts[0]["data"]
    assert "| edited |" in markdown and "| minor |" not in markdown
    db = Database(db_path)
    changes = db.query("select change from article_versions order by version")
    assert [r["change"] for r in changes] == ["first", "edited"]
    assert db.execute("select edited from runs where id = ?", [summary.run_id]).fetchone() == (1,)
