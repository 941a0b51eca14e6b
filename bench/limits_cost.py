"""What the per-page deadline and the memory cap cost: one core, with and without them.

Extracts the bench corpus in this process twice over, alternating, ``--rounds``
times: once with ``extract_page`` as it is, once as a worker extracts
(``guarded_extract``: the CPU limit set and cleared around each page; the
address-space cap is set for both). Prints the cost in percent from the best and
from the median of each (goal: under 3%), and the deadline's own cost per page.

    .venv/bin/python bench/limits_cost.py [--pages 400] [--rounds 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import build  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=400, help="the first N corpus pages")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each; the best counts")
    parser.add_argument("--workdir", type=Path, help="where the corpus goes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    from core.records import RawPage
    from extractors.extract import extract_page
    from flows import limits

    work = args.workdir or Path(tempfile.gettempdir()) / "wic-etl-bench"
    paths = build(work / f"corpus-{args.pages}", args.pages)
    pages = [RawPage(str(p), p.read_bytes()) for p in paths]
    limits._cap_memory(limits.Limits().max_memory_mb)  # as start_worker does

    def run(extract) -> float:  # type: ignore[no-untyped-def]
        started = time.process_time()
        for page in pages:
            extract(page)
        return time.process_time() - started

    run(extract_page)  # imports and compiled selectors out of the clock
    plain: list[float] = []
    guarded: list[float] = []
    for n in range(args.rounds):
        # Alternated, and each first in turn: whatever drifts (caches, the other core's
        # load) falls on both alike.
        pair = [(plain, extract_page), (guarded, limits.guarded_extract)]
        for times, extract in pair[:: 1 if n % 2 == 0 else -1]:
            times.append(run(extract))
    figures = {
        "pages": len(pages),
        "plain_pages_per_s": round(len(pages) / min(plain), 1),
        "guarded_pages_per_s": round(len(pages) / min(guarded), 1),
        "limits_cost_percent": round((min(guarded) / min(plain) - 1) * 100, 2),
        "limits_cost_percent_median": round(
            (statistics.median(guarded) / statistics.median(plain) - 1) * 100, 2
        ),
        "deadline_us_per_page": round(_deadline_cost(limits) * 1e6, 1),
    }
    for name, value in figures.items():
        print(f"{name:24} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def _deadline_cost(limits) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds one page's deadline costs alone: set, and cleared, around nothing."""
    rounds = 20_000
    started = time.process_time()
    for _ in range(rounds):
        with limits.deadline():
            pass
    return (time.process_time() - started) / rounds


if __name__ == "__main__":
    raise SystemExit(main())
