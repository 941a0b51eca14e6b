"""Turn the SOURCE arguments a user gives into pages to read.

A source is a file, a directory (walked recursively), a web address (fetched by
the crawler in ``fetchers/``) or ``@list.txt``, a text file naming one source per
line (blank lines and ``#`` comments skipped, relative paths taken from the list
file's folder).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from core.errors import SourceError, too_large
from core.records import FileStamp, RawPage
from core.settings import DEFAULTS
from readers.archives import MHTML_SUFFIXES, WARC_SUFFIXES

# Saved-page formats a directory walk picks up (text, HTML, MHTML, WARC). A file
# named on the command line is always read, whatever its name; a walk skips the
# rest (gold records, images, a browser's "_files" folders of scripts and styles: the
# images there that an article shows are read with its page, readers/saved_images.py).
SAVED_PAGE_SUFFIXES = (".txt", ".text", ".html", ".htm", ".shtml", ".xhtml") + (
    MHTML_SUFFIXES + WARC_SUFFIXES
)


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def is_url(source: str) -> bool:
    """Whether a source is a web address rather than a path."""
    return bool(_URL.match(source))


@dataclass(frozen=True)
class SourceList:
    """Sources resolved: files to read, addresses to crawl, what is missing or skipped."""

    files: tuple[str, ...]
    missing: tuple[str, ...]  # named sources that do not exist
    skipped: int  # files in walked directories that are not saved pages
    urls: tuple[str, ...] = ()  # web addresses, for the crawler
    # What those skipped files were, most first: (".jpg", 3), ("hidden", 1), ...
    skipped_kinds: tuple[tuple[str, int], ...] = ()

    def skipped_text(self) -> str:
        """``3 .jpg, 1 .pdf, 1 hidden``: what a walk left out, for a message."""
        return ", ".join(f"{n} {kind}" for kind, n in self.skipped_kinds)


def _skip_kind(name: str, info: os.stat_result | None) -> str:
    """What to call a skipped file in a message: its suffix, or why it is not read.

    ``info`` is its ``_stat``; hidden files are counted by the walk, never stat'ed.
    """
    if not _may_be_regular(info):
        return "not a regular file"
    suffix = Path(name).suffix.lower()
    return suffix if suffix else "without suffix"


def _is_saved_page(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and name.endswith(SAVED_PAGE_SUFFIXES)


def _walk(directory: Path) -> tuple[list[str], Counter[str]]:
    found: list[str] = []
    skipped: Counter[str] = Counter()
    # os.walk does not follow links to folders, so a link back up cannot loop it.
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not d.endswith("_files"))
        for name in sorted(files):
            if name.startswith("."):
                skipped["hidden"] += 1  # never stat'ed
                continue
            path = os.path.join(root, name)
            info = _stat(path)  # once: both branches below use it
            if _is_saved_page(Path(path)) and _may_be_regular(info):
                found.append(_absolute(path))
            else:
                skipped[_skip_kind(name, info)] += 1
    return found, skipped


def _stat(path: str) -> os.stat_result | None:
    """The file's status, links followed; None when there is none to have."""
    try:
        return os.stat(path)
    except OSError:
        return None


def _may_be_regular(info: os.stat_result | None) -> bool:
    """False for a FIFO, device or socket: a walk skips them (opening a FIFO blocks forever).

    A link that loops or points nowhere (no status, ``info`` None) stays in, so that
    reading it reports it.
    """
    return info is None or stat.S_ISREG(info.st_mode)


def _absolute(path: str) -> str:
    """A regular file's real path (one file reached twice is read once), else the path given.

    realpath, not Path.resolve: resolve raises RuntimeError on a symlink loop, which
    stopped the whole run. What is not a regular file keeps the name it was given, so
    its failure names the link rather than, say, /dev/zero.

    The real path is stat'ed itself, even where the walk has the given path's status:
    the two can differ (a link into /proc/PID/fd/ to a deleted file is a regular file,
    its realpath "... (deleted)" nothing), and then the given name is the one to keep.
    """
    real = os.path.realpath(path)
    try:
        if stat.S_ISREG(os.stat(real).st_mode):
            return real
    except OSError:
        pass
    return os.path.abspath(path)


def _read_list(list_path: Path, seen_lists: frozenset[Path]) -> list[str]:
    if list_path in seen_lists:
        raise SourceError(f"source list {list_path} includes itself; remove the loop")
    try:
        # surrogateescape: a list may name files whose names are not UTF-8.
        text = list_path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise SourceError(f"cannot read source list {list_path}: {exc.strerror}") from exc
    entries = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if is_url(entry):
            entries.append(entry)
            continue
        # Relative paths, of pages and of nested lists alike, are from this list's folder.
        marker, name = ("@", entry[1:]) if entry.startswith("@") else ("", entry)
        entries.append(marker + str(list_path.parent / name))
    return entries


def expand_sources(sources: list[str] | tuple[str, ...]) -> SourceList:
    """Resolve every source to absolute file paths, in the order given, each once."""
    files: list[str] = []
    missing: list[str] = []
    urls: list[str] = []
    skipped: Counter[str] = Counter()
    pending = [(s, frozenset[Path]()) for s in sources]
    while pending:
        source, lists = pending.pop(0)
        if source.startswith("@"):
            list_path = Path(_absolute(source[1:]))
            entries = _read_list(list_path, lists)
            pending[0:0] = [(e, lists | {list_path}) for e in entries]
            continue
        if is_url(source):
            urls.append(source)
            continue
        path = Path(source)
        if path.is_dir():
            found, kinds = _walk(path)
            files.extend(found)
            skipped.update(kinds)  # adds the counts
        elif os.path.lexists(path):
            # Named, anything that exists is read: a FIFO, device or broken link is then
            # a failure saying what it is, rather than "does not exist".
            files.append(_absolute(source))
        else:
            missing.append(source)
    unique = tuple(dict.fromkeys(files))
    return SourceList(
        files=unique,
        missing=tuple(missing),
        skipped=skipped.total(),
        urls=tuple(dict.fromkeys(urls)),
        skipped_kinds=tuple(sorted(skipped.items(), key=lambda item: (-item[1], item[0]))),
    )


def read_page(path: str, max_bytes: int = DEFAULTS.max_bytes) -> RawPage:
    """A regular file's bytes, at most ``max_bytes`` of them; SourceError for anything else."""
    try:
        # stat before open: opening a FIFO blocks, and opening a device can act on it.
        _refuse_irregular(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError as exc:
        raise _missing(path) from exc
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    # The descriptor read as it is: a file object around it costs a fifth of the reading.
    try:
        # fstat the open file: the path may have been swapped for a FIFO after the stat.
        # The clock first: a write after it moves the ctime past it (see FileStamp).
        read_ns = time.time_ns()
        info = os.fstat(fd)
        _refuse_irregular(path, info)
        if info.st_size > max_bytes:
            raise SourceError(too_large(path, max_bytes, info.st_size))
        # Read one byte past the cap, never the whole file: a size can lie (/proc) or grow.
        data = _read_upto(fd, max_bytes + 1, info.st_size)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise SourceError(too_large(path, max_bytes))
    return RawPage(source=path, data=data, file=FileStamp.of(info, read_ns))


def _read_upto(fd: int, limit: int, size: int) -> bytes:
    """The file's first ``limit`` bytes (fewer at its end), read as if in one ``read(limit)``.

    ``read(limit)`` allocates ``limit`` bytes before reading any: 10 MB per page,
    which cost five times the reading of a 120 KB page. So the size the file states,
    plus one byte to notice it is larger than it says, comes first.
    """
    want = min(size + 1, limit)
    data = _read(fd, want)
    if len(data) == want < limit:  # the file goes on past its stated size
        data += _read(fd, limit - want)
    return data


def _read(fd: int, count: int) -> bytes:
    """``count`` bytes, fewer only at the end of the file (``os.read`` may return fewer)."""
    data = os.read(fd, count)
    while len(data) < count and (more := os.read(fd, count - len(data))):
        data += more
    return data


_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory; name the files in it instead"),
    (stat.S_ISFIFO, "a FIFO (named pipe), not a saved page; name the saved file instead"),
    (stat.S_ISSOCK, "a socket, not a saved page; name the saved file instead"),
    (stat.S_ISCHR, "a character device, not a saved page; name the saved file instead"),
    (stat.S_ISBLK, "a block device, not a saved page; name the saved file instead"),
)


def _refuse_irregular(path: str, info: os.stat_result) -> None:
    if stat.S_ISREG(info.st_mode):
        return
    what = next((text for test, text in _NOT_REGULAR if test(info.st_mode)), None)
    raise SourceError(f"{path} is {what or 'not a regular file; name a saved page instead'}")


def _missing(path: str) -> SourceError:
    if os.path.islink(path):
        return SourceError(
            f"{path} is a symbolic link to {os.readlink(path)}, which does not exist; "
            "fix or remove the link"
        )
    return SourceError(f"{path} disappeared before it could be read; check the path")


def _unreadable(path: str, exc: OSError) -> SourceError:
    if exc.errno == errno.ELOOP:
        return SourceError(
            f"{path} is a symbolic link that loops (it leads back to itself); fix or "
            "remove the link"
        )
    return SourceError(f"cannot read {path}: {exc.strerror}; check its permissions")
