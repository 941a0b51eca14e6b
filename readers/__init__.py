"""Saved pages in: the sources a user names (files, folders, @lists) and the archives
(MHTML, WARC) they hold, read under the size cap as RawPages."""
