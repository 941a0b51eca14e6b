"""What every flow run ends with: failures logged, the runs row finished, a summary artifact."""

from __future__ import annotations

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from core.accounting import RunCounts, RunSummary, fallback_lines
from loaders.store import Store

# Beyond this many the artifact lists no more failures (the table has them all).
ARTIFACT_FAILURES = 500


def report_run(
    store: Store,
    run_id: str,
    flow: str,
    counts: RunCounts,
    notes: tuple[str, ...] = (),
) -> RunSummary:
    """Close the run: log each failure, finish its ``runs`` row, publish the summary artifact."""
    logger = get_run_logger()
    for failure in counts.failures:
        logger.warning("failed at %s: %s: %s", failure.stage, failure.source, failure.message)
    status = "completed" if not counts.failed else "completed with failures"
    store.finish_run(run_id, counts, status)
    db = store.path
    summary = RunSummary(run_id, db, counts, notes, fallback_lines(counts))
    for line in summary.fallbacks:
        logger.warning("layout drift: %s", line)
    create_markdown_artifact(key=f"{flow}-summary", markdown=summary_markdown(summary),
                             description=f"wic-etl {flow} on {db}")  # fmt: skip
    return summary


def summary_markdown(summary: RunSummary) -> str:
    """The ``<flow>-summary`` artifact: the counters, notes, fallbacks and failures."""
    row = summary.counts.as_row()
    lines = [
        f"# wic-etl run on `{summary.db}`",
        "",
        "| " + " | ".join(row) + " |",
        "|" + "---:|" * len(row),
        "| " + " | ".join(str(n) for n in row.values()) + " |",
    ]
    failures = summary.counts.failures
    if summary.notes:
        lines += ["", *(f"- {note}" for note in summary.notes)]
    if summary.fallbacks:
        lines += ["", "## Fallbacks (layout drift)", ""]
        lines += [f"- {line}" for line in summary.fallbacks]
    if failures:
        lines += ["", "## Failures", "", "| source | stage | reason |", "|---|---|---|"]
        lines += [
            f"| `{f.source}` | {f.stage} | {f.message.replace('|', '/')} |"
            for f in failures[:ARTIFACT_FAILURES]
        ]
        if (more := len(failures) - ARTIFACT_FAILURES) > 0:
            lines += ["", f"... and {more} more: see the `failures` table, run `{summary.run_id}`."]
    return "\n".join(lines) + "\n"
