"""``wic-etl export wacz|jsonl OUT``: the archive out, for replay tools or for data tools."""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import sys
from pathlib import Path

from rich.console import Console

from core.errors import WicEtlError
from wic_etl.cli.checks import require_database, up_to_date_for_browsing
from wic_etl.cli.command import Commands
from wic_etl.cli.exits import EXIT_OK
from wic_etl.cli.options import database, debug, iso_date
from wic_etl.cli.render import say

HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def export(commands: Commands) -> None:
    """Export the archive: a WACZ for ReplayWeb.page and pywb, or JSON Lines."""
    parser = commands.add(
        "export",
        run_export,
        help="write the archive out: a WACZ for replay tools, or one article a line as JSON",
        description="Write the archive out. `wacz`: a WACZ (WARC records of the crawl, the "
        "saved pages and kept images as resource records, a CDXJ index, the pages list "
        "and a data package with SHA-256 digests) that ReplayWeb.page and pywb open. "
        "`jsonl`: one article a line with every field, its images, organizers, removed "
        "lines and versions, for pandas or DuckDB. Reads the database (and the WARC "
        "folder beside it) only.",
        parents=[database(), debug()],
        exit_codes=True,
    )
    parser.add_argument("format", choices=("wacz", "jsonl"), help="what to write")
    parser.add_argument(
        "out", metavar="OUT", help="the file to write (jsonl: `-` writes to the standard output)"
    )
    parser.add_argument(
        "--since",
        type=iso_date,
        metavar="DATE",
        help="only articles with a page read or fetched on or after DATE (YYYY-MM-DD, UTC), "
        "and only WARC records dated from then",
    )
    parser.add_argument(
        "--site",
        type=site_name,
        metavar="SITE",
        help="only articles of SITE (a host family such as chinadaily.com.cn or "
        "wicwuzhen.cn), and only WARC records of its hosts (and of its articles' images)",
    )


def site_name(value: str) -> str:
    """A ``--site`` value: a host name such as chinadaily.com.cn."""
    site = value.strip().lower().rstrip(".")
    if not HOST.match(site):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a site: give a host family such as chinadaily.com.cn"
        )
    return site


def check_site(db: str, site: str) -> None:
    """A ``--site`` must be a site wic-etl knows or one the database holds articles of:
    a misspelt one would export nothing and say nothing."""
    from extractors.profiles import host_families
    from flows.export import stored_sites

    known = {*host_families(), *stored_sites(db)}
    if site not in known:
        raise WicEtlError(f"--site {site}: no such site; give one of {', '.join(sorted(known))}")


def run_export(args: argparse.Namespace, console: Console) -> int:
    """Write the WACZ or the JSON Lines; one line says what was written."""
    require_database(args.db)
    from loaders.schema import pending_migrations

    try:
        pending = pending_migrations(args.db)
    except sqlite3.Error:
        pending = []  # not readable as it stands: the export says why
    if "create_core_tables" in pending:  # another program's database: never made one of ours
        raise WicEtlError(f"{args.db} has no wic-etl tables; is it a wic-etl database?")
    up_to_date_for_browsing(args.db)  # an older layout: its pages are stored otherwise
    try:
        return export_to(args, console)
    except sqlite3.Error as exc:
        raise WicEtlError(
            f"cannot read the articles in {args.db} ({exc}); is it a wic-etl database?"
        ) from exc


def export_to(args: argparse.Namespace, console: Console) -> int:
    """The export itself, the database known to be there."""
    from flows import export as exports

    if args.site is not None:
        check_site(args.db, args.site)
    tell = say(console)
    if args.format == "jsonl" and args.out == "-":
        try:
            counts = exports.export_jsonl(args.db, sys.stdout, args.since, args.site)
            sys.stdout.flush()
        except BrokenPipeError:  # `| head`: the reader has all it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        print(f"{counts.articles} articles written to the standard output.", file=sys.stderr)
        return EXIT_OK
    out = Path(args.out)
    if out.is_dir():
        raise WicEtlError(
            f"{out} is a folder: name the file to write, such as {out}/wic.{args.format}"
        )
    try:
        if args.format == "jsonl":
            partial = out.with_name(out.name + ".partial")
            try:
                with partial.open("w", encoding="utf-8") as stream:
                    counts = exports.export_jsonl(args.db, stream, args.since, args.site)
                partial.replace(out)
            finally:
                partial.unlink(missing_ok=True)  # stopped half-way: no half file left
            tell(f"{counts.articles} articles written to {out} ({out.stat().st_size:,} bytes).")
            return EXIT_OK
        wacz = exports.export_wacz(args.db, out, args.since, args.site)
    except exports.WarcReadError as exc:
        raise WicEtlError(
            f"{exc}; move it out of {exports.warc_folder(args.db)} to export"
        ) from exc
    except OSError as exc:
        raise WicEtlError(f"{exc.filename or out}: {exc.strerror or exc}; check that path") from exc
    summary = wacz.summary
    assert summary is not None
    for problem in summary.problems:
        tell(f"Warning: {problem}.")
    tell(
        f"{wacz.articles} articles, {summary.records} WARC records in {summary.warc_files} "
        f"WARC files, written to {out} ({summary.size:,} bytes)."
    )
    return EXIT_OK
