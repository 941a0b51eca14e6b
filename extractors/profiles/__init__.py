"""Site profiles, and picking the one a page belongs to."""

from __future__ import annotations

from core.errors import ExtractError
from core.records import Document
from core.urls import host_of
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
