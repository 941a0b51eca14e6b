"""The command's exit codes, and the list of them that ``--help`` ends with."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_CRASH = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT: what a shell reports for a Ctrl-C

EXIT_CODES = f"""exit codes:
  {EXIT_OK}    everything done
  {EXIT_FAILURES}    some inputs failed (each named, with its reason; see `wic-etl status`),
       or nothing to read
  {EXIT_USAGE}    usage or environment error: bad argument, unusable --db, full or
       read-only disk, Prefect server not answering
  {EXIT_CRASH}    unexpected error (one line; --debug shows the traceback)
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C); batches already loaded are kept
"""
