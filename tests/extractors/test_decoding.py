import codecs

import pytest

from core.errors import DecodeError
from extractors.decoding import decode, normalise_label

ZH = "<p>世界互联网大会在乌镇举行，朱镕基与会。</p>"  # 镕 is in GBK but not in GB2312


def test_utf8_is_read_as_utf8():
    assert decode(ZH.encode("utf-8")) == (ZH, "utf-8")


def test_gb2312_declaration_decodes_as_gb18030_superset():
    page = f'<html><head><meta charset="gb2312"></head><body>{ZH}</body></html>'
    text, encoding = decode(page.encode("gbk"))
    assert encoding == "gb18030"
    assert "朱镕基" in text


def test_wrong_declaration_loses_to_valid_utf8():
    page = f'<html><head><meta charset="gb2312"></head><body>{ZH}</body></html>'
    text, encoding = decode(page.encode("utf-8"))
    assert encoding == "utf-8"
    assert "朱镕基" in text


def test_http_header_charset_is_used_when_bytes_are_not_utf8():
    text, encoding = decode(ZH.encode("gbk"), declared="GBK")
    assert (text, encoding) == (ZH, "gb18030")


def test_missing_declaration_is_detected():
    body = ZH * 20
    text, encoding = decode(f"<html><body>{body}</body></html>".encode("gb18030"))
    assert encoding == "gb18030"
    assert body in text


def test_byte_order_mark_wins():
    text, encoding = decode(codecs.BOM_UTF8 + b"Wuzhen")
    assert (text, encoding) == ("Wuzhen", "utf-8-sig")


def test_latin1_label_means_windows_1252():
    assert normalise_label("ISO-8859-1") == "cp1252"
    assert normalise_label("GB2312") == "gb18030"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"  \n\t \n", "white space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\x1f\x8b\x08\x00\x00\x00", "gzip"),
        (b"GIF89a" + bytes(range(256)), "GIF image"),
        (b"some text\x00\x01\x02 then binary", "NUL byte at offset 9"),
    ],
)
def test_non_text_is_refused_with_a_reason(data, reason):
    with pytest.raises(DecodeError, match=reason):
        decode(data)


def test_control_character_soup_is_refused():
    with pytest.raises(DecodeError, match="looks binary or damaged"):
        decode(bytes(range(1, 32)) * 50)
