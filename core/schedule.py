"""When a known article is due to be fetched again: the re-check ladder, as pure functions.

The ladder (``Settings.recheck_ladder``) is a list of rungs ``(from_age, every)`` in
hours, ages rising from 0: an article whose last change was at least ``from_age``
hours ago (and less than the next rung's) is checked every ``every`` hours. An
article's *age* is the time since it last changed (a new version, a removal, a
restoration); it is due once the time since its last check reaches its rung's
interval. As an article ages it moves up the ladder and is checked less often, as
NewsDiffs does: stories are edited most in their first hours.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

Ladder = tuple[tuple[float, float], ...]


def check_ladder(rungs: object) -> Ladder:
    """The ladder as a tuple of ``(from_age, every)`` hour pairs, or ValueError saying what
    is wrong: the first rung from age 0, ages rising, every interval above 0."""
    try:
        ladder = tuple((float(age), float(every)) for age, every in rungs)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(
            f"{rungs!r} is not a re-check ladder: give pairs [from_age_hours, every_hours]"
        ) from None
    if not ladder or ladder[0][0] != 0:
        raise ValueError("the re-check ladder's first rung must start at age 0 hours")
    for (age, every), (next_age, _) in zip(ladder, (*ladder[1:], (math.inf, 0.0)), strict=True):
        if not (math.isfinite(age) and math.isfinite(every)) or every <= 0:
            raise ValueError(f"rung ({age:g}, {every:g}): its interval must be above 0 hours")
        if next_age <= age:
            raise ValueError("the re-check ladder's ages must rise from rung to rung")
    return ladder


def interval_at(age_hours: float, ladder: Ladder) -> float:
    """The hours between checks of an article last changed ``age_hours`` ago."""
    every = ladder[0][1]
    for from_age, rung_every in ladder:
        if age_hours >= from_age:
            every = rung_every
    return every


def next_check(changed: datetime, checked: datetime, ladder: Ladder) -> datetime:
    """The first moment ``t`` at which ``t - checked`` reaches the interval of the rung of
    ``t - changed``: when the article is due again.

    Exact, not the interval at the last check: an article checked while on the hourly
    rung and then left alone is due after an hour, but one checked just before it moves
    to the daily rung is due a day after that check, not an hour.
    """
    checked = max(checked, changed)  # seen changed is seen: never due before its change
    bounds = [*(age for age, _ in ladder[1:]), math.inf]
    for (from_age, every), until in zip(ladder, bounds, strict=True):
        start = changed + timedelta(hours=from_age)
        candidate = max(checked + timedelta(hours=every), start)
        if until == math.inf or candidate < changed + timedelta(hours=until):
            return candidate
    raise AssertionError("unreachable: the last rung has no end")


def describe(ladder: Ladder) -> str:
    """``every 1 h until a day old, then every 1 day until ...``: the ladder in words."""
    words = []
    bounds = [*(age for age, _ in ladder[1:]), None]
    for (_, every), until in zip(ladder, bounds, strict=True):
        text = f"every {_hours(every)}"
        words.append(f"{text} until {_hours(until)} old" if until is not None else text)
    return ", then ".join(words)


def _hours(hours: float) -> str:
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day{'s' if days != 1 else ''}"
    if hours < 1:
        return f"{hours * 60:g} min"
    return f"{hours:g} h"
