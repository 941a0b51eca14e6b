"""A database of a changing site, built through the real pipeline: real pages, then the
same pages edited in their bytes, a minor edit, and removals.

Used by the Datasette tests of versions, recent changes and the feed (in-process and
in Chromium). Each step is its own run, as the site would be seen over days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.records import Extracted, RawPage
from extractors.extract import RULESET, extract_page
from loaders.store import Store
from tests.conftest import FIXTURES

REAL = FIXTURES / "real"
EN_PAGE = REAL / "en_2025_article_wcxb.html"
ZH_PAGE = REAL / "zh_china_2023_newspaper4k.html"
OTHER_PAGE = REAL / "en_2024_article_magichtml.html"

# The edits, made in the pages' bytes: (old, new) each. English: words of the first
# paragraph; Chinese: characters of two paragraphs.
EN_EDIT = ("announced a breakthrough", "unveiled a major advance")
EN_DELETED, EN_INSERTED = ["announced", "breakthrough"], ["unveiled", "major advance"]
ZH_EDITS = (("全世界的目光", "全球的目光"), ("媒体应该发挥", "媒体应当发挥"))
ZH_DELETED, ZH_INSERTED = ["世界", "该"], ["球", "当"]
# Only a comma: the normalised record is the same, so a minor version, with no event.
EN_MINOR = ("seconds and creating", "seconds, and creating")
# Article text is hostile input: an edit that puts markup (as text) into a paragraph.
HOSTILE = "<script>alert('wic')</script>"
HOSTILE_EDIT = (
    b"popularity among young adults",
    b"popularity among &lt;script&gt;alert('wic')&lt;/script&gt; young adults",
)


@dataclass(frozen=True)
class ChangingSite:
    """The database and the ids and addresses of its three articles."""

    db_path: Path
    en_id: str
    zh_id: str
    other_id: str
    zh_url: str
    other_url: str


def extracted(name: str, data: bytes) -> Extracted:
    outcome = extract_page(RawPage(name, data))
    assert isinstance(outcome, Extracted), outcome
    return outcome


def _edit(data: bytes, *edits: tuple[str, str] | tuple[bytes, bytes]) -> bytes:
    for old, new in edits:
        old_b = old.encode() if isinstance(old, str) else old
        new_b = new.encode() if isinstance(new, str) else new
        assert old_b in data, old
        data = data.replace(old_b, new_b)
    return data


def build(db_path: Path) -> ChangingSite:
    """Load the three pages (run-1), their edits (run-2), a minor edit of the English
    one (run-3), and record two removals (run-4): the Chinese article and the other."""
    en, zh, other = (p.read_bytes() for p in (EN_PAGE, ZH_PAGE, OTHER_PAGE))
    en2 = _edit(en, EN_EDIT)
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures/real"])
        first = [extracted("en.html", en), extracted("zh.html", zh),
                 extracted("other.html", other)]  # fmt: skip
        store.load(first, "run-1", RULESET)
        store.start_run("run-2", "ingest", ["edited pages"])
        counts = store.load(
            [extracted("en-2.html", en2), extracted("zh-2.html", _edit(zh, *ZH_EDITS)),
             extracted("other-2.html", _edit(other, HOSTILE_EDIT))],
            "run-2", RULESET,
        )  # fmt: skip
        assert counts.edited == 3, counts
        store.start_run("run-3", "ingest", ["minor edit"])
        counts = store.load([extracted("en-3.html", _edit(en2, EN_MINOR))], "run-3", RULESET)
        assert counts.minor == 1, counts
        store.start_run("run-4", "recheck", ["removals"])
        en_id, zh_id, other_id = (o.article.id for o in first)
        zh_url, other_url = first[1].article.url, first[2].article.url
        assert zh_url and other_url
        assert store.record_removal(zh_url, "run-4", 404, "404 Not Found") == [zh_id]
        assert store.record_removal(other_url, "run-4", 410, "gone") == [other_id]
    return ChangingSite(db_path, en_id, zh_id, other_id, zh_url, other_url)
