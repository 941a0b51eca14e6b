"""Parsers: lxml.html + cssselect against BeautifulSoup, on the same pages, the same selectors.

Why wic-etl parses with lxml and not beautifulsoup4. For every HTML page of
fixtures/real/ (real pages) and fixtures/saved/ (pages written for the
project), each parser does what an extractor does first: parse the page, pick
the title and the body container with the site profiles' CSS selectors (the
first selector of each list that matches), and take their text.

  lxml          ``lxml.html.document_fromstring`` + ``lxml.cssselect.CSSSelector``
                + ``text_content()`` (what wic-etl builds on)
  bs4+lxml      ``BeautifulSoup(html, "lxml")`` + ``select`` + ``get_text()``
  bs4+html.parser  ``BeautifulSoup(html, "html.parser")`` + the same

Each page is decoded once beforehand (wic-etl's own decoding), so every parser
gets the same text and no parser's charset detection is timed. A round parses
every page once with one parser; rounds alternate parsers, each parser runs
``--repeats`` rounds, and the median round counts. Times are CPU seconds of
this process (one core's work; on a shared machine wall time also counts
whoever else runs). The last column counts the pages on which a parser's title
and body text equal lxml's, spacing aside: BeautifulSoup's ``get_text()`` leaves
out the text of ``<script>`` elements that lxml's ``text_content()`` keeps.

    make bench-parsers
    .venv/bin/python bench/parsers.py [--repeats 15] [--corpus N] [--json PATH]

``--corpus N`` adds the first N pages of the speed bench's synthetic corpus
(bench/corpus.py, 40-200 KB each). beautifulsoup4 is not a dependency of
wic-etl: it comes with the ``bench`` extra (``make bench-parsers`` installs it).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml  # noqa: E402
import lxml.html  # noqa: E402
from lxml.cssselect import CSSSelector  # noqa: E402

from extractors.decoding import decode  # noqa: E402

# The title and body selectors of the site profiles (extractors/profiles/), most
# specific first; "title" and "body" catch a page of no known layout.
TITLE = (
    "h1.dabiaoti",
    ".lft_art > h1",
    ".ce_art h1",
    "#Title_e h1",
    "td#Content span.v_medium",
    ".article-title h1",
    ".title h1",
    "h1",
    "title",
)
BODY = (".picshow #Content", "#Content", ".article-content", ".TRS_Editor", ".article", "body")

Picked = tuple[str, str]


def fixture_pages() -> list[Path]:
    """The HTML pages of fixtures/real/, then those of fixtures/saved/ (not the bad inputs)."""
    real = sorted((ROOT / "fixtures" / "real").glob("*.html"))
    written = sorted((ROOT / "fixtures" / "saved").rglob("*.html"))
    return real + written


def words(text: str) -> str:
    return " ".join(text.split())


_LXML_TITLE = [CSSSelector(s) for s in TITLE]
_LXML_BODY = [CSSSelector(s) for s in BODY]


def _first_lxml(doc: Any, selectors: list[CSSSelector]) -> str:
    for select in selectors:
        found = select(doc)
        if found:
            return str(found[0].text_content())
    return ""


def with_lxml(html: str) -> Picked:
    doc = lxml.html.document_fromstring(html)
    return _first_lxml(doc, _LXML_TITLE), _first_lxml(doc, _LXML_BODY)


def _first_soup(soup: Any, selectors: tuple[str, ...]) -> str:
    for selector in selectors:
        found = soup.select_one(selector)
        if found is not None:
            return str(found.get_text())
    return ""


def soup_with(builder: str) -> Callable[[str], Picked]:
    from bs4 import BeautifulSoup

    def pick(html: str) -> Picked:
        soup = BeautifulSoup(html, builder)
        return _first_soup(soup, TITLE), _first_soup(soup, BODY)

    return pick


def one_round(parse: Callable[[str], Picked], pages: list[str]) -> float:
    started = time.process_time()
    for html in pages:
        parse(html)
    return time.process_time() - started


def measure(
    parsers: dict[str, Callable[[str], Picked]], pages: list[str], repeats: int
) -> dict[str, list[float]]:
    """Rounds of each parser over every page, parsers alternated; CPU seconds a round."""
    for parse in parsers.values():
        one_round(parse, pages[:3])  # imports and compiled selectors out of the clock
    rounds: dict[str, list[float]] = {name: [] for name in parsers}
    for _ in range(repeats):
        for name, parse in parsers.items():
            rounds[name].append(one_round(parse, pages))
    return rounds


def agreement(parsers: dict[str, Callable[[str], Picked]], pages: list[str]) -> dict[str, int]:
    """Pages on which each parser picks the same title and body text as lxml (spacing aside)."""

    def picked(parse: Callable[[str], Picked], html: str) -> tuple[str, ...]:
        return tuple(words(text) for text in parse(html))

    reference = [picked(with_lxml, html) for html in pages]
    return {
        name: sum(picked(parse, html) == ref for html, ref in zip(pages, reference, strict=True))
        for name, parse in parsers.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="rounds; the median counts")
    parser.add_argument("--corpus", type=int, default=0, metavar="N",
                        help="add the first N pages of the speed bench's corpus")  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="where the synthetic corpus goes")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args()
    if importlib.util.find_spec("bs4") is None:
        print("beautifulsoup4 is not installed: `make bench-parsers` installs the bench extra")
        return 2

    groups: dict[str, list[Path]] = {}
    paths = fixture_pages()
    groups["fixtures/real"] = [p for p in paths if p.parent.name == "real"]
    groups["all fixtures"] = paths
    if args.corpus:
        from bench.corpus import build

        work = args.workdir or Path(tempfile.gettempdir()) / "wic-etl-bench"
        corpus = build(work / f"corpus-{args.corpus}", args.corpus)
        groups[f"synthetic corpus ({args.corpus})"] = corpus

    parsers: dict[str, Callable[[str], Picked]] = {
        "lxml.html + cssselect": with_lxml,
        'BeautifulSoup(html, "lxml")': soup_with("lxml"),
        'BeautifulSoup(html, "html.parser")': soup_with("html.parser"),
    }
    bs4_version = importlib.metadata.version("beautifulsoup4")
    results: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "lxml": lxml.__version__,
        "beautifulsoup4": bs4_version,
        "repeats": args.repeats,
        "groups": {},
    }
    print(f"median of {args.repeats} rounds, CPU seconds, one process; "
          f"lxml {lxml.__version__}, beautifulsoup4 {bs4_version}\n")  # fmt: skip
    print("| pages | n | mean KB | parser | pages/s | ms/page | vs lxml | same text as lxml |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for group, group_paths in groups.items():
        texts = [decode(p.read_bytes())[0] for p in group_paths]
        n = len(texts)
        mean_kb = sum(len(p.read_bytes()) for p in group_paths) / n / 1024
        rounds = measure(parsers, texts, args.repeats)
        same = agreement(parsers, texts)
        lxml_rate = n / statistics.median(rounds["lxml.html + cssselect"])
        figures = {}
        for name, seconds in rounds.items():
            rate = n / statistics.median(seconds)
            figures[name] = {"pages_per_s": round(rate, 1), "rounds_s": seconds,
                             "same_as_lxml": same[name]}  # fmt: skip
            print(f"| {group} | {n} | {mean_kb:.0f} | {name} | {rate:,.0f} | {1e3 / rate:.2f} "
                  f"| {rate / lxml_rate:.2f}x | {same[name]}/{n} |")  # fmt: skip
        results["groups"][group] = {"pages": n, "mean_kb": round(mean_kb, 1), "parsers": figures}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
