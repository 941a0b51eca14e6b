"""A site's "page not found" served with 200 is no article; an article about deletions is."""

from core.records import Extracted, Failed, RawPage
from extractors.extract import extract_page
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"
ZH = ("https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html",
      REAL / "zh_china_2023_newspaper4k.html")  # fmt: skip
EN = ("https://www.chinadaily.com.cn/a/202512/20/WS6945ede4a310d6866eb2f9ad.html",
      REAL / "en_2025_article_wcxb.html")  # fmt: skip


def _page(url: str, data: bytes) -> RawPage:
    return RawPage(url, data, url, "text/html; charset=utf-8", 200)


def test_the_written_not_found_pages_are_no_articles():
    for name, url in (("not_found_en.html", EN[0]), ("not_found_zh.html", ZH[0])):
        outcome = extract_page(_page(url, (FIXTURES / "site" / name).read_bytes()))
        assert isinstance(outcome, Failed), name
        assert outcome.error_class == "NotFoundPageError"


def test_a_real_article_headlined_with_a_deletion_is_an_article():
    old = "外国专家：中美合作共赢符合国际社会利益".encode()
    headline = "网信办：违规内容已删除".encode()
    data = ZH[1].read_bytes().replace(old, headline)
    outcome = extract_page(_page(ZH[0], data))
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
    assert outcome.article.title == "网信办：违规内容已删除"


def test_a_real_english_article_titled_not_found_is_an_article():
    data = (
        EN[1]
        .read_bytes()
        .replace(b"New optical chip can help advance generative AI", b"Page not found")
    )
    outcome = extract_page(_page(EN[0], data))
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
