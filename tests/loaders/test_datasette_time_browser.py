"""Browsing by time, and pages that fit a phone, in headless Chromium as laid out.

The articles page of a database of the fixtures: its timeline of articles per month
(the bars drawn, their heights the month counts, a bar's link filtering the table),
its date range (with a search), its year facet newest first; facet values broken only
between words; an article page at 375 px wide with nothing wider than the screen.
The removed_by_kind query offering the kinds. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest

from tests.loaders import test_datasette_browser as browsing
from tests.loaders.browser import Browser

pytestmark = pytest.mark.slow  # a browser and a server: seconds each
SCREENSHOTS = browsing.SCREENSHOTS
served = browsing.served  # the database of the fixtures, served: one per module

# Each bar of the chart as the browser draws it: its month, count, height and link.
BARS = """[...document.querySelectorAll('svg.wic-timeline-chart rect.wic-bar')].map(r => ({
  month: r.dataset.month, articles: +r.dataset.articles,
  height: r.getBoundingClientRect().height, link: r.closest('a').getAttribute('href')}))"""
ROWS = "[...document.querySelectorAll('table.rows-and-columns tbody tr')].length"


def month_counts(db_path: Path) -> dict[str, int]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "select substr(published, 1, 7), count(*) from articles "
            "where published glob '[0-9][0-9][0-9][0-9]-*' group by 1"
        ).fetchall()
    finally:
        conn.close()
    return dict(rows)


def test_the_timeline_draws_a_bar_per_month_each_linking_to_its_articles(served, tmp_path):
    base, db_path = served
    expected = month_counts(db_path)
    with Browser(tmp_path / "p", 1280, 1000) as browser:
        browser.open(f"{base}/articles")
        browser.screenshot(SCREENSHOTS / "timeline.png")
        bars = browser.evaluate(BARS)
        drawn = {b["month"]: b["articles"] for b in bars if b["articles"]}
        assert drawn == expected  # every month with articles, with its count
        assert [b["month"] for b in bars] == sorted(b["month"] for b in bars)
        assert len({b["month"] for b in bars}) == len(bars)  # no month twice, gaps at 0
        most = max(expected.values())
        tallest = max(b["height"] for b in bars)
        assert tallest > 50  # drawn, not a line
        for bar in bars:  # heights in proportion to the counts, empty months flat
            assert bar["height"] == pytest.approx(tallest * bar["articles"] / most, abs=1.5)
        busiest = max(expected, key=lambda m: (expected[m], m))
        link = next(b["link"] for b in bars if b["month"] == busiest)
        browser.open(urljoin(base, link))
        shown = browser.evaluate(
            "[...document.querySelectorAll('td.col-published')].map(td => td.textContent.trim())"
        )
        assert len(shown) == expected[busiest]
        assert all(p.startswith(busiest) for p in shown)
        assert browser.evaluate("document.querySelector('input[name=_from]').value") == (
            f"{busiest}-01"
        )


def test_a_date_range_filters_the_articles_and_a_search_within_it(served, tmp_path):
    base, db_path = served
    conn = sqlite3.connect(db_path)
    in_2024 = conn.execute(
        "select count(*) from articles where published >= '2024-01-01' and published < '2025-01-01'"
    ).fetchone()[0]
    last_day = conn.execute(
        "select published from articles where published like '____-__-__T%' "
        "order by published desc limit 1"
    ).fetchone()[0]
    conn.close()
    assert in_2024 >= 3  # the fixtures must give the range something to keep
    with Browser(tmp_path / "p", 1280, 1000) as browser:
        browser.open(f"{base}/articles")
        # As a reader does: type the two days into the form and send it.
        browser.evaluate(
            "window.wicOldPage = true;"
            "document.querySelector('input[name=_from]').value = '2024-01-01';"
            "document.querySelector('input[name=_to]').value = '2024-12-31';"
            "document.querySelector('form.wic-date-range').submit()"
        )
        browser.wait_for("location.search.includes('_to=2024-12-31')")
        browser.screenshot(SCREENSHOTS / "date-range.png")
        assert browser.evaluate(ROWS) == in_2024
        title = browser.evaluate("document.querySelector('h3').textContent")
        assert "published on or after 2024-01-01" in title
        assert browser.evaluate(
            "[...document.querySelectorAll('rect.wic-bar-selected')].every("
            "r => r.dataset.month.startsWith('2024'))"
        )
        # The last day is whole: an article at any time of it is within the range.
        day = last_day[:10]
        browser.open(f"{base}/articles?_from={day}&_to={day}")
        assert browser.evaluate(ROWS) >= 1
        # With a search: the hits of the range only.
        browser.open(f"{base}/articles?_search={quote('乌镇')}&_from=2015-01-01&_to=2019-12-31")
        published = browser.evaluate(
            "[...document.querySelectorAll('td.col-published')].map(td => td.textContent.trim())"
        )
        assert published and all("2015" <= p[:4] <= "2019" for p in published)
        browser.open(f"{base}/articles?_from=2024-02-30")
        assert "is not a day: write it as YYYY-MM-DD" in browser.evaluate("document.body.innerText")


def test_the_year_facet_lists_years_newest_first(served, tmp_path):
    base, _ = served
    with Browser(tmp_path / "p", 1280, 1000) as browser:
        for path in ("/articles", "/articles?language=en", "/articles_with_organizers"):
            browser.open(f"{base}{path}")
            years = browser.evaluate(
                "[...document.querySelectorAll('.facet-info[data-column=published_year] li a')]"
                ".map(a => a.textContent.trim())"
            )
            assert len(years) >= 3, path
            assert years == sorted(years, reverse=True), path
        # A date facet (Datasette's ?_facet_date=) likewise: its days newest first.
        browser.open(f"{base}/articles?_facet_date=published")
        days = browser.evaluate(
            "[...document.querySelectorAll('.facet-info[data-column=published] li a')]"
            ".map(a => a.textContent.trim())"
        )
        assert len(days) >= 10 and days == sorted(days, reverse=True)


# Each Latin word of a facet value on one line: a word split over two lines has two.
SPLIT_WORDS = """(() => {
  const split = [];
  for (const a of document.querySelectorAll('.facet-info li a')) {
    const text = a.firstChild; if (!text || text.nodeType !== 3) continue;
    const re = /[A-Za-z]+/g; let m;  // Chinese breaks between any two characters
    while ((m = re.exec(text.data))) {
      const range = document.createRange();
      range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) split.push(m[0]);
    }
  }
  return split;
})()"""


def test_facet_values_break_between_words(served, tmp_path):
    base, _ = served
    with Browser(tmp_path / "p", 1280, 1000) as browser:
        browser.open(f"{base}/articles_with_organizers")
        names = browser.evaluate(
            "[...document.querySelectorAll('.facet-info li a')].map(a => a.textContent)"
        )
        assert "Cyberspace Administration of China" in names
        assert browser.evaluate(SPLIT_WORDS) == []  # no "C" / "hina"


# Whatever reaches past the screen's right edge (the page scrolled sideways).
TOO_WIDE = """[...document.querySelectorAll('.wic-article *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => e.tagName + '.' + e.className)"""


def test_an_article_page_fits_a_phone_screen(served, tmp_path):
    base, db_path = served
    conn = sqlite3.connect(db_path)
    article_id, url = conn.execute(
        "select id, url from articles where url like 'http%' order by length(url) desc limit 1"
    ).fetchone()
    conn.close()
    assert len(url) > 60  # longer than a phone's line: the test must have one to wrap
    with Browser(tmp_path / "p", 375, 800, mobile=True) as browser:
        browser.open(f"{base}/articles/{article_id}")
        browser.screenshot(SCREENSHOTS / "article-phone.png")
        assert browser.evaluate("window.innerWidth") == 375
        link = browser.evaluate(
            "(() => { const r = document.querySelector('.wic-original a')"
            ".getBoundingClientRect(); return [r.left, r.right]; })()"
        )
        assert link[1] <= 375, f"the original page's link runs to {link[1]} px"
        assert browser.evaluate(TOO_WIDE) == []


def test_removed_by_kind_offers_the_kinds_present(served, tmp_path):
    base, db_path = served
    conn = sqlite3.connect(db_path)
    kinds = [k for (k,) in conn.execute("select distinct kind from removed_lines order by kind")]
    (icp,) = conn.execute(
        "select count(distinct text) from removed_lines where kind = 'icp'"
    ).fetchone()
    conn.close()
    assert len(kinds) >= 3 and icp >= 1
    with Browser(tmp_path / "p", 1280, 900) as browser:
        browser.open(f"{base}/removed_by_kind")
        offered = browser.evaluate(
            "[...document.querySelectorAll('.wic-kinds a')].map(a => a.textContent)"
        )
        assert offered == kinds
        browser.evaluate(
            "window.wicOldPage = true;"
            "[...document.querySelectorAll('.wic-kinds a')].find(a => a.textContent == 'icp')"
            ".click()"
        )
        browser.wait_for("location.search == '?kind=icp'")
        browser.screenshot(SCREENSHOTS / "removed-by-kind.png")
        shown = browser.evaluate(
            "[...document.querySelectorAll('td.col-kind')].map(td => td.textContent.trim())"
        )
        assert shown == ["icp"] * icp
        assert browser.evaluate("document.querySelector('.wic-kinds strong').textContent") == "icp"


def test_an_article_shows_its_subheads_as_headings(served, tmp_path):
    base, db_path = served
    conn = sqlite3.connect(db_path)
    article_id, subheads, body = conn.execute(
        "select id, subheads, body from articles where url like '%WS65571297a310d5acd876f404%'"
    ).fetchone()
    plain = conn.execute("select count(*) from articles where subheads = '[]'").fetchone()[0]
    conn.close()
    assert json.loads(subheads) == ["中美合作共赢是大势所趋", "美方应当采取更多行动"]
    assert plain >= 20  # every other article: none, said as an empty list
    with Browser(tmp_path / "p", 1280, 1200) as browser:
        browser.open(f"{base}/articles/{article_id}")
        browser.screenshot(SCREENSHOTS / "article-subheads.png")
        blocks = browser.evaluate(
            "[...document.querySelectorAll('.wic-body > *')].map(e => [e.tagName, e.textContent])"
        )
    assert [text for _, text in blocks] == body.split("\n\n")  # every paragraph, in its place
    assert [text for tag, text in blocks if tag == "H2"] == json.loads(subheads)
    assert sum(tag == "P" for tag, _ in blocks) == 9
