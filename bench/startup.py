"""Start-up: how long a one-page ``wic-etl ingest`` takes, the whole command, as a user runs it.

In a fresh PREFECT_HOME with no PREFECT_API_URL set, it runs the seed page
three times, each into a new database: the first run starts wic-etl's local
Prefect server, the later ones reuse it; then once more into the third database
(nothing changed: the command settles it without Prefect). Then it times a
mistyped path (reported before Prefect starts) and, for comparison, one run with
Prefect's temporary in-run server (WIC_ETL_LOCAL_SERVER=off). The local server
is stopped at the end.

    .venv/bin/python bench/startup.py [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SEED = ROOT.parent / "shared" / "seeds" / "000_47748cef2e072f9f.txt"


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "wic-etl"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not SEED.is_file():
        sys.exit(f"the seed page {SEED} is missing: ../shared must be beside the checkout")
    with tempfile.TemporaryDirectory(prefix="wic-etl-startup-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PREFECT_HOME"] = str(Path(tmp, "prefect-home"))
        figures: dict[str, float] = {}
        try:
            # A new database each time: every run has the page to load, so each is a
            # Prefect flow run (the same page into the same database again would be
            # settled without Prefect; timed apart, below).
            for n in (1, 2, 3):
                db = str(Path(tmp, f"wic-{n}.db"))
                seconds, code = timed(["ingest", str(SEED), "--db", db], env)
                assert code == 0, f"run {n} exited {code}"
                figures[f"local_server_run_{n}_s"] = round(seconds, 2)
            seconds, code = timed(["ingest", str(SEED), "--db", db], env)
            assert code == 0, f"the unchanged re-run exited {code}"
            figures["unchanged_rerun_s"] = round(seconds, 2)
        finally:
            subprocess.run([str(BIN / "wic-etl"), "server", "stop"], env=env,
                           capture_output=True)  # fmt: skip
        seconds, code = timed(["ingest", str(Path(tmp, "no-such-file.html")), "--db", db], env)
        assert code == 2
        figures["mistyped_path_s"] = round(seconds, 2)
        fresh = str(Path(tmp, "wic-temporary-server.db"))  # a page to load: a flow run
        seconds, code = timed(["ingest", str(SEED), "--db", fresh],
                              {**env, "WIC_ETL_LOCAL_SERVER": "off"})  # fmt: skip
        assert code == 0
        figures["temporary_server_run_s"] = round(seconds, 2)
    print("| one-page ingest, whole command | seconds |")
    print("|---|---:|")
    labels = {
        "local_server_run_1_s": "first run (starts the local Prefect server)",
        "local_server_run_2_s": "second run (reuses it)",
        "local_server_run_3_s": "third run",
        "unchanged_rerun_s": "the third run's page again (unchanged: settled without Prefect)",
        "mistyped_path_s": "a mistyped path (reported before Prefect starts)",
        "temporary_server_run_s": "WIC_ETL_LOCAL_SERVER=off (Prefect's temporary server)",
    }
    for key, label in labels.items():
        print(f"| {label} | {figures[key]:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
