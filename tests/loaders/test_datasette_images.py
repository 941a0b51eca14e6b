"""An article's page shows its images from the archive (``/<db>/-/image/<sha256>``), never
from the live site; the image route serves kept bytes defensively.

A crawl of the fixture site on 127.0.0.1 makes the database; wic-etl's own Datasette
app (the object ``wic-etl datasette`` serves) answers, in process and, for the last
test, to headless Chromium through a real HTTP server.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.records import ImageFile
from extractors.extract import RULESET
from loaders.datasette_app import make_datasette
from loaders.store import Store
from tests.conftest import FIXTURES, SITES, free_port
from tests.fetchers.test_crawl import crawl
from tests.site_server import FixtureSite

REAL = "/a/202405/13/WS664167f4a31082fc043c6af7.html"  # fixtures/real/en_2024_article_magichtml
REAL_IMAGE = "/images/202405/13/664167f4a31082fc2b6dd35c.jpeg"
PHOTO = (FIXTURES / "site/images/flower.jpg").read_bytes()
SHA = hashlib.sha256(PHOTO).hexdigest()
EVIL_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, FixtureSite, str]]:
    """A crawl of the real article (its photo kept), then an SVG kept; the site still up."""
    db = tmp_path_factory.mktemp("images") / "w.db"
    with FixtureSite() as site:
        crawl(db, [site.url(REAL)])
        with Store.open(str(db)) as store:
            store.start_run("svg", "ingest", ["svg"])
            svg = ImageFile("https://img2.chinadaily.com.cn/x.svg", EVIL_SVG, "image/svg+xml", "t")
            store.load([svg], "svg", RULESET)
        with sqlite3.connect(db) as conn:
            ((article_id,),) = conn.execute("select id from articles").fetchall()
        site.requests.clear()
        yield db, site, article_id


def get(db: Path, path: str) -> Any:
    async def fetch() -> Any:
        return await make_datasette(db, SITES).client.get(path)

    return asyncio.run(fetch())


def test_the_image_route_serves_the_kept_bytes_with_their_type_and_a_strict_policy(archive):
    db, _, _ = archive
    response = get(db, f"/w/-/image/{SHA}")
    assert response.status_code == 200
    assert response.content == PHOTO
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "content-disposition" not in response.headers  # a photo is shown inline


def test_an_svg_is_only_ever_a_download(archive):
    db, _, _ = archive
    response = get(db, f"/w/-/image/{hashlib.sha256(EVIL_SVG).hexdigest()}")
    assert response.status_code == 200 and response.content == EVIL_SVG
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["content-security-policy"]


def test_an_image_not_kept_is_not_found(archive):
    db, _, _ = archive
    assert get(db, f"/w/-/image/{'0' * 64}").status_code == 404
    assert get(db, "/w/-/image/not-a-digest").status_code == 404


def test_the_article_page_shows_its_image_from_the_archive(archive):
    db, site, article_id = archive
    page = get(db, f"/w/articles/{article_id}")
    assert page.status_code == 200
    assert f'<img src="/w/-/image/{SHA}"' in page.text
    assert site.url(REAL_IMAGE) not in re.findall(r'<img src="([^"]+)"', page.text)
    assert "Joggers run at Anlong Limestone Resort" in page.text  # its caption
    assert site.requests == []  # the page made nobody ask the live site


def test_an_image_not_kept_is_only_a_link_to_its_original_address(archive, tmp_path):
    db, site, article_id = archive
    copy = tmp_path / "w.db"
    shutil.copy(db, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("update images set sha256 = null, content_type = null, size = null")
    page = get(copy, f"/w/articles/{article_id}").text
    assert "<img" not in page.split('class="wic-body"')[1].split("wic-raw")[0]
    assert "Image not kept in the archive" in page
    assert f'href="{site.url(REAL_IMAGE)}"' in page


class _Recorded:
    """An ASGI app that notes each request's path, then lets the app answer it."""

    def __init__(self, app: Any) -> None:
        self.app, self.paths = app, []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(scope["path"])
        await self.app(scope, receive, send)


@pytest.mark.slow
def test_in_chromium_the_image_loads_from_the_archive_not_the_live_host(archive, tmp_path):
    import uvicorn

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("chromium is missing: `make test-tools` installs it (Debian package chromium)")
    db, site, article_id = archive
    app = _Recorded(make_datasette(db, SITES).app())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.05)
        site.requests.clear()
        url = f"http://127.0.0.1:{port}/w/articles/{article_id}"
        shot = tmp_path / "article.png"
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update",
                   f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,4000",
                   "--hide-scrollbars", f"--screenshot={shot}", url]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    assert f"/w/-/image/{SHA}" in app.paths  # the browser asked the archive for it
    assert site.requests == []  # and the live host (the fixture site, still up) for nothing
    assert shot.stat().st_size > 20_000
