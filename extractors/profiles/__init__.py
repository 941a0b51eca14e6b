"""Site profiles, and picking the one a page belongs to."""

from __future__ import annotations

from urllib.parse import urlsplit

from extractors.profiles import chinadaily, wicwuzhen
from extractors.profiles.base import SiteProfile
from extractors.records import Document
from wic_etl.errors import ExtractError

# WIC first: its pages also name China Daily (which built the site), not the reverse.
PROFILES: tuple[SiteProfile, ...] = (wicwuzhen.PROFILE, chinadaily.PROFILE)


def pick_profile(document: Document) -> SiteProfile | None:
    """The page's site profile; None for an HTML page of another site (generic extraction)."""
    host = urlsplit(document.url).hostname if document.url else None
    if host:
        for profile in PROFILES:
            if profile.owns_host(host):
                return profile
    for profile in PROFILES:
        if any(marker in document.text for marker in profile.markers):
            return profile
    if document.format == "html":
        return None
    known = ", ".join(p.site for p in PROFILES)
    raise ExtractError(
        f"unknown layout: this text save matches none of the site profiles ({known}) "
        "and text saves of other sites cannot be extracted; save the page as HTML instead"
    )
