"""Bytes to text: BOM, then UTF-8, then the declared charset, then detection.

Chinese pages often declare ``gb2312``/``gbk`` but use characters only
``gb18030`` (their superset) has, so those labels decode as ``gb18030``. Valid
UTF-8 with non-ASCII bytes wins over any declaration: it almost never happens
by accident, while wrong declarations are common.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from core.errors import DecodeError

_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "ascii": "windows-1252",
    "us-ascii": "windows-1252",
    "iso-8859-1": "windows-1252",
    "latin-1": "windows-1252",
    "latin1": "windows-1252",
}
# [^<>] keeps each try inside one tag, and "(?:quote\s*)?" rather than "quote?\s*" leaves
# one way to read the blanks around a missing quote (the other way was quadratic).
_META_CHARSET = re.compile(rb"""<meta[^<>]+?charset\s*=\s*(?:["']\s*)?([A-Za-z0-9_:.-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = {
    b"\x1f\x8b": "gzip-compressed data",
    b"PK\x03\x04": "a ZIP archive",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"SQLite format 3": "an SQLite database",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_CONTROL_CHARS = tuple(c for c in map(chr, [*range(0x80), 0xFFFD]) if _CONTROL.match(c))


def normalise_label(label: str) -> str:
    """The codec to use for a charset label, or raise LookupError if Python has none."""
    name = label.strip().lower()
    return codecs.lookup(_SUPERSETS.get(name, name)).name


def declared_charset(data: bytes) -> str | None:
    """The charset a page declares in its meta tags, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def _writes_chinese(label: str) -> bool:
    try:
        return bool("中".encode(normalise_label(label), errors="ignore"))
    except LookupError:
        return False


def _candidates(header: str | None, meta: str | None) -> list[str]:
    """The declarations to try, in order: the server's, then the page's own.

    A server that labels a Chinese page ``iso-8859-1`` is a common misconfiguration,
    and a single-byte charset decodes any bytes without an error, so it would always
    win; when the page itself declares a charset that can write Chinese, that goes first.
    """
    if header and meta and not _writes_chinese(header) and _writes_chinese(meta):
        return [meta, header]
    return [label for label in (header, meta) if label]


def _refuse_binary(data: bytes) -> None:
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise DecodeError(
                f"this is {kind}, not a saved web page; save the page as text or HTML and try again"
            )
    head = data[:8192]
    if b"\x00" in head:
        raise DecodeError(
            f"binary data (NUL byte at offset {head.index(0)}), not a saved web page; "
            "save the page as text or HTML and try again"
        )


def _check_text(text: str, encoding: str) -> None:
    sample = text[:8192]
    if not any(char in sample for char in _CONTROL_CHARS):
        return  # the usual page: a few memchr scans instead of a regex pass
    bad = len(_CONTROL.findall(sample))
    if sample and bad / len(sample) > 0.02:
        raise DecodeError(
            f"decoded as {encoding} the page is {bad} control or invalid characters in its "
            f"first {len(sample)}; it looks binary or damaged: save the page again"
        )


def utf8_bytes(data: bytes, text: str, encoding: str) -> bytes | None:
    """``data`` when it is exactly ``text`` in UTF-8 (``decode`` gave ``(text, encoding)``).

    Then a parser may read the bytes as they are rather than have ``text`` encoded
    again. Every "utf-8" that ``decode`` returns decoded all of ``data`` strictly,
    except a detected one, decoded with replacement: a text that holds no U+FFFD had
    nothing replaced.
    """
    return data if encoding == "utf-8" and "\ufffd" not in text else None


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` or raise DecodeError with a reason a person understands."""
    if not data.strip():
        # No ";": `wic-etl status` groups failures by the text before one, and what
        # to do belongs in what it shows.
        what = "is empty" if not data else "holds only white space"
        raise DecodeError(f"the file {what}, with no page in it: save the page again")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            _check_text(text, encoding)
            return text, encoding
    _refuse_binary(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        _check_text(text, "utf-8")
        return text, "utf-8"
    for label in _candidates(declared, declared_charset(data)):
        try:
            encoding = normalise_label(label)
            text = data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
        _check_text(text, encoding)
        return text, encoding
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise DecodeError(
            "the bytes are not text in any encoding charset-normalizer knows; "
            "save the page again as UTF-8 text or HTML"
        )
    encoding = normalise_label(best.encoding)
    text = data.decode(encoding, errors="replace")
    _check_text(text, encoding)
    return text, encoding
