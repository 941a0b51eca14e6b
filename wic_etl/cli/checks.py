"""What the commands check before any work, and the messages of errors that are the machine's.

Each check takes seconds at most, where a run would take Prefect's start first:
a mistake found here is reported at once, as a one-line ``WicEtlError`` that
says what to do.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import NothingToReadError, WicEtlError
from core.settings import DEFAULTS

if TYPE_CHECKING:
    from readers.sources import SourceList


def check_sources(sources: list[str]) -> SourceList:
    """The sources, walked; a run with nothing to read is a mistake to report now."""
    from readers.sources import SAVED_PAGE_SUFFIXES, expand_sources

    found = expand_sources(sources)
    if found.files or found.urls:
        return found  # a missing source beside readable ones is a failure row of the run
    if found.missing:
        named = ", ".join(found.missing)
        raise WicEtlError(f"{named}: no such file or folder; check the path")
    skipped = f" (skipped: {found.skipped_text()})" if found.skipped else ""
    raise NothingToReadError(
        f"no saved pages found in {', '.join(sources)}{skipped}; wic-etl reads saved pages "
        f"named {', '.join(SAVED_PAGE_SUFFIXES)}: name such files, or a folder holding them"
    )


def require_database(path: str) -> None:
    """For the commands that only read a database: it must be there, and be more than 0 bytes."""
    where = Path(path)
    if not where.parent.is_dir():
        raise WicEtlError(
            f"there is no folder {where.parent} for --db {path}; check the path (a typing "
            "mistake?), or run `wic-etl ingest --db PATH` first to create a database"
        )
    if not where.is_file():
        raise WicEtlError(f"there is no database at {path}; run `wic-etl ingest` first")
    if where.stat().st_size == 0:
        raise WicEtlError(
            f"{path} is an empty file (0 bytes), not a wic-etl database yet: point --db at "
            f"your database, or run `wic-etl ingest --db {path} ...` to fill this one"
        )


def database_to_create(path: str, say: Callable[[str], None], later: bool = False) -> None:
    """For the commands that write a database: a new one is said, a missing folder refused.

    A ``--db`` in a folder that does not exist is far more often a typing mistake
    than a wish for a second, empty archive: only the default database's folder is
    made. ``later``: the database is created by the runs, not by this command.
    """
    where = Path(path)
    if where.exists():
        return
    if not where.parent.is_dir():
        if where.resolve() != Path(DEFAULTS.db).resolve():
            raise WicEtlError(
                f"the folder {where.parent} of --db {path} does not exist; check the path "
                f"(a typing mistake?), or create the folder first (mkdir -p {where.parent})"
            )
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WicEtlError(f"cannot create the folder {where.parent} ({exc})") from exc
    if later:
        say(f"There is no database at {path} yet: the first run will create it.")
    else:
        say(f"Creating a new database at {path}.")


def check_database(path: str) -> None:
    """Fail before Prefect starts (seconds of work) if the database cannot be used.

    Opening it creates it, or brings an older schema up to date.
    """
    from loaders.schema import open_database

    try:
        open_database(path).close()
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise WicEtlError(read_only_message(path, exc)) from exc
        if exc.errno == errno.ENOSPC:
            raise WicEtlError(f"the disk holding {path} is full; free some space") from exc
        raise WicEtlError(f"cannot open {path} ({exc}); check the path given to --db") from exc
    except sqlite3.Error as exc:
        if (message := storage_trouble(exc, path)) is not None:
            raise WicEtlError(message) from exc
        raise WicEtlError(
            f"cannot use {path} as the wic-etl database ({exc}): it is not an SQLite "
            "database wic-etl can use; give --db a new file name or an existing wic-etl "
            "database"
        ) from exc


def up_to_date_for_browsing(path: str) -> None:
    """Bring the schema up to date only if it needs it: browsing writes nothing else.

    A database that needs no migration is only read (no ``.lock`` file, no WAL
    switch), so it can be browsed from read-only media; one that needs a migration
    there cannot be, and the message says so and what to do.
    """
    from loaders.schema import ReadOnlyMediaError, cannot_write_beside, pending_migrations

    try:
        pending = pending_migrations(path)
    except ReadOnlyMediaError as exc:
        raise WicEtlError(str(exc)) from exc
    except sqlite3.Error:
        pending = None  # not readable as it stands: check_database says why
    if pending == []:
        return
    if pending and (why := cannot_write_beside(path)) is not None:
        raise WicEtlError(
            f"{path} was made by an older wic-etl: before it can be browsed its schema "
            f"must be brought up to date ({', '.join(pending)}), which writes to it, and "
            f"it cannot be written here ({why}). Copy it to a writable folder and point "
            "--db at the copy, or run this command once where it can be written"
        )
    check_database(path)


def storage_trouble(exc: BaseException, db: str | None, loads: bool = True) -> str | None:
    """A message for errors that are the machine's, not wic-etl's: a full or read-only disk."""
    text = str(exc).lower()
    where = f"the disk holding {db}" if db else "the disk"
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "disk is full" in text:
        kept = ": the batches already loaded are kept and will not be read again"
        return f"{where} is full ({exc}); free some space and run again{kept if loads else ''}"
    if "readonly database" in text or "read-only" in text:
        return read_only_message(db or "the database", exc)
    return None


def read_only_message(path: str, exc: BaseException) -> str:
    """Why a database cannot be written, and the two ways out."""
    folder = Path(path).resolve().parent
    return (
        f"{path} cannot be written ({exc}): wic-etl writes the database and, in the same "
        f"folder ({folder}), its -wal, -shm and .lock files. Make that folder and the "
        "database writable for this user, or copy the database to a writable place and "
        "point --db at the copy"
    )
