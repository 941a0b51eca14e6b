"""What changed between two versions of an article, as HTML a reader can follow: pure.

A version's fields are compared one by one (``FIELDS``: title, byline, date,
section, source, body). Text is cut into tokens: every Han character is a token
of its own (Chinese has no spaces: a changed character is marked, not the whole
sentence), a run of other letters and digits is a word, a run of spaces is one
token, and any other character (punctuation) stands alone. ``difflib`` lines the
two token lists up; what went is in ``<del>``, what came in ``<ins>``.

The body is compared paragraph by paragraph first: only the paragraphs that
changed are shown, each with ``CONTEXT`` unchanged paragraphs around it, and the
rest is counted, not repeated. A paragraph that changed little is marked word by
word (or character by character); one rewritten beyond recognition is shown as
the old paragraph deleted and the new one inserted, which reads better than a
confetti of marks.

Article text is hostile input: every piece of it is escaped here, and only the
``<del>``/``<ins>`` marks this module writes are markup.

Cost: paragraphs are lined up by equality (hashing), and the token comparison,
quadratic at worst, only ever runs on one pair of paragraphs (or a short field)
at a time, up to ``MAX_TOKENS`` tokens each; past that the pair is shown whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

# (column, what a reader calls it), in the order a page shows them.
FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("author", "Byline"),
    ("published", "Date"),
    ("section", "Section"),
    ("source", "Source"),
    ("body", "Body"),
)
CONTEXT = 1  # unchanged paragraphs shown on each side of a changed one
# Below this share of tokens in common, two texts are shown as one deleted and one
# inserted whole: marks all through a rewritten sentence are harder to read than both.
SIMILAR = 0.4
# A pair of paragraphs longer than this (tokens) is shown whole, not compared token
# by token: SequenceMatcher is quadratic at worst, and a 10,000-word "paragraph" (a
# page whose text has no paragraphs) must not hold the server for seconds.
MAX_TOKENS = 3000

# Han characters (the ranges loaders/search.py indexes one by one), and the CJK
# compatibility and extension blocks: one token each.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN = re.compile(f"[{_HAN}]|[^\\W{_HAN}]+|\\s+|.", re.DOTALL)


def tokens(text: str) -> list[str]:
    """``text`` cut into diff tokens: single Han characters, words, spaces, punctuation.

    Joined back, the tokens are ``text`` exactly.
    """
    return _TOKEN.findall(text)


@dataclass(frozen=True)
class Paragraph:
    """One line of a body's diff: ``kind`` is ``same`` (context), ``changed`` (marked
    inside), ``removed`` or ``added`` (whole), or ``gap`` (``skipped`` unchanged
    paragraphs not shown; ``html`` empty)."""

    kind: str
    html: Markup
    skipped: int = 0


@dataclass(frozen=True)
class FieldDiff:
    """A field that differs between two versions: ``inline`` for a short field (the
    text with its changes marked), ``paragraphs`` for the body."""

    name: str
    label: str
    inline: Markup | None = None
    paragraphs: tuple[Paragraph, ...] = ()


def _marked(tag: str, text: str) -> Markup:
    return Markup(f"<{tag}>{escape(text)}</{tag}>") if text else Markup("")


def _whole(old: str, new: str) -> Markup:
    return _marked("del", old) + _marked("ins", new)


def _render(chunks: list[tuple[bool, str, str]]) -> Markup:
    out = Markup("")
    for changed, old, new in chunks:
        out += _whole(old, new) if changed else escape(old)
    return out


def _chunks(
    a: list[str], b: list[str], matcher: SequenceMatcher[str]
) -> list[tuple[bool, str, str]]:
    """The opcodes as (changed, old text, new text), adjacent changes run together.

    A run of spaces alone between two changes goes into both: ``<del>quick brown</del>
    <ins>slow red</ins>`` reads as the phrase it was, where ``<del>quick</del><ins>slow
    </ins> <del>brown</del><ins>red</ins>`` reads as a puzzle.
    """
    chunks = [
        (op != "equal", "".join(a[i1:i2]), "".join(b[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
    merged: list[tuple[bool, str, str]] = []
    for i, (changed, old, new) in enumerate(chunks):
        spaces_between = not changed and old.isspace() and i + 1 < len(chunks) and chunks[i + 1][0]
        if (changed or spaces_between) and merged and merged[-1][0]:
            _, old_before, new_before = merged.pop()
            merged.append((True, old_before + old, new_before + new))
        else:
            merged.append((changed, old, new))
    return merged


def inline_diff(old: str | None, new: str | None) -> Markup:
    """``new`` with what differs from ``old`` marked: ``<del>`` gone, ``<ins>`` come.

    Word by word for English, character by character for Chinese; two texts with
    less than ``SIMILAR`` in common are shown whole, one deleted and one inserted.
    """
    old, new = old or "", new or ""
    if old == new:
        return escape(new)
    a, b = tokens(old), tokens(new)
    if len(a) > MAX_TOKENS or len(b) > MAX_TOKENS:
        return _whole(old, new)
    # autojunk off: on long texts difflib would call every frequent token (a space,
    # "the", 的) junk and line the rest up badly.
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < SIMILAR:
        return _whole(old, new)
    return _render(_chunks(a, b, matcher))


def paragraphs(text: str | None) -> list[str]:
    """A body's paragraphs (separated by a blank line), empty ones left out."""
    return [p for p in (text or "").split("\n\n") if p.strip()]


def _similar(old: str, new: str) -> bool:
    a, b = tokens(old), tokens(new)
    if len(a) > MAX_TOKENS or len(b) > MAX_TOKENS:
        return False
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= SIMILAR


def _paragraph_lines(old: list[str], new: list[str]) -> list[Paragraph]:
    """Every paragraph of both bodies once: unchanged, changed, removed or added."""
    lines: list[Paragraph] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            lines += [Paragraph("same", escape(p)) for p in old[i1:i2]]
            continue
        gone, came = old[i1:i2], new[j1:j2]
        # Paired in order: the usual edit is a paragraph rewritten in place. A pair too
        # different to be one paragraph edited is one removed and one added.
        for k in range(max(len(gone), len(came))):
            before = gone[k] if k < len(gone) else None
            after = came[k] if k < len(came) else None
            if before is not None and after is not None and _similar(before, after):
                lines.append(Paragraph("changed", inline_diff(before, after)))
                continue
            if before is not None:
                lines.append(Paragraph("removed", _marked("del", before)))
            if after is not None:
                lines.append(Paragraph("added", _marked("ins", after)))
    return lines


def body_diff(old: str | None, new: str | None, context: int = CONTEXT) -> list[Paragraph]:
    """The changed paragraphs of a body, each with ``context`` unchanged ones around it;
    the other unchanged paragraphs as gaps (how many). Empty if nothing changed."""
    lines = _paragraph_lines(paragraphs(old), paragraphs(new))
    near = [i for i, line in enumerate(lines) if line.kind != "same"]
    if not near:
        return []
    shown = {j for i in near for j in range(i - context, i + context + 1)}
    out: list[Paragraph] = []
    skipped = 0
    for i, line in enumerate(lines):
        if i in shown:
            if skipped:
                out.append(Paragraph("gap", Markup(""), skipped))
                skipped = 0
            out.append(line)
        else:
            skipped += 1
    if skipped:
        out.append(Paragraph("gap", Markup(""), skipped))
    return out


def version_diff(old: Mapping[str, str | None], new: Mapping[str, str | None]) -> list[FieldDiff]:
    """The fields (``FIELDS``) that differ from ``old`` to ``new``, each diffed.

    A field missing from a mapping, or None, counts as empty.
    """
    diffs = []
    for name, label in FIELDS:
        before, after = old.get(name) or "", new.get(name) or ""
        if before == after:
            continue
        if name == "body":
            diffs.append(FieldDiff(name, label, paragraphs=tuple(body_diff(before, after))))
        else:
            diffs.append(FieldDiff(name, label, inline=inline_diff(before, after)))
    return diffs
