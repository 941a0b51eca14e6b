"""``wic-etl status`` and ``--help`` as a user runs them: no Prefect, no SQL."""

from __future__ import annotations

import re

from flows.batch import ingest_batch
from loaders.schema import open_database
from loaders.store import Store
from tests.conftest import BAD, SAVED, run_cli

NO_PREFECT = {"PREFECT_API_URL": ""}  # status never starts Prefect: prove it


def run(db_path, run_id: str, paths: list[str]) -> None:
    with Store.open(str(db_path)) as store:
        store.start_run(run_id, "ingest", paths)
        counts = ingest_batch(store, paths, run_id)
        status = "completed with failures" if counts.failed else "completed"
        store.finish_run(run_id, counts, status)


def test_status_shows_the_last_runs_and_the_last_runs_failures_by_reason(tmp_path):
    db_path = tmp_path / "wic.db"
    run(db_path, "run-good-0001", [str(p) for p in sorted((SAVED / "text").glob("*.txt"))])
    bad = sorted(str(p) for p in BAD.iterdir())
    # The same damage twice: one reason, counted twice, whichever file it was.
    twice = tmp_path / "truncated_copy.html"
    twice.write_bytes((BAD / "truncated.html").read_bytes() + b"<p>more</p>")
    run(db_path, "run-bad-00002", [*bad, str(twice)])

    result = run_cli("status", "--db", str(db_path), env=NO_PREFECT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    runs = [line for line in out.splitlines() if "run-" in line and "ingest" in line]
    assert "run-bad-" in runs[0] and "completed with failures" in runs[0]  # newest first
    assert "run-good" in runs[1] and re.search(r"\bcompleted\b", runs[1])
    good_pages = len(list((SAVED / "text").glob("*.txt")))
    # pages, new, updated, unchanged, failed, listings, skipped (a wide terminal shows all)
    assert re.search(rf"completed\s+{good_pages}\s+{good_pages}\s+0\s+0\s+0\s+0\s+0$", runs[1])
    section = out.split("failures of the last run (run-bad-00002)")[1]
    truncated = next(line for line in section.splitlines() if "stops without closing" in line)
    assert re.match(r"│\s+2\s+│ extract\s+│ ExtractError", truncated)
    empty = next(line for line in section.splitlines() if "the file is empty" in line)
    assert "with no page in it: save the page again" in empty and "N bytes" not in empty
    assert "PNG image" in section
    reasons = [line.split("│")[4] for line in section.splitlines() if line.count("│") == 6]
    assert reasons and not any("/" in why and "bad" in why for why in reasons)  # no paths


def test_status_of_a_database_with_no_runs_and_of_no_database(tmp_path):
    open_database(tmp_path / "wic.db").close()
    empty = run_cli("status", "--db", str(tmp_path / "wic.db"), env=NO_PREFECT)
    assert empty.returncode == 0 and "No runs" in empty.stdout
    missing = run_cli("status", "--db", str(tmp_path / "none.db"), env=NO_PREFECT)
    assert missing.returncode == 2
    assert "run `wic-etl ingest` first" in missing.stderr


def test_help_lists_the_exit_codes():
    for command in ([], ["ingest"], ["status"]):
        result = run_cli(*command, "--help", env=NO_PREFECT)
        assert result.returncode == 0
        codes = result.stdout.split("exit codes:")[1]
        for code in ("0", "1", "2", "3", "130"):
            assert re.search(rf"^\s+{code}\s+\w", codes, re.M), (command, code)


def test_status_fits_an_80_column_terminal(tmp_path):
    db_path = tmp_path / "wic.db"
    run(db_path, "run-bad-00001", sorted(str(p) for p in BAD.iterdir()))
    result = run_cli("status", "--db", str(db_path), env={**NO_PREFECT, "COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    (row,) = [line for line in lines if line.startswith("run-bad-")]
    assert "…" not in row and " failures " in row  # "completed with failures", shortened
