"""Raw pages kept compressed: zstd, with a dictionary per site and layout, or as a delta.

A page's stored form (``pages.raw``) is one of:

- the bytes as they came (``compression`` null): pages stored before the raw store
  compressed them, until ``wic-etl compact`` converts them;
- a zstd frame (``compression`` = ``zstd``), made with the dictionary
  ``dictionary_id`` (a row of ``raw_dictionaries``, its site and layout's newest when
  the page was stored) or with none ("plain": no dictionary of its site and layout
  existed yet, recompressed once one does);
- a zstd frame made against another version of the same address (``base_sha256``):
  that page's original bytes are the dictionary. A base is never itself a delta, so
  reading any page takes at most two decompressions.

A dictionary is never changed or deleted once a page uses it: a newer one of the same
site and layout is a new row, and pages compressed with the older stay readable.
``sha256`` is always that of the original bytes, whatever the stored form.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import zstandard
from sqlite_utils import Database

from core.urls import host_of

ZSTD = "zstd"
LEVEL = 3  # ~265 MB/s with a dictionary here: cheap next to extracting a page
# Pages of one site and layout stored without a dictionary before a run trains theirs.
TRAIN_AFTER = 100
# From this many sample pages a dictionary is trained (zstd's COVER); below it the
# samples' own bytes, newest last, are the dictionary: with a handful of pages a
# trained dictionary is worse than none, their raw bytes much better (bench/storage.py).
TRAINED_FROM = 100
DICTIONARY_SIZE = 112_640  # zstd's own default, 110 KB
RAW_DICTIONARY_BYTES = 256 * 1024
_DICTIONARY_MAGIC = b"\x37\xa4\x30\xec"
MAX_SAMPLES = 1_000
JUDGED_ON = 20  # newest samples a way of making a dictionary is judged on
MAX_SAMPLE_BYTES = 64 * 1024 * 1024
NO_ARTICLE = "none"  # the layout of pages that are not an article's (listings, failures)

# Compressors and decompressors are not safe to share between threads (the re-extract
# flow reads pages in several): each thread keeps its own, per dictionary digest, so
# two databases whose dictionaries share an id never mix them.
_local = threading.local()


@dataclass(frozen=True)
class Bucket:
    """What a dictionary is made for: a site (host family) and a layout (profile)."""

    site: str
    layout: str


@dataclass(frozen=True)
class Stored:
    """A page's stored form: the ``pages`` columns that say how to read ``raw`` back."""

    raw: bytes
    compression: str | None
    dictionary_id: int | None = None
    base_sha256: str | None = None

    def columns(self) -> dict[str, object]:
        return {
            "raw": self.raw,
            "compression": self.compression,
            "dictionary_id": self.dictionary_id,
            "base_sha256": self.base_sha256,
        }


class RawPageError(Exception):
    """A stored page that cannot be read back (a missing dictionary or base, bad bytes)."""


def site_of(url: str | None) -> str:
    """The host family of ``url`` (``chinadaily.com.cn``, ``wicwuzhen.cn``), its host
    otherwise, "" without one."""
    host = host_of(url) or ""
    for family in ("chinadaily.com.cn", "wicwuzhen.cn"):
        if host == family or host.endswith("." + family):
            return family
    return host.removeprefix("www.")


def bucket_of(url: str | None, extractor: str | None, site: str | None = None) -> Bucket:
    """The bucket of a page read from ``url`` whose article ``extractor`` made (if any)."""
    layout = extractor.split("/", 1)[0] if extractor else NO_ARTICLE
    return Bucket(site or site_of(url), layout)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Reading back


def stored_bytes(
    db: Database,
    raw: bytes,
    compression: str | None,
    dictionary_id: int | None,
    base_sha256: str | None,
) -> bytes:
    """The original bytes of a page from its stored form."""
    if compression is None:
        return bytes(raw)
    if compression != ZSTD:
        raise RawPageError(f"unknown compression {compression!r}: a newer wic-etl wrote it")
    try:
        if base_sha256 is not None:
            base = page_bytes(db, base_sha256, delta=False)
            return _delta_decompressor(base).decompress(raw)
        return _decompressor(db, dictionary_id).decompress(raw)
    except zstandard.ZstdError as exc:
        raise RawPageError(f"a stored page does not decompress ({exc})") from exc


def page_bytes(db: Database, sha: str, delta: bool = True) -> bytes:
    """The original bytes of the page ``sha``."""
    row = db.execute(
        "select raw, compression, dictionary_id, base_sha256 from pages where sha256 = ?", [sha]
    ).fetchone()
    if row is None:
        raise RawPageError(f"no stored page {sha}")
    if not delta and row[3] is not None:
        raise RawPageError(f"page {sha} is a delta and the base of another: chains are depth 1")
    return stored_bytes(db, *row)


def _cache(name: str) -> dict[object, object]:
    found = getattr(_local, name, None)
    if found is None:
        found = {}
        setattr(_local, name, found)
    return found


def _dictionary(db: Database, dictionary_id: int) -> tuple[str, bytes | None]:
    """(digest, bytes) of a dictionary; the bytes only if this thread has not got it."""
    row = db.execute("select sha256 from raw_dictionaries where id = ?", [dictionary_id]).fetchone()
    if row is None:
        raise RawPageError(f"dictionary {dictionary_id} of a stored page is missing")
    digest = str(row[0])
    if digest in _cache("dictionaries"):
        return digest, None
    (data,) = db.execute(
        "select dictionary from raw_dictionaries where id = ?", [dictionary_id]
    ).fetchone()
    return digest, bytes(data)


def _prepared(db: Database, dictionary_id: int) -> tuple[str, zstandard.ZstdCompressionDict]:
    digest, data = _dictionary(db, dictionary_id)
    cache = _cache("dictionaries")
    if data is not None:
        cache[digest] = zstandard.ZstdCompressionDict(data)
    return digest, cache[digest]  # type: ignore[return-value]


def _decompressor(db: Database, dictionary_id: int | None) -> zstandard.ZstdDecompressor:
    cache = _cache("decompressors")
    if dictionary_id is None:
        key: object = None
        if key not in cache:
            cache[key] = zstandard.ZstdDecompressor()
    else:
        key, prepared = _prepared(db, dictionary_id)
        if key not in cache:
            cache[key] = zstandard.ZstdDecompressor(dict_data=prepared)
    return cache[key]  # type: ignore[return-value]


def _compressor(db: Database, dictionary_id: int | None) -> zstandard.ZstdCompressor:
    cache = _cache("compressors")
    if dictionary_id is None:
        key: object = None
        if key not in cache:
            cache[key] = zstandard.ZstdCompressor(level=LEVEL)
    else:
        key, prepared = _prepared(db, dictionary_id)
        if key not in cache:
            cache[key] = zstandard.ZstdCompressor(level=LEVEL, dict_data=prepared)
    return cache[key]  # type: ignore[return-value]


def _raw_content(base: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _delta_decompressor(base: bytes) -> zstandard.ZstdDecompressor:
    return zstandard.ZstdDecompressor(dict_data=_raw_content(base))


# Storing


def newest_dictionary(db: Database, bucket: Bucket) -> int | None:
    row = db.execute(
        "select max(id) from raw_dictionaries where site = ? and layout = ?",
        [bucket.site, bucket.layout],
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def delta_base(db: Database, sha: str, url: str | None) -> str | None:
    """The stored page a page read from ``url`` can be a delta of: the newest other
    version of that address that is not a delta itself."""
    if not url:
        return None
    row = db.execute(
        "select sha256 from pages where url = ? and sha256 != ? and base_sha256 is null "
        "and raw is not null order by rowid desc limit 1",
        [url, sha],
    ).fetchone()
    return None if row is None else str(row[0])


def pack(db: Database, data: bytes, sha: str, url: str | None, bucket: Bucket) -> Stored:
    """The stored form of a page: against an earlier version of its address if that is
    smaller, else with its site and layout's newest dictionary (or none yet)."""
    dictionary_id = newest_dictionary(db, bucket)
    try:
        best = Stored(_compressor(db, dictionary_id).compress(data), ZSTD, dictionary_id)
    except zstandard.ZstdError:  # a dictionary zstd cannot use must not keep a page out
        best = Stored(_compressor(db, None).compress(data), ZSTD, None)
    base = delta_base(db, sha, url)
    if base is not None:
        against = page_bytes(db, base, delta=False)
        delta = zstandard.ZstdCompressor(level=LEVEL, dict_data=_raw_content(against))
        raw = delta.compress(data)
        if len(raw) < len(best.raw):
            best = Stored(raw, ZSTD, None, base)
    return best


def checked(db: Database, stored: Stored, sha: str) -> bool:
    """Whether ``stored`` reads back to the bytes whose digest is ``sha``."""
    try:
        data = stored_bytes(
            db, stored.raw, stored.compression, stored.dictionary_id, stored.base_sha256
        )
    except RawPageError:
        return False
    return sha256(data) == sha


# Dictionaries


def make_dictionary(samples: Sequence[bytes]) -> bytes | None:
    """A dictionary for pages like ``samples`` (oldest first), or None with fewer than two.

    With fewer than ``TRAINED_FROM`` samples, their own bytes, the newest last (zstd
    finds nearer matches cheaper), as a raw-content dictionary. From ``TRAINED_FROM``
    on, the best of the ways below at storing pages it was not made from: each is made
    from the older samples and judged on the newest (``JUDGED_ON``), and the winner is
    made again from all. No one way wins everywhere (bench/storage.py, 100 samples):
    on pages of a real China Daily shell the raw bytes stored 2,124 bytes a page and
    zstd's trainer 2,639; on pages of the WIC layout its default search 4,371, a
    fixed segment size 1,899 and the raw bytes 2,398.
    """
    if len(samples) < 2:
        return None
    if len(samples) < TRAINED_FROM:
        return _raw_dictionary(samples)
    judged = max(1, min(JUDGED_ON, len(samples) // 5))
    older, newest = samples[:-judged], samples[-judged:]
    best = min(_DICTIONARY_WAYS, key=lambda way: _stored_size(way(older), newest))
    return best(samples) or _raw_dictionary(samples)


def _raw_dictionary(samples: Sequence[bytes]) -> bytes:
    data = b"".join(samples)[-RAW_DICTIONARY_BYTES:]
    # zstd reads a dictionary that begins with its magic number as a trained one: page
    # bytes beginning so (a hostile page can) would make a dictionary nothing can use.
    while data.startswith(_DICTIONARY_MAGIC):
        data = data[1:]
    return data


def _trained(samples: Sequence[bytes], **segments: int) -> bytes | None:
    try:
        trained = zstandard.train_dictionary(
            DICTIONARY_SIZE, list(samples), level=LEVEL, **segments
        )
    except zstandard.ZstdError:
        return None  # too little variety to train on
    return bytes(trained.as_bytes())


_DICTIONARY_WAYS: tuple[Callable[[Sequence[bytes]], bytes | None], ...] = (
    _raw_dictionary,
    _trained,  # zstd's COVER trainer, searching its segment sizes
    partial(_trained, k=1024, d=8),
)


def _stored_size(dictionary: bytes | None, pages: Sequence[bytes]) -> float:
    if dictionary is None:
        return float("inf")
    # Read as the store reads it: trained if it begins with zstd's magic, raw otherwise.
    compressor = zstandard.ZstdCompressor(
        level=LEVEL, dict_data=zstandard.ZstdCompressionDict(dictionary)
    )
    return sum(len(compressor.compress(page)) for page in pages)


def store_dictionary(
    db: Database, bucket: Bucket, dictionary: bytes, samples: int, pages: int
) -> int:
    """Keep a new dictionary for ``bucket``, made from ``samples`` of its ``pages``; its id."""
    cursor = db.conn.execute(
        "insert into raw_dictionaries (site, layout, trained_at, samples, pages, size, "
        "sha256, dictionary) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [bucket.site, bucket.layout, datetime.now(UTC).isoformat(timespec="seconds"),
         samples, pages, len(dictionary), sha256(dictionary), dictionary],
    )  # fmt: skip
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def page_buckets(
    db: Database, where: str, params: Sequence[object] = ()
) -> dict[Bucket, list[str]]:
    """The pages matching ``where`` (on ``pages p``), by bucket, oldest first."""
    # Sorted here, not by SQL: "order by rowid" makes SQLite scan the whole table in
    # rowid order rather than use the partial index of the pages waiting for a dictionary.
    rows = sorted(
        db.execute(
            "select p.rowid, p.sha256, p.url, a.extractor, a.site from pages p "
            f"left join articles a on a.id = p.article_id where {where}",
            list(params),
        ).fetchall()
    )
    found: dict[Bucket, list[str]] = {}
    for _, sha, url, extractor, site in rows:
        found.setdefault(bucket_of(url, extractor, site), []).append(sha)
    return found


def bucket_tails(db: Database) -> dict[Bucket, tuple[int, list[str]]]:
    """Every stored page's bucket: (pages, the newest ``MAX_SAMPLES`` of them, oldest
    first) per bucket, in one pass over the table, the memory bounded whatever its size."""
    counts: dict[Bucket, int] = {}
    tails: dict[Bucket, deque[str]] = {}
    rows = db.execute(
        "select p.sha256, p.url, a.extractor, a.site from pages p "
        "left join articles a on a.id = p.article_id where p.raw is not null order by p.rowid"
    )
    for sha, url, extractor, site in rows:
        bucket = bucket_of(url, extractor, site)
        counts[bucket] = counts.get(bucket, 0) + 1
        tails.setdefault(bucket, deque(maxlen=MAX_SAMPLES)).append(sha)
    return {bucket: (counts[bucket], list(tail)) for bucket, tail in tails.items()}


def sample_pages(db: Database, shas: Sequence[str]) -> list[bytes]:
    """The original bytes of up to ``MAX_SAMPLES`` of ``shas`` (newest kept), oldest first,
    at most ``MAX_SAMPLE_BYTES`` in all."""
    picked = list(shas)[-MAX_SAMPLES:]
    samples: list[bytes] = []
    total = 0
    for sha in reversed(picked):
        try:
            data = page_bytes(db, sha)
        except RawPageError:
            continue
        total += len(data)
        if total > MAX_SAMPLE_BYTES:
            break
        samples.append(data)
    return samples[::-1]


def train(
    db: Database, bucket: Bucket, shas: Sequence[str], pages: int | None = None
) -> int | None:
    """Make and keep a dictionary for ``bucket`` (of ``pages`` pages, ``shas`` by default)
    from the pages ``shas``; its id, or None."""
    samples = sample_pages(db, shas)
    dictionary = make_dictionary(samples)
    if dictionary is None:
        return None
    return store_dictionary(db, bucket, dictionary, len(samples), pages or len(shas))


PLAIN = "p.compression = 'zstd' and p.dictionary_id is null and p.base_sha256 is null"


def recompress(db: Database, shas: Iterable[str], bucket: Bucket) -> tuple[int, int, int]:
    """Store the pages ``shas`` anew (with the bucket's newest dictionary, or as a delta),
    each checked by reading it back and hashing it before it replaces the old form.

    (pages changed, their stored bytes before, after). A page whose new form is not
    smaller, or does not read back to its digest, is left as it is.
    """
    changed = before = after = 0
    for sha in shas:
        row = db.execute(
            "select raw, compression, dictionary_id, base_sha256, url from pages where sha256 = ?",
            [sha],
        ).fetchone()
        if row is None or row[0] is None:
            continue
        raw, compression, dictionary_id, base_sha256, url = row
        try:
            data = stored_bytes(db, raw, compression, dictionary_id, base_sha256)
        except RawPageError:
            continue
        if sha256(data) != sha:
            continue  # not the bytes it was stored as: leave it to be looked at
        # A page others are deltas of must stay a full page (chains are depth 1).
        is_base = db.execute("select 1 from pages where base_sha256 = ?", [sha]).fetchone()
        new = pack(db, data, sha, None if is_base else url, bucket)
        same = (new.compression, new.dictionary_id, new.base_sha256) == (
            compression, dictionary_id, base_sha256,
        )  # fmt: skip
        if same or (compression is not None and len(new.raw) >= len(raw)):
            continue
        if not checked(db, new, sha):
            continue
        db.conn.execute(
            "update pages set raw = ?, compression = ?, dictionary_id = ?, base_sha256 = ? "
            "where sha256 = ?",
            [new.raw, new.compression, new.dictionary_id, new.base_sha256, sha],
        )
        changed += 1
        before += len(raw)
        after += len(new.raw)
    return changed, before, after


def training_due(db: Database, at_least: int | None = None) -> bool:
    """Whether a site and layout has ``at_least`` (``TRAIN_AFTER``) pages waiting for a
    dictionary: asked after every batch; first the cheap count of all waiting pages."""
    at_least = TRAIN_AFTER if at_least is None else at_least
    (waiting,) = db.execute(f"select count(*) from pages p where {PLAIN}").fetchone()
    if waiting < at_least:
        return False
    return any(
        len(shas) >= at_least and newest_dictionary(db, bucket) is None
        for bucket, shas in page_buckets(db, PLAIN).items()
    )


def train_due(db: Database, at_least: int | None = None) -> list[int]:
    """Train a dictionary for each site and layout with ``at_least`` (``TRAIN_AFTER``)
    pages stored without one, and recompress those pages with it (call inside a write
    transaction); the ids of the dictionaries made."""
    at_least = TRAIN_AFTER if at_least is None else at_least
    made = []
    for bucket, shas in page_buckets(db, PLAIN).items():
        if len(shas) < at_least or newest_dictionary(db, bucket) is not None:
            continue
        dictionary_id = train(db, bucket, shas)
        if dictionary_id is not None:
            made.append(dictionary_id)
            recompress(db, shas, bucket)
    return made


def has_raw_store(conn: sqlite3.Connection) -> bool:
    """Whether the database has the raw store's columns (its migration has run)."""
    return any(row[1] == "compression" for row in conn.execute("pragma table_info(pages)"))
