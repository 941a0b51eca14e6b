"""Boilerplate rules: the lines every page of a site repeats, by kind.

A line is boilerplate when, once every known piece is cut out of it, nothing
but spaces and punctuation is left. That catches footer lines that a save ran
together ("... All rights Reserved Presented by China Daily. 京ICP备...") and
records each piece under its own kind, while a body sentence that merely
mentions copyright is left alone.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from core.records import RemovedLine

# Lines may be long and are untrusted: no two neighbouring parts of a rule may match the
# same blanks ("\s*[:：]?\s*" could split a run of n blanks n ways at every start, so it is
# written "\s*(?:[:：]\s*)?"), and a contact entry's end is looked for only where a run
# of blanks begins. Free text between markers is bounded ({0,80}) to keep each try short.
_CONTACT_LABELS = "Tel|Telephone|Fax|E-?mail|QQ|电话|传真|邮箱|电子邮箱|给中国日报网提意见"
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("copyright", r"Copyright\s*(?:©|\(c\)|&copy;)?.{0,80}?All\s+rights\s+reserved\.?"),
    ("copyright", r"Presented\s+by\s+China\s+Daily\.?"),
    ("copyright", r"The\s+content\s+\(.{0,120}?\)\s+published\s+in\s+this\s+site\s+belongs\s+"
                  r"to\s+China\s+Daily\s+Information\s+Co\s*\(CDIC\)\.?"),
    ("copyright", r"Without\s+written\s+authori[sz]ation\s+from\s+CDIC,\s+such\s+content\s+"
                  r"shall\s+not\s+be\s+republished\s+or\s+used\s+in\s+any\s+form\.?"),
    ("copyright", r"(?:Copyright\s*)?©\s*[^|。]{0,60}?版权所有[。.]?"),
    ("copyright", r"(?:中国日报网|世界互联网大会)?版权所有(?:，?\s*未经书面授权[^。]{0,60}。?)?"),
    ("copyright", r"中国日报网版权说明[：:].{0,200}?违者必究。?"),
    ("copyright", r"版权保护[：:].{0,200}?禁止转载使用。?"),
    ("icp", r"[\u4e00-\u9fff]{1,3}ICP[备证]\s*(?:[:：]\s*)?\d+(?:\s*号)?(?:\s*-\s*\d+)?"),
    ("icp", r"ICP\s*(?:licen[cs]e|备案号)\s*(?:[:：]\s*)?[\w-]+"),
    ("licence", r"Registration\s+Number\s*(?:[:：]\s*)?\d+"),
    ("licence", r"Licen[cs]e\s+for\s+publishing\s+multimedia\s+online\s*(?:[:：]\s*)?\d+"),
    ("licence", r"互联网新闻信息服务许可证(?:编号)?\s*(?:[:：]\s*)?\d+"),
    ("licence", r"[\u4e00-\u9fff]公网安备\s*\d+\s*号?"),
    ("notice", r"Note\s*:\s*Browsers\s+with\s+1024\s*\*\s*768\s+or\s+higher\s+resolution\s+"
               r"are\s+suggested\s+for\s+this\s+site\.?"),
    ("contact", rf"(?:{_CONTACT_LABELS})\s*[:：].*?(?=(?<!\s)\s+(?:{_CONTACT_LABELS})\s*[:：]|$)"),
)  # fmt: skip
RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in _PATTERNS
)

# Every rule needs one of these words; a line with none is not boilerplate, and the
# full rules (the costly part on long paragraphs) are not tried on it.
_KEYWORDS = re.compile(
    r"copyright|©|all\s+rights|presented\s+by|the\s+content\s+\(|cdic|icp|备|registration|"
    r"licen[cs]e\s+for|许可证|note\s*:|(?:tel|telephone|fax|e-?mail|qq)\s*[:：]|"
    r"电话|传真|邮箱|提意见|版权",
    re.IGNORECASE,
)
# Substrings of the casefolded line that every _KEYWORDS match contains: checked with
# ``in`` first, as the regex (no literal prefix to skip ahead by, case-insensitive)
# costs more than the rest of a page's extraction over a page's paragraphs. ":"
# stands for the "note:" and contact labels; "ı" is folded to "i" because re.I
# matches it with "i" but casefold() keeps it.
_KEYWORD_HINTS = ("copyright", "©", "rights", "presented", "content", "cdic", "icp", "备",
                  "registration", "licen", "许可证", ":", "：", "电话", "传真", "邮箱", "提意见",
                  "版权")  # fmt: skip
# The hints a line of ASCII can hold: for such a line the others cannot be there.
_ASCII_HINTS = tuple(hint for hint in _KEYWORD_HINTS if hint.isascii())
# For each rule of RULES, in order: substrings of the casefolded line that every match
# of that rule contains. A rule none of whose hints is in the line is not run: most
# rules have no literal start to skip ahead by, and each tried every position of a
# footer line. A "ı" is folded to "i" as above; "İ", which re.I also matches with
# "i", casefolds to "i" and a combining dot, so a line with that dot runs every rule.
_RULE_HINTS: tuple[tuple[str, ...], ...] = (
    ("copyright",), ("presented",), ("cdic",), ("cdic",), ("版权所有",), ("版权所有",),
    ("版权说明",), ("版权保护",), ("icp",), ("icp",), ("registration",), ("publishing",),
    ("许可证",), ("公网安备",), ("browsers",), (":", "："),
)  # fmt: skip
# Each hint once, with the rules (indices into RULES) it lets run.
_HINT_RULES: tuple[tuple[str, frozenset[int]], ...] = tuple(
    (hint, frozenset(i for i, hints in enumerate(_RULE_HINTS) if hint in hints))
    for hint in dict.fromkeys(h for hints in _RULE_HINTS for h in hints)
)
# The hints a line of ASCII can hold, with their rules.
_ASCII_HINT_RULES = tuple((hint, rules) for hint, rules in _HINT_RULES if hint.isascii())
_COMBINING_DOT = "\u0307"
_LEFTOVER = re.compile(r"[\s|.,;:·•\-–—/\\()\[\]【】（）。，；：、]*")


# Footer lines are short; an article's paragraph with a hint word (a colon is one) can
# be 100 KB, and 1,024 such would stay in each worker's memory for its life.
CACHED_LINE_MAX = 500


def split_boilerplate(line: str) -> tuple[RemovedLine, ...] | None:
    """The pieces of ``line`` by kind if the whole line is boilerplate, else None."""
    folded = line.casefold().replace("ı", "i")
    # No rule's hint, no rule's match (the usual paragraph): looked for before the
    # keyword hints, as some of those ("rights", "content") are in more paragraphs
    # and the rules' hints are fewer.
    if not _rules_hinted(folded):
        return None
    hints = _ASCII_HINTS if folded.isascii() else _KEYWORD_HINTS
    if not any(hint in folded for hint in hints):
        return None
    if len(line) > CACHED_LINE_MAX:
        return _split(line)
    return _split_hinted(line)


# Every page of a site ends in the same footer lines, and a page's footer is read twice
# (for its organizers, then for what it removes): those are answered from here. Only
# short lines with a keyword hint come here, so article text does not crowd them out.
@lru_cache(maxsize=1024)
def _split_hinted(line: str) -> tuple[RemovedLine, ...] | None:
    return _split(line)


def _split(line: str) -> tuple[RemovedLine, ...] | None:
    if not _KEYWORDS.search(line):
        return None
    folded = line.casefold().replace("ı", "i")
    # The pieces taken, disjoint and in line order: a match is looked up among them by
    # bisection, as a line of thousands of matches made comparing each with all quadratic.
    taken: list[tuple[int, int, str]] = []
    starts: list[int] = []
    for kind, pattern in _rules_hinted(folded):
        for match in pattern.finditer(line):
            start, end = match.span()
            at = bisect.bisect_right(starts, start)
            free_before = at == 0 or taken[at - 1][1] <= start
            free_after = at == len(taken) or end <= taken[at][0]
            if end > start and free_before and free_after:
                taken.insert(at, (start, end, kind))
                starts.insert(at, start)
    if not taken:
        return None
    leftover, cursor = [], 0
    for start, end, _ in taken:
        leftover.append(line[cursor:start])
        cursor = end
    leftover.append(line[cursor:])
    if not all(_LEFTOVER.fullmatch(part) for part in leftover):
        return None
    return tuple(RemovedLine(kind, line[s:e].strip()) for s, e, kind in taken)


def _rules_hinted(folded: str) -> list[tuple[str, re.Pattern[str]]]:
    """The rules that may match the line ``folded`` is the casefolding of, in RULES order."""
    if _COMBINING_DOT in folded:
        return list(RULES)
    wanted: set[int] = set()
    for hint, rules in _ASCII_HINT_RULES if folded.isascii() else _HINT_RULES:
        if hint in folded:
            wanted |= rules
    return [RULES[i] for i in sorted(wanted)]
