"""Site profiles, and picking the one a page belongs to."""

from __future__ import annotations

from urllib.parse import urlsplit

from extractors.profiles import chinadaily, wicwuzhen
from extractors.profiles.base import SiteProfile
from extractors.records import Document
from wic_etl.errors import ExtractError

# WIC first: its pages also name China Daily (which built the site), not the reverse.
PROFILES: tuple[SiteProfile, ...] = (wicwuzhen.PROFILE, chinadaily.PROFILE)
RULESET = "+".join(p.extractor for p in PROFILES)


def pick_profile(document: Document) -> SiteProfile:
    host = urlsplit(document.url).hostname if document.url else None
    if host:
        for profile in PROFILES:
            if profile.owns_host(host):
                return profile
    for profile in PROFILES:
        if any(marker in document.text for marker in profile.markers):
            return profile
    known = ", ".join(p.site for p in PROFILES)
    where = f"its address ({host})" if host else "it has no saved-from address, and its text"
    raise ExtractError(
        f"unknown layout: {where} matches none of the site profiles ({known}); "
        "only pages from those sites can be extracted"
    )
