"""What a site profile declares: how to recognise the site and where its parts are."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from extractors.lookup import Element, PageLookup

__all__ = ["Element", "SiteProfile"]


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
