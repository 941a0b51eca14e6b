"""``wic-etl compact`` converts a database of the layout before the raw store: killed
with SIGKILL half-way and run again, every page has its bytes and articles are as before."""

import hashlib
import os
import signal
import sqlite3
import subprocess
import time

from sqlite_utils import Database

from core.records import RawPage
from extractors.extract import RULESET, extract_page
from flows.batch import ingest_batch
from loaders.raw_pages import stored_raw_pages
from loaders.store import Store
from tests.conftest import BIN, ROOT, run_cli
from tests.corpus import make_corpus
from tests.raw_layout import as_before_raw_store

# compact needs no Prefect server: none is started for it.
NO_PREFECT = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}
PAGES = 400
VERSIONS = 20  # pages that are a second version of a stored address: deltas


def old_database(tmp_path):
    """A database of the layout before the raw store: ``PAGES`` pages and ``VERSIONS``
    second versions, their bytes stored as they are."""
    db_path = tmp_path / "wic.db"
    pages = sorted(make_corpus(tmp_path / "pages", PAGES).iterdir())
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["corpus"])
        ingest_batch(store, [str(p) for p in pages], "run-1")
        store.start_run("run-2", "ingest", ["edits"])
        edits = []
        for path in [p for p in pages if p.suffix == ".html"][:VERSIONS]:
            data = path.read_bytes().replace(b"</p>", b" An update.</p>", 1)
            edits.append(extract_page(RawPage(str(path), data)))
        store.load(edits, "run-2", RULESET)
        for run_id in ("run-1", "run-2"):  # runs of this live process, else 'in use'
            store.end_run(run_id, "completed")
    db = Database(db_path)
    as_before_raw_store(db)
    db.conn.commit()
    assert db.execute("select count(*) from pages").fetchone() == (PAGES + VERSIONS,)
    db.close()
    return db_path


def state(db_path):
    """The SHA-256 of every page's bytes (as the store gives them back), and articles."""
    db = Database(db_path)
    shas = [row[0] for row in db.execute("select sha256 from pages order by sha256")]
    columns = {row[1] for row in db.execute("pragma table_info(pages)")}
    if "compression" in columns:
        digests = sorted(hashlib.sha256(p.data).hexdigest() for p in stored_raw_pages(db, shas))
    else:
        digests = sorted(
            hashlib.sha256(raw).hexdigest() for (raw,) in db.execute("select raw from pages")
        )
    articles = db.execute("select * from articles order by id").fetchall()
    db.close()
    return shas, digests, articles


def converted(db_path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute(
                "select count(*) from pages where compression is not null"
            ).fetchone()[0]
    except sqlite3.Error:
        return 0  # the migration is still adding the columns


def test_compact_killed_half_way_then_run_again_loses_nothing(tmp_path):
    db_path = old_database(tmp_path)
    shas, digests, articles = state(db_path)
    assert shas == digests  # the stored bytes are the pages'

    command = [str(BIN / "wic-etl"), "compact", "--db", str(db_path), "--batch-size", "1"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while converted(db_path) < 100 and proc.poll() is None:
        assert time.monotonic() < deadline, "compact made no progress"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = converted(db_path)
    assert 100 <= done < PAGES + VERSIONS, "the kill did not land half-way"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    assert state(db_path) == (shas, digests, articles)  # half converted, all readable

    rerun = run_cli("compact", "--db", str(db_path), env=NO_PREFECT)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "checked by SHA-256" in rerun.stdout
    assert f"{PAGES + VERSIONS - done:,} pages converted" in rerun.stdout.replace("\n", " ")
    assert state(db_path) == (shas, digests, articles)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        forms = dict(
            conn.execute(
                "select case when base_sha256 is not null then 'delta' "
                "when dictionary_id is not null then 'dictionary' "
                "else coalesce(compression, 'bytes') end, count(*) from pages group by 1"
            ).fetchall()
        )
        stored, size = conn.execute("select sum(length(raw)), sum(size) from pages").fetchone()
    assert "bytes" not in forms and sum(forms.values()) == PAGES + VERSIONS
    assert forms.get("delta", 0) >= VERSIONS  # each second version against its first
    assert stored < size / 5

    again = run_cli("compact", "--db", str(db_path), env=NO_PREFECT)
    assert again.returncode == 0 and "Done: 0 pages converted" in again.stdout
    assert "0 dictionaries trained" in again.stdout  # none retrained without new pages


def test_compact_refuses_a_database_a_run_is_writing(tmp_path):
    db_path = tmp_path / "wic.db"
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["x"])  # this process: alive, 'running'
        result = run_cli("compact", "--db", str(db_path), env=NO_PREFECT)
    assert result.returncode != 0
    assert "in use by a ingest run (run-1" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_compact_stops_with_a_sentence_when_the_database_stays_locked(tmp_path):
    db_path = old_database(tmp_path)
    with Store.open(str(db_path)):  # the schema brought up to date first
        pass
    holder = sqlite3.connect(db_path)
    holder.execute("BEGIN IMMEDIATE")  # another process's write, never let go
    try:
        result = run_cli("compact", "--db", str(db_path), env=NO_PREFECT)
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "is busy: another process is writing it" in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.stderr
    assert state(db_path)[1] == state(db_path)[0]  # nothing half done
