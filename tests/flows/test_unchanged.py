"""An unchanged re-run does not read files it already made into articles; a changed one does."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import flows.batch
from flows.batch import ingest_batch, unchanged_files
from loaders.store import Store
from readers.archives import is_archive
from tests.conftest import SAVED


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    # The margin allows for clock skew on network file systems; here one clock is used.
    monkeypatch.setattr(flows.batch, "CHANGE_MARGIN_S", 0.0)
    folder = tmp_path / "saved"
    shutil.copytree(SAVED, folder)
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file())
    time.sleep(0.05)  # the run starts after the files were last written
    store = Store.open(str(tmp_path / "wic.db"))
    store.start_run("run-1", "ingest", [str(folder)])
    counts = ingest_batch(store, files, "run-1")
    assert counts.new > 5
    yield store, files
    store.close()


def test_files_loaded_as_articles_and_untouched_since_are_unchanged(loaded):
    store, files = loaded
    done = unchanged_files(store, files)
    articles = {row[0] for row in store.db.execute("select source from pages where status = 'ok'")}
    # Archives are always read: one file holds many pages.
    assert done and done == {f for f in articles & set(files) if not is_archive(f)}


def test_a_file_written_after_the_run_began_is_read_again_even_with_its_old_mtime(loaded):
    store, files = loaded
    path = next(iter(sorted(unchanged_files(store, files))))
    before = os.stat(path)
    data = bytearray(Path(path).read_bytes())
    data[-20] = ord("x") if data[-20] != ord("x") else ord("y")  # same size, other bytes
    with open(path, "wb") as out:
        out.write(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as cp -p or rsync -t would
    assert os.stat(path).st_size == before.st_size
    assert path not in unchanged_files(store, files)


def test_a_file_of_another_size_is_read_again(loaded):
    store, files = loaded
    path = next(iter(sorted(unchanged_files(store, files))))
    before = os.stat(path)
    with open(path, "ab") as out:
        out.write(b"\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path not in unchanged_files(store, files)
