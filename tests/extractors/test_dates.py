import pytest

from extractors.dates import find_date


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Updated: 2015-12-15", "2015-12-15"),
        ("Updated: 2025-12-08 10:04", "2025-12-08T10:04:00+08:00"),
        ("2015年12月15日", "2015-12-15"),
        ("2018年11月8日 09:15 来源：新华网", "2018-11-08T09:15:00+08:00"),
        ("2019/01/12 02:06:30", "2019-01-12T02:06:30+08:00"),
    ],
)
def test_site_date_forms_become_iso_8601_beijing_time(text, iso):
    found = find_date(text)
    assert found is not None
    assert found.iso == iso


def test_impossible_dates_are_not_dates():
    assert find_date("Updated: 2015-13-45") is None
    assert find_date("no date here") is None
