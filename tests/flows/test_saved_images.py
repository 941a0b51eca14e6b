"""Images saved with a page are kept with its article: a browser's ``Name_files/`` folder
beside an HTML save, the image parts of an MHTML file, the image responses of a WARC."""

from __future__ import annotations

import hashlib
import io
import shutil
import sqlite3
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from flows.batch import ExtractedBatch, extract_batch, ingest_batch
from loaders.store import Store
from readers.saved_images import saved_images
from tests.conftest import FIXTURES, SAVED

PHOTO = (FIXTURES / "site/images/hopper.jpg").read_bytes()
REAL = FIXTURES / "real/en_2024_article_magichtml.html"
REAL_URL = "https://www.chinadaily.com.cn/a/202405/13/WS664167f4a31082fc043c6af7.html"
REAL_IMAGE = "https://img2.chinadaily.com.cn/images/202405/13/664167f4a31082fc2b6dd35c.jpeg"
SAVE = "wic_en_html_cross_border_data.html"  # shows ./Forum seeks common ground_files/...
SAVED_SRC = "./Forum seeks common ground_files/W020231108583219987654.jpg"


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def load(db: Path, *paths: Path) -> None:
    with Store.open(str(db)) as store:
        store.start_run("run", "ingest", [str(p) for p in paths])
        counts = ingest_batch(store, [str(p) for p in paths], "run")
    assert counts.failed == 0, counts.failures


def saved_html(folder: Path, image: bytes | None = PHOTO) -> Path:
    page = folder / SAVE
    shutil.copy(SAVED / "html" / SAVE, page)
    if image is not None:
        files = folder / "Forum seeks common ground_files"
        files.mkdir()
        (files / "W020231108583219987654.jpg").write_bytes(image)
        (files / "style.css").write_text("body{}")  # not an image the article shows
    return page


def test_an_html_saves_files_folder_image_is_kept(tmp_path):
    page, db = saved_html(tmp_path), tmp_path / "w.db"
    load(db, page)
    sha = hashlib.sha256(PHOTO).hexdigest()
    assert rows(db, "select src, sha256, content_type, size from images") == [
        (SAVED_SRC, sha, "image/jpeg", len(PHOTO))
    ]
    ((data, url, source),) = rows(db, "select data, url, source from image_files")
    assert data == PHOTO and url == SAVED_SRC
    assert source == str(tmp_path / "Forum seeks common ground_files/W020231108583219987654.jpg")


def test_only_the_images_an_article_shows_travel_to_the_writer(tmp_path):
    page = saved_html(tmp_path)
    Store.open(str(tmp_path / "w.db")).close()
    batch: ExtractedBatch = extract_batch(str(tmp_path / "w.db"), [str(page)])
    (outcome,) = batch.outcomes
    resources = outcome.page.resources  # type: ignore[union-attr]
    assert [(r.url, r.data) for r in resources] == [(SAVED_SRC, PHOTO)]


def test_a_save_without_its_folder_loads_without_images_or_failures(tmp_path):
    page, db = saved_html(tmp_path, image=None), tmp_path / "w.db"
    load(db, page)
    assert rows(db, "select sha256 from images") == [(None,)]
    assert rows(db, "select count(*) from failures") == [(0,)]


def test_html_saved_as_the_image_is_a_failure_of_the_image_not_the_article(tmp_path):
    page, db = saved_html(tmp_path, image=b"<html><body>404</body></html>"), tmp_path / "w.db"
    with Store.open(str(db)) as store:
        store.start_run("run", "ingest", [str(page)])
        counts = ingest_batch(store, [str(page)], "run")
    assert counts.new == 1 and counts.failed == 0 and counts.images_failed == 1
    ((stage, message),) = rows(db, "select stage, message from failures")
    assert stage == "image" and "its bytes are HTML" in message
    assert rows(db, "select sha256 from images") == [(None,)]


def test_a_saved_path_cannot_leave_its_files_folder(tmp_path):
    outside = tmp_path / "secret.jpg"
    outside.write_bytes(PHOTO)
    (tmp_path / "x").mkdir()
    page = saved_html(tmp_path / "x")
    (page.parent / "Forum seeks common ground_files" / "out.jpg").symlink_to(outside)
    srcs = ["./Forum seeks common ground_files/../../secret.jpg", "/etc/passwd",
            "Forum seeks common ground_files/out.jpg", "../secret.jpg"]  # fmt: skip
    images, failures = saved_images(str(page), srcs)
    assert images == [] and failures == []


def test_mhtml_image_parts_are_kept_by_their_content_location(tmp_path):
    message = MIMEMultipart("related")
    message["Snapshot-Content-Location"] = REAL_URL
    html = MIMEText(REAL.read_text("utf-8"), "html", "utf-8")
    html["Content-Location"] = REAL_URL
    image = MIMEImage(PHOTO, "jpeg")
    image["Content-Location"] = REAL_IMAGE
    not_image = MIMEImage(b"<html>not found</html>", "jpeg")  # an error page saved as one
    not_image["Content-Location"] = "https://img2.chinadaily.com.cn/other.jpeg"
    for part in (html, image, not_image):
        message.attach(part)
    path, db = tmp_path / "page.mhtml", tmp_path / "w.db"
    data = message.as_bytes()
    # The email package folds the long address over two lines, as other writers may.
    assert f"Content-Location: \n {REAL_IMAGE}".encode() in data
    path.write_bytes(data)
    load(db, path)
    sha = hashlib.sha256(PHOTO).hexdigest()
    assert rows(db, "select src, sha256 from images") == [(REAL_IMAGE, sha)]
    assert rows(db, "select url, source from image_files") == [(REAL_IMAGE, f"{path}#{REAL_IMAGE}")]


def _warc(path: Path, records: list[tuple[str, bytes, str]]) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body, content_type in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type),
                                                  ("Content-Length", str(len(body)))],
                                       protocol="HTTP/1.1")  # fmt: skip
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=headers
                )
            )


def test_warc_image_responses_are_kept_with_the_article_that_shows_them(tmp_path):
    path, db = tmp_path / "crawl.warc.gz", tmp_path / "w.db"
    _warc(path, [
        (REAL_IMAGE, PHOTO, "image/jpeg"),  # before the page: the order does not matter
        (REAL_URL, REAL.read_bytes(), "text/html; charset=utf-8"),
        ("https://img2.chinadaily.com.cn/unused.png", PHOTO, "image/png"),
    ])  # fmt: skip
    load(db, path)
    sha = hashlib.sha256(PHOTO).hexdigest()
    assert rows(db, "select src, sha256, content_type from images") == [
        (REAL_IMAGE, sha, "image/jpeg")
    ]
    assert rows(db, "select url, source from image_files") == [(REAL_IMAGE, f"{path}#{REAL_IMAGE}")]


def test_the_fixture_archives_keep_their_images(tmp_path):
    db = tmp_path / "w.db"
    load(db, SAVED / "mhtml/chinadaily_en_rail_link.mhtml", SAVED / "warc/crawl_2025-12-09.warc.gz")
    kept = rows(db, "select i.src, f.size from images i join image_files f using (sha256) "
                    "order by i.src")  # fmt: skip
    assert kept == [
        ("http://www.wicwuzhen.cn/web19/news/201910/W020191020388112954163.jpg", 260),
        ("https://img2.chinadaily.com.cn/images/202411/18/673a8b2ca310f1265a1d3e2f.jpeg", 1028),
    ]


def test_reextracting_keeps_the_images_kept(tmp_path):
    from flows.batch import reextract_batch

    page, db = saved_html(tmp_path), tmp_path / "w.db"
    load(db, page)
    before = rows(db, "select src, sha256 from images")
    with Store.open(str(db)) as store:
        store.start_run("again", "reextract", [])
        shas = store.stored_page_ids()
        # A changed extractor rewrites the article's rows: the kept image stays linked.
        store.db.execute("update articles set record_sha256 = 'x'")
        store.db.conn.commit()
        reextract_batch(store, shas, "again")
    assert rows(db, "select src, sha256 from images") == before
