"""Saved pages in: the sources a user names (files, folders, @lists) and the archives
(MHTML, WARC) they hold, read under the size cap as RawPages."""

from readers.archives import ArchiveRead, is_archive, read_archive
from readers.sources import SourceList, expand_sources, read_page

__all__ = ["ArchiveRead", "SourceList", "expand_sources", "is_archive", "read_archive", "read_page"]
