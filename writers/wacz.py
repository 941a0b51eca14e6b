"""A WACZ (Web Archive Collection Zipped, 1.1.1) of the archive, for ReplayWeb.page and pywb.

What goes in the zip:

- ``archive/*.warc.gz``: the crawl's WARC records, copied byte for byte (each record's
  gzip member as it is on disk), those of the chosen days and site with the records
  of the same fetch (request, response, revisit, metadata) and the originals a revisit
  refers to; and one WARC of ``resource`` records for what no WARC holds (pages read
  from saved files, images kept apart), each with a ``metadata`` record saying where
  its bytes came from. Never a made-up HTTP response.
- ``indexes/index.cdx.gz`` and ``indexes/index.idx``: the CDXJ index of those WARCs in
  gzip blocks, and the index of the blocks (webrecorder's cdxj-indexer, as py-wacz).
- ``pages/pages.jsonl``: a header line, then one line per article (id, url, ts, title, text).
- ``datapackage.json`` (every file's path, ``sha256:`` digest and size) and
  ``datapackage-digest.json`` (the digest of datapackage.json).

WARCs and the index blocks are STORED in the zip (the spec's rule: a replayer reads
them at their offsets); the rest is deflated. The zip is written beside its path and renamed into
place at the end, so a stopped export never leaves a half WACZ under that name.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

WACZ_VERSION = "1.1.1"
PAGES_FORMAT = "json-pages-1.0"
RESOURCES_WARC = "wic-etl-resources.warc.gz"
# Records that stand for a capture of their address, in the index and in replay.
CAPTURES = ("response", "revisit", "resource")
GZIP_MAGIC = b"\x1f\x8b"
INDEX_BLOCK_LINES = 1024  # index lines a block of index.cdx.gz (py-wacz's, ArchiveWeb.page's)
# Read by offset, so not compressed again in the zip.
STORED = ("archive/", "indexes/index.cdx.gz")


class WarcReadError(Exception):
    """A WARC file of the crawl that cannot be read at all (not WARC, or unreadable)."""


@dataclass(frozen=True)
class RecordFilter:
    """Which WARC records an export keeps: dated on or after ``since``, of ``site``
    (the host or a subdomain of it), and whatever the date or host the captures of
    ``always`` (the images of the exported articles). ``None``: no bound."""

    since: datetime | None = None
    site: str | None = None
    always: frozenset[str] = frozenset()

    def keeps(self, url: str | None, when: datetime | None) -> bool:
        if url in self.always:
            return True
        if self.since is not None and (when is None or when < self.since):
            return False
        if self.site is not None:
            host = (urlsplit(url or "").hostname or "").lower()
            if host != self.site and not host.endswith("." + self.site):
                return False
        return True


@dataclass(frozen=True)
class Resource:
    """Bytes the archive holds that no WARC of the crawl has: a page read from a saved
    file, an image kept apart. Written as a ``resource`` record at ``url``, dated
    ``date`` (ISO 8601), followed by a ``metadata`` record of its ``provenance``."""

    url: str
    data: bytes
    content_type: str
    date: str
    provenance: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PageEntry:
    """A line of ``pages/pages.jsonl``: an article. ``ts`` None: the time of the latest
    capture of ``url`` in the WACZ."""

    id: str
    url: str
    title: str
    text: str
    ts: str | None = None


@dataclass(frozen=True)
class _Record:
    file: int
    offset: int
    length: int
    kind: str
    record_id: str
    url: str | None
    date: datetime | None
    concurrent_to: tuple[str, ...]
    # What a revisit repeats: the original's id, or (warcio's way) its address and date.
    refers_to: str | None
    refers_to_capture: tuple[str, datetime | None] | None
    warcinfo_id: str | None


@dataclass
class WarcSelection:
    """The records of the crawl's WARCs an export keeps, found by one read of the files."""

    files: list[Path]
    records: list[_Record]
    kept: set[int] = field(default_factory=set)  # indexes into records
    problems: list[str] = field(default_factory=list)

    def responses(self) -> list[str]:
        """The ``WARC-Record-ID`` of each kept response record."""
        return [self.records[i].record_id for i in self.kept if self.records[i].kind == "response"]

    def captured(self) -> dict[str, datetime]:
        """Each address captured in the kept records, with its latest capture time."""
        latest: dict[str, datetime] = {}
        for index in self.kept:
            record = self.records[index]
            if not (record.kind in CAPTURES and record.url and record.date):
                continue
            if record.url not in latest or record.date > latest[record.url]:
                latest[record.url] = record.date
        return latest


@dataclass(frozen=True)
class WaczSummary:
    pages: int
    records: int
    warc_files: int
    size: int
    problems: tuple[str, ...] = ()


def warc_date(text: str | None) -> datetime | None:
    """A WARC-Date (``2026-12-04T02:04:13Z``, maybe with fractions) as an aware datetime."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_z(when: datetime) -> str:
    """An aware datetime as the WARC and the pages list write it: UTC, ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def _whole_member(path: Path, record: _Record) -> bool:
    """Whether a record of a .warc.gz is a whole gzip member (one of a plain WARC: yes)."""
    with path.open("rb") as stream:
        stream.seek(record.offset)
        data = stream.read(record.length)
    if not data.startswith(GZIP_MAGIC):
        return True
    member = zlib.decompressobj(wbits=31)
    try:
        member.decompress(data)
    except zlib.error:
        return False
    return member.eof


def _refers_to_capture(headers: Any) -> tuple[str, datetime | None] | None:
    uri = headers.get_header("WARC-Refers-To-Target-URI")
    return (uri, warc_date(headers.get_header("WARC-Refers-To-Date"))) if uri else None


def _read_records(path: Path, number: int, problems: list[str]) -> list[_Record]:
    from warcio.archiveiterator import ArchiveIterator

    found: list[_Record] = []
    try:
        with path.open("rb") as stream:
            records = ArchiveIterator(stream, no_record_parse=True)  # WARC headers only
            for record in records:
                if record.format != "warc":  # warcio reads any text as an ARC record
                    raise WarcReadError(f"{path} is not a readable WARC file (not WARC)")
                offset = records.get_record_offset()
                records.read_to_end(record)
                headers = record.rec_headers
                found.append(
                    _Record(
                        number,
                        offset,
                        records.get_record_length(),
                        record.rec_type,
                        headers.get_header("WARC-Record-ID") or f"<none:{number}:{offset}>",
                        headers.get_header("WARC-Target-URI"),
                        warc_date(headers.get_header("WARC-Date")),
                        _ids(headers.get_header("WARC-Concurrent-To")),
                        headers.get_header("WARC-Refers-To"),
                        _refers_to_capture(headers),
                        headers.get_header("WARC-Warcinfo-ID"),
                    )
                )
    except WarcReadError:
        raise
    except Exception as exc:  # warcio raises plain exceptions for a cut or garbled file
        if not found:
            raise WarcReadError(f"{path} is not a readable WARC file ({exc})") from exc
        # A run killed mid-record leaves its last record cut: the ones before it are whole.
        problems.append(f"{path.name}: read {len(found)} records, the rest is unreadable ({exc})")
        return found
    # warcio reads a record cut short (a run killed mid-write) quietly, as far as it
    # goes: the last gzip member must be whole, or that record is left out.
    if found and not _whole_member(path, found[-1]):
        found.pop()
    end = found[-1].offset + found[-1].length if found else 0
    if (size := path.stat().st_size) > end:
        problems.append(
            f"{path.name}: the last {size - end} bytes are not a whole record "
            "(a run stopped while writing it?) and are left out"
        )
    return found


def select_records(files: Sequence[Path], keep: RecordFilter) -> WarcSelection:
    """Read every record's headers and choose: the records of a fetch go together (joined
    by WARC-Concurrent-To), judged by their capture (response, revisit or resource) or
    else their first record; the records a kept one refers to (a revisit's original)
    come too, and each file's warcinfo where anything of that file is kept."""
    selection = WarcSelection(list(files), [])
    for number, path in enumerate(selection.files):
        selection.records += _read_records(path, number, selection.problems)
    records = selection.records
    by_id = {record.record_id: index for index, record in enumerate(records)}
    parent = list(range(len(records)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for index, record in enumerate(records):
        for other in record.concurrent_to:
            if other in by_id:
                parent[root(index)] = root(by_id[other])
    groups: dict[int, list[int]] = {}
    for index in range(len(records)):
        groups.setdefault(root(index), []).append(index)
    kept: set[int] = set()
    for members in groups.values():
        if all(records[i].kind == "warcinfo" for i in members):
            continue
        judge = next((i for i in members if records[i].kind in CAPTURES), members[0])
        if keep.keeps(records[judge].url, records[judge].date):
            kept.update(members)
    by_capture = {
        (r.url, r.date): index
        for index, r in enumerate(records)
        if r.kind in ("response", "resource") and r.url
    }
    pending = list(kept)
    while pending:  # the originals of revisits, and what those refer to in turn
        record = records[pending.pop()]
        target = by_id.get(record.refers_to or "")
        if target is None and record.refers_to_capture is not None:
            target = by_capture.get(record.refers_to_capture)
        if target is not None and target not in kept:
            members = groups[root(target)]
            kept.update(members)
            pending += members
    used = {records[i].file for i in kept}
    kept.update(i for i, r in enumerate(records) if r.kind == "warcinfo" and r.file in used)
    selection.kept = kept
    return selection


def _copy_kept(selection: WarcSelection, folder: Path) -> tuple[list[Path], int]:
    """Each file's kept records, byte for byte, into a file of the same name (a record of
    an uncompressed WARC gzipped on its own, as a .warc.gz holds records)."""
    written: list[Path] = []
    count = 0
    names: set[str] = set()
    for number, path in enumerate(selection.files):
        chosen = sorted(
            (
                r
                for i, r in enumerate(selection.records)
                if i in selection.kept and r.file == number
            ),
            key=lambda r: r.offset,
        )
        if not chosen:
            continue
        name = path.name if path.name.endswith(".warc.gz") else path.name + ".gz"
        while name in names or name == RESOURCES_WARC:
            name = f"{number}-{name}"
        names.add(name)
        target = folder / name
        with path.open("rb") as source, target.open("wb") as out:
            for record in chosen:
                source.seek(record.offset)
                data = source.read(record.length)
                out.write(data if data.startswith(GZIP_MAGIC) else gzip.compress(data))
                count += 1
        written.append(target)
    return written, count


def _write_resources(
    resources: Iterable[Resource], path: Path, software: str
) -> tuple[int, dict[str, datetime]]:
    """The resource records (and their metadata records) in one WARC; how many records,
    and each address with its latest date."""
    from warcio.warcwriter import WARCWriter

    count = 0
    dates: dict[str, datetime] = {}
    seen: set[tuple[str, str]] = set()
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        info = writer.create_warcinfo_record(
            path.name,
            {
                "software": software,
                "format": "WARC File Format 1.1",
                "description": "Pages and images wic-etl read from saved files or kept "
                "apart, as resource records; each is followed by a metadata record "
                "saying where its bytes came from.",
            },
        )
        writer.write_record(info)
        count += 1
        for resource in resources:
            digest = hashlib.sha256(resource.data).hexdigest()
            if (resource.url, digest) in seen:
                continue
            seen.add((resource.url, digest))
            when = warc_date(resource.date) or datetime.now(UTC)
            headers = {
                "WARC-Date": iso_z(when),
                "WARC-Warcinfo-ID": info.rec_headers.get_header("WARC-Record-ID"),
                "WARC-Payload-Digest": f"sha256:{digest}",
            }
            record = writer.create_warc_record(
                resource.url,
                "resource",
                payload=io.BytesIO(resource.data),
                length=len(resource.data),
                warc_content_type=resource.content_type,
                warc_headers_dict=headers,
            )
            writer.write_record(record)
            fields = "".join(f"{name}: {value}\r\n" for name, value in resource.provenance)
            body = fields.encode("utf-8")
            note = writer.create_warc_record(
                resource.url,
                "metadata",
                payload=io.BytesIO(body),
                length=len(body),
                warc_content_type="application/warc-fields",
                warc_headers_dict={
                    "WARC-Date": iso_z(when),
                    "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
                    "WARC-Refers-To": record.rec_headers.get_header("WARC-Record-ID"),
                    "WARC-Warcinfo-ID": info.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            writer.write_record(note)
            count += 2
            if resource.url not in dates or when > dates[resource.url]:
                dates[resource.url] = when
    return count, dates


def _cdxj(files: Sequence[Path], folder: Path) -> None:
    """The CDXJ index of the WARCs as the spec and py-wacz lay it out: ``index.cdx.gz``,
    gzip blocks of sorted lines (read by range, so STORED in the zip), and ``index.idx``,
    the first key of each block; request bodies of POSTs appended to their keys."""
    from cdxj_indexer.main import CDXJIndexer

    with (folder / "index.cdx.gz").open("wb") as blocks:
        CDXJIndexer(
            str(folder / "index.idx"),
            [str(f) for f in files],
            sort=True,
            post_append=True,
            compress=blocks,
            data_out_name="index.cdx.gz",
            lines=INDEX_BLOCK_LINES,
            digest_records=True,
            fields="referrer",
            # Captures only: an article's metadata record (its extracted record as JSON)
            # shares the page's address, and indexed it was replayed in the page's place.
            records="response,revisit,resource",
        ).process_all()


def _pages_lines(
    pages: Iterable[PageEntry], captured: dict[str, datetime], title: str
) -> Iterator[str]:
    header = {"format": PAGES_FORMAT, "id": "pages", "title": title, "hasText": True}
    yield json.dumps(header, ensure_ascii=False) + "\n"
    for page in pages:
        ts = page.ts or (iso_z(captured[page.url]) if page.url in captured else None)
        line = {"id": page.id, "url": page.url, "ts": ts, "title": page.title, "text": page.text}
        yield json.dumps({k: v for k, v in line.items() if v is not None}, ensure_ascii=False)
        yield "\n"


def _digest(path: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            hasher.update(block)
            size += len(block)
    return "sha256:" + hasher.hexdigest(), size


def write_wacz(
    out: Path,
    selection: WarcSelection,
    resources: Iterable[Resource],
    pages: Iterable[PageEntry],
    *,
    title: str,
    software: str,
    description: str = "",
) -> WaczSummary:
    """Write the WACZ at ``out`` (replacing it): the selected records of the crawl, the
    resources, the index, the pages list and the data package."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wacz-", dir=out.parent) as work:
        folder = Path(work)
        archive = folder / "archive"
        archive.mkdir()
        warcs, count = _copy_kept(selection, archive)
        resources_path = archive / RESOURCES_WARC
        written, resource_dates = _write_resources(resources, resources_path, software)
        if written > 1:
            warcs.append(resources_path)
            count += written
        else:
            resources_path.unlink()
        captured = {**selection.captured()}
        for url, when in resource_dates.items():
            if url not in captured or when > captured[url]:
                captured[url] = when
        (folder / "indexes").mkdir()
        _cdxj(warcs, folder / "indexes")
        (folder / "pages").mkdir()
        listed = 0
        with (folder / "pages" / "pages.jsonl").open("w", encoding="utf-8") as lines:
            for line in _pages_lines(pages, captured, title):
                lines.write(line)
                listed += line == "\n"
        contents = [
            *(f"archive/{w.name}" for w in warcs),
            "indexes/index.cdx.gz",
            "indexes/index.idx",
            "pages/pages.jsonl",
        ]
        package: dict[str, object] = {
            "profile": "data-package",
            "resources": [],
            "title": title,
            **({"description": description} if description else {}),
            "created": iso_z(datetime.now(UTC)),
            "wacz_version": WACZ_VERSION,
            "software": software,
        }
        for path in contents:
            digest, size = _digest(folder / path)
            package["resources"].append(  # type: ignore[attr-defined]
                {"name": Path(path).name.lower(), "path": path, "hash": digest, "bytes": size}
            )
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
        digest_bytes = json.dumps(
            {
                "path": "datapackage.json",
                "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest(),
            },
            indent=2,
        ).encode("utf-8")
        partial = folder / "out.wacz"
        with zipfile.ZipFile(partial, "w", allowZip64=True) as zipped:
            for path in contents:
                stored = path.startswith(STORED)
                zipped.write(
                    folder / path,
                    path,
                    compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED,
                )
            zipped.writestr("datapackage.json", package_bytes, zipfile.ZIP_DEFLATED)
            zipped.writestr("datapackage-digest.json", digest_bytes, zipfile.ZIP_DEFLATED)
        os.replace(partial, out)
    return WaczSummary(listed, count, len(warcs), out.stat().st_size, tuple(selection.problems))
