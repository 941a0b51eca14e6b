"""What a site profile declares: how to recognise the site and where its parts are."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteProfile:
    name: str
    version: int
    site: str  # host family recorded in articles.site
    hosts: tuple[str, ...]  # host suffixes that belong to the site
    markers: tuple[str, ...]  # text that gives the site away when no URL is known
    # HTML source text that tells this layout from another of the same host; none: any.
    signatures: tuple[str, ...] = ()
    # HTML saves: CSS selectors, first match wins.
    title: tuple[str, ...] = ("h1",)
    info: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    breadcrumb: tuple[str, ...] = ()
    footer: tuple[str, ...] = ()
    organizer_items: tuple[str, ...] = ()
    editor: tuple[str, ...] = ()  # an editor line outside the body container
    pagination: tuple[str, ...] = ("#div_currpage",)  # links to _2.html, _3.html ...
    # Both formats: the run of short lines just above the footer's boilerplate is
    # the site's organizer list ("organizers") or its footer menu ("navigation").
    footer_block: str = "navigation"
    # Lines inside the article area that are site furniture, not text.
    navigation: tuple[re.Pattern[str], ...] = field(default=())

    @property
    def extractor(self) -> str:
        return f"{self.name}/{self.version}"

    def fits_layout(self, html: str) -> bool:
        return not self.signatures or any(s in html for s in self.signatures)

    def owns_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == h or host.endswith("." + h) for h in self.hosts)
