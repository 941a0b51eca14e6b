"""Dates as the sites print them, to ISO 8601 in Beijing time.

The sites print Beijing local time with no zone; a date with a time becomes
``YYYY-MM-DDTHH:MM:SS+08:00``, a date alone stays ``YYYY-MM-DD`` (a midnight
we made up would be a lie).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

_TIME = r"(?:[ T\u3000]*(?P<H>\d{1,2})[:：](?P<M>\d{2})(?:[:：](?P<S>\d{2}))?)?"
DATE_PATTERNS = (
    re.compile(r"(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b" + _TIME),
    re.compile(r"(?P<y>(?:19|20)\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})\b" + _TIME),
    re.compile(r"(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日" + _TIME),
)
# The years a page's date can be in: the patterns above match no other, and a meta
# tag's date outside them (0001-01-01, 9999-12-31: a CMS's empty date) is none either.
YEARS = range(1900, 2100)
# A character each pattern needs: a text without it is not searched with that pattern
# (each tries every position; a byline has one date form at most).
_NEEDS = ("-", "/", "年")


@dataclass(frozen=True)
class FoundDate:
    """A date found in text, as ISO 8601."""

    iso: str
    start: int
    end: int


def find_date(text: str) -> FoundDate | None:
    """The first valid date (with its time, if printed) in ``text``."""
    found: list[FoundDate] = []
    for pattern, needed in zip(DATE_PATTERNS, _NEEDS, strict=True):
        if needed not in text:
            continue
        for match in pattern.finditer(text):
            iso = _to_iso(match)
            if iso:
                found.append(FoundDate(iso, match.start(), match.end()))
                break
    return min(found, key=lambda f: f.start) if found else None


def _to_iso(match: re.Match[str]) -> str | None:
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        if match["H"] is None:
            return day.isoformat()
        moment = datetime(
            day.year, day.month, day.day,
            int(match["H"]), int(match["M"]), int(match["S"] or 0),
            tzinfo=BEIJING,
        )  # fmt: skip
    except ValueError:
        return None
    return moment.isoformat()


def in_beijing(moment: datetime) -> str | None:
    """An aware ``moment`` as ISO 8601 in Beijing time; None if that is not in ``YEARS``."""
    try:
        local = moment.astimezone(BEIJING)
    except OverflowError:  # past year 9999 once moved to Beijing time
        return None
    return local.isoformat() if local.year in YEARS else None
