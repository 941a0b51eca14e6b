"""Site profiles, and picking the one a page belongs to."""

from __future__ import annotations

from extractors.profiles import chinadaily, chinadaily_legacy, cn_chinadaily, wicwuzhen
from extractors.profiles.base import SiteProfile
from extractors.records import Document
from extractors.urls import host_of
from wic_etl.errors import ExtractError

# WIC first: its pages also name China Daily (which built the site), not the reverse;
# cn.chinadaily.com.cn before chinadaily.com.cn, whose host suffix it shares.
PROFILES: tuple[SiteProfile, ...] = (
    wicwuzhen.PROFILE,
    cn_chinadaily.PROFILE,
    chinadaily.PROFILE,
    chinadaily_legacy.PROFILE,
)


def pick_profile(document: Document) -> SiteProfile | None:
    """The page's site profile; None for an HTML page of another site (generic extraction)."""
    host = host_of(document.url)
    is_html = document.format == "html"
    if host:
        for profile in PROFILES:
            if profile.owns_host(host) and (not is_html or profile.fits_layout(document.text)):
                return profile
    for profile in PROFILES:
        if any(marker in document.text for marker in profile.markers) and (
            not is_html or profile.fits_layout(document.text)
        ):
            return profile
    if is_html:
        return None
    known = ", ".join(p.site for p in PROFILES)
    raise ExtractError(
        f"unknown layout: this text save matches none of the site profiles ({known}) "
        "and text saves of other sites cannot be extracted; save the page as HTML instead"
    )
