"""Run accounting: one counters type from the loader to the summary, the table and the screen."""

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
    failures: list[FailureNote] = field(default_factory=list)
    # Per extractor (profile/version): pages loaded with warnings, and each warning's count.
    fallback_pages: dict[str, int] = field(default_factory=dict)
    fallback_fields: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_row(self) -> dict[str, int]:
        """The counters, by their ``runs`` column names, in the table's order."""
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
