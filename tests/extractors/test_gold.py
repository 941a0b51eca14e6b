"""Every saved page in fixtures/saved against its expected-record file, field by field."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from extractors.extract import extract_page
from extractors.records import Extracted, RawPage
from tests.conftest import ROOT, saved_pages

PAGES = saved_pages()


def expected_for(page: Path) -> Path:
    return page.with_name(page.name.rsplit(".", 1)[0] + ".expected.json")


def test_there_are_at_least_three_gold_pages_per_format():
    by_format = {".txt": 0, ".html": 0}
    for page in PAGES:
        by_format[page.suffix] += 1
    assert by_format[".txt"] >= 3
    assert by_format[".html"] >= 3


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_gold_page(page: Path):
    expected_file = expected_for(page)
    assert expected_file.is_file(), f"{page.name} has no expected-record file {expected_file.name}"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    outcome = extract_page(RawPage(str(page), page.read_bytes()))
    assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
    article = outcome.article
    actual = {
        "format": outcome.document.format,
        "encoding": outcome.document.encoding,
        "article": {
            **{
                name: getattr(article, name)
                for name in expected["article"]
                if name not in ("paragraphs", "images", "organizers", "removed")
            },
            "paragraphs": list(article.paragraphs),
            "images": [asdict(image) for image in article.images],
            "organizers": list(article.organizers),
            "removed": [asdict(line) for line in article.removed],
        },
    }
    mismatches = {
        field: (actual["article"][field], want)
        for field, want in expected["article"].items()
        if actual["article"][field] != want
    }
    assert not mismatches, f"fields differing (got, expected): {mismatches}"
    assert (actual["format"], actual["encoding"]) == (expected["format"], expected["encoding"])
    assert article.body == "\n\n".join(expected["article"]["paragraphs"])
