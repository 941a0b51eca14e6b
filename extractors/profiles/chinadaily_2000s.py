"""chinadaily.com.cn English article pages before 2010: the table layout.

``/english/doc/2005-02/25/content_419382.htm``, declared gb2312. Breadcrumb
``b#Position`` (``Home > News Center > Sports``); everything else in the table
cell ``td#Content``: the title in ``span.v_medium`` and ``(Agencies)<br> Updated:
2005-02-25 09:02`` in its first paragraph, then the text between the CMS's
``<!--enpcontent-->`` and ``<!--/enpcontent-->`` comments as unclosed ``<P>``s.
No CDIC footer, and the page carries no address of its own: it is known by its
markup.
"""

from __future__ import annotations

import re

from lxml import etree

from extractors.profiles.base import CONTENT_ARTICLE_PATHS, ENGLISH_NOT_FOUND, Element, SiteProfile

_START, _END = "enpcontent", "/enpcontent"


def between_enpcontent(root: Element) -> Element | None:
    """A ``div`` holding what lies between the two comments (related links follow the end)."""
    start = end = None
    for comment in root.iter(etree.Comment):
        text = (comment.text or "").strip()
        if text == _START and start is None:
            start = comment
        elif text == _END and start is not None:
            end = comment
            break
    if start is None or end is None:
        return None
    around_end = set(end.iterancestors())
    taken: list[Element] = []
    covered: set[Element] = set()  # taken, or inside something taken
    seen = False
    for node in root.iter():
        if node is start:
            seen = True
        elif node is end:
            break
        elif seen and isinstance(node.tag, str) and node not in around_end:
            if node.getparent() not in covered:
                taken.append(node)
            covered.add(node)
    box = etree.SubElement(start.getparent(), "div")
    for node in taken:
        box.append(node)  # moves it, with its tail text
    return box


PROFILE = SiteProfile(
    name="chinadaily-2000s",
    version=2,
    site="chinadaily.com.cn",
    hosts=("chinadaily.com.cn",),
    formats=("html",),
    markers=("<!--enpcontent-->", "chinadaily.com.cn/english/"),
    layout=("td#Content span.v_medium",),
    title=("td#Content span.v_medium",),
    info=("td#Content > p:first-child b.v7", "td#Content > p:first-child font"),
    body=("td#Content",),
    breadcrumb=("b#Position",),
    locate_body=between_enpcontent,
    url_dates=(re.compile(r"/(\d{4})-(\d{2})/(\d{2})/content_"),),
    meta_author_is_editor=True,
    article_paths=CONTENT_ARTICLE_PATHS,
    not_found=ENGLISH_NOT_FOUND,
)
