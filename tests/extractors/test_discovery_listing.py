"""Section listing pages are recognised and give their links, not an article."""

from core.records import Listed, RawPage
from extractors.extract import extract_page
from tests.conftest import listing_pages


def test_a_section_page_is_a_listing_with_its_links_times_and_pagination():
    (path,) = listing_pages()
    outcome = extract_page(RawPage(str(path), path.read_bytes()))
    assert isinstance(outcome, Listed)
    listing = outcome.listing
    assert [link.title for link in listing.links] == [
        "Volunteers clear snow from mountain village roads",
        "How a canal town became an internet capital",
        "Night school for grandparents teaches smartphone skills",
    ]
    assert listing.links[1].url == (
        "https://www.chinadaily.com.cn/a/201901/11/WS5c37cfaea3106c65c34e3c9e.html"
    )
    assert listing.links[0].listed == "2019-01-12T02:06:00+08:00"
    assert listing.pages[0] == "https://www.chinadaily.com.cn/china/society/page_3.html"
    assert listing.last_page == 40
