"""chinadaily.com.cn article pages of 2010-2016.

Title in ``#Title_e h1`` with the byline in the ``h6`` under it (``Updated:
2014-11-19 07:53 By Zhang Yan (China Daily)``), paragraphs in ``#Content``
where images are followed by their caption paragraph, pages ``_2.html``...
linked from ``#div_currpage``, CDIC copyright in ``#copyright``.
"""

from __future__ import annotations

import re

from extractors.profiles.base import SiteProfile

PROFILE = SiteProfile(
    name="chinadaily-legacy",
    version=1,
    site="chinadaily.com.cn",
    hosts=("chinadaily.com.cn",),
    markers=("China Daily Information Co",),
    signatures=('id="Title_e"',),
    title=("#Title_e h1",),
    info=("#Title_e h6", "#Title_e .arcform"),
    body=("#Content",),
    breadcrumb=("#Nav", ".da-bre"),
    footer=("#copyright", ".footer"),
    footer_block="navigation",
    navigation=(re.compile(r"^(?:Print|E-mail|Large\s*Medium\s*Small)$", re.I),),
)
