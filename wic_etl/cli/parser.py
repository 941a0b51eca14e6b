"""The command line of ``wic-etl``, built from the commands' own registrations."""

from __future__ import annotations

import argparse

from wic_etl import __version__
from wic_etl.cli.command import Command, Commands
from wic_etl.cli.commands.browse import datasette
from wic_etl.cli.commands.compact import compact
from wic_etl.cli.commands.export import export
from wic_etl.cli.commands.ingest import ingest
from wic_etl.cli.commands.recheck import recheck
from wic_etl.cli.commands.reextract import reextract
from wic_etl.cli.commands.serve import serve
from wic_etl.cli.commands.server import server
from wic_etl.cli.commands.status import status
from wic_etl.cli.exits import EXIT_CODES

DESCRIPTION = "Turn China Daily and World Internet Conference pages into SQLite records."
# Every command, in the order `wic-etl --help` lists them.
COMMANDS: tuple[Command, ...] = (
    ingest,
    recheck,
    reextract,
    export,
    compact,
    serve,
    status,
    datasette,
    server,
)


def build_parser() -> argparse.ArgumentParser:
    """``wic-etl`` and its commands; each parsed command carries its handler (``func``)."""
    parser = argparse.ArgumentParser(
        prog="wic-etl",
        description=DESCRIPTION,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"wic-etl {__version__}")
    commands = Commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    for command in COMMANDS:
        command(commands)
    return parser
