"""chinadaily.com.cn article pages of 2010-2016.

Title in ``#Title_e h1`` with the byline in the ``h6`` under it (``Updated:
2014-11-19 07:53 By Zhang Yan (China Daily)``), paragraphs in ``#Content``
where images are followed by their caption paragraph, pages ``_2.html``...
linked from ``#div_currpage``, CDIC copyright in ``#copyright``.

No real page of this layout is in fixtures/real: it is drawn from the written pages.
"""

from __future__ import annotations

import re

from extractors.profiles.base import CONTENT_ARTICLE_PATHS, ENGLISH_NOT_FOUND, SiteProfile

PROFILE = SiteProfile(
    name="chinadaily-legacy",
    version=3,
    site="chinadaily.com.cn",
    hosts=("chinadaily.com.cn",),
    formats=("html",),
    markers=("China Daily Information Co",),
    layout=("#Title_e",),
    title=("#Title_e h1",),
    info=("#Title_e h6", "#Title_e .arcform"),
    body=("#Content",),
    breadcrumb=("#Nav", ".da-bre"),
    footer=("#copyright", ".footer"),
    url_dates=(re.compile(r"/(\d{4})-(\d{2})/(\d{2})/content_"),),
    meta_author_is_editor=True,
    footer_block="navigation",
    navigation=(re.compile(r"^(?:Print|E-mail|Large\s*Medium\s*Small)$", re.I),),
    article_paths=CONTENT_ARTICLE_PATHS,
    not_found=ENGLISH_NOT_FOUND,
)
