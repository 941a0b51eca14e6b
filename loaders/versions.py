"""How a new record of an article compares with the versions already kept: pure functions.

An archive of a changing site keeps one ``article_versions`` row per distinct
extracted record of an article (see ``loaders/history.py`` for the rows). When a
record arrives that is none of them, it is classified against the version the
article shows and the earlier ones, by comparing *normalised* records:

- each compared field (``FIELDS``: title, author, source, published, section,
  body) is taken through Unicode NFKC, loses every punctuation character
  (Unicode categories P*), and has its whitespace collapsed to single spaces;
  case is kept (a changed capital is an edit). ``published`` is compared as its
  date only (``YYYY-MM-DD``): a changed time line is not an edit;
- equal to the shown version's normalised record: ``minor`` (only whitespace,
  punctuation or the time moved);
- else equal to an earlier version's: ``restored`` (an edit reverted, modulo
  minor differences: not a new edit);
- else: ``edited``.

A record exactly equal to an earlier version (same ``record_sha256``) is no new
version at all: the loader shows that version again. Boilerplate differences
never reach a record (extractors strip them) and the character set a page was
saved in cannot change its decoded text, so neither makes a new version out of
an unchanged article; a boilerplate change that alters only ``removed_lines``
changes the record but not its normalised fields: ``minor``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields

from core.records import Article

FIRST, EDITED, MINOR, RESTORED = "first", "edited", "minor", "restored"
CHANGES = (FIRST, EDITED, MINOR, RESTORED)

_SPACE = re.compile(r"\s+")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class VersionFields:
    """The fields of a record that versions are compared by (and that a version row keeps)."""

    title: str | None
    author: str | None
    source: str | None
    published: str | None
    section: str | None
    body: str | None

    @classmethod
    def of(cls, article: Article) -> VersionFields:
        """The compared fields of an extracted article."""
        return cls(article.title, article.author, article.source, article.published,
                   article.section, article.body)  # fmt: skip


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(VersionFields))


@functools.cache
def _punctuation() -> dict[int, None]:
    """The punctuation of the Basic Multilingual Plane, for ``str.translate``.

    Built on first use (about 30 ms), not at import: only records that differ are
    compared. ``translate`` is about ten times faster than testing each character.
    """
    return dict.fromkeys(c for c in range(0x10000) if unicodedata.category(chr(c)).startswith("P"))


def normalise_text(text: str | None) -> str:
    """NFKC, punctuation out, whitespace collapsed to one space, case kept; None is ''."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text).translate(_punctuation())
    if not text.isascii() and max(text) > "\uffff":  # beyond the table: one by one
        text = "".join(c for c in text if unicodedata.category(c)[0] != "P")
    return _SPACE.sub(" ", text).strip()


def normalise_published(published: str | None) -> str:
    """The date of an ISO 8601 time (``2025-12-20``): a moved time line is no edit."""
    if published and _ISO_DATE.match(published):
        return published[:10]
    return normalise_text(published)


@functools.lru_cache(maxsize=256)
def normalised(record: VersionFields) -> tuple[str, ...]:
    """The record as versions are compared, one string per field of ``FIELDS``.

    Cached: one load compares a record with several versions, and names the fields
    that changed after classifying it.
    """
    return tuple(
        normalise_published(record.published) if name == "published"
        else normalise_text(getattr(record, name))
        for name in FIELDS
    )  # fmt: skip


def classify(new: VersionFields, shown: VersionFields, earlier: Sequence[VersionFields]) -> str:
    """``minor``, ``restored`` or ``edited``: a new distinct record against the version the
    article shows (``shown``) and the other versions it had (``earlier``)."""
    mine = normalised(new)
    if mine == normalised(shown):
        return MINOR
    if any(mine == normalised(other) for other in earlier):
        return RESTORED
    return EDITED


def changed_fields(new: VersionFields, old: VersionFields) -> list[str]:
    """The fields whose normalised values differ, in alphabetical order (``body, title``)."""
    return sorted(
        name for name, a, b in zip(FIELDS, normalised(new), normalised(old), strict=True) if a != b
    )


def matching_version(
    new: VersionFields, versions: Sequence[tuple[int, VersionFields]]
) -> int | None:
    """The number of the latest of ``versions`` whose normalised record is ``new``'s."""
    mine = normalised(new)
    found = [number for number, other in versions if normalised(other) == mine]
    return max(found) if found else None
