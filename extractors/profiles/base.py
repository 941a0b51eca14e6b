"""What a site profile declares: how to recognise the site and where its parts are."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from extractors.lookup import Element, PageLookup

__all__ = [
    "CHINADAILY_ARTICLE_PATHS",
    "CHINESE_NOT_FOUND",
    "CONTENT_ARTICLE_PATHS",
    "ENGLISH_NOT_FOUND",
    "Element",
    "SiteProfile",
]

# Article addresses of China Daily's CMS (and of WIC pages it built): 2017 onward
# ``/a/201901/11/WS5c37cfaea3106c65c34e3c9e.html`` (``_2.html`` for page 2), and
# before that ``/china/2015-12/08/content_22654312.htm``.
CHINADAILY_ARTICLE_PATHS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^/a/\d{6}/\d{2}/WS[0-9a-f]{24}(?:_\d{1,3})?\.html$", re.I),
)
CONTENT_ARTICLE_PATHS: tuple[re.Pattern[str], ...] = (
    re.compile(r"/\d{4}-\d{2}/\d{2}/content_\d+(?:_\d{1,3})?\.html?$", re.I),
)
# The title of a "page not found" page (matched against <title>, og:title, the first
# headings and, on a page with no article body, its text lines). No real such page of
# either site was found to check these against: they are what such pages commonly say,
# anchored so that an article's title cannot match by a word in passing. Each pattern
# runs on one line of untrusted text and matches it one way only.
# "404", "Error 404", "404 Not Found - Chinadaily.com.cn"; not "404 students graduate".
_NOT_FOUND_404 = re.compile(
    r"^\W*(?:error\W*)?404(?:\s*(?:error|(?:page\s+)?not\s+found))?\W*(?:[-|_].*)?$", re.I
)
ENGLISH_NOT_FOUND: tuple[re.Pattern[str], ...] = (
    _NOT_FOUND_404,
    re.compile(r"^\W*(?:error\W*)?(?:page\s+)?not\s+found\W*(?:[-|_].*)?$", re.I),
    re.compile(
        r"^\W*(?:we\W*re\s+|we\s+are\s+)?sorry\b.{0,60}?\bpage\b.{0,60}?"
        r"\b(?:not\s+(?:be\s+)?found|does\s*n[o']t\s+exist|no\s+longer\s+(?:exists?|available)"
        r"|(?:can\s*not|could\s+not|cannot)\s+be\s+found|has\s+been\s+(?:removed|deleted))",
        re.I,
    ),
    re.compile(r"\bpage\s+not\s+found\W*(?:-.*)?$", re.I),
)
CHINESE_NOT_FOUND: tuple[re.Pattern[str], ...] = (
    _NOT_FOUND_404,
    re.compile(r"(?:页面|网页|文章|稿件|内容)(?:已被?删除|已下线|不存在|未找到|找不到)"),
    re.compile(r"(?:找不到|未找到|无法找到)(?:该|您要的|你要的|您访问的|你访问的)?(?:页面|网页)"),
)


@dataclass(frozen=True)
class SiteProfile:
    name: str
    version: int
    site: str  # host family recorded in articles.site
    hosts: tuple[str, ...]  # host suffixes that belong to the site
    markers: tuple[str, ...]  # text that gives the site away when no URL is known
    # Save formats the profile reads: a layout known only from HTML pages has no text rules.
    formats: tuple[str, ...] = ("text", "html")
    # Hosts under ``hosts`` that another profile of the same site serves.
    excluded_hosts: tuple[str, ...] = ()
    # HTML: CSS selectors of which one must match the parsed page for this layout to be
    # the page's (several layouts share a host); none: any page of the host.
    layout: tuple[str, ...] = ()
    # HTML saves: CSS selectors, first match wins.
    title: tuple[str, ...] = ("h1",)
    info: tuple[str, ...] = ()
    info_joined: bool = False  # the byline is spread over every element ``info`` matches
    body: tuple[str, ...] = ()
    breadcrumb: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()
    organizer_items: tuple[str, ...] = ()
    editor: tuple[str, ...] = ()  # an editor line outside the body container
    pagination: tuple[str, ...] = ("#div_currpage",)  # links to _2.html, _3.html ...
    # The publication day in the site's article addresses (year, month, day groups), for
    # a page whose byline gives none.
    url_dates: tuple[re.Pattern[str], ...] = ()
    # The CMS writes its editor into <meta name="author">: never an author, at most an editor.
    meta_author_is_editor: bool = False
    # For layouts whose body is not an element of its own: builds one from the raw tree
    # (comments still in it) and returns it; None to fall back to ``body``.
    locate_body: Callable[[Element], Element | None] | None = None
    # Both formats: the run of short lines just above the footer's boilerplate is
    # the site's organizer list ("organizers") or its footer menu ("navigation").
    footer_block: str = "navigation"
    # Lines inside the article area that are site furniture, not text.
    navigation: tuple[re.Pattern[str], ...] = field(default=())
    # Paths of the site's article addresses: any other address of its hosts is a home,
    # section or listing page (an article address redirected there was taken down).
    article_paths: tuple[re.Pattern[str], ...] = ()
    # The site's "page not found" page served with HTTP 200 (a soft 404): patterns of its
    # title and message (see ``extractors/notfound.py``).
    not_found: tuple[re.Pattern[str], ...] = ()

    @property
    def extractor(self) -> str:
        return f"{self.name}/{self.version}"

    def fits_layout(self, lookup: PageLookup) -> bool:
        """Does the parsed page (``lookup.root``) have this layout?"""
        return not self.layout or any(lookup.all(css) for css in self.layout)

    def owns_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        if host in self.excluded_hosts:
            return False
        return any(host == h or host.endswith("." + h) for h in self.hosts)
