"""The seed page's facts, read off the page once: what extraction, the store and the command
must all produce from it. Each layer's test checks its own output against these."""

from __future__ import annotations

from collections.abc import Sequence

TITLE = "Exploit Internet to empower the country"
SITE, SOURCE, SECTION = "wicwuzhen.cn", "chinadaily.com.cn", "News"
PUBLISHED_DAY = "2015-12-15"
PARAGRAPHS = 11
FIRST_WORDS = "The city of Wuzhen"
LAST_WORDS = "can China become an Internet power."
CAPTION_START, CREDIT = "A big electronic screen", "IC"
ORGANIZERS = 10
ORGANIZER_AT = {
    0: "Cyberspace Administration of China",
    5: "Secretariat of World Internet Conference (Preparatory Office)",
    -1: "National Internet Emergency Center",
}
REMOVED_KINDS = {"copyright", "icp", "contact"}
# Boilerplate, the caption's credit and the organizer list: none of it is article text.
NOT_IN_BODY = ("Copyright", "ICP", "Tel:", "Fax:", "Email:", "QQ:", "Home > News",
               "[Photo/IC]", "Cyberspace Administration")  # fmt: skip


def check_article(
    *, title: str, site: str, source: str | None, section: str | None, published: str | None,
    body: str, caption: str, credit: str | None, organizers: Sequence[str],
    removed: Sequence[tuple[str, str]],
) -> None:  # fmt: skip
    """Assert one extracted or stored seed article against the page's facts."""
    assert (title, site, source, section) == (TITLE, SITE, SOURCE, SECTION)
    assert published is not None and published.startswith(PUBLISHED_DAY)
    paragraphs = body.split("\n\n")
    assert len(paragraphs) == PARAGRAPHS
    assert paragraphs[0].startswith(FIRST_WORDS) and paragraphs[-1].endswith(LAST_WORDS)
    for text in NOT_IN_BODY:
        assert text not in body
    assert caption.startswith(CAPTION_START) and credit == CREDIT
    assert len(organizers) == ORGANIZERS
    for position, name in ORGANIZER_AT.items():
        assert organizers[position] == name
    assert {kind for kind, _ in removed} >= REMOVED_KINDS
    for _, text in removed:
        assert text not in body
        assert not any(text in p or p in text for p in paragraphs)
