"""writers/warc.py: WARC/1.1 files of exchanges, checked by warcio's own command line."""

from __future__ import annotations

import fcntl
import gzip
import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from core.records import ArchivedRecord, Exchange
from writers.warc import WarcFiles, payload_digest, recover, warc_folder

WARCIO = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "warcio"
INFO = {"software": "wic-etl tests"}
PAGE = b"<html><head><title>t</title></head><body><p>" + b"x" * 2000 + b"</p></body></html>"


class Index:
    """An ArchiveIndex kept in memory, fed with what the writer returns."""

    def __init__(self) -> None:
        self.records: list[ArchivedRecord] = []

    def add(self, records: list[ArchivedRecord]) -> list[ArchivedRecord]:
        self.records += records
        return records

    def same_payload(self, digest: str) -> ArchivedRecord | None:
        return next(
            (r for r in self.records if r.record_type == "response" and r.payload_digest == digest),
            None,
        )

    def last_response(self, uri: str) -> ArchivedRecord | None:
        found = [r for r in self.records if r.record_type == "response" and r.target_uri == uri]
        return found[-1] if found else None


def exchange(path: str = "/a.html", status: int = 200, raw: bytes = PAGE, **kw) -> Exchange:
    headers = kw.pop("headers", (("Content-Type", "text/html"), ("Content-Length", str(len(raw)))))
    return Exchange(
        url=f"http://127.0.0.1:8000{path}",
        started=datetime.now(UTC),
        method="GET",
        http_version="HTTP/1.1",
        request_headers=(("Host", "127.0.0.1:8000"), ("User-Agent", "wic-etl/test")),
        status=status,
        reason="OK" if status == 200 else "Not Modified",
        response_headers=headers,
        raw_body=raw,
        body=kw.pop("body", raw),
        ip_address="127.0.0.1",
        **kw,
    )


def records(path: Path) -> list[dict]:
    out = []
    with path.open("rb") as f:
        for record in ArchiveIterator(f):
            out.append(
                {
                    "type": record.rec_type,
                    "headers": dict(record.rec_headers.headers),
                    "http": record.http_headers,
                    "raw": record.raw_stream.read(),
                }
            )
    return out


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WARCIO), "check", "-v", str(path)], capture_output=True, text=True)


def test_the_folder_is_beside_the_database_named_after_it():
    assert warc_folder("data/wic.db") == Path("data/wic-warc")
    assert warc_folder("/x/y/archive.sqlite") == Path("/x/y/archive-warc")


def test_a_file_is_written_open_then_closed_and_read_back_whole(tmp_path):
    index = Index()
    files = WarcFiles(tmp_path, INFO, 10**9)
    written = index.add(files.write_exchange(exchange(), index))
    assert [p.name.endswith(".warc.gz.open") for p in tmp_path.iterdir()] == [True]
    files.close()
    (path,) = tmp_path.iterdir()
    assert path.name == files.files[0] and path.name.endswith(".warc.gz")
    assert path.name.startswith("wic-") and len(path.name.split("-")) == 4
    assert warcio_check(path).returncode == 0
    got = records(path)
    assert [r["type"] for r in got] == ["warcinfo", "response", "request"]
    response, request = got[1], got[2]
    assert response["raw"] == PAGE
    assert response["headers"]["WARC-Payload-Digest"] == payload_digest(PAGE)
    assert response["headers"]["WARC-IP-Address"] == "127.0.0.1"
    assert request["headers"]["WARC-Concurrent-To"] == response["headers"]["WARC-Record-ID"]
    assert request["headers"]["WARC-Date"] == response["headers"]["WARC-Date"]
    assert request["http"].protocol == "GET" and request["http"].statusline == "/a.html HTTP/1.1"
    # What the writer says of each record is where it is in the file.
    data = path.read_bytes()
    for record in written:
        member = gzip.decompress(data[record.offset : record.offset + record.length])
        assert f"WARC-Type: {record.record_type}".encode() in member
        assert record.record_id.encode() in member
    assert written[1].page_sha256 is not None and written[1].status == 200


def test_an_identical_payload_and_a_304_are_revisits_of_the_first_copy(tmp_path):
    index = Index()
    with WarcFiles(tmp_path, INFO, 10**9) as files:
        first = index.add(files.write_exchange(exchange(), index))[1]
        again = index.add(files.write_exchange(exchange("/b.html"), index))[0]
        unchanged = index.add(files.write_exchange(exchange(status=304, raw=b"", body=b""), index))
    assert again.record_type == "revisit" and again.refers_to == first.record_id
    assert unchanged[0].record_type == "revisit" and unchanged[0].refers_to == first.record_id
    (path,) = tmp_path.iterdir()
    assert warcio_check(path).returncode == 0
    got = [r for r in records(path) if r["type"] == "revisit"]
    identical, not_modified = got[0]["headers"], got[1]["headers"]
    assert identical["WARC-Profile"].endswith("/revisit/identical-payload-digest")
    assert identical["WARC-Refers-To-Target-URI"] == "http://127.0.0.1:8000/a.html"
    assert identical["WARC-Refers-To-Date"] == first.date
    assert identical["WARC-Payload-Digest"] == first.payload_digest
    assert not_modified["WARC-Profile"].endswith("/revisit/server-not-modified")
    assert not_modified["WARC-Refers-To"] == first.record_id
    assert all(r["raw"] == b"" for r in got)  # headers only: the payload is the first copy's


def test_a_body_cut_short_is_kept_and_marked_truncated_never_a_revisit(tmp_path):
    index = Index()
    with WarcFiles(tmp_path, INFO, 10**9) as files:
        index.add(files.write_exchange(exchange(), index))
        cut = files.write_exchange(exchange(raw=PAGE, truncated="length"), index)[0]
    assert cut.record_type == "response" and cut.page_sha256 is None
    (path,) = tmp_path.iterdir()
    last = [r for r in records(path) if r["type"] == "response"][-1]
    assert last["headers"]["WARC-Truncated"] == "length" and last["raw"] == PAGE


def test_a_chunked_answer_does_not_claim_chunking_the_client_removed(tmp_path):
    headers = (("Content-Type", "text/html"), ("Transfer-Encoding", "chunked"))
    with WarcFiles(tmp_path, INFO, 10**9) as files:
        files.write_exchange(exchange(headers=headers), Index())
    (path,) = tmp_path.iterdir()
    response = records(path)[1]
    assert response["http"].get_header("Transfer-Encoding") is None
    assert response["headers"]["WIC-Removed-Transfer-Encoding"] == "chunked"
    assert response["raw"] == PAGE
    assert warcio_check(path).returncode == 0


def test_files_rotate_past_the_size_each_with_its_warcinfo(tmp_path):
    index = Index()
    with WarcFiles(tmp_path, INFO, 1000) as files:
        for n in range(6):
            raw = PAGE + str(n).encode()  # no revisits: each payload its own
            index.add(files.write_exchange(exchange(f"/{n}.html", raw=raw), index))
    paths = sorted(tmp_path.iterdir())
    assert len(paths) >= 3 and [p.name for p in paths] == sorted(files.files)
    assert [p.name.split("-")[2] for p in paths] == [f"{n:05d}" for n in range(len(paths))]
    for path in paths:
        assert warcio_check(path).returncode == 0
        got = records(path)
        assert got[0]["type"] == "warcinfo" and got[0]["headers"]["WARC-Filename"] == path.name
        # A request never lands in another file than its answer.
        assert [r["type"] for r in got[1:]] == ["response", "request"] * ((len(got) - 1) // 2)
    assert sum(p.stat().st_size for p in paths[:-1]) >= 1000 * (len(paths) - 1)


def test_a_metadata_record_refers_to_the_answer(tmp_path):
    index = Index()
    with WarcFiles(tmp_path, INFO, 10**9) as files:
        answer = index.add(files.write_exchange(exchange(), index))[1]
        (meta,) = files.write_metadata(
            answer.target_uri, b'{"title": "t"}', "application/json", answer.record_id, "id1"
        )
    assert meta.article_id == "id1" and meta.refers_to == answer.record_id
    (path,) = tmp_path.iterdir()
    got = records(path)[-1]
    assert got["type"] == "metadata" and got["raw"] == b'{"title": "t"}'
    assert got["headers"]["Content-Type"] == "application/json"
    assert got["headers"]["WARC-Refers-To"] == answer.record_id


def killed_file(folder: Path) -> tuple[Path, int]:
    """A file as a killed run leaves it: whole records, then half of one, never closed."""
    index = Index()
    files = WarcFiles(folder, INFO, 10**9)
    for n in range(3):
        index.add(files.write_exchange(exchange(f"/{n}.html", raw=PAGE + bytes([n])), index))
    path = folder / files.files[0]
    whole = path.stat().st_size
    member = io.BytesIO()
    with gzip.GzipFile(fileobj=member, mode="wb") as half:
        half.write(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\n" + PAGE)
    with path.open("ab") as f:
        f.write(member.getvalue()[: len(member.getvalue()) // 2])
    files._file.close()  # the process died: its lock went with it, nothing renamed
    return path, whole


def test_a_file_left_open_by_a_killed_run_is_cut_to_its_whole_records_and_closed(tmp_path):
    path, whole = killed_file(tmp_path)
    (found,) = recover(tmp_path)
    closed = tmp_path / path.name.removesuffix(".open")
    assert not path.exists() and closed.stat().st_size == whole
    assert warcio_check(closed).returncode == 0
    assert [r.record_type for r in found.records] == ["warcinfo"] + ["response", "request"] * 3
    assert found.dropped_bytes > 0
    line = found.describe()
    assert closed.name in line and "7 whole records kept" in line and "cut off" in line
    assert recover(tmp_path) == []  # nothing left to do


def test_a_file_still_being_written_by_a_live_run_is_left_alone(tmp_path):
    files = WarcFiles(tmp_path, INFO, 10**9)
    files.write_exchange(exchange(), Index())
    assert recover(tmp_path) == []
    assert (tmp_path / files.files[0]).exists()
    files.close()


def test_a_file_with_no_whole_record_is_removed(tmp_path):
    path = tmp_path / "wic-20260101000000-00000-abcdef.warc.gz.open"
    path.write_bytes(gzip.compress(b"WARC/1.1\r\nContent-Length: 10\r\n\r\nabc")[:20])
    (found,) = recover(tmp_path)
    assert found.removed and not path.exists() and "removed" in found.describe()


def test_a_lock_is_held_while_a_file_is_open(tmp_path):
    files = WarcFiles(tmp_path, INFO, 10**9)
    files.write_exchange(exchange(), Index())
    with (tmp_path / files.files[0]).open("rb") as other, pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    files.close()


def test_a_file_let_go_after_a_failed_write_is_recovered_by_the_next_run(tmp_path):
    files = WarcFiles(tmp_path, INFO, 10**9)
    files.write_exchange(exchange(), Index())
    path = tmp_path / files.files[0]
    with path.open("ab") as f:  # a record the disk had no room for, half written
        f.write(gzip.compress(b"WARC/1.1\r\nContent-Length: 5000\r\n\r\n" + PAGE)[:100])
    files.abandon()
    files.close()  # nothing left to close: the file stays open for recovery
    assert path.exists()
    (found,) = recover(tmp_path)
    assert found.dropped_bytes == 100 and len(found.records) == 3
