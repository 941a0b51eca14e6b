"""Scale: browsing an archive of N articles, re-extraction on every core, the unchanged re-run.

Builds (or reuses) a database of N articles, half English, half Chinese (see
archive.py: no raw pages, cached by N), then measures through wic-etl's own
Datasette app, ``wic-etl datasette`` on 127.0.0.1, over HTTP:

  (a) an article's page;
  (b) the articles table page (sorted by date, its facets);
  (c) the search page for a rare word, a word in 2% and a word in 50% of the
      articles, in English and in Chinese (hits, table, count, facets);
  (d) ``wic-etl status``, the whole command.

Each is requested once to warm up, then 5 times; the median counts. A page that
answers an error, says a query took too long, or lists facets that timed out is
reported by name. Then, on a database of ``--raw-pages`` saved pages of the speed
corpus (corpus.py, loaded by plain calls, as speed.py does):

  (e) ``wic-etl reextract`` as one process (the command held to one core), with
      one worker, and with one worker per core: pages/s, the median of five runs
      of each, the three ways in turn;
  (f) ``wic-etl ingest`` of that folder again, unchanged: the command's wall time
      against the "Done in" time it prints.

    .venv/bin/python bench/scale.py [--articles 20000 --articles 60000] [--json PATH]

Prints a Markdown table and, with --json, writes the figures (the largest N at the
top level, every N under "runs").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import archive  # noqa: E402

BIN = Path(sys.executable).parent
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_ENABLED": "false",
}
TIMES = 5
# What a page says when a query or a facet was cut off (Datasette's own words).
_TROUBLE = re.compile(r"took too long|These facets timed out|Query interrupted", re.IGNORECASE)


def median_ms(times: int, once: Callable[[], object]) -> float:
    """The median of ``times`` runs after one to warm up, in milliseconds."""
    once()
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        once()
        spent.append(time.perf_counter() - started)
    return round(statistics.median(spent) * 1000, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def datasette(db: Path) -> Iterator[str]:
    """``wic-etl datasette`` serving ``db`` on 127.0.0.1; yields the database's address."""
    import httpx

    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "wic-etl"), "datasette", "--db", str(db), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/{db.stem}"
    try:
        deadline = time.monotonic() + 600  # a first start migrates (indexes) the archive
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=5)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise SystemExit(f"wic-etl datasette did not start: {err[-2000:]}") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def browse(db: Path) -> tuple[dict[str, Any], list[str]]:
    """The pages' median times (ms) and the pages that answered an error, by name."""
    import httpx

    conn = __import__("sqlite3").connect(db)
    count = conn.execute("select count(*) from articles").fetchone()[0]
    article = conn.execute("select id from articles where rowid = ?", [count // 2]).fetchone()[0]
    conn.close()
    troubles: list[str] = []
    figures: dict[str, Any] = {}
    with datasette(db) as base, httpx.Client(timeout=120) as client:

        def page(name: str, path: str) -> float:
            def once() -> None:
                answer = client.get(base + path)
                if answer.status_code != 200 or _TROUBLE.search(answer.text):
                    found = _TROUBLE.search(answer.text)
                    what = found.group(0) if found else f"HTTP {answer.status_code}"
                    note = f"{name}: {what}"
                    if note not in troubles:
                        troubles.append(note)

            ms = median_ms(TIMES, once)
            print(f"  {name}: {ms} ms", file=sys.stderr)
            return ms

        figures["article_page_ms"] = page("article page", f"/articles/{article}")
        figures["table_page_ms"] = page("articles table page", "/articles")
        for reach, key in (
            ("rare", "search_rare_ms"),
            ("2%", "search_2pct_ms"),
            ("50%", "search_common_ms"),
        ):
            figures[key] = {
                language: page(
                    f"search {words[reach]} ({language}, {reach})",
                    f"/articles?_search={quote(words[reach])}",
                )
                for language, words in archive.PLANTED.items()
            }
    figures["status_ms"] = median_ms(
        TIMES, lambda: run([str(BIN / "wic-etl"), "status", "--db", str(db)])
    )
    print(f"  wic-etl status: {figures['status_ms']} ms", file=sys.stderr)
    return figures, troubles


def run(command: list[str], env: dict[str, str] | None = None, cpus: set[int] | None = None) -> str:
    """Run ``command``; with ``cpus``, it and every process it starts on those cores only."""
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    done = subprocess.run(command, capture_output=True, text=True, env=env, preexec_fn=pin)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:2])} failed: {(done.stderr or done.stdout)[-2000:]}")
    return done.stdout


def raw_archive(work: Path, pages: int) -> tuple[Path, Path]:
    """A folder of ``pages`` saved pages and a database that has loaded them (cached)."""
    from bench.corpus import build
    from bench.speed import plain_calls

    corpus = work / f"corpus-{pages}"
    paths = build(corpus, pages)
    db = work / f"scale-raw-{pages}.db"
    if not db.exists():
        partial = work / f"scale-raw-{pages}.partial.db"
        for leftover in work.glob(partial.name + "*"):
            leftover.unlink()
        plain_calls(paths, partial, os.cpu_count() or 1)
        for extra in ("", "-wal", "-shm"):
            if Path(f"{partial}{extra}").exists():
                Path(f"{partial}{extra}").rename(f"{db}{extra}")
    return corpus, db


def reextract_and_rerun(work: Path, pages: int, env: dict[str, str]) -> dict[str, Any]:
    """Re-extraction pages/s on every core, against one process; the unchanged re-run.

    One process: the whole command (its one worker included) held to one core, so
    the work is done one piece after another, as a single process does it. One
    worker on all cores is reported too: there the writer and the worker already
    share the cores.
    """
    corpus, db = raw_archive(work, pages)
    cores = os.cpu_count() or 1
    figures: dict[str, Any] = {"raw_pages": pages}
    ways = {
        "one_process": (1, {min(os.sched_getaffinity(0))}),
        "one_worker": (1, None),
        "every_core": (cores, None),
    }
    spent: dict[str, list[float]] = {way: [] for way in ways}
    # The ways in turn, five rounds: a spell of other work on the machine (a shared
    # host's other tenants) slows one round of each, not every run of one way.
    for _ in range(5):
        for way, (workers, cpus) in ways.items():
            started = time.perf_counter()
            command = ["reextract", "--db", str(db), "--workers", str(workers)]
            run([str(BIN / "wic-etl"), *command], env, cpus)
            spent[way].append(time.perf_counter() - started)
    rates = {way: pages / statistics.median(times) for way, times in spent.items()}
    for way, rate in rates.items():
        print(f"  reextract, {way.replace('_', ' ')}: {rate:.0f} pages/s", file=sys.stderr)
    figures["reextract_pages_per_s"] = round(rates["every_core"], 1)
    figures["reextract_one_process_pages_per_s"] = round(rates["one_process"], 1)
    figures["reextract_one_worker_pages_per_s"] = round(rates["one_worker"], 1)
    figures["reextract_speedup"] = round(rates["every_core"] / rates["one_process"], 2)
    walls, printed = [], []
    command = [str(BIN / "wic-etl"), "ingest", str(corpus), "--db", str(db)]
    run(command, env)  # the first may read what plain calls did not record
    for _ in range(TIMES):
        started = time.perf_counter()
        out = run(command, env)
        walls.append(time.perf_counter() - started)
        said = re.search(r"Done in ([\d.]+) s", out)
        printed.append(float(said.group(1)) if said else float("nan"))
    figures["rerun_seconds"] = round(statistics.median(walls), 2)
    figures["rerun_printed_seconds"] = statistics.median(printed)
    print(
        f"  unchanged re-run: {figures['rerun_seconds']} s "
        f"(prints {figures['rerun_printed_seconds']} s)",
        file=sys.stderr,
    )
    return figures


def measure(n: int, work: Path) -> dict[str, Any]:
    db = work / f"scale-{n}-v{archive.VERSION}.db"
    print(f"N={n}: the archive {db} ...", file=sys.stderr)
    started = time.perf_counter()
    built = not db.exists()
    archive.build(db, n)
    if built:
        print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    figures, troubles = browse(db)
    return {
        "articles": n,
        **figures,
        "errors": troubles,
        "database_gb": round(db.stat().st_size / 1e9, 2),
    }


def _by_language(value: Any) -> str:
    if isinstance(value, dict):
        return " / ".join(f"{v}" for v in value.values())
    return f"{value}"


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| articles | DB GB | article page ms | table page ms | rare word ms (en / zh) "
        "| 2% word ms (en / zh) | 50% word ms (en / zh) | status ms | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['articles']:,} | {r['database_gb']} | {r['article_page_ms']} "
            f"| {r['table_page_ms']} | {_by_language(r['search_rare_ms'])} "
            f"| {_by_language(r['search_2pct_ms'])} | {_by_language(r['search_common_ms'])} "
            f"| {r['status_ms']} | {'; '.join(r['errors']) or 'none'} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles", type=int, action="append", help="archive size (repeatable; default 300,000)"
    )
    parser.add_argument(
        "--raw-pages",
        type=int,
        default=4000,
        help="saved pages re-extracted and re-run (default: %(default)s)",
    )
    parser.add_argument("--no-reextract", action="store_true", help="measure browsing only")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    parser.add_argument("--workdir", type=Path, help="where archives and corpora go")
    args = parser.parse_args()
    sizes = args.articles or [300_000]
    work = args.workdir or Path(tempfile.gettempdir()) / "wic-etl-bench"
    work.mkdir(parents=True, exist_ok=True)
    runs = [measure(n, work) for n in sizes]
    top: dict[str, Any] = {**runs[-1], "cores": os.cpu_count() or 1}
    print(table(runs))
    if not args.no_reextract:
        from wic_etl import local_server

        home = Path(tempfile.mkdtemp(prefix="wic-etl-bench-prefect-"))
        os.environ["PREFECT_HOME"] = str(home)
        server, _ = local_server.ensure()
        env = {**os.environ, **QUIET, "PREFECT_HOME": str(home), "PREFECT_API_URL": server.url}
        try:
            top |= reextract_and_rerun(work, args.raw_pages, env)
        finally:
            local_server.stop()
            shutil.rmtree(home, ignore_errors=True)
        print(
            f"\nreextract ({top['raw_pages']} stored pages): "
            f"{top['reextract_pages_per_s']} pages/s "
            f"on {top['cores']} cores, {top['reextract_one_process_pages_per_s']} in one "
            f"process ({top['reextract_speedup']}x); unchanged re-run of the folder: "
            f"{top['rerun_seconds']} s (the command prints {top['rerun_printed_seconds']} s)"
        )
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        print(f"\nfrom N={small['articles']:,} to N={large['articles']:,}:")
        for key in ("article_page_ms", "table_page_ms", "search_2pct_ms", "search_common_ms"):
            a, b = small[key], large[key]
            pairs = zip(a.values(), b.values(), strict=True) if isinstance(a, dict) else [(a, b)]
            print(f"  {key}: " + ", ".join(f"{y / x:.2f}x" for x, y in pairs))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nmachine: {machine}")
    if args.json:
        args.json.write_text(
            json.dumps({**top, "machine": machine, "runs": runs}, indent=2, ensure_ascii=False)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
