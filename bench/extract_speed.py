"""One-core extraction against the lxml parse floor, alone: speed.py's (f) and (g), no Prefect.

Measures exactly what speed.py reports as ``parse_floor_pages_per_s`` and
``extract_one_core_pages_per_s`` (its own functions, on the same corpus), in
seconds rather than the minutes the whole benchmark takes, so that a change to
extraction can be judged while it is being made. Runs alternate floor and
extraction ``--rounds`` times and keep the best of each: on a shared machine
the noise only ever adds time, and alternating spreads it over both.

    .venv/bin/python bench/extract_speed.py [--pages 400] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import build  # noqa: E402
from bench.speed import extract_one_core, parse_floor  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=400, help="the first N corpus pages")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each; the best counts")
    parser.add_argument("--workdir", type=Path, help="where the corpus goes")
    parser.add_argument("--profile", action="store_true", help="print cProfile of one extraction")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.gettempdir()) / "wic-etl-bench"
    # The corpus of speed.py's largest default N starts with these pages: the same bytes.
    paths = build(work / f"corpus-{args.pages}", args.pages)
    extract_one_core(paths[:20])  # imports and compiled selectors out of the clock
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(extract_one_core, paths)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        return 0
    floors, extracts = [], []
    for _ in range(args.rounds):
        floors.append(parse_floor(paths))
        extracts.append(extract_one_core(paths))
    floor, one_core = min(floors), min(extracts)
    n = len(paths)
    print(f"parse_floor_pages_per_s       {n / floor:8.1f}  ({floor / n * 1e3:.3f} ms/page)")
    print(f"extract_one_core_pages_per_s  {n / one_core:8.1f}  ({one_core / n * 1e3:.3f} ms/page)")
    print(f"extract_share_of_floor        {floor / one_core:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
