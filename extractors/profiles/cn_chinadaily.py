"""cn.chinadaily.com.cn (中国日报网) Chinese article pages.

Title in ``h1.dabiaoti``, source and time in ``.xinf-le`` (``来源：中国日报网
2019-01-11 10:41``), paragraphs in ``#Content``, the editor line (``责任编辑：``)
in ``.bianji`` under the body, and a footer of copyright statements and
licence numbers.
"""

from __future__ import annotations

import re

from extractors.profiles.base import SiteProfile

PROFILE = SiteProfile(
    name="cn-chinadaily",
    version=1,
    site="chinadaily.com.cn",
    hosts=("cn.chinadaily.com.cn",),
    markers=("中国日报网版权说明", "版权属中国日报网"),
    title=("h1.dabiaoti", "h1"),
    info=(".xinf-le", ".fenx", ".info"),
    body=("#Content",),
    breadcrumb=(".da-bre", ".weizhi"),
    footer=(".footer", "#footer"),
    editor=(".bianji", ".editor"),
    footer_block="navigation",
    navigation=(re.compile(r"^(?:分享到|分享)[:：]?$"),),
)
