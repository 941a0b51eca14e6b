"""open_database: SQLite's own locks survive other processes opening the same file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from loaders.schema import open_database


def _other_process_reads(db_path: Path) -> str:
    """What a person querying beside a run does: open the file, read, close."""
    sqlite = shutil.which("sqlite3")
    if sqlite is None:
        pytest.fail("the sqlite3 command line is missing: `make setup` installs it")
    done = subprocess.run(
        [sqlite, str(db_path), "select count(*) from runs"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_reader_in_another_process_does_not_take_the_wal_away(tmp_path):
    db_path = tmp_path / "wic.db"
    db = open_database(db_path)
    db.execute("insert into runs (id, flow) values ('r1', 'ingest')")
    db.conn.commit()
    assert Path(f"{db_path}-wal").exists()

    assert _other_process_reads(db_path) == "1"

    # Had this process lost its locks, the reader, believing itself the last
    # connection, would have checkpointed and deleted the -wal under us.
    assert Path(f"{db_path}-wal").exists()
    db.execute("insert into runs (id, flow) values ('r2', 'ingest')")
    db.conn.commit()
    assert _other_process_reads(db_path) == "2"
    db.close()
