"""Speed: wic-etl through its real flow, as plain calls, and trafilatura, on the same pages.

For each N it builds (or reuses) a corpus of N realistic saved pages (40-200 KB,
see corpus.py), then measures in one run:

  (a) ``wic-etl ingest`` into a new database, the whole command, against a local
      Prefect server this script starts on 127.0.0.1;
  (b) the same read + extract + load as plain function calls (no Prefect), with
      the same worker processes (one per core, the command's default);
  (c) trafilatura's extraction alone, with metadata (JSON output), in CPU seconds;
  (d) a second ``wic-etl ingest`` over the unchanged corpus;
  (e) the peak RSS of the ingest process;
  (f) the parse floor: ``lxml.html.document_fromstring`` of the same bytes, nothing
      else, one process;
  (g) wic-etl's extraction on one core: read + decode + extract, no load, one process.

(f) and (g) run over the first ``--floor-pages`` pages (default 400), best of two,
timed in CPU seconds of this process: both are one core's work, and on a shared
machine wall time also counts whoever else runs.

    .venv/bin/python bench/speed.py [--pages 1000 --pages 10000] [--json PATH]

Prints a Markdown table and, with --json, writes the figures (the largest N at
the top level, every N under "runs").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import build  # noqa: E402
from wic_etl import local_server  # noqa: E402

BIN = Path(sys.executable).parent
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_ENABLED": "false",
}


# Started from a small process of its own: Linux carries a process's peak RSS over
# exec (and a fork starts at its parent's RSS), so an ingest started straight from
# this script, grown by the plain calls of an earlier N, would report this script's size.
_LAUNCH = """
import os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = proc.stderr.read()
_, status, usage = os.wait4(proc.pid, 0)
sys.stderr.buffer.write(err[-2000:])
print(time.perf_counter() - started, usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_ingest(corpus: Path, db: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``wic-etl ingest`` process."""
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCH, str(BIN / "wic-etl"), "ingest", str(corpus),
         "--db", str(db)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"wic-etl ingest failed: {done.stderr[-2000:]}")
    seconds, maxrss_kb = done.stdout.split()
    return float(seconds), int(maxrss_kb) / 1024


def plain_calls(paths: list[Path], db: Path, workers: int) -> float:
    """The ingest's own work without Prefect: the same batches, worker processes and
    in-order loading as the flow, as plain function calls."""
    from collections import deque
    from concurrent.futures import Future

    from core.settings import DEFAULTS
    from flows.batch import ExtractedBatch, chunks, ingest_batch, load_batch
    from flows.workers import ExtractionPool
    from loaders.store import Store

    files = [str(p) for p in paths]
    size = DEFAULTS.batch_size  # the flow's batches, or the comparison is not like for like
    with Store.open(str(db)) as store:
        store.start_run("plain", "bench", ["plain"])
        started = time.perf_counter()
        if workers <= 1:
            for batch in chunks(files, size):
                ingest_batch(store, batch, "plain")
            return time.perf_counter() - started
        with ExtractionPool(workers) as pool:
            pending: deque[tuple[Future[tuple[ExtractedBatch, int]], list[str]]] = deque()

            def load_next() -> None:
                future, batch = pending.popleft()
                load_batch(store, pool.batch_result(future, store.path, batch, 0)[0], "plain")

            for batch in chunks(files, size):
                pending.append((pool.submit_batch(store.path, batch, DEFAULTS.max_bytes), batch))
                if len(pending) > workers:
                    load_next()
            while pending:
                load_next()
        return time.perf_counter() - started


def parse_floor(paths: list[Path]) -> float:
    """CPU seconds to parse each page with lxml and nothing else: what extraction cannot beat."""
    import lxml.html

    datas = [p.read_bytes() for p in paths]  # reading is not parsing: kept out of the clock
    started = time.process_time()
    for data in datas:
        lxml.html.document_fromstring(data)
    return time.process_time() - started


def extract_one_core(paths: list[Path]) -> float:
    """CPU seconds to read, decode and extract each page here: no database, no Prefect."""
    from extractors.extract import extract_page
    from readers.sources import read_page

    started = time.process_time()
    for path in paths:
        extract_page(read_page(str(path)))
    return time.process_time() - started


def best_of(times: int, measure_once: Callable[[], float]) -> float:
    """The fastest of ``times`` runs: on a shared machine the noise only ever adds time."""
    return min(measure_once() for _ in range(times))


def trafilatura_alone(paths: list[Path]) -> float:
    import trafilatura

    # CPU seconds: it is one process on one core, and on a shared machine wall time
    # would count other users' work against it (and flatter wic-etl by comparison).
    started = time.process_time()
    for path in paths:
        trafilatura.extract(path.read_bytes(), with_metadata=True, output_format="json")
    return time.process_time() - started


def measure(n: int, work: Path, env: dict[str, str], floor_pages: int) -> dict[str, float]:
    corpus = work / f"corpus-{n}"
    print(f"N={n}: building the corpus in {corpus} ...", file=sys.stderr)
    paths = build(corpus, n)
    size_kb = sum(p.stat().st_size for p in paths) / n / 1024
    db = work / f"wic-{n}.db"
    for leftover in work.glob(f"wic-{n}.db*"):
        leftover.unlink()
    print(f"N={n}: wic-etl ingest (first run) ...", file=sys.stderr)
    first, rss = run_ingest(corpus, db, env)
    print(f"N={n}: wic-etl ingest (unchanged re-run) ...", file=sys.stderr)
    second, _ = run_ingest(corpus, db, env)
    print(f"N={n}: plain calls ...", file=sys.stderr)
    plain_db = work / f"plain-{n}.db"
    for leftover in work.glob(f"plain-{n}.db*"):
        leftover.unlink()
    plain = plain_calls(paths, plain_db, os.cpu_count() or 1)
    print(f"N={n}: trafilatura ...", file=sys.stderr)
    theirs = trafilatura_alone(paths)
    print(f"N={n}: parse floor and one-core extraction ...", file=sys.stderr)
    sample = paths[:floor_pages]
    floor = best_of(2, lambda: parse_floor(sample))
    one_core = best_of(2, lambda: extract_one_core(sample))
    return {
        "pages": n,
        "mean_page_kb": round(size_kb, 1),
        "wic_etl_seconds": round(first, 2),
        "wic_etl_pages_per_s": round(n / first, 1),
        "plain_calls_pages_per_s": round(n / plain, 1),
        "trafilatura_pages_per_s": round(n / theirs, 1),
        "prefect_share": round(max(0.0, first - plain) / first, 3),
        "rerun_seconds": round(second, 2),
        "rerun_speedup": round(first / second, 1),
        "peak_rss_mb": round(rss, 1),
        "wic_etl_vs_trafilatura": round((n / first) / (n / theirs), 2),
        "parse_floor_pages_per_s": round(len(sample) / floor, 1),
        "extract_one_core_pages_per_s": round(len(sample) / one_core, 1),
        "extract_share_of_floor": round(floor / one_core, 3),
        "cores": os.cpu_count() or 1,
    }


def table(runs: list[dict[str, float]]) -> str:
    lines = [
        "| pages | mean KB | wic-etl pages/s (flow) | plain calls pages/s | trafilatura pages/s "
        "| wic-etl / trafilatura | Prefect share | re-run speed-up | peak RSS MB "
        "| parse floor pages/s | extract 1 core pages/s | of floor | cores |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r['pages']} | {r['mean_page_kb']} | {r['wic_etl_pages_per_s']} "
            f"| {r['plain_calls_pages_per_s']} | {r['trafilatura_pages_per_s']} "
            f"| {r['wic_etl_vs_trafilatura']}x | {r['prefect_share']:.1%} "
            f"| {r['rerun_speedup']}x | {r['peak_rss_mb']} "
            f"| {r['parse_floor_pages_per_s']} | {r['extract_one_core_pages_per_s']} "
            f"| {r['extract_share_of_floor']:.0%} | {r['cores']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, action="append", help="corpus size (repeatable)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--workdir", type=Path, help="where corpora and databases go")
    parser.add_argument("--floor-pages", type=int, default=400,
                        help="pages for the parse floor and one-core extraction")  # fmt: skip
    args = parser.parse_args()
    sizes = args.pages or [1000, 10000]
    work = args.workdir or Path(tempfile.gettempdir()) / "wic-etl-bench"
    work.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="wic-etl-bench-prefect-"))
    # The command's own local server, in a Prefect home of the benchmark's own.
    os.environ["PREFECT_HOME"] = str(home)
    server, _ = local_server.ensure()
    env = {**os.environ, **QUIET, "PREFECT_HOME": str(home), "PREFECT_API_URL": server.url}
    try:
        runs = [measure(n, work, env, args.floor_pages) for n in sizes]
    finally:
        local_server.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(table(runs))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nmachine: {machine}")
    if len(runs) > 1:
        growth = runs[-1]["peak_rss_mb"] - runs[0]["peak_rss_mb"]
        print(
            f"peak RSS growth from N={runs[0]['pages']} to N={runs[-1]['pages']}: {growth:.1f} MB"
        )
    if args.json:
        args.json.write_text(json.dumps({**runs[-1], "machine": machine, "runs": runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
