"""An image is what its bytes are: magic numbers decide, never a name or a header."""

from __future__ import annotations

import pytest

from core.errors import ImageError
from core.images import SVG, checked_image, image_type
from tests.conftest import FIXTURES

PHOTO = (FIXTURES / "site/images/hopper.jpg").read_bytes()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PHOTO, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\0\0\0\x1cftypavif\0\0\0\0", "image/avif"),
        (b'<?xml version="1.0"?>\n<!-- a chart -->\n<svg xmlns="http://www.w3.org/2000/svg">', SVG),
        (b"<!DOCTYPE html><html><body>404</body></html>", None),
        (b"<html><svg></svg></html>", None),  # an HTML page with an SVG in it is a page
        (b"", None),
        (b"%PDF-1.7", None),
    ],
)
def test_the_type_is_told_by_the_first_bytes(data, kind):
    assert image_type(data) == kind


def test_a_photo_served_as_an_image_is_kept_under_the_type_its_bytes_show():
    # A server that says PNG for a JPEG: the bytes win.
    assert checked_image(PHOTO, "image/png; charset=binary", "x.jpg") == "image/jpeg"
    assert checked_image(PHOTO, None, "x.jpg") == "image/jpeg"  # a saved file: no header


def test_html_served_as_a_jpeg_is_refused_saying_what_it_is():
    with pytest.raises(ImageError) as caught:
        checked_image(b"<!DOCTYPE html><title>Not found</title>", "image/jpeg", "u.jpg")
    message = str(caught.value)
    assert "u.jpg: served as image/jpeg but its bytes are HTML" in message
    assert "'<!DOCTYPE html><title>Not found</title>'" in message
    assert caught.value.stage == "image"


def test_a_photo_served_as_html_or_without_a_type_is_refused():
    for declared, said in (("text/html", "served as text/html"), ("", "no content type")):
        with pytest.raises(ImageError, match=said):
            checked_image(PHOTO, declared, "u.jpg")
