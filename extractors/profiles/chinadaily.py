"""chinadaily.com.cn article pages (the 2017+ layout).

Title in ``.lft_art h1``, byline in ``.info_l`` (``By NAME | chinadaily.com.cn |
Updated: 2025-12-08 10:04``), paragraphs and ``figure``/``figcaption`` in
``#Content``, footer ``div.lo-a`` with the CDIC copyright and licence numbers.
"""

from __future__ import annotations

import re

from extractors.profiles.base import SiteProfile

PROFILE = SiteProfile(
    name="chinadaily",
    version=1,
    site="chinadaily.com.cn",
    hosts=("chinadaily.com.cn",),
    markers=("China Daily Information Co", "Registration Number: 130349"),
    signatures=('class="lft_art"',),
    title=(".lft_art h1", "h1"),
    info=(".info_l", ".info"),
    body=("#Content", ".article"),
    breadcrumb=(".da-bre", ".breadcrumb"),
    footer=("div.lo-a", ".footer"),
    footer_block="navigation",
    navigation=(
        re.compile(r"^(?:Share|Share\s*-\s*\w+|Print|Mail|Large\s*Medium\s*Small)$", re.I),
        re.compile(r"^\[?\s*Editor\s*:\s*[^\]]+\]?$", re.I),
    ),
)
