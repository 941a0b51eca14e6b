"""What every flow run ends with: failures logged, the runs row finished, a summary artifact."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from core.accounting import RunCounts
from loaders.store import Store

# Beyond this many the artifact lists no more failures (the table has them all).
ARTIFACT_FAILURES = 500


@dataclass(frozen=True)
class RunSummary:
    """What the command prints and the artifact shows at the end of a run."""

    run_id: str
    db: str
    counts: RunCounts
    notes: tuple[str, ...] = ()  # one line each, e.g. what a crawl asked for and skipped
    # One line per extractor whose pages needed a fallback: layout drift shows here.
    fallbacks: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every input became an article or a listing."""
        return self.counts.failed == 0


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


def fallback_lines(counts: RunCounts) -> tuple[str, ...]:
    """``chinadaily/2: 3 pages fell back (section:missing 3, published:meta 1)``, per extractor."""
    lines = []
    for name in sorted(counts.fallback_pages):
        pages = counts.fallback_pages[name]
        fields = counts.fallback_fields.get(name, {})
        ranked = sorted(fields.items(), key=lambda item: (-item[1], item[0]))
        what = ", ".join(f"{warning} {n}" for warning, n in ranked)
        lines.append(f"{name}: {pages} page{'s' if pages != 1 else ''} fell back ({what})")
    return tuple(lines)


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
