"""Layout drift in the run summary: pages that fell back, per extractor, and on what."""

from __future__ import annotations

import json

from core.accounting import RunCounts, RunSummary, fallback_lines
from core.records import Extracted, RawPage
from extractors.extract import extract_page
from flows.reporting import summary_markdown
from loaders.schema import open_database
from tests.conftest import BAD, SAVED, store_of


def _outcome(path) -> Extracted:
    outcome = extract_page(RawPage(str(path), path.read_bytes()))
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
    return outcome


def test_loading_counts_fallbacks_per_extractor_and_batches_add_up(tmp_path):
    db = open_database(tmp_path / "wic.db")
    db.execute("insert into runs (id, flow) values ('r1', 'test')")
    good = _outcome(SAVED / "html" / "chinadaily_en_ai_rules.html")
    bad_date = _outcome(BAD / "variant_bad_date.html")
    no_title = _outcome(BAD / "variant_missing_title.html")
    first = store_of(db).load([good, bad_date], "r1", "rules")
    second = store_of(db).load([no_title], "r1", "rules")
    total = RunCounts()
    total.add(first)
    total.add(second)
    name = good.article.extractor
    assert total.fallback_pages == {name: 2}
    assert total.fallback_fields == {name: {"published:url": 1, "title:generic": 1}}
    assert fallback_lines(total) == (
        f"{name}: 2 pages fell back (published:url 1, title:generic 1)",
    )
    (stored,) = db.execute("select warnings from articles").fetchone()
    assert json.loads(stored) == ["title:generic"]  # the three are one address: last wins


def test_no_fallback_no_line_and_the_artifact_lists_them():
    assert fallback_lines(RunCounts()) == ()
    counts = RunCounts(
        fallback_pages={"chinadaily/2": 1, "cn-chinadaily/2": 3},
        fallback_fields={
            "chinadaily/2": {"section:missing": 1},
            "cn-chinadaily/2": {"published:meta": 1, "section:missing": 3},
        },
    )
    lines = fallback_lines(counts)
    assert lines == (
        "chinadaily/2: 1 page fell back (section:missing 1)",
        "cn-chinadaily/2: 3 pages fell back (section:missing 3, published:meta 1)",
    )
    summary = RunSummary("r", "db", RunCounts(pages=4, new=4), fallbacks=lines)
    markdown = summary_markdown(summary)
    assert "## Fallbacks (layout drift)" in markdown
    assert all(f"- {line}" in markdown for line in lines)


def test_the_summary_shows_what_changed_on_the_sites_only_where_something_did():
    plain = summary_markdown(RunSummary("r", "db", RunCounts(pages=4, new=4)))
    header = plain.splitlines()[2]
    assert header == "| pages | new | updated | unchanged | failed | listings | skipped |"
    counts = RunCounts(pages=4, updated=3, edited=2, restored=1, not_modified=5)
    lines = summary_markdown(RunSummary("r", "db", counts)).splitlines()
    assert lines[2].endswith("| skipped | edited | restored | not_modified |")
    assert lines[4].endswith("| 0 | 2 | 1 | 5 |")
    assert counts.table_row()["minor"] == 0 and "minor" not in counts.as_row()
