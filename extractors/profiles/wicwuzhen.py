"""World Internet Conference (wicwuzhen.cn), English and Chinese pages.

Every page ends with the conference's organizers, one per line, then contact
lines, copyright and the ICP licence; the article sits between a breadcrumb
(``Home > News``) plus title and that footer.
"""

from __future__ import annotations

import re

from extractors.profiles.base import SiteProfile

PROFILE = SiteProfile(
    name="wicwuzhen",
    version=1,
    site="wicwuzhen.cn",
    hosts=("wicwuzhen.cn",),
    markers=("World Internet Conference. All rights", "@wicwuzhen.cn", "世界互联网大会 版权所有"),
    title=(".article-title h1", ".title h1", "h1"),
    info=(".article-info", ".info", ".source"),
    body=("#Content", ".article-content", ".TRS_Editor"),
    breadcrumb=(".crumbs", ".position", ".breadcrumb"),
    footer=(".footer", "#footer", "footer"),
    organizer_items=(".organizers li", ".sponsors li"),
    footer_block="organizers",
    navigation=(re.compile(r"^(?:Share|分享)(?:\s*(?:to|到))?\s*[:：]?$", re.I),),
)
