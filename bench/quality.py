"""Extraction quality: wic-etl's site profiles against trafilatura, on every gold page.

A gold page is a saved page with a sibling ``<name>.expected.json`` under
``fixtures/saved/`` (and, where it exists, ``../shared/corpus/``). Both
extractors get the same decoded document; a text save is given to trafilatura
as HTML with one ``<p>`` per line, since it reads only HTML. Printed side by
side: body token precision / recall / F1 (multiset overlap of word tokens, a
Han character counting as one token), the share of pages whose title,
published, author and organizers (over pages that list organizers) match
exactly, and pages per second.

The real pages (``fixtures/real/``, taken unchanged from public repositories)
are scored apart, on their own gold records: each metadata field's exact-match
rate, the paragraph count, and body P/R/F1 against the page's own text from the
gold first paragraph to the gold last one (whitespace collapsed; the gold files
hold only those two paragraphs, and the span between them is the article).

    .venv/bin/python bench/quality.py [--json PATH] [--seconds 3]
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.records import Document, RawPage, word_tokens  # noqa: E402
from extractors.documents import to_document  # noqa: E402
from extractors.extract import extract_document  # noqa: E402
from extractors.layout import clean_line  # noqa: E402
from flows.batch import read_pages  # noqa: E402

SUFFIXES = (".txt", ".html", ".mhtml", ".warc.gz")
FIELDS = ("title", "published", "author", "organizers")


@dataclass(frozen=True)
class Case:
    source: str
    document: Document
    expected: dict
    profiled: bool  # a site profile's page (not the generic fallback's)


@dataclass
class Score:
    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    matches: dict[str, list[bool]] = field(default_factory=lambda: {f: [] for f in FIELDS})
    pages_per_s: float = 0.0

    def f1(self) -> float:
        p, r = mean(self.precision), mean(self.recall)
        return 2 * p * r / (p + r) if p + r else 0.0

    def add_body(self, got: str, want: str) -> None:
        """Token precision and recall of one extracted body against its gold text."""
        got_tokens, want_tokens = tokens(got), tokens(want)
        overlap = sum((got_tokens & want_tokens).values())
        self.precision.append(overlap / max(sum(got_tokens.values()), 1))
        self.recall.append(overlap / max(sum(want_tokens.values()), 1))

    def figures(self, pages: int, fields: tuple[str, ...]) -> dict[str, float]:
        """The JSON entry: pages, body P/R/F1 and each field's exact-match rate."""
        return {"pages": pages, "precision": mean(self.precision),
                "recall": mean(self.recall), "f1": self.f1(),
                **{f"{f}_exact": mean(self.matches[f]) for f in fields}}  # fmt: skip


def mean(values: list[float] | list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def gold_cases(folders: list[Path]) -> list[Case]:
    cases = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.name.endswith(SUFFIXES)):
            stem = next(path.name[: -len(s)] for s in SUFFIXES if path.name.endswith(s))
            expected_file = path.with_name(stem + ".expected.json")
            if not expected_file.is_file():
                continue
            data = json.loads(expected_file.read_text(encoding="utf-8"))
            expected_pages = data.get("pages", [data])
            for raw, expected in zip(read_pages([str(path)]).pages, expected_pages, strict=True):
                article = expected["article"]
                cases.append(Case(raw.source, to_document(raw), article,
                                  not article["extractor"].startswith("trafilatura")))  # fmt: skip
    return cases


def tokens(text: str) -> Counter[str]:
    return Counter(token.casefold() for token in word_tokens(text))


def as_html(document: Document) -> str:
    if document.format == "html":
        return document.text
    lines = (f"<p>{html.escape(line)}</p>" for line in document.text.splitlines() if line.strip())
    return "<html><body>" + "\n".join(lines) + "</body></html>"


def ours(case: Case) -> dict:
    try:
        article = extract_document(case.document)
    except Exception as exc:  # a failure scores zero, it does not stop the benchmark
        return {"body": "", "error": str(exc)}
    return {"body": article.body, "title": article.title, "published": article.published,
            "author": article.author, "organizers": list(article.organizers)}  # fmt: skip


def theirs(case: Case) -> dict:
    import trafilatura

    result = trafilatura.bare_extraction(as_html(case.document), url=case.document.url,
                                         with_metadata=True, include_comments=False)  # fmt: skip
    if result is None:
        return {"body": ""}
    return {"body": result.text or "", "title": result.title, "published": result.date,
            "author": result.author, "organizers": []}  # fmt: skip


def score(cases: list[Case], run: Callable[[Case], dict], seconds: float) -> Score:
    result = Score()
    for case in cases:
        got = run(case)
        result.add_body(got.get("body") or "", "\n\n".join(case.expected["paragraphs"]))
        for name in FIELDS:
            if name == "organizers" and not case.expected[name]:
                continue  # scored only where the page lists organizers
            result.matches[name].append(got.get(name) == case.expected[name])
    rounds, started = 0, time.perf_counter()
    while True:  # repeat until the timing is long enough to trust
        for case in cases:
            run(case)
        rounds += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            break
    result.pages_per_s = rounds * len(cases) / elapsed
    return result


def table(rows: list[tuple[str, int, Score]]) -> str:
    lines = [
        "| extractor | pages | body P | body R | body F1 | title | published | author "
        "| organizers | pages/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, pages, s in rows:
        exact = " | ".join(f"{mean(s.matches[f]):.0%}" if s.matches[f] else "n/a" for f in FIELDS)
        lines.append(f"| {name} | {pages} | {mean(s.precision):.3f} | {mean(s.recall):.3f} "
                     f"| {s.f1():.3f} | {exact} | {s.pages_per_s:.0f} |")  # fmt: skip
    return "\n".join(lines)


REAL_FIELDS = ("url", "section", "title", "author", "editor", "source", "published",
               "paragraphs", "images")  # fmt: skip


@dataclass(frozen=True)
class RealCase:
    source: str
    document: Document
    expected: dict
    body: str | None  # the page's text from the gold first to the gold last paragraph


def page_text(document: Document) -> str:
    import lxml.html

    root = lxml.html.document_fromstring(document.text)
    for element in list(root.iter("script", "style", "noscript")):
        element.drop_tree()
    return clean_line(" ".join(root.itertext()))


def real_cases(folder: Path) -> list[RealCase]:
    cases = []
    for path in sorted(folder.glob("*.html")):
        data = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
        raw = RawPage(str(path), path.read_bytes(), url=data.get("fetched_from"))
        document = to_document(raw)
        article = data["article"]
        text = page_text(document)
        # The nearest first paragraph before the last one: a page may repeat its first
        # paragraph higher up as a summary (the Chinese page's hidden share block does).
        end = text.find(article["body_last"])
        start = text.rfind(article["body_first"], 0, end + len(article["body_last"]))
        body = text[start : end + len(article["body_last"])] if 0 <= start <= end else None
        cases.append(RealCase(raw.source, document, article, body))
    return cases


def ours_real(case: RealCase) -> dict:
    try:
        a = extract_document(case.document)
    except Exception as exc:  # a failure scores zero, it does not stop the benchmark
        return {"body": "", "error": str(exc)}
    return {"body": a.body, "url": a.url, "section": a.section, "title": a.title,
            "author": a.author, "editor": a.editor, "source": a.source,
            "published": a.published, "paragraphs": len(a.paragraphs),
            "images": [{"caption": i.caption, "credit": i.credit} for i in a.images]}  # fmt: skip


def theirs_real(case: RealCase) -> dict:
    import trafilatura

    r = trafilatura.bare_extraction(case.document.text, url=case.document.url,
                                    with_metadata=True, include_comments=False)  # fmt: skip
    if r is None:
        return {"body": ""}
    lines = [line for line in (r.text or "").split("\n") if line.strip()]
    categories = r.categories or []
    return {"body": r.text or "", "url": r.url, "section": categories[-1] if categories else None,
            "title": r.title, "author": r.author, "editor": None, "source": r.sitename,
            "published": r.date, "paragraphs": len(lines), "images": None}  # fmt: skip


def score_real(cases: list[RealCase], run: Callable[[RealCase], dict]) -> Score:
    result = Score(matches={f: [] for f in REAL_FIELDS})
    for case in cases:
        got = run(case)
        if case.body is not None:
            result.add_body(got.get("body") or "", case.body)
        for name in REAL_FIELDS:
            result.matches[name].append(got.get(name) == case.expected[name])
    return result


def real_table(rows: list[tuple[str, int, Score]]) -> str:
    lines = [
        "| extractor | real pages | body P | body R | body F1 | " + " | ".join(REAL_FIELDS) + " |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(REAL_FIELDS),
    ]
    for name, pages, s in rows:
        exact = " | ".join(f"{mean(s.matches[f]):.0%}" for f in REAL_FIELDS)
        lines.append(f"| {name} | {pages} | {mean(s.precision):.3f} | {mean(s.recall):.3f} "
                     f"| {s.f1():.3f} | {exact} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per extractor")
    args = parser.parse_args()
    folders = [ROOT / "fixtures" / "saved", ROOT.parent / "shared" / "corpus"]
    cases = gold_cases([f for f in folders if f.is_dir()])
    profiled = [c for c in cases if c.profiled]
    rows = [
        ("wic-etl (site profiles)", len(profiled), score(profiled, ours, args.seconds)),
        ("trafilatura", len(profiled), score(profiled, theirs, args.seconds)),
    ]
    generic = [c for c in cases if not c.profiled]
    if generic:
        rows.append(("wic-etl (generic fallback pages)", len(generic),
                     score(generic, ours, args.seconds / 3)))  # fmt: skip
    print("Written pages (fixtures/saved)\n")
    print(table(rows))
    real = real_cases(ROOT / "fixtures" / "real")
    real_rows = [("wic-etl (site profiles)", len(real), score_real(real, ours_real)),
                 ("trafilatura", len(real), score_real(real, theirs_real))]  # fmt: skip
    print("\nReal pages (fixtures/real)\n")
    print(real_table(real_rows))
    failures = [c.source for c in profiled if ours(c).get("error")]
    failures += [c.source for c in real if ours_real(c).get("error")]
    if failures:
        print("\nfailed:", *failures, sep="\n  ")
    if args.json:
        args.json.write_text(json.dumps({
            name: {**s.figures(n, FIELDS), "pages_per_s": s.pages_per_s}
            for name, n, s in rows
        } | {
            f"real: {name}": s.figures(n, REAL_FIELDS)
            for name, n, s in real_rows
        }, indent=2) + "\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
