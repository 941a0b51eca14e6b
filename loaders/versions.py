"""How a new record of an article compares with the versions already kept: pure functions.

An archive of a changing site keeps one ``article_versions`` row per distinct
extracted record of an article (see ``loaders/history.py`` for the rows). When a
record arrives that is none of them, it is classified against the version the
article shows and the earlier ones, by comparing *normalised* records:

- each compared field (``FIELDS``: title, author, source, published, section,
  body) is taken through Unicode NFKC; every punctuation character (Unicode
  categories P*) becomes a space, but for those a number is read by (the point
  or comma between digits of ``1.5`` or ``3,000``, the minus of ``-5``);
  whitespace is collapsed to single spaces, and taken out next to a Han
  character (Chinese is written without spaces, so ``中国 互联网`` and
  ``中国互联网`` are the same text); case is kept (a changed capital is an edit).
  ``published`` is compared as its date only (``YYYY-MM-DD``): a changed time line is not an edit;
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
# Punctuation a number is read by: ``1.5 billion`` is not ``15 billion``, nor ``-5°C``
# ``5°C``. Swapped for private-use characters (no category P) while the rest goes.
_NUMBER_MARKS = re.compile(r"(?<=\d)[.,](?=\d)|(?<![\w.,])[-\u2212](?=\d)")
_KEEP = {".": "\ue000", ",": "\ue001", "-": "\ue002", "\u2212": "\ue002"}
_KEPT = str.maketrans({"\ue000": ".", "\ue001": ",", "\ue002": "-"})
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_SPACE_BY_HAN = re.compile(f" (?=[{_HAN}])|(?<=[{_HAN}]) ")
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
def _punctuation() -> dict[int, str]:
    """The punctuation of the Basic Multilingual Plane as spaces, for ``str.translate``.

    Built on first use (about 30 ms), not at import: only records that differ are
    compared. ``translate`` is about ten times faster than testing each character.
    """
    return dict.fromkeys(
        (c for c in range(0x10000) if unicodedata.category(chr(c)).startswith("P")), " "
    )


def normalise_text(text: str | None) -> str:
    """NFKC, punctuation as spaces (not a number's), whitespace collapsed to one space and
    none beside Han characters, case kept; None is ''."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)
    text = _NUMBER_MARKS.sub(lambda mark: _KEEP[mark.group()], text)
    text = text.translate(_punctuation())
    if not text.isascii() and max(text) > "\uffff":  # beyond the table: one by one
        text = "".join(" " if unicodedata.category(c)[0] == "P" else c for c in text)
    text = _SPACE.sub(" ", text).strip().translate(_KEPT)
    return _SPACE_BY_HAN.sub("", text) if not text.isascii() else text


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
