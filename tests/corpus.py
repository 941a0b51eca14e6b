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
