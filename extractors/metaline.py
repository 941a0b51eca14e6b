"""The byline/date line under a title: who wrote it, for whom, and when.

Forms seen on the sites::

    chinadaily.com.cn Updated: 2015-12-15
    By Zhang Wei | chinadaily.com.cn | Updated: 2025-12-08 10:04
    Source: Xinhua | Updated: 2016-11-16 09:30
    2015-12-15 10:41 来源：中国日报网 作者：张三
    来源：新华网 | 2015年12月15日
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.dates import find_date

# Older China Daily bylines: "By Zhang Yan (China Daily)".
_AUTHOR_PAREN = re.compile(r"\bBy\s+(?P<v>[^|()]+?)\s*\((?P<source>[^()]+)\)")
_AUTHOR_EN = re.compile(r"(?:^|\|)\s*By\s+(?P<v>[^|]+?)\s*(?=\||$)", re.I)
_AUTHOR_ZH = re.compile(r"作者\s*[:：]\s*(?P<v>[^\s|]+(?:\s+[^\s|:：]+)*?)\s*(?=\||来源|编辑|$)")
_SOURCE_ZH = re.compile(r"来源\s*[:：]\s*(?P<v>[^\s|]+)")
_SOURCE_EN = re.compile(r"Source\s*:\s*(?P<v>[^|]+?)\s*(?=\||Updated|$)", re.I)
# "By Zhang Zhihao in Hefei": the dateline place is not part of the name.
_DATELINE = re.compile(r"\s+in\s+[A-Z][\w'. -]*$")
_LABELS = re.compile(r"(?:Updated|Published|发布时间|时间)\s*[:：]?", re.I)
_HINT = re.compile(r"Updated|Published|来源|作者|发布时间|\|", re.I)
_LEFTOVER_WORDS = re.compile(r"[\s|]+")
_MAX_LEN = 160


@dataclass(frozen=True)
class Meta:
    """What a byline says: the date, the source, the author."""

    published: str | None  # None only where a page's byline was not found
    source: str | None
    author: str | None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip(" |\u3000")
    return value or None


def parse_meta(line: str, *, dated: bool = True) -> Meta | None:
    """A Meta if ``line`` is a byline/date line, else None.

    ``dated=False`` reads a line known to be the byline (the profile's selector found
    it) even when its date is missing or invalid: its author and source still count.
    """
    if len(line) > _MAX_LEN:
        return None
    found = find_date(line)
    if found is None:
        if dated or not _HINT.search(line):
            return None
        rest = line
    else:
        rest = (line[: found.start] + " | " + line[found.end :]).strip()
    if not _HINT.search(line) and _clean(_LEFTOVER_WORDS.sub("", rest)):
        return None  # a date inside ordinary text, not a byline
    iso = found.iso if found else None
    # Labels are read with the date cut out, so a date never runs into a name.
    if paren := _AUTHOR_PAREN.search(rest):
        return Meta(iso, _clean(paren["source"]), _clean(_DATELINE.sub("", paren["v"])))
    author = _AUTHOR_ZH.search(rest) or _AUTHOR_EN.search(rest)
    source = _SOURCE_ZH.search(rest) or _SOURCE_EN.search(rest)
    source_value = source["v"] if source else _bare_source(rest, author)
    return Meta(
        published=iso,
        source=_clean(source_value),
        author=_clean(_DATELINE.sub("", author["v"])) if author else None,
    )


def _bare_source(rest: str, author: re.Match[str] | None) -> str | None:
    """``chinadaily.com.cn Updated:`` and ``By X | China Daily | Updated:``: the unlabelled part."""
    if author:
        rest = rest.replace(author.group(0), "|")
    parts = [part for p in rest.split("|") if (part := _clean(_LABELS.sub("", p)))]
    if not parts:
        return None
    # The 2000s pages print the source alone in parentheses: "(Agencies) Updated: ...".
    first = parts[0]
    if first.startswith(("(", "（")) and first.endswith((")", "）")):
        return _clean(first[1:-1])
    return first
