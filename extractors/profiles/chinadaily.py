"""chinadaily.com.cn article pages (the 2017+ layout), articles and photo stories.

Articles: title ``.lft_art h1``; photo stories: title ``div.ce_art h1``, body
``div.picshow #Content`` (their only ``.lft_art`` is an ad column). Byline
``span.info_l`` (``By NAME | China Daily | Updated: 2024-05-13 09:08``), figures
with ``figcaption`` in ``#Content``, breadcrumb ``span#bread-nav`` (``Home / China /
Society``; the mobile ``ol.breadcrumb#bread-nav1`` has no separators), the address
only in ``og:url``, the editor only in ``<meta name="editor">``; ``<meta
name="author">`` is that editor too, not the byline. Footer ``div.lo-a``.
"""

from __future__ import annotations

import re

from extractors.profiles.base import CHINADAILY_ARTICLE_PATHS, ENGLISH_NOT_FOUND, SiteProfile

PROFILE = SiteProfile(
    name="chinadaily",
    version=3,
    site="chinadaily.com.cn",
    hosts=("chinadaily.com.cn",),
    markers=("China Daily Information Co", "Registration Number: 130349"),
    # Any one of them: a page missing one part is still this layout, and degrades.
    layout=(".lft_art > h1", ".ce_art h1", "span.info_l", "#bread-nav", ".lft_art #Content"),
    title=(".lft_art > h1", ".ce_art h1", "h1"),
    info=(".info_l", ".info"),
    body=(".picshow #Content", "#Content", ".article"),
    breadcrumb=("#bread-nav", ".da-bre", ".breadcrumb:not(#bread-nav1)"),
    footer=("div.lo-a", ".footer"),
    url_dates=(re.compile(r"^/a/(\d{4})(\d{2})/(\d{2})/"),),
    meta_author_is_editor=True,
    footer_block="navigation",
    navigation=(
        re.compile(r"^(?:Share|Share\s*-\s*\w+|Print|Mail|Large\s*Medium\s*Small)$", re.I),
        re.compile(r"^\[?\s*Editor\s*:\s*[^\]]+\]?$", re.I),
    ),
    article_paths=CHINADAILY_ARTICLE_PATHS,
    not_found=ENGLISH_NOT_FOUND,
)
