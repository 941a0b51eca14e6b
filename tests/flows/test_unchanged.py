"""An unchanged re-run does not read files it already made into articles; a changed one does."""

from __future__ import annotations

import os
import shutil
import subprocess
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


def _same_size_edit(path: str) -> None:
    """Other bytes of the same size, the mtime set back (as cp -p, rsync -a or touch -d do)."""
    before = os.stat(path)
    data = bytearray(Path(path).read_bytes())
    data[-20] = ord("x") if data[-20] != ord("x") else ord("y")
    Path(path).write_bytes(data)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _load(store: Store, files: list[str], run_id: str) -> None:
    store.start_run(run_id, "ingest", files)
    ingest_batch(store, files, run_id)


def test_a_folder_swapped_by_rename_is_read_again(tmp_path, monkeypatch):
    # Renaming a folder keeps its files' ctimes: a correction written before the last
    # run, moved into place after it, looked older than that run.
    monkeypatch.setattr(flows.batch, "CHANGE_MARGIN_S", 0.0)
    page = SAVED / "html" / "cd_panda_cubs.html"
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages.new").mkdir()
    shutil.copy(page, tmp_path / "pages" / page.name)
    shutil.copy(page, tmp_path / "pages.new" / page.name)
    _same_size_edit(str(tmp_path / "pages.new" / page.name))  # the correction, made first
    time.sleep(0.05)
    path = str(tmp_path / "pages" / page.name)
    with Store.open(str(tmp_path / "wic.db")) as store:
        _load(store, [path], "run-1")
        assert unchanged_files(store, [path]) == {path}
        os.rename(tmp_path / "pages", tmp_path / "pages.old")
        os.rename(tmp_path / "pages.new", tmp_path / "pages")
        assert unchanged_files(store, [path]) == set()


@pytest.fixture
def mount_point(tmp_path):
    """Two file systems (tmpfs), and a mount point that shows one of them at a time."""
    disks = [tmp_path / "disk-a", tmp_path / "disk-b"]
    point = tmp_path / "media"
    mounted: list[Path] = []

    def mount(*args: str) -> None:
        subprocess.run(["mount", *args], check=True, capture_output=True)
        mounted.append(Path(args[-1]))

    for disk in [*disks, point]:
        disk.mkdir()
    for disk in disks:
        mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    yield disks, point, mount
    for where in reversed(mounted):
        subprocess.run(["umount", str(where)], capture_output=True)


def test_another_disk_at_the_same_mount_point_is_read(mount_point, tmp_path, monkeypatch):
    monkeypatch.setattr(flows.batch, "CHANGE_MARGIN_S", 0.0)
    (disk_a, disk_b), point, mount = mount_point
    name = "cd_panda_cubs.html"
    shutil.copy(SAVED / "html" / name, disk_a / name)
    shutil.copy(SAVED / "html" / name, disk_b / name)
    _same_size_edit(str(disk_b / name))
    os.utime(disk_b / name, ns=(os.stat(disk_a / name).st_atime_ns,
                                os.stat(disk_a / name).st_mtime_ns))  # fmt: skip
    time.sleep(0.05)
    mount("--bind", str(disk_a), str(point))
    path = str(point / name)
    with Store.open(str(tmp_path / "wic.db")) as store:
        _load(store, [path], "run-1")
        assert unchanged_files(store, [path]) == {path}
        subprocess.run(["umount", str(point)], check=True)
        mount("--bind", str(disk_b), str(point))
        assert unchanged_files(store, [path]) == set()


@pytest.fixture
def exfat(tmp_path):
    """A real exFAT file system (an SD card's), through exfat-fuse on a loop device."""
    image, point = tmp_path / "card.img", tmp_path / "card"
    point.mkdir()
    with image.open("wb") as out:
        out.truncate(32 * 1024 * 1024)
    subprocess.run(["mkfs.exfat", str(image)], check=True, capture_output=True)
    loop = subprocess.run(["losetup", "-f", "--show", str(image)], check=True,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    try:
        subprocess.run(["mount.exfat-fuse", loop, str(point)], check=True, capture_output=True)
        try:
            yield point
        finally:
            subprocess.run(["umount", str(point)], capture_output=True)
    finally:
        subprocess.run(["losetup", "-d", loop], capture_output=True)


def test_a_same_size_edit_on_exfat_with_its_time_set_back_is_read_again(exfat, tmp_path):
    # exFAT keeps no ctime: Linux shows the mtime, which touch -d and cp -p set back,
    # so the file's stamp is as it was; its bytes are not.
    path = str(exfat / "cd_panda_cubs.html")
    shutil.copy(SAVED / "html" / "cd_panda_cubs.html", path)
    time.sleep(2.1)  # read well after the write, as saved pages are
    with Store.open(str(tmp_path / "wic.db")) as store:
        _load(store, [path], "run-1")
        assert unchanged_files(store, [path]) == {path}  # its bytes are the stored ones
        stamp = os.stat(path)
        _same_size_edit(path)
        after = os.stat(path)
        assert (after.st_mtime_ns, after.st_ctime_ns, after.st_size) == (
            stamp.st_mtime_ns, stamp.st_ctime_ns, stamp.st_size,
        )  # fmt: skip
        assert unchanged_files(store, [path]) == set()


def test_after_the_clock_went_back_the_bytes_decide(loaded):
    store, files = loaded
    path = next(iter(sorted(unchanged_files(store, files))))
    _same_size_edit(path)
    info = os.stat(path)
    # The stored stamp as the edited file's, read "an hour from now": a clock set back
    # an hour since can give a later write the times of an earlier one.
    store.db.execute(
        "update saved_files set ctime_ns = ?, mtime_ns = ?, read_ns = ? where path = ?",
        [info.st_ctime_ns, info.st_mtime_ns, time.time_ns() + 3600 * 10**9, path],
    )
    store.db.conn.commit()
    assert path not in unchanged_files(store, files)


def test_reread_reads_every_file(loaded):
    store, files = loaded
    assert unchanged_files(store, files)
    assert unchanged_files(store, files, reread=True) == set()


def test_a_touched_file_is_read_once_and_then_known_again(loaded):
    store, files = loaded
    path = next(iter(sorted(unchanged_files(store, files))))
    os.utime(path)  # new times, same bytes
    assert path not in unchanged_files(store, files)
    time.sleep(0.05)
    store.start_run("run-2", "ingest", [path])
    counts = ingest_batch(store, [path], "run-2")
    assert counts.unchanged == 1 and counts.new == counts.updated == 0
    assert path in unchanged_files(store, files)


def test_a_retried_run_keeps_its_first_start(tmp_path):
    with Store.open(str(tmp_path / "wic.db")) as store:
        store.start_run("run-1", "ingest", ["a"])
        (first,) = store.db.execute("select started from runs where id = 'run-1'").fetchone()
        time.sleep(0.01)
        store.start_run("run-1", "ingest", ["a"])  # Prefect's retry of the same flow run
        (again,) = store.db.execute("select started from runs where id = 'run-1'").fetchone()
    assert again == first


def test_a_link_to_a_file_on_exfat_is_judged_by_exfat(exfat, tmp_path):
    # Found in review: trust was looked up by the folder of the name given, so a link
    # on a local disk to a file on exFAT had its times trusted.
    real = exfat / "cd_panda_cubs.html"
    shutil.copy(SAVED / "html" / "cd_panda_cubs.html", real)
    (tmp_path / "pages").mkdir()
    local = tmp_path / "pages" / "cd_battery_recycling.html"
    shutil.copy(SAVED / "html" / "cd_battery_recycling.html", local)
    link = tmp_path / "pages" / "panda.html"
    link.symlink_to(real)
    files = [str(local), str(link)]
    time.sleep(2.1)
    with Store.open(str(tmp_path / "wic.db")) as store:
        _load(store, files, "run-1")
        assert unchanged_files(store, files) == set(files)
        _same_size_edit(str(real))
        assert unchanged_files(store, files) == {str(local)}
