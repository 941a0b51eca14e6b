import pytest

from extractors.metaline import Meta, parse_meta


@pytest.mark.parametrize(
    ("line", "meta"),
    [
        ("chinadaily.com.cn Updated: 2015-12-15", Meta("2015-12-15", "chinadaily.com.cn", None)),
        (
            "By Zhang Zhihao in Hefei | China Daily | Updated: 2025-12-08 10:04",
            Meta("2025-12-08T10:04:00+08:00", "China Daily", "Zhang Zhihao"),
        ),
        (
            "Source: Xinhua | Updated: 2016-11-16 09:30",
            Meta("2016-11-16T09:30:00+08:00", "Xinhua", None),
        ),
        (
            "2015-12-15 10:41 来源：中国日报网 作者：张三",
            Meta("2015-12-15T10:41:00+08:00", "中国日报网", "张三"),
        ),
        ("来源：新华网 | 2015年12月15日", Meta("2015-12-15", "新华网", None)),
    ],
)
def test_bylines(line, meta):
    assert parse_meta(line) == meta


def test_a_sentence_with_a_date_is_not_a_byline():
    assert parse_meta("On 2015-12-15 the conference opened in Wuzhen and many came.") is None
