"""Records and raw bytes out: WARC files of the crawl, WACZ and JSONL exports, feeds.

The floor of ``readers`` (bytes in), the other way round: a writer is handed records
and bytes by a flow, which reads them from the ``Store``; it imports ``core`` only,
never ``loaders`` or the command line, so an output never lands in the loader or the CLI.
"""

__all__: list[str] = []
