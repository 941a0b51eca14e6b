"""The crawler keeps the images of the articles it fetches: politely, once, images only.

Against the fixture site on 127.0.0.1 (real-markup pages whose image host the server
points at itself, real photos); the tests read the database the crawl wrote.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import pytest

from extractors.profiles import host_families
from fetchers.crawl import Crawler, CrawlOptions, CrawlReport, Recheck, Rechecked
from fetchers.http import FetchSettings
from flows.batch import OutcomeWriter
from flows.ingest import PARSERS
from loaders.store import Store
from tests.conftest import FIXTURES
from tests.fetchers.test_crawl import crawl
from tests.site_server import FixtureSite

REAL = "/a/202405/13/WS664167f4a31082fc043c6af7.html"  # fixtures/real/en_2024_article_magichtml
REAL_IMAGE = "/images/202405/13/664167f4a31082fc2b6dd35c.jpeg"
PHOTO = FIXTURES / "site/images/flower.jpg"  # what the site serves at REAL_IMAGE
LISTING = "/china/society/"
# Two articles of the listing whose images are two addresses of the same bytes.
AI_IMAGE = "/images/202512/08/6936a1b2a310d6866eb2c7f3.jpeg"
BATTERY_IMAGE = "/images/202403/05/65e66c1ea31082fc043baf13.jpeg"


@pytest.fixture
def site():
    with FixtureSite(slow_seconds=2.0) as served:
        yield served


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_an_articles_image_is_fetched_and_kept_as_the_server_sent_it(site, tmp_path):
    db = tmp_path / "w.db"
    _, counts = crawl(db, [site.url(REAL)])
    assert counts.new == 1 and counts.images == 1 and counts.images_failed == 0
    photo = PHOTO.read_bytes()
    sha = hashlib.sha256(photo).hexdigest()
    ((src, image_sha, content_type, size),) = rows(
        db, "select src, sha256, content_type, size from images"
    )
    assert src == site.url(REAL_IMAGE)
    assert (image_sha, content_type, size) == (sha, "image/jpeg", len(photo))
    ((data, kind, url, source, run),) = rows(
        db, "select data, content_type, url, source, first_run from image_files"
    )
    assert data == photo  # the bytes as served (sent gzip-compressed, kept as they are)
    assert (kind, url, source, run) == ("image/jpeg", src, src, "run")


def test_an_image_kept_is_not_fetched_again_and_one_address_once_a_run(site, tmp_path):
    db = tmp_path / "w.db"
    _, counts = crawl(db, [site.url(LISTING)])
    assert counts.failed == 0
    for path in (AI_IMAGE, BATTERY_IMAGE):
        assert len(site.requested(path)) == 1, path
    # Two addresses of the same bytes: one image file, both rows pointing at it.
    shas = rows(db, "select sha256 from images where src in (?, ?)",
                site.url(AI_IMAGE), site.url(BATTERY_IMAGE))  # fmt: skip
    assert len(shas) == 2 and shas[0] == shas[1] and shas[0][0] is not None
    (kept,) = rows(db, "select count(*) from image_files where sha256 = ?", shas[0][0])
    assert kept == (1,)
    site.requests.clear()
    report, counts = crawl(db, [site.url(LISTING)])
    assert not [r.path for r in site.requests if r.path.startswith("/images/")]
    assert report.images_kept_before >= 4 and counts.images == 0


def test_html_served_as_a_jpeg_is_refused_and_the_article_still_loaded(site, tmp_path):
    db = tmp_path / "w.db"
    error_page = b"<!DOCTYPE html><html><body><h1>Image not found</h1></body></html>"
    site.extra[REAL_IMAGE] = (error_page, "image/jpeg")
    _, counts = crawl(db, [site.url(REAL)])
    assert counts.new == 1 and counts.failed == 0
    assert counts.images == 0 and counts.images_failed == 1
    ((source, stage, error_class, message),) = rows(
        db, "select source, stage, error_class, message from failures"
    )
    assert (source, stage, error_class) == (site.url(REAL_IMAGE), "image", "ImageError")
    assert "served as image/jpeg but its bytes are HTML" in message
    assert rows(db, "select sha256, content_type, size from images") == [(None, None, None)]
    assert rows(db, "select count(*) from image_files") == [(0,)]
    (note,) = counts.failures  # in the run's summary, with its reason
    assert note.stage == "image" and "not kept" in note.message


def test_an_image_served_as_text_is_refused(site, tmp_path):
    db = tmp_path / "w.db"
    site.extra[REAL_IMAGE] = (PHOTO.read_bytes(), "text/plain")
    _, counts = crawl(db, [site.url(REAL)])
    assert counts.images_failed == 1
    ((message,),) = rows(db, "select message from failures where stage = 'image'")
    assert "served as text/plain, not as an image" in message


def test_an_image_robots_txt_disallows_is_never_requested(site, tmp_path):
    db = tmp_path / "w.db"
    site.extra["/robots.txt"] = (b"User-agent: *\nDisallow: /images/\n", "text/plain")
    report, counts = crawl(db, [site.url(REAL)])
    assert counts.new == 1
    assert not site.requested(REAL_IMAGE)
    assert report.skipped["image disallowed by robots.txt"] == 1
    assert rows(db, "select sha256 from images") == [(None,)]


def test_an_image_over_the_byte_cap_is_not_kept(site, tmp_path):
    db = tmp_path / "w.db"
    small = PHOTO.read_bytes()[:4000]  # a JPEG's start: the page fits, the photo does not
    page = site.body_of(REAL)[0]
    site.extra[REAL] = (page, "text/html; charset=utf-8")
    fetch = FetchSettings(read_timeout=1, tries=1, max_bytes=len(page) + 1000)
    site.extra[REAL_IMAGE] = (small + b"\0" * (len(page) + 2000), "image/jpeg")
    _, counts = crawl(db, [site.url(REAL)], fetch=fetch)
    assert counts.new == 1 and counts.images_failed == 1
    ((message,),) = rows(db, "select message from failures where stage = 'image'")
    assert "limit" in message and "image not kept" in message


def test_images_can_be_left_alone(site, tmp_path):
    _, counts = crawl(tmp_path / "w.db", [site.url(REAL)], images=False)
    assert counts.new == 1 and not site.requested(REAL_IMAGE)


def _recheck(db: Path, url: str, article_id: str) -> CrawlReport:
    got: list[Rechecked] = []
    with Store.open(str(db)) as store:
        store.start_run("recheck", "recheck", [url])
        writer = OutcomeWriter(store, "recheck", 10)
        options = CrawlOptions(families=host_families(), allow_hosts=("127.0.0.1",),
                               fetch=FetchSettings(read_timeout=1, tries=1))  # fmt: skip
        crawler = Crawler(options, store.crawl_state(), writer, logging.getLogger("test"),
                          PARSERS, got.append)  # fmt: skip
        report = crawler.recheck([Recheck(article_id, url, conditional=False)])
        for answer in got:
            if answer.outcome is not None:
                writer(answer.outcome)
        writer.flush()
    return report


def test_a_recheck_fetches_only_the_images_at_new_addresses(site, tmp_path):
    db = tmp_path / "w.db"
    crawl(db, [site.url(REAL)])
    ((article_id,),) = rows(db, "select id from articles")
    page = site.body_of(REAL)[0]
    # A new version of the article: its photo at a new address, a sentence edited.
    new_image = "/images/202405/13/new-photo.jpeg"
    edited = page.replace(REAL_IMAGE.encode(), new_image.encode()).replace(
        b"Joggers run", b"Runners jog"
    )
    assert edited.count(new_image.encode()) == 1
    site.extra[REAL] = (edited, "text/html; charset=utf-8")
    site.extra[new_image] = ((FIXTURES / "site/images/hopper.jpg").read_bytes(), "image/jpeg")
    site.requests.clear()
    _recheck(db, site.url(REAL), article_id)
    assert site.requested(REAL)
    assert len(site.requested(new_image)) == 1
    assert not site.requested(REAL_IMAGE)  # kept already
    # The new version's rows point at the new photo.
    ((src, sha),) = rows(db, "select src, sha256 from images")
    assert src == site.url(new_image) and sha is not None
    assert rows(db, "select count(*) from image_files") == [(2,)]
    # A second re-check of the same version fetches no image.
    site.requests.clear()
    _recheck(db, site.url(REAL), article_id)
    assert not [r.path for r in site.requests if r.path.startswith("/images/")]


def test_images_on_hosts_not_crawled_are_not_fetched_and_counted(site, tmp_path):
    db = tmp_path / "w.db"
    page = site.body_of(REAL)[0].replace(
        site.url(REAL_IMAGE).encode(), b"https://photos.example.org/a.jpeg"
    )
    site.extra[REAL] = (page, "text/html; charset=utf-8")
    report, counts = crawl(db, [site.url(REAL)])
    assert counts.new == 1 and counts.images_failed == 0
    (reason,) = [r for r in report.skipped if r.startswith("image on a host not crawled")]
    assert report.skipped[reason] == 1
    assert rows(db, "select src, sha256 from images") == [
        ("https://photos.example.org/a.jpeg", None)
    ]
