"""Every saved page in fixtures/saved against its expected-record file, field by field."""

from dataclasses import asdict
from pathlib import Path

import pytest

from core.records import Extracted
from extractors.extract import extract_page
from flows.batch import read_pages
from tests.conftest import ROOT, expected_for, gold, saved_pages

PAGES = saved_pages()


def test_there_are_gold_pages_in_every_saved_format():
    folders = [page.parent.name for page in PAGES]
    assert folders.count("text") >= 3 and folders.count("html") >= 3
    assert folders.count("mhtml") >= 1 and folders.count("warc") >= 1


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_gold_page(page: Path):
    assert expected_for(page).is_file(), f"{page.name} has no expected-record file"
    expected_pages = gold(page)
    read = read_pages([str(page)])
    assert not read.failures, read.failures
    assert len(read.pages) == len(expected_pages), "a different number of HTML documents"
    for raw, expected in zip(read.pages, expected_pages, strict=True):
        outcome = extract_page(raw)
        assert isinstance(outcome, Extracted), getattr(outcome, "message", outcome)
        article = outcome.article
        actual = {
            **{
                name: getattr(article, name)
                for name in expected["article"]
                if name not in ("paragraphs", "images", "organizers", "removed")
            },
            "paragraphs": list(article.paragraphs),
            "images": [asdict(image) for image in article.images],
            "organizers": list(article.organizers),
            "removed": [asdict(line) for line in article.removed],
        }
        mismatches = {
            field: (actual[field], want)
            for field, want in expected["article"].items()
            if actual[field] != want
        }
        assert not mismatches, f"{raw.source}: fields differing (got, expected): {mismatches}"
        document = outcome.document
        assert (document.format, document.encoding) == (expected["format"], expected["encoding"])
        if "url" in expected:
            assert raw.url == expected["url"]
        assert article.body == "\n\n".join(expected["article"]["paragraphs"])
