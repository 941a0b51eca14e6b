"""What every flow run ends with: failures logged, the runs row finished, a summary artifact."""

from __future__ import annotations

from typing import cast

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed

from core.accounting import RunCounts, RunSummary, fallback_lines
from loaders.store import Store

# Beyond this many the artifact lists no more failures (the table has them all).
ARTIFACT_FAILURES = 500
# The final state of a flow run where some inputs failed, as Prefect's UI names it.
WITH_FAILURES = "Completed with failures"


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


def final_state(summary: RunSummary) -> RunSummary:
    """What a flow returns: its summary, in a state Prefect's UI tells apart if inputs failed.

    A run whose inputs partly failed did its job (what could be read is loaded, each
    failure is a row of ``failures``), so it is not a failed flow run; but a person
    looking at Prefect's UI must see it is not a clean one either: it ends in a
    Completed state named ``WITH_FAILURES``, its message counting the failures.
    """
    if summary.ok:
        return summary
    failed = summary.counts.failed
    state: State[RunSummary] = Completed(
        name=WITH_FAILURES,
        message=f"{failed} input{'s' if failed != 1 else ''} failed; `wic-etl status` says why",
        data=summary,
    )
    # Prefect makes a state that a flow returns the run's final state, and hands that
    # state's data to whoever called the flow: the command still gets the summary.
    return cast(RunSummary, state)


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
