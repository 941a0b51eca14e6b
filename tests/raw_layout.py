"""A database taken back to the layout before the compact raw store, rows as they are."""

from __future__ import annotations

from loaders.raw_pages import stored_raw_page


def as_before_raw_store(db) -> None:
    """Every page's bytes stored as they are; the raw store's columns, indexes, table and
    migration row gone: a database of the wic-etl before it."""
    shas = [row[0] for row in db.execute("select sha256 from pages")]
    originals = {sha: stored_raw_page(db, sha) for sha in shas}
    for sha, data in originals.items():
        db.execute("update pages set raw = ? where sha256 = ?", [data, sha])
    for index in ("pages_delta_bases", "pages_without_dictionary"):
        db.execute(f"drop index {index}")
    for column in ("compression", "dictionary_id", "base_sha256"):
        db.execute(f"alter table pages drop column {column}")
    db.execute("drop table raw_dictionaries")
    db.execute("delete from _sqlite_migrations where name = 'add_compact_raw_store'")
