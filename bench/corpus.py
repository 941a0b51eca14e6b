"""A corpus of realistic saved pages for the speed benchmark, built from the fixture layouts.

Each page is 40-200 KB like the real ones: a head full of scripts and styles,
a site menu of a few hundred links, a sidebar, the article, and the footer;
text varies from page to page so no two pages (or bodies) are alike.
"""

from __future__ import annotations

import random
from pathlib import Path

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


def page(n: int, rng: random.Random) -> tuple[str, str]:
    """(file name, HTML) of page ``n``: a chinadaily.com.cn 2017+ article or a WIC article."""
    target = rng.randint(40_000, 200_000)
    title = f"{_sentence(rng)[:70].rstrip('.')} ({n})"
    paragraphs = [_paragraph(rng) for _ in range(rng.randint(6, 18))]
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    menu = "".join(f'<li><a href="/section/{i}">{rng.choice(_WORDS).title()}</a></li>'
                   for i in range(rng.randint(150, 300)))  # fmt: skip
    sidebar = "".join(f'<li><a href="/a/{n}/{i}.html">{_sentence(rng)[:60]}</a></li>'
                      for i in range(40))  # fmt: skip
    if n % 2:
        url = f"https://www.chinadaily.com.cn/a/202501/{n % 28 + 1:02d}/WS{n:024x}.html"
        article = f"""<div class="da-bre"><a href="/">Home</a> / <a href="/china">China</a> / Society</div>
<div class="lft_art"><h1>{title}</h1>
<div class="info"><span class="info_l">By Li Wen | China Daily | Updated: 2025-01-{n % 28 + 1:02d} 10:{n % 60:02d}</span></div>
<div id="Content">{body}</div><div id="div_currpage"></div></div>"""
        footer = """<div class="lo-a"><p>Copyright 1995 - <script>document.write(2025)</script> . All rights reserved. The content (including but not limited to text, photo, multimedia information, etc) published in this site belongs to China Daily Information Co (CDIC). Without written authorization from CDIC, such content shall not be republished or used in any form.</p><p>Registration Number: 130349</p></div>"""
    else:
        url = f"http://www.wicwuzhen.cn/web25/news/zxbd/202501/t20250101_{n:08d}.shtml"
        article = f"""<div class="crumbs"><a href="/">Home</a> &gt; News</div>
<div class="article-title"><h1>{title}</h1></div>
<div class="article-info">chinadaily.com.cn Updated: 2025-01-{n % 28 + 1:02d} 09:{n % 60:02d}</div>
<div id="Content">{body}</div>"""
        footer = """<div class="footer"><ul class="organizers"><li>Cyberspace Administration of China</li><li>People's Government of Zhejiang Province</li><li>International Telecommunication Union</li></ul><p>Email: service@wicwuzhen.cn</p><p>Copyright © World Internet Conference. All rights Reserved</p><p>Presented by China Daily. 京ICP备13028878号-23</p></div>"""
    head = f"<!DOCTYPE html>\n<!-- saved from url=({len(url):04d}){url} -->\n<html><head><meta charset='utf-8'><title>{title}</title>"
    html = f"""{head}<style>{_STYLE * 20}</style></head><body>
<div class="header"><ul class="nav">{menu}</ul></div>
<div class="main">{article}<div class="sidebar"><h3>Most popular</h3><ul>{sidebar}</ul></div></div>
{footer}
</body></html>"""
    filler = max(0, target - len(html.encode()))
    scripts = f"<script>{_SCRIPT * (filler // len(_SCRIPT) + 1)}</script>"
    html = html.replace("</head>", scripts + "</head>", 1)
    return f"page_{n:06d}.html", html


def build(folder: Path, count: int, seed: int = 2026) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for n in range(count):
        name, html = page(n, rng)
        path = folder / name
        if not path.exists():
            path.write_text(html, encoding="utf-8")
        paths.append(path)
    return paths
