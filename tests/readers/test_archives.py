"""MHTML and WARC containers: the HTML documents inside, and damage reported, not fatal."""

from readers.archives import read_archive
from tests.conftest import BAD, SAVED


def read(path):
    return read_archive(str(path), path.read_bytes())


def test_mhtml_gives_its_html_part_with_the_saved_address():
    result = read(SAVED / "mhtml" / "chinadaily_en_rail_link.mhtml")
    assert result.error is None
    (page,) = result.pages
    assert page.url == "https://www.chinadaily.com.cn/a/202411/18/WS673a8b2ca310f1265a1d3e2d.html"
    assert page.data.startswith(b"<!DOCTYPE html>")
    assert b"=3D" not in page.data  # quoted-printable decoded


def test_warc_gives_each_html_200_response_and_skips_images_and_errors():
    result = read(SAVED / "warc" / "crawl_2025-12-09.warc.gz")
    assert result.error is None
    assert [p.url for p in result.pages] == [
        "http://www.wicwuzhen.cn/web19/news/201910/t20191020_11192873.shtml",
        "https://www.chinadaily.com.cn/a/202512/08/WS6936a1b2a310d6866eb2c7f1.html",
    ]
    assert all(p.content_type.startswith("text/html") for p in result.pages)


def test_a_truncated_warc_reports_the_damage():
    result = read(BAD / "damaged.warc.gz")
    assert result.pages == [] and result.error is None
    (failure,) = result.failures  # the record cut short; any after it would still be read
    assert failure.source.startswith(str(BAD / "damaged.warc.gz#http"))
    assert "stops after" in str(failure.error) and "truncated" in str(failure.error)


def test_an_mhtml_without_a_page_says_so():
    result = read(BAD / "no_page.mhtml")
    assert result.pages == [] and "no HTML page inside" in str(result.error)
