"""What Datasette users see: markup stored in text columns is shown escaped, never run."""

import asyncio

from datasette.app import Datasette

from extractors.extract import RULESET, extract_page
from extractors.records import Extracted, RawPage
from loaders.schema import open_database
from loaders.store import load_outcomes, start_run
from tests.conftest import SAVED

PAYLOAD = "<script>alert('wic')</script><img src=x onerror=alert(1)>"


def test_markup_in_text_columns_is_escaped_in_datasette(tmp_path):
    page = (SAVED / "text" / "wic_en_digital_silk_road.txt").read_text("utf-8")
    page = page.replace(
        "The conference will publish a summary",
        f"A reader wrote {PAYLOAD} in a comment. The conference will publish a summary",
    )
    outcome = extract_page(RawPage("hostile.txt", page.encode()))
    assert isinstance(outcome, Extracted)
    assert PAYLOAD in outcome.article.body  # text in a text save is kept as text
    db_path = tmp_path / "wic.db"
    db = open_database(db_path)
    start_run(db, "run-1", "ingest", ["hostile.txt"])
    load_outcomes(db, [outcome], "run-1", RULESET)
    db.close()

    async def fetch(path: str) -> str:
        response = await Datasette([str(db_path)]).client.get(path)
        assert response.status_code == 200
        return response.text

    for path in (f"/wic/articles/{outcome.article.id}", "/wic/articles?_search=reader"):
        html = asyncio.run(fetch(path))
        assert "&lt;script&gt;alert(" in html
        assert PAYLOAD not in html
        assert "<script>alert(" not in html
