"""World Internet Conference (wicwuzhen.cn), English and Chinese pages.

Every page ends with the conference's organizers, one per line, then contact
lines, copyright and the ICP licence; the article sits between a breadcrumb
(``Home > News``) plus title and that footer.
"""

from __future__ import annotations

import re

from extractors.profiles.base import (
    CHINESE_NOT_FOUND,
    CONTENT_ARTICLE_PATHS,
    ENGLISH_NOT_FOUND,
    SiteProfile,
)

PROFILE = SiteProfile(
    name="wicwuzhen",
    version=2,
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
    article_paths=(
        # wicwuzhen.cn/web23/news/zxbd/202311/t20231108_28211543.shtml
        re.compile(r"/t\d{8}_\d+(?:_\d{1,3})?\.s?html?$"),
        *CONTENT_ARTICLE_PATHS,
    ),
    not_found=(*ENGLISH_NOT_FOUND, *CHINESE_NOT_FOUND),
)
