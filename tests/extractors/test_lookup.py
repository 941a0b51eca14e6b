"""The fast selectors and the remembered lookups find exactly what cssselect finds."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from lxml.cssselect import CSSSelector

from extractors.lookup import PageLookup, fast_path, selector
from extractors.profiles import PROFILES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PAGES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".html", ".htm", ".shtml"))
SELECTORS = sorted(
    {css for p in PROFILES for field in ("layout", "title", "info", "body", "breadcrumb",
                                         "footer", "organizer_items", "editor", "pagination")
     for css in getattr(p, field)}
)  # fmt: skip


def test_lone_id_and_class_tests_become_attribute_walks():
    assert fast_path(CSSSelector("#Content").path) == "descendant-or-self::*/@id[. = 'Content']/.."
    assert fast_path(CSSSelector("div.lo-a > h1").path) == (
        "descendant-or-self::div/@class[contains(concat(' ', normalize-space(.), ' '), "
        "' lo-a ')]/../h1"
    )
    # Two conditions on one step: left as cssselect wrote it.
    negated = CSSSelector(".breadcrumb:not(#bread-nav1)").path
    assert fast_path(negated) == negated


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_profile_selector_finds_what_cssselect_finds(page):
    root = lxml.html.document_fromstring(page.read_bytes())
    for css in SELECTORS:
        assert selector(css)(root) == CSSSelector(css)(root), css


def test_tricky_attributes_match_as_cssselect_has_them():
    html = """<html><body>
      <div class="x lft_art"><h1>a</h1></div><div class=" lft_art\tx\n"><h1>b</h1></div>
      <div class="lft_artx"><h1>no</h1></div><div id="Content "><p>no</p></div>
      <div id="Content"><div id="Content"><p>nested</p></div></div><p class="">e</p>
    </body></html>"""
    root = lxml.html.document_fromstring(html)
    for css in (".lft_art > h1", "#Content", "#Content p", ".lft_art", "div#Content > div"):
        assert selector(css)(root) == CSSSelector(css)(root), css
    assert [h.text for h in selector(".lft_art > h1")(root)] == ["a", "b"]


def test_remembered_lookups_leave_out_what_was_dropped_and_keep_the_order():
    root = lxml.html.document_fromstring(
        "<html><body><p class='a'>1</p><div><p class='a'>2</p></div><p class='a'>3</p></body>"
        "</html>"
    )
    lookup = PageLookup(root)
    assert [p.text for p in lookup.all(".a")] == ["1", "2", "3"]
    root.find(".//div").drop_tree()
    assert [p.text for p in lookup.all(".a")] == ["1", "3"]
    assert lookup.first(("#none", ".a")).text == "1"
    lookup.all(".a")[0].drop_tree()
    assert lookup.first((".a",)).text == "3"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_profile_selector_through_a_page_lookup_finds_what_cssselect_finds(page):
    root = lxml.html.document_fromstring(page.read_bytes())
    lookup = PageLookup(root)
    for css in SELECTORS:
        assert lookup.all(css) == CSSSelector(css)(root), css


def test_ids_collected_before_a_drop_leave_out_what_was_dropped():
    root = lxml.html.document_fromstring(
        "<html><body><noscript><div id='Content'>0</div></noscript><p id='a'>1</p>"
        "<div><p id='Content'>2</p></div><p id='Content'>3</p><a name='x'>4</a></body></html>"
    )
    lookup = PageLookup(root)
    assert [p.text for p in lookup.all("#a")] == ["1"]  # every id is collected here
    assert lookup.all("#x") == []  # an <a name> is no id, though libxml2's id() says so
    root.find(".//noscript").drop_tree()
    assert [p.text for p in lookup.all("#Content")] == ["2", "3"]
    root.find(".//div").drop_tree()
    assert [p.text for p in lookup.all("#Content")] == ["3"]
    assert lookup.all("#Content") == CSSSelector("#Content")(root)


def test_a_page_lookup_runs_a_selector_from_its_first_step_as_cssselect_would():
    html = """<html><body>
      <div class="x lft_art"><h1>a</h1><div class="lft_art"><h1>n</h1></div></div>
      <div class=" lft_art\tx\n"><h1>b</h1></div><p class="lft_art"><b>p</b></p>
      <div class="lft_artx"><h1>no</h1></div><td id="Content"><span class="v">s</span></td>
      <div class="lft_art\u00a0y"><h1>nbsp</h1></div><span class="one"><h1>c</h1></span>
    </body></html>"""
    root = lxml.html.document_fromstring(html)
    for css in (".lft_art > h1", ".lft_art h1", "div.lft_art", "p.lft_art b", ".one h1",
                "td#Content span.v", "div#Content span.v", ".lft_art", ".none h1",
                "#Content span.v, .one h1", ".none h1, .lft_art > h1"):  # fmt: skip
        assert PageLookup(root).all(css) == CSSSelector(css)(root), css
