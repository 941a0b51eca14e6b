"""Issue 9, end to end: one hostile file beside good pages fails alone, and the run ends.

Each case is a real file, FIFO or symlink in a folder with two good saved pages;
the command must finish within a bound, exit 1, load the good pages, and record
the hostile one as a ``failures`` row whose reason says what it is.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlite_utils import Database
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import SAVED, gold, run_cli

# Whole runs of the command: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

GOOD = [SAVED / "html" / "chinadaily_en_ai_rules.html", SAVED / "text" / "wic_text_volunteers.txt"]
GOOD_IDS = {record["article"]["id"] for page in GOOD for record in gold(page)}
SECONDS = 60  # the command itself takes 5-15 s here; a hang or a blow-up takes forever


def comments(folder: Path) -> Path:
    path = folder / "comments.html"
    path.write_text("<!---->" * 40 + "x")
    return path


def canonical(folder: Path) -> Path:
    path = folder / "canonical.html"
    path.write_text("<html><head>" + "<link rel=canonical " * 3000)
    return path


def sparse(folder: Path) -> Path:
    path = folder / "huge.html"
    with path.open("wb") as out:
        out.truncate(1024**3)
    return path


def dev_zero(folder: Path) -> Path:
    path = folder / "zero.html"
    path.symlink_to("/dev/zero")
    return path


def fifo(folder: Path) -> Path:
    path = folder / "pipe.html"
    os.mkfifo(path)
    return path


def symlink_loop(folder: Path) -> Path:
    path = folder / "loop.html"
    path.symlink_to(path)
    return path


def warc_bomb(folder: Path) -> Path:
    """A gzipped WARC whose one response inflates to 256 MB (the cap is 10 MB)."""
    body = gzip.compress(b"<html>" + b" " * (256 * 1024 * 1024), compresslevel=9)
    out = io.BytesIO()
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    writer = WARCWriter(out, gzip=True)
    writer.write_record(writer.create_warc_record(
        "https://www.chinadaily.com.cn/a/bomb.html", "response", payload=io.BytesIO(body),
        http_headers=http,
    ))  # fmt: skip
    path = folder / "bomb.warc.gz"
    path.write_bytes(out.getvalue())
    return path


# (make the hostile file, name it on the command line too, words its failure must say)
CASES: dict[str, tuple[Callable[[Path], Path], bool, tuple[str, ...]]] = {
    "backtracking-comments": (comments, False, ("unknown layout",)),
    "backtracking-canonical": (canonical, False, ("incompletely",)),
    "sparse-1GiB": (sparse, False, ("1,073,741,824 bytes", "10,485,760-byte", "--max-bytes")),
    "symlink-to-dev-zero": (dev_zero, True, ("character device",)),
    "fifo": (fifo, True, ("FIFO",)),
    "symlink-loop": (symlink_loop, False, ("symbolic link", "loop")),
    "warc-bomb": (warc_bomb, False, ("10,485,760-byte limit", "--max-bytes")),
}


def folder_with_good_pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    for page in GOOD:
        shutil.copy(page, folder / page.name)
    return folder


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_file_fails_alone_and_the_run_ends(tmp_path, case):
    make, named, reasons = CASES[case]
    folder = folder_with_good_pages(tmp_path)
    hostile = make(folder)
    db_path = tmp_path / "wic.db"
    # A walked folder skips what is not a regular file: those are named directly too.
    sources = [str(folder), str(hostile)] if named else [str(folder)]
    started = time.monotonic()
    result = run_cli("ingest", *sources, "--db", str(db_path), timeout=SECONDS * 2)
    assert time.monotonic() - started < SECONDS
    assert result.returncode == 1, result.stdout + result.stderr
    assert "unexpected" not in result.stderr, result.stderr
    db = Database(db_path)
    assert {row["id"] for row in db["articles"].rows} == GOOD_IDS
    (failure,) = db["failures"].rows
    assert failure["source"].startswith(str(hostile)), failure
    assert failure["stage"] in ("read", "decode", "extract"), failure
    for words in reasons:
        assert words in failure["message"], failure["message"]
    assert "does not exist" not in failure["message"]


def test_a_name_that_is_not_utf8_loads_with_its_batch(tmp_path):
    folder = folder_with_good_pages(tmp_path)
    raw_name = os.fsencode(folder) + b"/caf\xe9.html"
    with open(raw_name, "wb") as out:
        out.write((SAVED / "html" / "cn_cd_ev_charging.html").read_bytes())
    db_path = tmp_path / "wic.db"
    result = run_cli("ingest", str(folder), "--db", str(db_path), timeout=SECONDS * 2)
    assert result.returncode == 0, result.stdout + result.stderr
    db = Database(db_path)
    ids = GOOD_IDS | {gold(SAVED / "html" / "cn_cd_ev_charging.html")[0]["article"]["id"]}
    assert {row["id"] for row in db["articles"].rows} == ids
    sources = {row["source"] for row in db["pages"].rows}
    assert f"{folder}/caf\\xe9.html" in sources  # the undecodable byte, escaped


def test_a_nested_list_is_read_from_its_own_folder_and_max_bytes_is_an_option(tmp_path):
    folder = folder_with_good_pages(tmp_path)
    (folder / "inner.txt").write_text("\n".join(page.name for page in GOOD) + "\n")
    (tmp_path / "outer.txt").write_text("@pages/inner.txt\n")
    db_path = tmp_path / "wic.db"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli(
        "ingest", f"@{tmp_path / 'outer.txt'}", "--db", str(db_path), "--max-bytes", "2000",
        cwd=elsewhere, timeout=SECONDS * 2,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    db = Database(db_path)
    # Under a 2,000-byte cap the text page (1.4 KB) loads and the larger HTML page is refused.
    (failure,) = db["failures"].rows
    assert failure["source"] == str(folder / GOOD[0].name)
    assert "2,000-byte limit" in failure["message"]
    assert db["articles"].count == 1


def test_a_name_that_is_not_utf8_named_directly_is_refused_before_the_run_with_a_way_out(tmp_path):
    folder = folder_with_good_pages(tmp_path)
    raw_name = os.fsencode(folder) + b"/caf\xe9.html"
    with open(raw_name, "wb") as out:
        out.write((SAVED / "html" / "cn_cd_ev_charging.html").read_bytes())
    result = run_cli("ingest", os.fsdecode(raw_name), "--db", str(tmp_path / "wic.db"))
    assert result.returncode == 2
    assert "caf\\xe9.html is not UTF-8" in result.stderr and "@list.txt" in result.stderr
    listing = tmp_path / "list.txt"
    listing.write_bytes(b"pages/caf\xe9.html\n")  # a list can name it
    result = run_cli("ingest", f"@{listing}", "--db", str(tmp_path / "wic.db"))
    assert result.returncode == 0, result.stdout + result.stderr
