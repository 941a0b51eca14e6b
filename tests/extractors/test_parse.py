"""parse_html reads a page's UTF-8 bytes as they are: the same tree as from its text."""

from __future__ import annotations

import pytest
from lxml import etree

from extractors.decoding import decode, utf8_bytes
from extractors.html_page import parse_html
from tests.conftest import SAVED

ZH = "<p>世界互联网大会在乌镇举行 café\u00a0😀</p>"


def _tree(root: etree._Element) -> str:
    return etree.tostring(root.getroottree(), encoding="unicode")


@pytest.mark.parametrize(
    "head",
    [
        "",
        '<meta charset="gb2312">',
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
        '<meta charset="utf-16">',
    ],
)
def test_bytes_and_text_parse_alike_whatever_the_page_declares(head):
    data = f"<html><head>{head}<title>题</title></head><body>{ZH}</body></html>".encode()
    text, encoding = decode(data)
    utf8 = utf8_bytes(data, text, encoding)
    assert utf8 is data
    assert _tree(parse_html(text, utf8)) == _tree(parse_html(text))
    assert "乌镇" in _tree(parse_html(text, utf8))


def test_characters_xml_cannot_hold_are_spaces_either_way():
    filler = "<p>text</p>" * 20  # a few such characters, not a binary file
    data = f"<html><body><p>a\x0bb\x01c\ufffed</p>{ZH}{filler}</body></html>".encode()
    text, encoding = decode(data)
    root = parse_html(text, utf8_bytes(data, text, encoding))
    assert root.findtext(".//p") == "a b c d"


def test_a_saved_page_parses_alike_from_bytes():
    data = (SAVED / "html" / "cn_cd_museum_night.html").read_bytes()
    text, encoding = decode(data)
    utf8 = utf8_bytes(data, text, encoding)
    assert utf8 is not None
    assert _tree(parse_html(text, utf8)) == _tree(parse_html(text))


def test_only_bytes_that_are_the_text_in_utf8_are_offered():
    assert utf8_bytes(b"caf\xe9", "café", "windows-1252") is None
    # A detected UTF-8 decoded with replacement: the bytes are not the text.
    assert utf8_bytes(b"caf\xff", "caf\ufffd", "utf-8") is None
