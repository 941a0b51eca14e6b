"""Feeds and sitemaps as lists of addresses."""

from __future__ import annotations

import gzip
import itertools
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import FetchError
from extractors.discovery.feeds import parse_discovery
from tests.conftest import FIXTURES

SITE = FIXTURES / "site"


def render(name: str) -> bytes:
    return (SITE / name).read_text("utf-8").replace("{{SITE}}", "http://h.test").encode()


def test_rss_items_with_their_dates():
    found = parse_discovery(render("rss.xml"))
    assert found is not None and found.kind == "feed"
    assert [(f.url, f.date) for f in found.entries()] == [
        ("http://h.test/web23/news/zxbd/202311/t20231108_28211543.shtml", "2023-11-08"),
        ("http://h.test/web22/news/zxbd/202211/t20221110_25811329.shtml", "2022-11-10"),
    ]


def test_atom_entries_use_their_alternate_link():
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <entry><link rel="self" href="http://h.test/self"/>
             <link rel="alternate" href="http://h.test/a.html"/>
             <updated>2025-12-01T08:00:00+08:00</updated></entry></feed>"""
    found = parse_discovery(atom)
    assert found is not None
    assert [(f.url, f.date) for f in found.entries()] == [("http://h.test/a.html", "2025-12-01")]


def test_sitemaps_plain_indexed_and_gzipped():
    index = parse_discovery(render("sitemap_index.xml"))
    assert index is not None and index.kind == "sitemapindex"
    assert [f.url for f in index.entries()] == ["http://h.test/sitemap-cn.xml"]
    urlset = parse_discovery(gzip.compress(render("sitemap_cn.xml")))
    assert urlset is not None and urlset.kind == "sitemap"
    assert [f.date for f in urlset.entries()] == ["2024-05-20", "2024-07-12", "2025-12-08"]


def test_html_and_entity_bombs_are_not_discovery_documents():
    assert parse_discovery((FIXTURES / "saved/html/cd_panda_cubs.html").read_bytes()) is None
    laughs = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
      <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
      <rss><channel><item><link>http://h.test/&lol3;</link></item></channel></rss>"""
    found = parse_discovery(laughs)
    assert found is None or all(len(f.url) < 100 for f in found.entries())


@settings(deadline=None)
@given(st.binary(max_size=2048), st.sampled_from([b"", b"\x1f\x8b", b"<?xml version='1.0'?><rss>"]))
def test_any_bytes_give_a_discovery_or_none_never_an_error(data, prefix):
    found = parse_discovery(prefix + data)
    assert found is None or found.kind in ("feed", "sitemap", "sitemapindex")
    assert found is None or all(f.url.startswith("http") for f in found.entries())


def big_sitemap(n: int) -> bytes:
    entries = "".join(f"<url><loc>http://h.test/{i}.html</loc></url>" for i in range(n))
    return f'<?xml version="1.0"?><urlset xmlns="{NS}">{entries}</urlset>'.encode()


NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def test_entries_are_read_lazily_so_a_reader_can_stop_early():
    # 128 MB once inflated: reading three entries must touch only the start of it.
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    body = squeeze.compress(f'<?xml version="1.0"?><urlset xmlns="{NS}">'.encode())
    megabyte = b"<url><loc>http://h.test/a.html</loc></url>" * 25_000
    body += b"".join(squeeze.compress(megabyte) for _ in range(128)) + squeeze.flush()
    found = parse_discovery(body, limit=1024**3)
    assert found is not None and found.kind == "sitemap"
    first = list(itertools.islice(found.entries(), 3))
    assert [f.url for f in first] == ["http://h.test/a.html"] * 3


def test_a_gzipped_document_is_capped_once_inflated_after_its_first_entries():
    found = parse_discovery(gzip.compress(big_sitemap(20_000)), limit=100_000, url="http://h/s.gz")
    assert found is not None
    read: list[str] = []
    with pytest.raises(FetchError, match=r"http://h/s\.gz: .*100,000-byte limit once decompressed"):
        read.extend(f.url for f in found.entries())
    assert 1000 < len(read) < 20_000 and read[0] == "http://h.test/0.html"


def test_a_plain_document_gives_every_entry_in_order():
    found = parse_discovery(big_sitemap(5_000))
    assert found is not None
    assert [f.url for f in found.entries()] == [f"http://h.test/{i}.html" for i in range(5_000)]
