"""``wic-etl export``: what a user gets out, checked with the tools they would use.

A database of the saved fixture pages (what ``make run`` loads), plus one article
fetched live from the fixture site with its photo; that fetch is written, request and
response, to the WARC folder beside the database by warcio's own WARCWriter (as a crawl
writes it). Then:

- ``export jsonl``: every article a line, every field, its children and versions;
- ``export wacz``: py-wacz's ``wacz validate`` passes; pywb (its own venv, made by
  ``make test-tools``) replays the fetched article from the WACZ, in headless Chromium
  driven over the DevTools protocol: the title is there, the photo was loaded from
  pywb on 127.0.0.1 (the fixture site is shut down first and every other host is
  unresolvable), and a screenshot is saved.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from core.records import Extracted, RawPage
from extractors.extract import extract_page
from fetchers.http import Fetcher, FetchSettings
from fetchers.policy import HostPolicy
from flows.archiving import crawl_archive
from flows.batch import ReadResult, batch_of, ingest_batch, load_batch
from loaders.store import Store
from tests.conftest import BIN, ROOT, free_port, run_cli, saved_pages
from tests.site_server import FIXTURES, FixtureSite

PHOTO = ROOT / "tests" / "data" / "replay_photo.jpg"
ARTICLE_PATH = "/a/202512/08/WS6936a1b2a310d6866eb2c7f1.html"
PHOTO_PATH = "/images/202512/08/replay_photo.jpg"
LIVE_PHOTO = "//img2.chinadaily.com.cn/images/202512/08/6936a1b2a310d6866eb2c7f3.jpeg"
TOOLS = ROOT / ".venv-tools" / "pywb" / "bin"
REPLAYWEBPAGE = ROOT / ".venv-tools" / "replaywebpage-2.5.3" / "package"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
NO_PREFECT = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}  # export never talks to Prefect


def fetch_into_warc(
    site: FixtureSite, paths: list[str], store: Store, run_id: str
) -> list[RawPage]:
    """GET each path with the crawler's fetcher, archived by the crawl's own WARC writer
    (``flows/archiving.py``) into the folder beside the database and indexed in
    ``warc_records``; the pages as a crawl stores them."""
    pages: list[RawPage] = []
    log = logging.getLogger("tests.export")
    with crawl_archive(store, run_id, True, 10**9, log) as archive:
        assert archive is not None
        settings = FetchSettings(on_exchange=archive.exchange, rate_limit=0)

        async def fetch_all() -> None:
            fetcher = Fetcher(settings, HostPolicy.allowing(["127.0.0.1"]))
            try:
                for path in paths:
                    response = await fetcher.get(site.url(path))
                    pages.append(
                        RawPage(response.url, response.body, response.url,
                                response.header("content-type"), response.status,
                                response.headers)
                    )  # fmt: skip
            finally:
                await fetcher.close()

        asyncio.run(fetch_all())
        extracted = extract_page(pages[0])
        assert isinstance(extracted, Extracted)
        archive.article(extracted)
    return pages


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A database of the saved fixtures and one live-fetched article, its WARC folder."""
    tmp = tmp_path_factory.mktemp("export")
    db_path = tmp / "wic.db"
    page = (FIXTURES / "saved" / "html" / "chinadaily_en_ai_rules.html").read_text("utf-8")
    assert LIVE_PHOTO in page
    extra = {
        ARTICLE_PATH: (page.replace(LIVE_PHOTO, PHOTO_PATH).encode(), "text/html; charset=utf-8"),
        PHOTO_PATH: (PHOTO.read_bytes(), "image/jpeg"),
    }
    with Store.open(str(db_path)) as store:
        store.start_run("run-1", "ingest", ["fixtures"])
        ingest_batch(store, [str(p) for p in saved_pages()], "run-1")
        with FixtureSite(extra=extra) as site:
            base = site.base
            store.start_run("run-2", "crawl", [base])
            fetched = fetch_into_warc(site, [ARTICLE_PATH, PHOTO_PATH], store, "run-2")
        (warc,) = (tmp / "wic-warc").glob("*.warc.gz")
        article_page = fetched[0]
        load_batch(
            store,
            batch_of(ReadResult([article_page], []), set(), [extract_page(article_page)]),
            "run-2",
        )
    yield {"db": db_path, "tmp": tmp, "base": base, "warc": warc}


def table(db_path: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def test_jsonl_has_every_article_and_every_field_with_its_children(archive, tmp_path):
    out = tmp_path / "articles.jsonl"
    result = run_cli("export", "jsonl", str(out), "--db", str(archive["db"]), env=NO_PREFECT)
    assert result.returncode == 0, result.stderr
    lines = out.read_text("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    ids = {row[0] for row in table(archive["db"], "select id from articles")}
    assert {row["id"] for row in rows} == ids and len(rows) == len(ids)
    assert f"{len(ids)} articles written to {out}" in result.stdout
    columns = {row[1] for row in table(archive["db"], "pragma table_info(articles)")}
    for row in rows:
        assert columns | {"images", "organizers", "removed_lines", "versions"} <= set(row)
        assert row["versions"], f"article {row['id']} has no versions"
        assert isinstance(row["warnings"], list) and isinstance(row["subheads"], list)
    # Children are the database's, article by article.
    counts = dict(table(archive["db"], "select article_id, count(*) from images group by 1"))
    assert {r["id"]: len(r["images"]) for r in rows if r["images"]} == counts
    seed_like = next(r for r in rows if r["organizers"])
    assert all(o["name"] for o in seed_like["organizers"])
    assert any(r["removed_lines"] for r in rows)
    assert any("，" in r["body"] or "。" in r["body"] for r in rows)  # Chinese as it is
    assert "\\u" not in out.read_text("utf-8")


def test_jsonl_to_stdout_with_a_site_and_bad_options_say_what_to_do(archive):
    db = str(archive["db"])
    result = run_cli("export", "jsonl", "-", "--db", db, "--site", "wicwuzhen.cn", env=NO_PREFECT)
    assert result.returncode == 0, result.stderr
    sites = {json.loads(line)["site"] for line in result.stdout.splitlines()}
    assert sites == {"wicwuzhen.cn"}
    expected = table(archive["db"], "select count(*) from articles where site = 'wicwuzhen.cn'")
    assert len(result.stdout.splitlines()) == expected[0][0]
    assert "written to the standard output" in result.stderr
    future = run_cli("export", "jsonl", "-", "--db", db, "--since", "2999-01-01", env=NO_PREFECT)
    assert future.returncode == 0 and future.stdout == ""
    for bad in (["--since", "yesterday"], ["--since", "2026-13-01"], ["--site", "not a site!"]):
        result = run_cli("export", "wacz", "x.wacz", "--db", db, *bad, env=NO_PREFECT)
        assert result.returncode == 2, (bad, result.stderr)
        assert "Traceback" not in result.stderr and bad[1] in result.stderr
    typo = run_cli("export", "jsonl", "-", "--db", db, "--site", "chinadaily.com", env=NO_PREFECT)
    assert typo.returncode == 2 and typo.stdout == "" and "Traceback" not in typo.stderr
    assert "--site chinadaily.com: no such site; give one of" in typo.stderr
    assert "chinadaily.com.cn" in typo.stderr
    other = Path(archive["tmp"]) / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.close()
    foreign = run_cli("export", "jsonl", "-", "--db", str(other), env=NO_PREFECT)
    assert foreign.returncode == 2 and "is it a wic-etl database?" in foreign.stderr
    assert "Traceback" not in foreign.stderr
    nowhere = run_cli("export", "wacz", "/proc/x/y.wacz", "--db", db, env=NO_PREFECT)
    assert nowhere.returncode == 2 and "check that path" in nowhere.stderr
    assert "Traceback" not in nowhere.stderr
    missing = run_cli("export", "wacz", "x.wacz", "--db", "/nonexistent/wic.db", env=NO_PREFECT)
    assert missing.returncode == 2 and "there is no folder /nonexistent" in missing.stderr
    assert "Traceback" not in missing.stderr


@pytest.fixture(scope="module")
def wacz(archive) -> Path:
    out = archive["tmp"] / "out" / "wic.wacz"
    result = run_cli("export", "wacz", str(out), "--db", str(archive["db"]), env=NO_PREFECT)
    assert result.returncode == 0, result.stderr
    articles = table(archive["db"], "select count(*) from articles")[0][0]
    assert result.stdout.startswith(f"{articles} articles, ")
    assert len(result.stdout.strip().splitlines()) == 1
    return out


def test_the_wacz_passes_py_wacz_validation(wacz):
    result = subprocess.run(
        [str(BIN / "wacz"), "validate", "-f", str(wacz)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


def test_the_wacz_holds_the_crawl_records_and_the_saved_pages_as_resources(wacz, archive):
    with zipfile.ZipFile(wacz) as zipped:
        names = zipped.namelist()
        assert {"indexes/index.cdx.gz", "indexes/index.idx", "pages/pages.jsonl",
                "datapackage.json", "datapackage-digest.json"} <= set(names)  # fmt: skip
        for info in zipped.infolist():
            if info.filename.startswith(("archive/", "indexes/index.cdx.gz")):
                assert info.compress_type == zipfile.ZIP_STORED, info.filename
        crawl = zipped.read(f"archive/{archive['warc'].name}")
        assert crawl == archive["warc"].read_bytes()  # every record kept, byte for byte
        records = [
            (r.rec_type, r.rec_headers["WARC-Target-URI"], r.content_stream().read())
            for r in ArchiveIterator(io.BytesIO(zipped.read("archive/wic-etl-resources.warc.gz")))
        ]
        lines = zipped.read("pages/pages.jsonl").decode().splitlines()
        package = json.loads(zipped.read("datapackage.json"))
    kinds = {kind for kind, _, _ in records}
    assert kinds == {"warcinfo", "resource", "metadata"}  # never a made-up response
    saved = [(url, body) for kind, url, body in records if kind == "resource"]
    sources = {str(p) for p in saved_pages()}
    notes = [body.decode() for kind, _, body in records if kind == "metadata"]
    assert len(notes) == len(saved)
    # Saved pages say which file, fetched ones which address; kept images (those of the
    # MHTML and WARC fixtures) where their bytes were read.
    assert all("saved-file: " in n or "fetched-from: " in n or "image-source: " in n
               for n in notes), notes[0]  # fmt: skip
    assert any("image-source: " in n and ".mhtml#https://img2." in n for n in notes)
    assert any(any(s in n for s in sources) for n in notes)
    urns = [url for url, _ in saved if url.startswith("urn:wic-etl:page:")]
    no_url = table(
        archive["db"], "select count(*) from pages where url is null and article_id is not null"
    )
    assert len(urns) == no_url[0][0] > 0
    header, *entries = (json.loads(line) for line in lines)
    assert header["format"] == "json-pages-1.0"
    assert len(entries) == table(archive["db"], "select count(*) from articles")[0][0]
    assert all(e["url"] and e["ts"] and e["title"] and e["text"] for e in entries)
    fetched = archive["base"] + ARTICLE_PATH
    assert any(e["url"] == fetched for e in entries)
    assert package["wacz_version"] == "1.1.1"
    assert all(r["hash"].startswith("sha256:") for r in package["resources"])


def test_an_export_of_one_site_since_a_day_keeps_only_those(archive, tmp_path):
    db = str(archive["db"])

    def exported(*options: str) -> tuple[list[str], str]:
        out = tmp_path / "part.wacz"
        result = run_cli("export", "wacz", str(out), "--db", db, *options, env=NO_PREFECT)
        assert result.returncode == 0, result.stderr
        with zipfile.ZipFile(out) as zipped:
            index = gzip.decompress(zipped.read("indexes/index.cdx.gz")).decode()
            return zipped.namelist(), index

    names, index = exported("--site", "wicwuzhen.cn")
    assert f"archive/{archive['warc'].name}" not in names  # the fetches were of 127.0.0.1
    assert "wicwuzhen.cn" in index and "chinadaily.com.cn" not in index
    # The photo was fetched from another host (127.0.0.1), but it is an image of an
    # article of chinadaily.com.cn: it comes with its article.
    names, index = exported("--site", "chinadaily.com.cn")
    assert PHOTO_PATH in index and "wicwuzhen.cn" not in index
    names, index = exported("--since", "2999-01-01")
    assert "pages/pages.jsonl" in names and PHOTO_PATH not in index
    assert f"archive/{archive['warc'].name}" not in names


# The titles and images of the page and of every frame in it, shadow roots included:
# players show the archived page in a frame (pywb puts a page opened alone back in its
# replay frame; ReplayWeb.page's frames are inside its components' shadow roots).
EVERY_FRAME = """JSON.stringify((() => {
    const titles = [], images = [];
    const visit = (root) => {
        if (!root) return;
        if (root.nodeType === 9) titles.push(root.title);
        for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) visit(el.shadowRoot);
            if (el.tagName === 'IFRAME') { try { visit(el.contentDocument); } catch (e) {} }
            if (el.tagName === 'IMG') images.push([el.currentSrc, el.complete && el.naturalWidth]);
        }
    };
    visit(document);
    return {title: titles.join(' | '), images};
})())"""


async def devtools(port: int, url: str, shot: Path, settle: float = 1.0) -> dict:
    """Open ``url`` in the Chromium listening on ``port``; what the page shows and loads."""
    import websockets

    async with httpx.AsyncClient() as client:
        for _ in range(100):
            try:
                targets = (await client.get(f"http://127.0.0.1:{port}/json")).json()
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
        page = next(t for t in targets if t["type"] == "page")
    async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
        ids = iter(range(1, 10_000))
        events: list[dict] = []

        async def call(method: str, **params: object) -> dict:
            number = next(ids)
            await ws.send(json.dumps({"id": number, "method": method, "params": params}))
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == number:
                    return message.get("result", {})
                events.append(message)

        await call("Network.enable")
        await call("Page.enable")
        await call("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in events):
            assert time.monotonic() < deadline, "the page never finished loading"
            events.append(json.loads(await ws.recv()))
        await asyncio.sleep(settle)  # late images
        seen = await call(
            "Runtime.evaluate",
            # pywb puts a page opened alone back in its replay frame: look in the frames too.
            expression=EVERY_FRAME,
            returnByValue=True,
        )
        picture = await call("Page.captureScreenshot", format="png")
        shot.write_bytes(base64.b64decode(picture["data"]))
    responses = [
        e["params"]["response"] for e in events if e.get("method") == "Network.responseReceived"
    ]
    failed = [e["params"] for e in events if e.get("method") == "Network.loadingFailed"]
    return {**json.loads(seen["result"]["value"]), "responses": responses, "failed": failed}


@pytest.mark.slow
def test_pywb_replays_the_article_with_its_photo_from_the_wacz(wacz, archive, tmp_path):
    if not (TOOLS / "wayback").exists():
        pytest.fail("pywb is missing: `make test-tools` installs it in .venv-tools/pywb")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: `make test-tools` installs it (Debian package chromium)")
    home = tmp_path / "pywb"
    home.mkdir()
    for step in (["init", "wic"], ["add", "--unpack-wacz", "wic", str(wacz)]):
        made = subprocess.run([str(TOOLS / "wb-manager"), *step], cwd=home, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert made.returncode == 0, made.stderr
    port, debug_port = free_port(), free_port()
    log = (tmp_path / "pywb.log").open("w")
    pywb = subprocess.Popen([str(TOOLS / "wayback"), "-b", "127.0.0.1", "-p", str(port)],
                            cwd=home, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    browser = None
    try:
        replay = f"http://127.0.0.1:{port}/wic"
        for _ in range(150):
            try:
                if httpx.get(f"{replay}/", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                assert pywb.poll() is None, (tmp_path / "pywb.log").read_text()[-3000:]
                time.sleep(0.2)
        else:
            pytest.fail(
                "pywb did not answer in 30 s: " + (tmp_path / "pywb.log").read_text()[-3000:]
            )
        article = archive["base"] + ARTICLE_PATH  # that server is shut: only pywb can answer
        browser = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", f"--remote-debugging-port={debug_port}",
             "--window-size=1280,1600", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        shot = tmp_path / "replay.png"
        # The capture's time as the pages list gives it; mp_: the page alone, no replay frame.
        with zipfile.ZipFile(wacz) as zipped:
            lines = zipped.read("pages/pages.jsonl").decode().splitlines()[1:]
        ts = next(json.loads(line)["ts"] for line in lines if json.loads(line)["url"] == article)
        stamp = "".join(ch for ch in ts if ch.isdigit())[:14]
        seen = asyncio.run(devtools(debug_port, f"{replay}/{stamp}mp_/{article}", shot))
    finally:
        if browser is not None:
            browser.terminate()
            browser.wait(10)
        pywb.terminate()
        pywb.wait(10)
        log.close()
    assert "New rules ask AI services to label generated content" in seen["title"]
    photos = [r for r in seen["responses"] if r["url"].endswith(PHOTO_PATH)]
    assert photos, (seen["responses"], (tmp_path / "pywb.log").read_text()[-3000:])
    assert all(r["url"].startswith(f"{replay}/") and r["status"] == 200 for r in photos)
    assert all(r["mimeType"] == "image/jpeg" for r in photos)
    shown = [width for src, width in seen["images"] if src.endswith(PHOTO_PATH)]
    assert shown and all(width == 240 for width in shown), seen["images"]
    hosts = {httpx.URL(r["url"]).host for r in seen["responses"] if r["url"].startswith("http")}
    assert hosts == {"127.0.0.1"}
    assert all(f":{port}/" in r["url"] for r in seen["responses"] if r["url"].startswith("http"))
    assert shot.stat().st_size > 20_000, "a blank screenshot"


def resources_of(wacz: Path) -> dict[str, tuple[str, bytes]]:
    with zipfile.ZipFile(wacz) as zipped:
        data = zipped.read("archive/wic-etl-resources.warc.gz")
    return {
        r.rec_headers["WARC-Target-URI"]: (r.rec_headers["Content-Type"], r.content_stream().read())
        for r in ArchiveIterator(io.BytesIO(data))
        if r.rec_type == "resource"
    }


def test_kept_images_go_in_as_resources_when_no_warc_has_them(archive, tmp_path):
    # An image of a saved page kept in image_files (images.sha256 pointing at it): no
    # WARC record has it.
    db = tmp_path / "wic.db"
    shutil.copy(archive["db"], db)
    photo = PHOTO.read_bytes()
    with sqlite3.connect(db) as conn:
        article_id, src = conn.execute(
            "select i.article_id, i.src from images i join pages p on p.sha256 = "
            "(select page_sha256 from articles where id = i.article_id) "
            "where p.http_status is null order by i.rowid limit 1"
        ).fetchone()
        conn.execute("insert into image_files (sha256, content_type, size, data, url) "
                     "values ('cafe', 'image/jpeg', ?, ?, ?)",
                     [len(photo), photo, src])  # fmt: skip
        conn.execute("update images set sha256 = 'cafe' where article_id = ? and src = ?",
                     [article_id, src])  # fmt: skip
    out = tmp_path / "images.wacz"
    result = run_cli("export", "wacz", str(out), "--db", str(db), env=NO_PREFECT)
    assert result.returncode == 0, result.stderr
    assert resources_of(out)[src] == ("image/jpeg", photo)


def test_a_cut_warc_is_exported_but_its_last_record_and_a_warning_and_junk_is_an_error(
    archive, tmp_path
):
    db = tmp_path / "wic.db"
    shutil.copy(archive["db"], db)
    (tmp_path / "wic-warc").mkdir()
    whole = archive["warc"].read_bytes()
    (tmp_path / "wic-warc" / archive["warc"].name).write_bytes(whole[:-30])
    out = tmp_path / "cut.wacz"
    result = run_cli("export", "wacz", str(out), "--db", str(db), env=NO_PREFECT)
    assert result.returncode == 0, result.stderr
    assert "Warning: " in result.stdout and "not a whole record" in result.stdout
    with zipfile.ZipFile(out) as zipped:
        kept = zipped.read(f"archive/{archive['warc'].name}")
    assert kept and whole.startswith(kept) and len(kept) < len(whole)
    assert subprocess.run([str(BIN / "wacz"), "validate", "-f", str(out)],
                          capture_output=True).returncode == 0  # fmt: skip
    (tmp_path / "wic-warc" / "wic-20261205000000-0.warc.gz").write_bytes(b"<html>no</html>\n")
    result = run_cli("export", "wacz", str(out), "--db", str(db), env=NO_PREFECT)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "wic-20261205000000-0.warc.gz is not a readable WARC file" in result.stderr
    assert "move it out of" in result.stderr


class RangeFiles(SimpleHTTPRequestHandler):
    """Static files with byte ranges (``bytes=A-B``, ``A-``, ``-N``), as a web server
    serves a WACZ: ReplayWeb.page reads the zip's directory and records by range."""

    left: int | None = None

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        if self.left is None:
            self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self.translate_path(self.path)
        asked = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range") or "")
        if asked is None or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = asked.groups()
        start = int(first) if first else max(0, size - int(last))
        end = min(int(last) if first and last else size - 1, size - 1)
        stream = open(path, "rb")  # noqa: SIM115 (closed by the handler)
        stream.seek(start)
        self.left = end - start + 1
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(self.left))
        self.end_headers()
        return stream

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        if self.left is None:
            super().copyfile(source, outputfile)
        else:
            outputfile.write(source.read(self.left))


@pytest.mark.slow
def test_replaywebpage_replays_the_article_with_its_photo_from_the_wacz(wacz, archive, tmp_path):
    if not (REPLAYWEBPAGE / "sw.js").exists():
        pytest.fail("ReplayWeb.page is missing: `make test-tools` fetches it (npm replaywebpage)")
    site = tmp_path / "site"
    (site / "replay").mkdir(parents=True)
    shutil.copy(REPLAYWEBPAGE / "ui.js", site / "ui.js")
    shutil.copy(REPLAYWEBPAGE / "ui.js", site / "replay" / "ui.js")
    shutil.copy(REPLAYWEBPAGE / "sw.js", site / "replay" / "sw.js")
    shutil.copy(wacz, site / "wic.wacz")
    article = archive["base"] + ARTICLE_PATH  # that server is shut: only the archive answers
    # ReplayWeb.page's own embedding: the player, its service worker under /replay/.
    (site / "index.html").write_text(
        '<!doctype html><html><head><title>wic-etl archive</title><script src="/ui.js">'
        '</script></head><body style="margin:0"><replay-web-page style="display:block;'
        f'height:1500px" source="/wic.wacz" url="{article}" replayBase="/replay/" '
        'embed="replayonly"></replay-web-page></body></html>'
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeFiles, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    debug_port = free_port()
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--remote-debugging-port={debug_port}",
         "--window-size=1280,1600", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    shot = tmp_path / "replaywebpage.png"
    try:
        # The player starts its worker and reads the WACZ after the page has loaded.
        seen = asyncio.run(devtools(debug_port, f"{base}/index.html", shot, settle=12))
    finally:
        browser.terminate()
        browser.wait(10)
        server.shutdown()
        server.server_close()
    replayed = [r for r in seen["responses"] if r["url"].startswith(f"{base}/replay/w/")]
    pages = [r for r in replayed if r["url"].endswith(f"mp_/{article}")]
    assert pages and pages[-1]["status"] == 200, [(r["status"], r["url"]) for r in replayed]
    photos = [r for r in replayed if r["url"].endswith(PHOTO_PATH)]
    assert photos and all(r["status"] == 200 and r["mimeType"] == "image/jpeg" for r in photos)
    assert "New rules ask AI services to label generated content" in seen["title"]
    shown = [width for src, width in seen["images"] if src.endswith(PHOTO_PATH)]
    assert shown and all(width == 240 for width in shown), seen["images"]
    hosts = {httpx.URL(r["url"]).host for r in seen["responses"] if r["url"].startswith("http")}
    assert hosts == {"127.0.0.1"}
    assert all(r["url"].startswith(base) for r in seen["responses"] if r["url"].startswith("http"))
    assert shot.stat().st_size > 20_000, "a blank screenshot"


def test_a_database_of_an_older_layout_is_brought_up_to_date_and_exported(archive, tmp_path):
    from loaders.schema import open_database
    from tests.raw_layout import as_before_raw_store

    old = tmp_path / "old.db"
    shutil.copy(archive["db"], old)
    db = open_database(old)
    with db.conn:
        as_before_raw_store(db)
    db.close()
    out = tmp_path / "old.wacz"
    result = run_cli("export", "wacz", str(out), "--db", str(old), env=NO_PREFECT)
    assert result.returncode == 0, result.stdout + result.stderr
    articles = table(old, "select count(*) from articles")[0][0]
    assert result.stdout.startswith(f"{articles} articles, ") and out.stat().st_size > 0


def test_a_fetched_page_no_warc_holds_goes_in_though_its_address_was_captured(archive, tmp_path):
    # A version of the article fetched before WARCs were written: its address has a
    # capture in the WARC, but of other bytes. Its bytes go in as a resource; the page
    # the WARC holds does not go in twice.
    db = tmp_path / "wic.db"
    shutil.copy(archive["db"], db)
    shutil.copytree(archive["tmp"] / "wic-warc", tmp_path / "wic-warc")
    url = archive["base"] + ARTICLE_PATH
    ((served,),) = table(db, "select sha256 from pages where url = ?", url)
    page = (FIXTURES / "saved" / "html" / "chinadaily_en_ai_rules.html").read_bytes()
    older = page.replace(b"</h1>", b" (first version)</h1>", 1)
    fetched = RawPage(url, older, url, "text/html; charset=utf-8", 200, ())
    with Store.open(str(db)) as store:
        store.start_run("run-0", "crawl", [url])
        load_batch(store, batch_of(ReadResult([fetched], []), set(), [extract_page(fetched)]),
                   "run-0")  # fmt: skip
    out = tmp_path / "out.wacz"
    result = run_cli("export", "wacz", str(out), "--db", str(db), env=NO_PREFECT)
    assert result.returncode == 0, result.stderr
    resources = [data for _, data in resources_of(out).values()]
    assert older in resources
    assert not any(served == hashlib.sha256(data).hexdigest() for data in resources)
