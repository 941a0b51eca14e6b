"""A corpus of realistic saved pages for the speed benchmark, built from the fixture layouts.

Each page is 40-200 KB like the real ones: a head full of scripts and styles,
a site menu of a few hundred links, a sidebar, the article, and the footer;
the article's text varies from page to page so no two pages (or bodies) are alike.

What is around the article is what a site prints on every page, as on the real
ones. The China Daily pages are real China Daily pages (fixtures/real/, two
English articles of the 2017+ layout) with their title, date, address and body
replaced; no real page of the WIC site is known (docs/profiles.md), so its pages
keep a written layout, with a menu the same on every page and a "most popular"
list the same on every page of a day. A page whose menu and sidebar were drawn
at random for it alone, in a shell of one repeated script line, would have
around its article about 2.6 KB of gzip where the real pages have 10-13 KB: no
store could share with other pages what they never share.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path

import lxml.html

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
# Real China Daily pages (English, 2017+ layout) that dress the corpus's China Daily
# pages: (file, its address, its title as printed in <title> and the meta tags).
_SHELLS = (
    (
        "en_2024_article_magichtml.html",
        "https://www.chinadaily.com.cn/a/202405/13/WS664167f4a31082fc043c6af7.html",
        "Youngsters becoming more fitness-conscious",
    ),
    (
        "en_2025_article_wcxb.html",
        "https://www.chinadaily.com.cn/a/202512/20/WS6945ede4a310d6866eb2f9ad.html",
        "New optical chip can help advance generative AI",
    ),
)
VERSION = 2  # of what build() writes: a folder built by another version is rebuilt

_WORDS = [
    "the",
    "internet",
    "conference",
    "wuzhen",
    "digital",
    "economy",
    "platform",
    "users",
    "data",
    "rules",
    "trade",
    "small",
    "firms",
    "village",
    "online",
    "payment",
    "sensors",
    "drones",
    "farmers",
    "students",
    "engineers",
    "officials",
    "province",
    "city",
    "network",
    "security",
    "cloud",
    "services",
    "exhibition",
    "forum",
    "companies",
    "rail",
    "battery",
    "robots",
    "library",
    "museum",
    "visitors",
    "summit",
    "cooperation",
    "technology",
    "research",
    "market",
    "exports",
    "growth",
    "policy",
]
_SCRIPT = "function track(a,b){var c=document.createElement('img');c.src='/t?'+a+'='+b;}\n"
_STYLE = ".nav li{float:left;margin:0 6px}.sidebar h3{font-size:14px}#Content p{margin:1em 0}\n"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(12, 28))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


@cache
def _menu(site: str) -> str:
    """A site's menu: the same on every page of the site."""
    rng = random.Random(f"menu {site}")
    return "".join(f'<li><a href="/section/{i}">{rng.choice(_WORDS).title()}</a></li>'
                   for i in range(rng.randint(150, 300)))  # fmt: skip


@cache
def _popular(site: str, day: int) -> list[str]:
    """The day's most read headlines of a site, which its pages of that day list."""
    rng = random.Random(f"popular {site} {day}")
    return [_sentence(rng)[:60] for _ in range(60)]


def _real_shell(n: int, url: str, title: str, info: str, paragraphs: list[str]) -> str:
    """A real China Daily page with this article's title, date line, address and body."""
    name, real_url, real_title = _SHELLS[(n // 2) % len(_SHELLS)]
    text = (REAL / name).read_text(encoding="utf-8")
    text = text.replace(real_url, url).replace(real_title, title)
    tree = lxml.html.document_fromstring(text)
    (content,) = tree.cssselect("#Content")
    for child in list(content):
        content.remove(child)
    content.text = "\n"
    for paragraph in paragraphs:
        element = lxml.html.Element("p")
        element.text = paragraph
        element.tail = "\n"
        content.append(element)
    for line in tree.cssselect(".info_l"):
        for child in list(line):
            line.remove(child)
        line.text = info
    for meta in tree.cssselect('meta[name="publishdate"]'):
        meta.set("content", info.rsplit(" ", 2)[-2])
    html = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    return html.replace("<head>", f"<!-- saved from url=({len(url):04d}){url} -->\n<head>", 1)


def page(n: int, rng: random.Random) -> tuple[str, str]:
    """(file name, HTML) of page ``n``: a chinadaily.com.cn 2017+ article or a WIC article."""
    target = rng.randint(40_000, 200_000)
    title = f"{_sentence(rng)[:70].rstrip('.')} ({n})"
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(6, 18))]
    day = n % 28 + 1
    if n % 2:
        url = f"https://www.chinadaily.com.cn/a/202501/{day:02d}/WS{n:024x}.html"
        info = f"By Li Wen | China Daily | Updated: 2025-01-{day:02d} 10:{n % 60:02d}"
        html = _real_shell(n, url, title, info, paragraphs)
    else:
        html = _written_wic_page(n, title, paragraphs, day)
    filler = max(0, target - len(html.encode()))
    scripts = f"<script>{_SCRIPT * (filler // len(_SCRIPT) + 1)}</script>"
    html = html.replace("</head>", scripts + "</head>", 1)
    return f"page_{n:06d}.html", html


def _written_wic_page(n: int, title: str, paragraphs: list[str], day: int) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    url = f"http://www.wicwuzhen.cn/web25/news/zxbd/202501/t20250101_{n:08d}.shtml"
    popular = _popular("wicwuzhen.cn", day)
    sidebar = "".join(f'<li><a href="/a/{day}/{i}.html">{line}</a></li>'
                      for i, line in enumerate(popular[:40]))  # fmt: skip
    article = f"""<div class="crumbs"><a href="/">Home</a> &gt; News</div>
<div class="article-title"><h1>{title}</h1></div>
<div class="article-info">chinadaily.com.cn Updated: 2025-01-{day:02d} 09:{n % 60:02d}</div>
<div id="Content">{body}</div>"""
    footer = """<div class="footer"><ul class="organizers"><li>Cyberspace Administration of China</li><li>People's Government of Zhejiang Province</li><li>International Telecommunication Union</li></ul><p>Email: service@wicwuzhen.cn</p><p>Copyright © World Internet Conference. All rights Reserved</p><p>Presented by China Daily. 京ICP备13028878号-23</p></div>"""
    head = f"<!DOCTYPE html>\n<!-- saved from url=({len(url):04d}){url} -->\n<html><head><meta charset='utf-8'><title>{title}</title>"
    return f"""{head}<style>{_STYLE * 20}</style></head><body>
<div class="header"><ul class="nav">{_menu("wicwuzhen.cn")}</ul></div>
<div class="main">{article}<div class="sidebar"><h3>Most popular</h3><ul>{sidebar}</ul></div></div>
{footer}
</body></html>"""


def build(folder: Path, count: int, seed: int = 2026) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".corpus-version"
    if not marker.exists() or marker.read_text() != str(VERSION):
        for stale in folder.glob("page_*.html"):
            stale.unlink()
        marker.write_text(str(VERSION))
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        name, html = page(n, rng)
        path = folder / name
        if not path.exists():
            path.write_text(html, encoding="utf-8")
        paths.append(path)
    return paths
