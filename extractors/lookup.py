"""CSS lookups on one parsed page: fast XPath for them, and each run at most once.

cssselect writes ``#Content`` as ``descendant-or-self::*[@id = 'Content']``, and
libxml2 runs that predicate on every element of the page: 60-70 us on a 100 KB
page, where ``descendant-or-self::*/@id[. = 'Content']/..`` (the same elements:
those whose id is Content) visits only the id attributes, in 8-10 us. ``selector``
rewrites cssselect's lone id and class tests so.

A page asks a dozen selectors, some twice (a layout check, then the title; the
byline, then the byline again): a page's lookups go through one ``PageLookup``,
which remembers what each selector matched and answers again with those matches
still in the tree. That is exact while the tree only loses elements (dropping
furniture, the pager, a byline inside the body): what a selector matches then is
what it matched before, less what was dropped, in the same order. Whoever moves
or adds elements calls ``forget``.

Most selectors start with one id or one class (``#Title_e h1``, ``.lft_art > h1``,
``div.lo-a``), and each such XPath walks every element of the page for its first
step: 8-10 us on a 100 KB page, 40-150 us on a real one with a hundred class
attributes. A page's lookup walks its ids once and its classes once instead, and
runs the rest of a selector from the one element its first step found (more than
one: the whole XPath, which keeps document order where they nest).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TypeAlias

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

Element: TypeAlias = lxml.html.HtmlElement

# cssselect's exact wording of a step's only condition, at the step's end ("/" or the
# path's end follows: ".." cannot take a further predicate). The selectors are ours,
# never the page's, so these run on a handful of trusted strings, once each.
_ID_TEST = re.compile(r"\[@id = ('[^']*')\](?=/|$)")
_CLASS_TEST = re.compile(
    r"\[@class and contains\(@class, '[^']*'\) and "
    r"contains\(concat\(' ', normalize-space\(@class\), ' '\), ('[^']*')\)\](?=/|$)"
)


def fast_path(path: str) -> str:
    """cssselect's XPath with each lone id or class test made a walk over attributes.

    ``STEP[@id = 'x']`` and ``STEP/@id[. = 'x']/..`` select the same elements, in
    document order; so for the class test.
    """
    path = _ID_TEST.sub(r"/@id[. = \1]/..", path)
    return _CLASS_TEST.sub(r"/@class[contains(concat(' ', normalize-space(.), ' '), \1)]/..", path)


_IDS = etree.XPath("descendant-or-self::*/@id")
_CLASSES = etree.XPath("descendant-or-self::*/@class")
# cssselect's first step when its only condition is one id or one class test, and the
# steps after it (if any).
_LEAD_ID = re.compile(r"descendant-or-self::(\*|[\w-]+)\[@id = '([^']*)'\](?=/|$)")
_LEAD_CLASS = re.compile(
    r"descendant-or-self::(\*|[\w-]+)\[@class and contains\(@class, '[^']*'\) and "
    r"contains\(concat\(' ', normalize-space\(@class\), ' '\), ' ([^' ]+) '\)\](?=/|$)"
)
# What XPath's normalize-space collapses: XML's blanks, not every Unicode space.
_XML_BLANKS = re.compile(r"[ \t\r\n]+")


@cache
def selector(css: str) -> etree.XPath:
    """Compiled once per CSS string: compiling costs more than matching a whole page."""
    return etree.XPath(fast_path(CSSSelector(css).path))


@dataclass(frozen=True)
class LeadStep:
    """A selector's first step, when it tests one id or one class, and the steps after it."""

    attribute: str  # "id" or "class"
    value: str
    tag: str | None  # None: any element
    rest: etree.XPath | None  # from the step's element; None: the step is the selector


@cache
def lead_step(css: str) -> LeadStep | None:
    """``css``'s first step and the rest, or None when that step has another form."""
    path = CSSSelector(css).path
    if "|" in path:
        return None  # a group ("#a p, .b"): its other selectors do not start from this step
    for attribute, pattern in (("id", _LEAD_ID), ("class", _LEAD_CLASS)):
        if found := pattern.match(path):
            tag = None if found[1] == "*" else found[1]
            rest = path[found.end() :]
            return LeadStep(
                attribute, found[2], tag, etree.XPath("self::*" + fast_path(rest)) if rest else None
            )
    return None


def has_class(value: str, name: str) -> bool:
    """cssselect's class test on a class attribute's ``value``."""
    return name in value and f" {name} " in f" {_XML_BLANKS.sub(' ', value)} "


class PageLookup:
    """The CSS lookups of one page; see the module's docstring for why and when it is exact."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self._found: dict[str, list[Element]] = {}
        self._ids: dict[str, list[Element]] | None = None  # see _with_id
        self._classes: list[etree._ElementUnicodeResult] | None = None  # see _with_class

    def all(self, css: str) -> list[Element]:
        """Every element ``css`` matches now, in document order."""
        found = self._found.get(css)
        if found is None:
            found = self._run(css)
            self._found[css] = found
            return list(found)
        return [element for element in found if self._attached(element)]

    def first(self, selectors: Sequence[str]) -> Element | None:
        """The first element the first matching selector finds."""
        for css in selectors:
            if found := self.all(css):
                return found[0]
        return None

    def forget(self) -> None:
        """The tree gained or moved elements: remembered matches may be wrong now."""
        self._found.clear()
        self._ids = None
        self._classes = None

    def _run(self, css: str) -> list[Element]:
        step = lead_step(css)
        if step is None:
            return selector(css)(self.root)  # type: ignore[no-any-return,unused-ignore]
        found = self._having(step)
        if step.tag is not None:
            found = [element for element in found if element.tag == step.tag]
        if step.rest is None or not found:
            return found
        if len(found) == 1:
            return step.rest(found[0])  # document order, no repeats: as the whole XPath
        # From nested elements the rest's matches could repeat or interleave.
        return selector(css)(self.root)  # type: ignore[no-any-return,unused-ignore]

    def _having(self, step: LeadStep) -> list[Element]:
        if step.attribute == "id":
            return self._with_id(step.value)
        return self._with_class(step.value)

    def _with_id(self, name: str) -> list[Element]:
        """What ``#name`` matches now: the elements whose id is ``name``, in document order.

        A page asks for three or four ids (a layout check, the body, the pager, the
        breadcrumb), and has a handful: one walk collects every id of the page, where
        each selector's own walk visited every element again. Taken before elements
        were dropped, the collection holds them still, so only the attached count.
        """
        if self._ids is None:
            self._ids = {}
            for value in _IDS(self.root):
                self._ids.setdefault(str(value), []).append(value.getparent())
        return [element for element in self._ids.get(name, ()) if self._attached(element)]

    def _with_class(self, name: str) -> list[Element]:
        """What ``.name`` matches now, in document order; one walk collects the page's
        class attributes for every class asked (see ``_with_id``)."""
        if self._classes is None:
            self._classes = _CLASSES(self.root)
        return [
            element
            for value in self._classes
            if has_class(value, name) and self._attached(element := value.getparent())
        ]

    def _attached(self, element: Element) -> bool:
        node: Element | None = element
        while node is not None:
            if node is self.root:
                return True
            node = node.getparent()
        return False
