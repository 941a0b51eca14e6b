"""The index of the WARC files (``warc_records``): where each record is, what it holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, fields

from sqlite_utils import Database

from core.records import ArchivedRecord

_COLUMNS = tuple(f.name for f in fields(ArchivedRecord))
# Answers with a payload of their own (not revisits): what an identical payload refers to.
_FIRST_WITH_DIGEST = (
    f"select {', '.join(_COLUMNS)} from warc_records where payload_digest = ? "
    "and record_type = 'response' order by id limit 1"
)
_LATEST_RESPONSE = (
    f"select {', '.join(_COLUMNS)} from warc_records where target_uri = ? "
    "and record_type = 'response' order by date desc, id desc limit 1"
)


def add_records(db: Database, records: Sequence[ArchivedRecord], run_id: str | None) -> None:
    """Index records; a record indexed already (same file and offset) is left as it is."""
    rows = [{**asdict(r), "run_id": run_id} for r in records]
    db.table("warc_records").insert_all(rows, ignore=True)


def with_payload(db: Database, digest: str) -> ArchivedRecord | None:
    """The first response record holding this payload."""
    row = db.execute(_FIRST_WITH_DIGEST, [digest]).fetchone()
    return ArchivedRecord(*row) if row else None


def latest_response(db: Database, uri: str) -> ArchivedRecord | None:
    """The latest response record of an address."""
    row = db.execute(_LATEST_RESPONSE, [uri]).fetchone()
    return ArchivedRecord(*row) if row else None
