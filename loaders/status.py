"""What the database says about its runs: the last ones, and why inputs failed."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from core.accounting import CHANGE_COUNTERS, COUNTERS
from loaders.schema import read_only_connection

REASON_CHARS = 60  # of a message, once its file names and numbers are taken out
_NUMBER = re.compile(r"\d[\d,.]*")
_ADDRESS = re.compile(r"\bhttps?://\S+")


@dataclass(frozen=True)
class RunRow:
    """One row of ``runs``, as ``wic-etl status`` shows it."""

    id: str
    flow: str
    started: str | None
    finished: str | None
    status: str | None
    counts: dict[str, int]
    changes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FailureGroup:
    """Failures of one run that failed for one reason."""

    stage: str
    error_class: str
    reason: str  # the start of the message, with what differs between inputs taken out
    count: int
    example: str  # one source that failed so


def connect_read_only(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write (and so never waits for a run's write lock)."""
    conn = read_only_connection(path, timeout=10)
    conn.row_factory = sqlite3.Row
    return conn


def last_runs(conn: sqlite3.Connection, limit: int) -> list[RunRow]:
    """The ``limit`` latest runs, newest first.

    ``counts`` are the counters an ordinary ingest has, the table ``wic-etl status``
    prints (sized for an 80-column terminal); ``changes`` those of what changed on the
    sites (edits, minor edits, restorations, removals, 304s), where not zero.
    """
    have = {row[1] for row in conn.execute("pragma table_info(runs)")}
    rows = conn.execute(
        "select * from runs order by started desc, rowid desc limit ?", [limit]
    ).fetchall()
    counted = [name for name in COUNTERS if name in have and name not in CHANGE_COUNTERS]
    changed = [name for name in CHANGE_COUNTERS if name in have]
    return [
        RunRow(
            row["id"], row["flow"], row["started"], row["finished"], row["status"],
            {name: row[name] or 0 for name in counted},
            {name: row[name] for name in changed if row[name]},
        )
        for row in rows
    ]  # fmt: skip


def reason(message: str, source: str) -> str:
    """A message with the input's own particulars out, so that alike failures group."""
    text = message or ""
    for name in {source, source.split("#", 1)[0]} - {""}:
        text = text.replace(name, "")
    text = _ADDRESS.sub("<address>", text).lstrip(": ")
    text = _NUMBER.sub("N", text.split(";", 1)[0]).strip()
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 1].rstrip() + "…"


def failure_groups(conn: sqlite3.Connection, run_id: str) -> list[FailureGroup]:
    """The failures of a run grouped by stage, error class and reason, largest first."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    rows = conn.execute(
        "select source, stage, error_class, message from failures where run_id = ? order by id",
        [run_id],
    )
    for source, stage, error_class, message in rows:
        key = (stage, error_class, reason(message, source))
        groups.setdefault(key, []).append(source)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return [
        FailureGroup(stage, error_class, why, len(sources), sources[0])
        for (stage, error_class, why), sources in ranked
    ]
