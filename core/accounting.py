"""Run accounting: one counters type from the loader to the summary, the table and the screen,
and the summary a run ends with."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from core.records import Article


@dataclass(frozen=True)
class FailureNote:
    """What a summary says of an input that did not become an article (the row has the rest)."""

    source: str
    stage: str
    error_class: str
    message: str
    raw_kept: bool = False  # its bytes are in ``pages`` (a path that does not exist has none)


@dataclass
class RunCounts:
    """What a run did, in the ``runs`` table's own words; added up batch by batch."""

    pages: int = 0  # documents read: new + updated + unchanged + failed (+ listings)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    listings: int = 0  # section pages read for their links, not articles
    skipped: int = 0  # files that are not saved pages, addresses the crawl did not fetch
    # What changed on the sites (an archive of a changing site, see loaders/history.py):
    # new versions that are edits and minor edits, restorations (a reverted edit, a
    # version shown again, an article back after removal), removals, and 304 answers
    # (the page not modified since the last fetch: the flow counts those).
    edited: int = 0
    minor: int = 0
    restored: int = 0
    removed: int = 0
    not_modified: int = 0
    # Images of articles kept in ``image_files`` this run, and those that could not be
    # (a failure row of stage ``image`` each; the article is loaded all the same, so
    # they do not count as ``failed``).
    images: int = 0
    images_failed: int = 0
    failures: list[FailureNote] = field(default_factory=list)
    # Per extractor (profile/version): pages loaded with warnings, and each warning's count.
    fallback_pages: dict[str, int] = field(default_factory=dict)
    fallback_fields: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_row(self) -> dict[str, int]:
        """The counters a summary shows, by their ``runs`` column names, in the table's order.

        The counters of what changed on the sites (``CHANGE_COUNTERS``) only where not
        zero: an ordinary ingest's summary reads as it did before they existed.
        """
        return {
            name: getattr(self, name)
            for name in COUNTERS
            if name not in CHANGE_COUNTERS or getattr(self, name)
        }

    def table_row(self) -> dict[str, int]:
        """Every counter, by its ``runs`` column name: the run's row in the table."""
        return {name: getattr(self, name) for name in COUNTERS}

    def note_fallbacks(self, article: Article) -> None:
        """Count an article's fallen-back fields under its extractor (layout drift)."""
        if not article.warnings:
            return
        name = article.extractor
        self.fallback_pages[name] = self.fallback_pages.get(name, 0) + 1
        per_field = self.fallback_fields.setdefault(name, {})
        for warning in article.warnings:
            per_field[warning] = per_field.get(warning, 0) + 1

    def add(self, other: RunCounts) -> None:
        """Add another batch's counts, failures and fallbacks to these."""
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures.extend(other.failures)
        for name, pages in other.fallback_pages.items():
            self.fallback_pages[name] = self.fallback_pages.get(name, 0) + pages
        for name, per_field in other.fallback_fields.items():
            mine = self.fallback_fields.setdefault(name, {})
            for warning, n in per_field.items():
                mine[warning] = mine.get(warning, 0) + n


COUNTERS: tuple[str, ...] = tuple(f.name for f in fields(RunCounts) if f.type in ("int", int))
# Shown (in a summary, by ``wic-etl status``) only where a run has some.
CHANGE_COUNTERS: tuple[str, ...] = (
    "edited", "minor", "restored", "removed", "not_modified", "images", "images_failed",
)  # fmt: skip


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
