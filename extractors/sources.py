"""Turn the SOURCE arguments a user gives into pages to read.

A source is a file, a directory (walked recursively), a web address (fetched by
the crawler in ``fetchers/``) or ``@list.txt``, a text file naming one source per
line (blank lines and ``#`` comments skipped, relative paths taken from the list
file's folder).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from extractors.archives import MHTML_SUFFIXES, WARC_SUFFIXES
from extractors.records import RawPage
from wic_etl.errors import SourceError

# Saved-page formats a directory walk picks up (text, HTML, MHTML, WARC). A file
# named on the command line is always read, whatever its name; a walk skips the
# rest (gold records, images, a browser's "_files" folders of scripts and styles).
SAVED_PAGE_SUFFIXES = (".txt", ".text", ".html", ".htm", ".shtml", ".xhtml") + (
    MHTML_SUFFIXES + WARC_SUFFIXES
)


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def is_url(source: str) -> bool:
    return bool(_URL.match(source))


@dataclass(frozen=True)
class SourceList:
    files: tuple[str, ...]
    missing: tuple[str, ...]  # named sources that do not exist
    skipped: int  # files in walked directories that are not saved pages
    urls: tuple[str, ...] = ()  # web addresses, for the crawler


def _is_saved_page(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and name.endswith(SAVED_PAGE_SUFFIXES)


def _walk(directory: Path) -> tuple[list[str], int]:
    found: list[str] = []
    skipped = 0
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith("_files"))
        for name in sorted(files):
            path = Path(root, name)
            if _is_saved_page(path):
                found.append(str(path.resolve()))
            else:
                skipped += 1
    return found, skipped


def _read_list(list_path: Path, seen_lists: frozenset[Path]) -> list[str]:
    if list_path in seen_lists:
        raise SourceError(f"source list {list_path} includes itself; remove the loop")
    try:
        text = list_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"cannot read source list {list_path}: {exc.strerror}") from exc
    entries = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not entry.startswith("@") and not is_url(entry) and not Path(entry).is_absolute():
            entry = str(list_path.parent / entry)
        entries.append(entry)
    return entries


def expand_sources(sources: list[str] | tuple[str, ...]) -> SourceList:
    """Resolve every source to absolute file paths, in the order given, each once."""
    files: list[str] = []
    missing: list[str] = []
    urls: list[str] = []
    skipped = 0
    pending = [(s, frozenset[Path]()) for s in sources]
    while pending:
        source, lists = pending.pop(0)
        if source.startswith("@"):
            list_path = Path(source[1:]).resolve()
            entries = _read_list(list_path, lists)
            pending[0:0] = [(e, lists | {list_path}) for e in entries]
            continue
        if is_url(source):
            urls.append(source)
            continue
        path = Path(source)
        if path.is_dir():
            found, n = _walk(path)
            files.extend(found)
            skipped += n
        elif path.is_file():
            files.append(str(path.resolve()))
        else:
            missing.append(source)
    unique = tuple(dict.fromkeys(files))
    return SourceList(
        files=unique,
        missing=tuple(missing),
        skipped=skipped,
        urls=tuple(dict.fromkeys(urls)),
    )


def read_page(path: str) -> RawPage:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise SourceError(f"{path} disappeared before it could be read; check the path") from exc
    except IsADirectoryError as exc:
        raise SourceError(f"{path} is a directory; name the files in it instead") from exc
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}; check its permissions") from exc
    return RawPage(source=path, data=data)
