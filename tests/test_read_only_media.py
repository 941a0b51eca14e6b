"""A database on read-only media (a CD, a read-only share, a snapshot): read, never written.

The media is a real file system mounted read-only for the test (a tmpfs remounted
``ro``): as root, which the tests run as, a folder made read-only with chmod can
still be written, and would prove nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flows.batch import ingest_batch
from loaders.schema import open_database
from loaders.store import Store
from tests.conftest import SAVED, datasette_server, run_cli

pytestmark = pytest.mark.slow  # mounts a file system and starts a server

NO_PREFECT = {"PREFECT_API_URL": ""}  # reading a database never needs Prefect


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB file system, writable until ``read_only`` is called on it."""
    mount = tmp_path / "media"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if made.returncode != 0:
        pytest.fail(f"this test mounts a tmpfs and needs root to: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def read_only(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    with pytest.raises(OSError):
        (mount / "probe").write_text("x")


def load(db_path: Path) -> None:
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["text"])
        counts = ingest_batch(store, sorted(str(p) for p in (SAVED / "text").glob("*.txt")),
                              "run-1")  # fmt: skip
        store.finish_run("run-1", counts, "completed")


def test_a_database_on_read_only_media_is_browsed_and_its_runs_read(media: Path) -> None:
    db_path = media / "wic.db"
    load(db_path)
    read_only(media)
    before = sorted(p.name for p in media.iterdir())

    status = run_cli("status", "--db", str(db_path), env=NO_PREFECT)
    assert status.returncode == 0, status.stderr
    assert "run-1" in status.stdout and "completed" in status.stdout

    with datasette_server(db_path) as served:
        base = served.url
        page = httpx.get(f"{base}/articles?_search=quantum", timeout=30)
        assert page.status_code == 200
        assert "Hefei lab opens its quantum testbed" in page.text
        assert 'class="wic-hit"' in page.text
        chinese = httpx.get(f"{base}/articles?_search=乌镇", timeout=30)
        assert chinese.status_code == 200 and 'class="wic-hit"' in chinese.text
    assert sorted(p.name for p in media.iterdir()) == before


def test_browsing_a_database_that_needs_no_migration_writes_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "wic.db"
    load(db_path)
    (tmp_path / "wic.db.lock").unlink()
    before = db_path.stat()
    with datasette_server(db_path) as served:
        base = served.url
        assert httpx.get(f"{base}/articles?_search=quantum", timeout=30).status_code == 200
    after = db_path.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert not (tmp_path / "wic.db.lock").exists()  # not even the lock taken to migrate


def test_a_database_that_needs_a_migration_on_read_only_media_says_so(media: Path) -> None:
    db_path = media / "wic.db"
    load(db_path)
    db = open_database(db_path)  # as a database made before the last migration
    db.execute("delete from _sqlite_migrations where name = 'add_chinese_search'")
    db.conn.commit()
    db.close()
    read_only(media)

    result = run_cli("datasette", "--db", str(db_path), env=NO_PREFECT, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    said = " ".join(result.stderr.split())
    assert "add_chinese_search" in said and "read-only" in said.lower()
    assert "copy" in said and "Traceback" not in said
    # Its runs can still be read: status needs no migration.
    status = run_cli("status", "--db", str(db_path), env=NO_PREFECT)
    assert status.returncode == 0, status.stderr
