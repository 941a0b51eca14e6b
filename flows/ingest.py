"""The ingest flow: saved pages in, articles in SQLite, a summary artifact out."""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from extractors.sources import expand_sources
from flows.batch import chunks, ingest_batch, missing_source_failures, record_failures
from loaders.schema import open_database
from loaders.store import LoadCounts, finish_run, start_run

# Beyond this many the artifact lists no more failures (the table has them all).
ARTIFACT_FAILURES = 500


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    db: str
    pages: int
    new: int
    updated: int
    unchanged: int
    failed: int
    skipped: int
    listings: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


# Pages are small and loading is one SQLite writer: retrying a batch on a transient
# error (a locked database) is safe because a batch commits whole or not at all.
@task(name="ingest-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def ingest_batch_task(db: str, paths: list[str], run_id: str) -> LoadCounts:
    return ingest_batch(db, paths, run_id)


@flow(name="ingest", log_prints=False)
def ingest(sources: list[str], db: str = "data/wic.db", batch_size: int = 250) -> RunSummary:
    """Ingest saved pages (files, folders walked recursively, or @list.txt) into ``db``."""
    logger = get_run_logger()
    run_id = str(flow_run.get_id() or "local")
    found = expand_sources(sources)
    database = open_database(db)
    start_run(database, run_id, "ingest", sources)
    logger.info(
        "%d files to read from %d sources (%d other files skipped)",
        len(found.files), len(sources), found.skipped,
    )  # fmt: skip
    counts = LoadCounts()
    if found.missing:
        counts.add(record_failures(db, missing_source_failures(found.missing), run_id))
    for number, batch in enumerate(chunks(found.files, batch_size), start=1):
        counts.add(ingest_batch_task(db, batch, run_id))
        logger.info("batch %d: %d files done", number, len(batch))
    for failure in counts.failures:
        logger.warning(
            "failed at %s: %s: %s", failure["stage"], failure["source"], failure["message"]
        )
    status = "completed" if not counts.failed else "completed with failures"
    finish_run(database, run_id, counts, found.skipped, status)
    database.close()
    summary = RunSummary(
        run_id=run_id,
        db=db,
        pages=counts.pages,
        new=counts.new,
        updated=counts.updated,
        unchanged=counts.unchanged,
        failed=counts.failed,
        skipped=found.skipped,
        listings=counts.listings,
        failures=counts.failures,
    )
    create_markdown_artifact(key="ingest-summary", markdown=summary_markdown(summary),
                             description=f"wic-etl ingest into {db}")  # fmt: skip
    return summary


def summary_markdown(summary: RunSummary) -> str:
    lines = [
        f"# wic-etl run on `{summary.db}`",
        "",
        "| pages | new | updated | unchanged | failed | listings | skipped |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {summary.pages} | {summary.new} | {summary.updated} | {summary.unchanged} "
        f"| {summary.failed} | {summary.listings} | {summary.skipped} |",
    ]
    if summary.failures:
        lines += ["", "## Failures", "", "| source | stage | reason |", "|---|---|---|"]
        lines += [
            f"| `{f['source']}` | {f['stage']} | {f['message'].replace('|', '/')} |"
            for f in summary.failures[:ARTIFACT_FAILURES]
        ]
        if (more := len(summary.failures) - ARTIFACT_FAILURES) > 0:
            lines += ["", f"... and {more} more: see the `failures` table, run `{summary.run_id}`."]
    return "\n".join(lines) + "\n"
