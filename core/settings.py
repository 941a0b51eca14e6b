"""Every default of wic-etl in one frozen object.

The command's options, the flows' parameters, the deployments and the crawler's
fetch options all take their defaults from ``DEFAULTS``, so a default is written
once: change it here and every way of running wic-etl follows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    """What a run uses unless told otherwise."""

    db: str = "data/wic.db"
    saved: str = "fixtures/saved"  # what `make run` and the ingest/saved deployment read
    # Saved pages per Prefect task and per transaction. 100, not more: with worker
    # processes, (workers + 2) batches are in memory at once (each page's raw bytes
    # travel to the writer), so the peak RSS grows with it; 250 cost 100 MB more at
    # the same speed (bench/speed.py, 2 workers), and a task costs the flow 5-12 ms.
    batch_size: int = 100
    # Stored pages per task of a re-extraction. Its batches travel without raw bytes
    # (about 14 KB a page to the writer), and each task is recorded by the Prefect
    # server, which shares the cores with the workers: 40 tasks for 4,000 pages cost
    # it 2.6 s of CPU, 10 tasks 0.9 s (bench/scale.py, 2 cores).
    reextract_batch_size: int = 400
    # Processes extracting saved pages: every core (1: in the flow's own process).
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    # The largest saved file, page inside an archive (decompressed) or fetched body
    # read: a news page is far smaller, so a bigger input is not what the user meant.
    max_bytes: int = 10 * 1024 * 1024
    # CPU seconds one page may take to extract. Real pages take milliseconds (the slowest
    # seen, a 10 MB page through the generic extractor, under a second); a page built to
    # be slow (100k attributes on one tag: libxml2 is quadratic there) takes minutes.
    page_deadline: float = 5.0
    # Memory an extraction process may take beyond what it holds once started (its code,
    # jieba's dictionary), in MB: a real page needs a few tens; a 10 MB table of
    # 500,000 rows needs 1.5 GB, and several such at once would take the machine.
    max_memory_mb: int = 1024
    # Crawling.
    max_pages: int = 200  # pages fetched per start address
    # Pages of one multi-page article at most: its pager is the site's word, and a
    # pager announcing page 999 must not become 999 requests.
    max_article_pages: int = 50
    stop_after_known: int = 20  # stop a listing after this many known articles in a row
    timeout: float = 30.0  # seconds to wait for a server's answer (read timeout)
    connect_timeout: float = 10.0
    # The whole of one request, connect to last byte: the read timeout alone lets a
    # server that drips a byte now and then hold a page (and a worker) for ever.
    deadline: float = 120.0
    retries: int = 3  # further tries after a timeout, a broken connection, a 5xx or a 429
    backoff: float = 1.0  # first retry's wait in seconds, doubled each try, with jitter
    max_wait: float = 120.0  # the longest Retry-After the crawler agrees to wait
    max_redirects: int = 5
    concurrency: int = 4  # requests in flight across all hosts
    # The WARC of a crawl: every live fetch (request and answer as they went over the
    # wire) kept in WARC/1.1 files in <db folder>/<db stem>-warc/, for replay tools.
    warc: bool = True
    # A WARC file is closed and the next one begun past this size (bytes, compressed):
    # 1 GB, as Heritrix and most archives cut theirs.
    warc_file_size: int = 1024**3
    # The daily crawl (deployment ingest/daily).
    daily_max_pages: int = 100
    daily_cron: str = "0 6 * * *"  # 06:00 Beijing time, after the morning edition is up
    timezone: str = "Asia/Shanghai"
    # China Daily section listings (newest first, paginated): the daily crawl starts
    # here and stops at the first run of already-stored articles.
    daily_start_pages: tuple[str, ...] = (
        "https://www.chinadaily.com.cn/china/society",
        "https://www.chinadaily.com.cn/business/tech",
        "https://www.chinadaily.com.cn/world/asia_pacific",
    )
    # Re-checking known articles (wic-etl recheck, deployment recheck/daily). An article
    # is due again once the time since its last check reaches the interval of the rung
    # its age is on; its age is the time since it last changed (a new version, a removal,
    # a restoration; first seen if never). Rungs (from this age on, check this often),
    # in hours, ages rising: news is edited most in its first hours, rarely after a week
    # (NewsDiffs re-checks on such a ladder). Hourly while a day old; daily to a week;
    # weekly to 30 days; then every 30 days.
    recheck_ladder: tuple[tuple[float, float], ...] = (
        (0.0, 1.0),
        (24.0, 24.0),
        (24.0 * 7, 24.0 * 7),
        (24.0 * 30, 24.0 * 30),
    )
    # recheck/daily: every hour (at :15), so that the first rung's hourly checks happen;
    # each run fetches only what is due, so most runs are short.
    recheck_cron: str = "15 * * * *"
    # Pages one run of recheck/daily fetches at most: at one request a second per host,
    # 3,000 pages take under an hour, so runs do not pile up; the rest waits, still due.
    recheck_run_max_pages: int = 3000
    # Browsing.
    datasette_host: str = "127.0.0.1"
    datasette_port: int = 8001


DEFAULTS = Settings()
