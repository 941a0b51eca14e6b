"""Chinese China Daily pages (cn., china. and the other subdomains but www; 中国日报网).

Title in ``h1.dabiaoti`` (a hidden share block earlier on the page has another
``h1``), source and time in the two ``.fenx .xinf-le`` blocks (``来源：`` with a
logo link and the source link; then ``2023-11-17 15:13``), paragraphs in
``#Content``, editor lines ``（编辑：…）`` and ``【责任编辑：…】`` at the end of
``#Content`` (or ``.bianji`` under it), breadcrumb ``.da-bre`` (``评论 > 海外观察``).
``<meta name="author">`` repeats the 责任编辑.
"""

from __future__ import annotations

import re

from extractors.profiles.base import (
    CHINADAILY_ARTICLE_PATHS,
    CHINESE_NOT_FOUND,
    CONTENT_ARTICLE_PATHS,
    SiteProfile,
)

PROFILE = SiteProfile(
    name="cn-chinadaily",
    version=3,
    site="chinadaily.com.cn",
    hosts=("chinadaily.com.cn",),
    excluded_hosts=("chinadaily.com.cn", "www.chinadaily.com.cn"),
    markers=("中国日报网版权说明", "版权属中国日报网"),
    layout=("h1.dabiaoti", ".xinf-le"),
    title=("h1.dabiaoti", "h1"),
    info=(".fenx .xinf-le", ".xinf-le", ".info"),
    info_joined=True,
    body=("#Content",),
    breadcrumb=(".da-bre", ".weizhi"),
    footer=(".footer", "#footer"),
    editor=(".bianji", ".editor"),
    url_dates=(re.compile(r"^/a/(\d{4})(\d{2})/(\d{2})/"),),
    meta_author_is_editor=True,
    footer_block="navigation",
    navigation=(re.compile(r"^(?:分享到|分享)[:：]?$"),),
    article_paths=(*CHINADAILY_ARTICLE_PATHS, *CONTENT_ARTICLE_PATHS),
    not_found=CHINESE_NOT_FOUND,
)
