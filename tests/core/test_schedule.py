"""The re-check ladder: when an article is due again, exactly, and which ladders are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.schedule import check_ladder, describe, interval_at, next_check
from core.settings import DEFAULTS

LADDER = check_ladder(DEFAULTS.recheck_ladder)
T0 = datetime(2026, 12, 1, tzinfo=UTC)
H = timedelta(hours=1)


def test_the_default_ladder_is_hourly_then_daily_weekly_monthly():
    assert describe(LADDER) == (
        "every 1 h until 1 day old, then every 1 day until 7 days old, "
        "then every 7 days until 30 days old, then every 30 days"
    )
    assert [interval_at(age, LADDER) for age in (0, 23.9, 24, 24 * 6.9, 24 * 7, 24 * 40)] == [
        1, 1, 24, 24, 168, 720,
    ]  # fmt: skip


def test_a_fresh_article_is_due_an_hour_after_each_check():
    assert next_check(T0, T0, LADDER) == T0 + H
    assert next_check(T0, T0 + 5 * H, LADDER) == T0 + 6 * H


def test_an_article_checked_near_a_rung_waits_for_the_longer_interval_of_the_next():
    # Checked at 23.5 h old: an hour later it is a day old, on the daily rung, so it is
    # due a day after that check, not an hour.
    checked = T0 + 23.5 * H
    assert next_check(T0, checked, LADDER) == checked + 24 * H
    # Checked at 22 h old: due an hour later, still on the hourly rung.
    assert next_check(T0, T0 + 22 * H, LADDER) == T0 + 23 * H


def test_an_old_article_long_unchecked_is_due_at_once():
    changed = T0 - timedelta(days=400)
    checked = T0 - timedelta(days=45)
    assert next_check(changed, checked, LADDER) == checked + timedelta(days=30)
    assert next_check(changed, checked, LADDER) < T0


def test_a_check_before_the_change_counts_from_the_change():
    # Seen changed is seen: an edit found by an ingest counts as a look then.
    assert next_check(T0, T0 - 50 * H, LADDER) == T0 + H


@given(
    changed=st.integers(0, 24 * 400),
    since=st.integers(0, 24 * 400),
)
def test_next_check_is_the_first_moment_the_interval_is_reached(changed, since):
    changed_at = T0 - timedelta(hours=changed)
    checked_at = changed_at + timedelta(hours=since)
    due = next_check(changed_at, checked_at, LADDER)
    age = (due - changed_at).total_seconds() / 3600
    waited = (due - checked_at).total_seconds() / 3600
    assert waited >= interval_at(age, LADDER) - 1e-9
    # A minute earlier it was not yet due (or it was its rung's first moment).
    before = due - timedelta(minutes=1)
    if before >= checked_at:
        age_before = (before - changed_at).total_seconds() / 3600
        assert (before - checked_at).total_seconds() / 3600 < interval_at(age_before, LADDER)


@pytest.mark.parametrize(
    ("ladder", "message"),
    [
        ([], "first rung must start at age 0"),
        ([[1, 1]], "first rung must start at age 0"),
        ([[0, 1], [24, 0]], "must be above 0"),
        ([[0, 1], [24, 24], [12, 48]], "must rise"),
        ("hourly", "not a re-check ladder"),
    ],
)
def test_a_ladder_that_cannot_be_climbed_is_refused(ladder, message):
    with pytest.raises(ValueError, match=message):
        check_ladder(ladder)
