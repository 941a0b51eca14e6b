"""Many distinct saved pages, made from the gold fixtures, for crash and concurrency tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAVED

_TEXT = SAVED / "text" / "wic_en_digital_silk_road.txt"
_HTML = SAVED / "html" / "wic_en_youth_forum.html"
_TITLE_TEXT = "Wuzhen forum maps out a digital Silk Road for small traders"
_TITLE_HTML = "Young coders pitch apps for rural clinics at Wuzhen contest"
_URL = "http://www.wicwuzhen.cn/web17/news/zxbd/201712/t20171204_5996312.shtml"


def make_corpus(folder: Path, count: int) -> Path:
    """``count`` pages, half text saves and half HTML saves, each a distinct article."""
    folder.mkdir(parents=True, exist_ok=True)
    text, page = _TEXT.read_text("utf-8"), _HTML.read_text("utf-8")
    for n in range(count):
        if n % 2:
            body = text.replace(_TITLE_TEXT, f"{_TITLE_TEXT}, part {n}")
            (folder / f"page_{n:05d}.txt").write_text(body, "utf-8")
        else:
            url = _URL.replace("5996312", f"{n:07d}")
            body = page.replace(_URL, url).replace(_TITLE_HTML, f"{_TITLE_HTML}, part {n}")
            (folder / f"page_{n:05d}.html").write_text(body, "utf-8")
    return folder


_EN_TEXT, _ZH_TEXT = _TEXT, SAVED / "text" / "wic_zh_digital_economy.txt"
_ZH_TITLE = "乌镇峰会聚焦数字经济国际合作"


def _gold_paragraphs(language: str) -> list[str]:
    """Every paragraph of the gold records in ``language``, in fixture order."""
    from tests.conftest import gold, saved_pages

    return [
        paragraph
        for page in saved_pages()
        for record in gold(page)
        if record.get("article", {}).get("language") == language
        for paragraph in record["article"]["paragraphs"]
    ]


def make_archive(folder: Path, count: int, body_chars: int = 6000) -> Path:
    """``count`` text saves of long articles, one in four Chinese, each a distinct article.

    A news archive's worst case for search: bodies of ``body_chars`` characters (a long
    China Daily story), written from the fixtures' own paragraphs in a different
    order for each page, so every common word is on every page many times.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sources = {
        "en": (_EN_TEXT.read_text("utf-8"), _TITLE_TEXT, _gold_paragraphs("en")),
        "zh": (_ZH_TEXT.read_text("utf-8"), _ZH_TITLE, _gold_paragraphs("zh")),
    }
    for n in range(count):
        page, title, paragraphs = sources["zh" if n % 4 == 3 else "en"]
        first, last = _body_span(page, paragraphs)
        body: list[str] = []
        i = n
        while sum(len(p) for p in body) < body_chars:
            body.append(paragraphs[i % len(paragraphs)])
            i += n % 7 + 1
        text = page[:first] + "\n\n".join(body) + page[last:]
        text = text.replace(title, f"{title} {n}", 1)
        (folder / f"article_{n:05d}.txt").write_text(text, "utf-8")
    return folder


def _body_span(page: str, paragraphs: list[str]) -> tuple[int, int]:
    """Where the body of a fixture's text save starts and ends (its first and last paragraph)."""
    lines = [p for p in paragraphs if p in page]
    first = min(page.index(p) for p in lines)
    last = max(page.index(p) + len(p) for p in lines)
    return first, last
