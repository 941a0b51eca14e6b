"""Storage: the bytes the raw store keeps per page, against the pages, gzip and plain zstd.

Three sets of pages, apart:

  (a) the benchmark corpus (corpus.py, ``--pages N``, default 2,000): loaded into a new
      database by the ingest's own calls (no Prefect), the store training dictionaries
      as a run does, then ``wic-etl compact``'s conversion; stored bytes read from
      ``pages``. Also, in the same run, re-extraction of every stored page with the
      compressed store and with a copy of the database whose pages are stored as their
      bytes (the layout before): the whole re-extraction (worker processes, loading; wall
      time, best of ``--repeat`` each after one uncounted pass, alternated), the same on
      one core in CPU time (read + extract of the first ``--one-core-pages`` pages, best
      of five: what the store changes, unmoved by other work on the machine), and the read
      alone (``stored_raw_pages``, CPU ms per page);
  (b) the real pages, fixtures/real/*.html, and (c) the written fixture pages,
      fixtures/saved/** (files read whole: HTML, text, MHTML), each compressed as the
      store would, with a dictionary of its site and layout made WITHOUT it:
      leave-one-out, from the other pages of that site and layout among the real pages
      and the written ones. A dictionary made from the page it then compresses would
      claim sizes no archive sees.

gzip is level 9, one member per page: what a WARC.gz record costs (warcio writes so);
zstd is level 3 without a dictionary.

    .venv/bin/python bench/storage.py [--pages 2000] [--repeat 2] [--one-core-pages 300]
        [--workers N] [--workdir DIR] [--json PATH]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import zstandard  # noqa: E402

from bench.corpus import build  # noqa: E402

REAL = ROOT / "fixtures" / "real"
SAVED = ROOT / "fixtures" / "saved"
WHOLE_FILES = (".html", ".htm", ".txt", ".mhtml", ".mht")
ONE_CORE_ROUNDS = 5


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, 9))


def zstd_size(data: bytes) -> int:
    return len(zstandard.ZstdCompressor(level=3).compress(data))


def load_corpus(paths: list[Path], db: Path, workers: int) -> float:
    """The ingest's batches, worker processes and in-order loading, as plain calls."""
    from collections import deque
    from concurrent.futures import Future

    from core.settings import DEFAULTS
    from flows.batch import ExtractedBatch, chunks, load_batch
    from flows.workers import ExtractionPool
    from loaders.store import Store

    files = [str(p) for p in paths]
    with Store.open(str(db)) as store, ExtractionPool(workers) as pool:
        store.start_run("bench", "bench", ["corpus"])
        started = time.perf_counter()
        pending: deque[tuple[Future[tuple[ExtractedBatch, int]], list[str]]] = deque()

        def load_next() -> None:
            future, batch = pending.popleft()
            load_batch(store, pool.batch_result(future, store.path, batch, 0)[0], "bench")

        for batch in chunks(files, DEFAULTS.batch_size):
            pending.append((pool.submit_batch(store.path, batch, DEFAULTS.max_bytes), batch))
            if len(pending) > workers:
                load_next()
        while pending:
            load_next()
        seconds = time.perf_counter() - started
        store.end_run("bench", "completed")
    return seconds


def compact(db: Path) -> None:
    from sqlite_utils import Database

    from loaders.compaction import convert_batch, newest_dictionaries, train_dictionaries

    database = Database(db)
    train_dictionaries(database)
    newest = newest_dictionaries(database)
    rowid: int | None = 0
    while rowid is not None:
        rowid = convert_batch(database, rowid, newest=newest).last_rowid
    database.close()


def stored_as_bytes(source: Path, target: Path) -> None:
    """A copy of ``source`` whose pages are stored as their bytes: the layout before."""
    from sqlite_utils import Database

    from loaders.raw_pages import stored_raw_pages

    shutil.copyfile(source, target)
    db = Database(target)
    shas = [row[0] for row in db.execute("select sha256 from pages")]
    with db.conn:
        for start in range(0, len(shas), 200):
            for page in stored_raw_pages(db, shas[start : start + 200]):
                db.execute(
                    "update pages set raw = ?, compression = null, dictionary_id = null, "
                    "base_sha256 = null where sha256 = ?",
                    [page.data, page.sha256],
                )
    db.execute("vacuum")  # both databases as compact as their layout makes them
    db.close()


def reextract(db: Path, workers: int) -> float:
    """Pages per second re-extracting every stored page: read, extract, load."""
    from core.settings import DEFAULTS
    from flows.batch import chunks, load_batch
    from flows.workers import ExtractionPool
    from loaders.store import Store

    with Store.open(str(db)) as store, ExtractionPool(workers) as pool:
        store.start_run("reextract", "bench", [str(db)])
        shas = store.stored_page_ids()
        started = time.perf_counter()
        for batch in chunks(shas, DEFAULTS.reextract_batch_size):
            with Store.open_read_only(str(db)) as reader:
                extracted = pool.reextract(reader, batch)
            load_batch(store, extracted, "reextract", reextracting=True)
        seconds = time.perf_counter() - started
        store.end_run("reextract", "completed")
    return len(shas) / seconds


def reextract_one_core(db: Path, limit: int) -> float:
    """Pages per CPU second of this process: the first ``limit`` stored pages read back
    (``stored_raw_pages``) and extracted, as a re-extraction worker does; no load. CPU
    time, so other work on a shared machine does not count."""
    from sqlite_utils import Database

    from extractors.extract import extract_page
    from loaders.raw_pages import stored_raw_pages

    database = Database(db)
    shas = [row[0] for row in database.execute("select sha256 from pages order by rowid")]
    shas = shas[:limit]
    started = time.process_time()
    for start in range(0, len(shas), 50):
        for page in stored_raw_pages(database, shas[start : start + 50]):
            extract_page(page)
    seconds = time.process_time() - started
    database.close()
    return len(shas) / seconds


def pack_ms(db: Path, data: Sequence[bytes]) -> float:
    """CPU milliseconds per page to make a page's stored form as the loader does
    (``raw_store.pack``: its dictionary looked up, compressed), the write's extra cost."""
    from sqlite_utils import Database

    from loaders.raw_store import bucket_of, pack, sha256

    database = Database(db)
    url = "https://www.chinadaily.com.cn/a/202501/01/WS0.html"
    bucket = bucket_of(url, "chinadaily/1")
    started = time.process_time()
    for page in data:
        pack(database, page, sha256(page), None, bucket)
    seconds = time.process_time() - started
    database.close()
    return seconds / len(data) * 1000


def read_ms(db: Path) -> float:
    """CPU milliseconds per page to read every page's bytes back (``stored_raw_pages``)."""
    from sqlite_utils import Database

    from loaders.raw_pages import stored_raw_pages

    database = Database(db)
    shas = [row[0] for row in database.execute("select sha256 from pages")]
    started = time.process_time()
    for start in range(0, len(shas), 200):
        stored_raw_pages(database, shas[start : start + 200])
    seconds = time.process_time() - started
    database.close()
    return seconds / len(shas) * 1000


def word_information(data: Sequence[bytes]) -> float:
    """Bytes per page the corpus generator's random word choices carry (log2 of its word
    list per word): no compressor can store a page in less, and LZ-style ones
    (gzip, zstd, xz) code each such word as a match of several bytes."""
    import math
    import re

    from bench.corpus import _WORDS

    words = set(_WORDS)
    bits = math.log2(len(words))
    total = 0.0
    for page in data:
        found = re.findall(r"[a-z]+", page.decode("utf-8", "replace").lower())
        total += sum(1 for w in found if w in words) * bits / 8
    return total / len(data)


def corpus_figures(
    n: int, work: Path, workers: int, repeat: int, one_core_pages: int
) -> dict[str, float]:
    corpus = work / f"corpus-{n}"
    print(f"corpus of {n}: building it in {corpus} ...", file=sys.stderr)
    paths = build(corpus, n)
    data = [p.read_bytes() for p in paths]
    db = work / f"storage-{n}.db"
    plain = work / f"storage-{n}-bytes.db"
    for path in (db, plain):
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    print("loading it ...", file=sys.stderr)
    load_seconds = load_corpus(paths, db, workers)
    with sqlite3.connect(db) as conn:
        after_run = conn.execute("select sum(length(raw)) from pages").fetchone()[0]
    print("compacting ...", file=sys.stderr)
    compact(db)
    with sqlite3.connect(db) as conn:
        pages, size, stored, dictionaries = conn.execute(
            "select count(*), sum(size), sum(length(raw)), "
            "(select count(*) from raw_dictionaries) from pages"
        ).fetchone()
    stored_as_bytes(db, plain)
    print("re-extracting, compressed and as bytes, alternately ...", file=sys.stderr)
    compressed_rate: list[float] = []
    bytes_rate: list[float] = []
    if repeat:
        # A first pass of each, not counted: the first re-extraction after compacting ran
        # 10% slower than the next ones on either layout (files and pool not yet warm).
        reextract(db, workers)
        reextract(plain, workers)
    for _ in range(repeat):
        compressed_rate.append(reextract(db, workers))
        bytes_rate.append(reextract(plain, workers))
    one_core_compressed: list[float] = []
    one_core_bytes: list[float] = []
    for _ in range(ONE_CORE_ROUNDS):  # alternated: a busy spell of the machine hits both
        one_core_bytes.append(reextract_one_core(plain, one_core_pages))
        one_core_compressed.append(reextract_one_core(db, one_core_pages))
    gz = sum(gzip_size(d) for d in data)
    zs = sum(zstd_size(d) for d in data)
    return {
        "pages": pages,
        "page_bytes": size / pages,
        "gzip_bytes": gz / pages,
        "zstd_bytes": zs / pages,
        "stored_after_run_bytes": after_run / pages,
        "stored_bytes": stored / pages,
        "stored_share_of_pages": stored / size,
        "stored_share_of_gzip": stored / gz,
        "dictionaries": dictionaries,
        "word_information_bytes": word_information(data),
        "load_pages_per_s": n / load_seconds,
        "reextract_compressed_pages_per_s": max(compressed_rate, default=0.0),
        "reextract_bytes_pages_per_s": max(bytes_rate, default=0.0),
        "reextract_ratio": max(compressed_rate) / max(bytes_rate) if repeat else 0.0,
        "one_core_compressed_pages_per_cpu_s": max(one_core_compressed),
        "one_core_bytes_pages_per_cpu_s": max(one_core_bytes),
        "one_core_ratio": max(one_core_compressed) / max(one_core_bytes),
        "read_compressed_ms_per_page": read_ms(db),
        "read_bytes_ms_per_page": read_ms(plain),
        "pack_ms_per_page": pack_ms(db, data[:300]),
    }


def bucket_of_file(path: Path) -> tuple[str, str]:
    """(site, layout) of a saved page, as the store would file it: its extracted
    article's profile and the page's address."""
    from core.records import Extracted, RawPage
    from extractors.extract import extract_page
    from loaders.raw_store import bucket_of

    outcome = extract_page(RawPage(str(path), path.read_bytes()))
    if isinstance(outcome, Extracted):
        url = outcome.page.url or outcome.document.url
        bucket = bucket_of(url, outcome.article.extractor, outcome.article.site)
    else:
        bucket = bucket_of(None, None)
    return bucket.site, bucket.layout


def leave_one_out(pages: Sequence[Path], pool: Sequence[Path]) -> dict[str, object]:
    """Each of ``pages`` compressed with a dictionary made from the pages of its bucket
    in ``pool`` other than itself."""
    from loaders.raw_store import make_dictionary

    buckets = {path: bucket_of_file(path) for path in {*pages, *pool}}
    rows = []
    for path in pages:
        data = path.read_bytes()
        samples = [p.read_bytes() for p in pool if p != path and buckets[p] == buckets[path]]
        dictionary = make_dictionary(samples)
        compressor = (
            zstandard.ZstdCompressor(level=3, dict_data=zstandard.ZstdCompressionDict(dictionary))
            if dictionary
            else zstandard.ZstdCompressor(level=3)
        )
        rows.append(
            {
                "page": str(path.relative_to(ROOT)),
                "bucket": "/".join(buckets[path]),
                "samples": len(samples),
                "page_bytes": len(data),
                "gzip_bytes": gzip_size(data),
                "zstd_bytes": zstd_size(data),
                "stored_bytes": len(compressor.compress(data)),
            }
        )
    total = {k: sum(int(r[k]) for r in rows) for k in ("page_bytes", "gzip_bytes",
                                                       "zstd_bytes", "stored_bytes")}  # fmt: skip
    return {
        "pages": len(rows),
        **{k: v / len(rows) for k, v in total.items()},
        "stored_share_of_pages": total["stored_bytes"] / total["page_bytes"],
        "stored_share_of_gzip": total["stored_bytes"] / total["gzip_bytes"],
        "each": rows,
    }


def table(name: str, figures: dict[str, object]) -> str:
    return (
        f"| {name} | {figures['pages']:,} | {figures['page_bytes']:,.0f} | "
        f"{figures['gzip_bytes']:,.0f} | {figures['zstd_bytes']:,.0f} | "
        f"{figures['stored_bytes']:,.0f} | {figures['stored_share_of_pages']:.3f} | "
        f"{figures['stored_share_of_gzip']:.3f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="corpus size (default 2000)")
    parser.add_argument(
        "--repeat", type=int, default=2, help="whole re-extractions of each layout (0: none)"
    )
    parser.add_argument(
        "--one-core-pages", type=int, default=300, help="pages of the one-core re-extraction"
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--workdir", type=Path, help="where the corpus and databases go")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.gettempdir()) / "wic-etl-bench"
    work.mkdir(parents=True, exist_ok=True)

    real = sorted(REAL.glob("*.html"))
    written = sorted(p for p in SAVED.rglob("*") if p.suffix in WHOLE_FILES)
    figures = {
        "real": leave_one_out(real, [*real, *written]),
        "written": leave_one_out(written, [*real, *written]),
        "corpus": corpus_figures(args.pages, work, args.workers, args.repeat, args.one_core_pages),
    }
    print("| pages | n | page bytes | gzip -9 | zstd -3 | stored | stored/page | stored/gzip |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("real", "written", "corpus"):
        print(table(name, figures[name]))  # type: ignore[arg-type]
    print("\nreal pages, each (leave-one-out dictionary of its site/layout):")
    for row in figures["real"]["each"]:  # type: ignore[index]
        print(
            f"  {row['page']}: {row['bucket']}, {row['samples']} samples, "
            f"{row['page_bytes']:,} -> {row['stored_bytes']:,} (gzip {row['gzip_bytes']:,})"
        )
    corpus = figures["corpus"]
    print(
        f"\ncorpus: stored after the run (before compact) {corpus['stored_after_run_bytes']:,.0f} "
        f"bytes/page; {corpus['dictionaries']} dictionaries; load {corpus['load_pages_per_s']:.0f} "
        f"pages/s; the generator's random word choices alone carry "
        f"{corpus['word_information_bytes']:,.0f} bytes/page"
        f"\nre-extraction: compressed {corpus['reextract_compressed_pages_per_s']:.1f} "
        f"pages/s, as bytes {corpus['reextract_bytes_pages_per_s']:.1f} pages/s "
        f"(ratio {corpus['reextract_ratio']:.3f}); read back "
        f"{corpus['read_compressed_ms_per_page']:.3f} ms/page compressed, "
        f"{corpus['read_bytes_ms_per_page']:.3f} ms/page as bytes; stored form made in "
        f"{corpus['pack_ms_per_page']:.3f} ms/page"
        f"\none core, read + extract, CPU time: compressed "
        f"{corpus['one_core_compressed_pages_per_cpu_s']:.1f} pages/s, as bytes "
        f"{corpus['one_core_bytes_pages_per_cpu_s']:.1f} pages/s "
        f"(ratio {corpus['one_core_ratio']:.3f})"
    )
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    if args.json:
        args.json.write_text(json.dumps({**figures, "machine": machine}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
