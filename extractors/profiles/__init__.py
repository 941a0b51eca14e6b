"""Site profiles, and picking the one a page belongs to.

``PROFILES`` is the one list of the sites wic-etl knows: the crawler's allowed hosts,
the command's help and the Datasette descriptions are all derived from it, so a new
site is one profile file and one line here.
"""

from __future__ import annotations

from core.errors import ExtractError
from core.records import Document
from core.urls import host_of, split_http
from extractors.lookup import PageLookup
from extractors.profiles import (
    chinadaily,
    chinadaily_2000s,
    chinadaily_legacy,
    cn_chinadaily,
    wicwuzhen,
)
from extractors.profiles.base import SiteProfile

# WIC first: its pages also name China Daily (which built the site), not the reverse;
# the Chinese subdomains before www; the older English layouts, whose checks are
# narrow, before the 2017+ one, whose check accepts a page with a part missing.
PROFILES: tuple[SiteProfile, ...] = (
    wicwuzhen.PROFILE,
    cn_chinadaily.PROFILE,
    chinadaily_legacy.PROFILE,
    chinadaily_2000s.PROFILE,
    chinadaily.PROFILE,
)


def site_hosts() -> dict[str, tuple[str, ...]]:
    """Each known site (as recorded in ``articles.site``) and the host families it
    serves (each with its subdomains), in the order of ``PROFILES``."""
    sites: dict[str, tuple[str, ...]] = {}
    for profile in PROFILES:
        known = sites.get(profile.site, ())
        sites[profile.site] = known + tuple(h for h in profile.hosts if h not in known)
    return sites


def host_families() -> tuple[str, ...]:
    """Every host family of the known sites: where a crawl may go without --allow-host."""
    return tuple(host for hosts in site_hosts().values() for host in hosts)


def is_article_address(url: str) -> bool:
    """Whether ``url`` has the form of an article address of its site (the profiles'
    ``article_paths``; every profile's for a host none owns). A home, section or listing
    page's address has not."""
    parts = split_http(url)
    if parts is None:
        return False
    host = parts.hostname or ""
    profiles = [p for p in PROFILES if p.owns_host(host)] or PROFILES
    return any(pattern.search(parts.path) for p in profiles for pattern in p.article_paths)


def pick_profile(document: Document, lookup: PageLookup | None = None) -> SiteProfile | None:
    """The page's site profile; None for an HTML page of another site (generic extraction).

    ``lookup`` is the parsed page of an HTML save (None for a text save): its layout
    decides between the profiles of one host, and the extraction reuses its lookups.
    """
    host = host_of(document.url)

    def fits(profile: SiteProfile) -> bool:
        if document.format not in profile.formats:
            return False
        return lookup is None or profile.fits_layout(lookup)

    if host:
        for profile in PROFILES:
            if profile.owns_host(host) and fits(profile):
                return profile
    for profile in PROFILES:
        if any(marker in document.text for marker in profile.markers) and fits(profile):
            return profile
    if lookup is not None:
        return None
    known = ", ".join(p.site for p in PROFILES)
    raise ExtractError(
        f"unknown layout: this text save matches none of the site profiles ({known}) "
        "and text saves of other sites cannot be extracted; save the page as HTML instead"
    )
