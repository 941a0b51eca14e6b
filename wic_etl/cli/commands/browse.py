"""``wic-etl datasette``: browse the database in Datasette, with wic-etl's metadata."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from core.settings import DEFAULTS
from wic_etl.cli.checks import require_database, up_to_date_for_browsing
from wic_etl.cli.command import Commands
from wic_etl.cli.exits import EXIT_OK
from wic_etl.cli.options import database


def datasette(commands: Commands) -> None:
    """Browse the database in Datasette: search, facets, canned queries."""
    parser = commands.add(
        "datasette",
        run_datasette,
        help="browse the database in Datasette: search, facets, canned queries",
        description="Serve the database with Datasette and wic-etl's metadata.",
        parents=[database()],
    )
    parser.add_argument(
        "--host", default=DEFAULTS.datasette_host, help="address (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULTS.datasette_port, help="port (default: %(default)s)"
    )


def run_datasette(args: argparse.Namespace, console: Console) -> int:
    """Serve the database until stopped."""
    require_database(args.db)
    up_to_date_for_browsing(args.db)
    import uvicorn

    from extractors.profiles import site_hosts
    from loaders.datasette_app import make_datasette

    name = Path(args.db).stem
    app = make_datasette(args.db, tuple(site_hosts())).app()
    console.print(
        f"Serving {args.db} at [bold]http://{args.host}:{args.port}/{name}[/bold] (Ctrl-C stops it)"
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK
