"""``wic-etl datasette``: browse the database in Datasette, with wic-etl's metadata."""

from __future__ import annotations

import argparse
import errno
import socket
from pathlib import Path

from rich.console import Console

from core.errors import WicEtlError
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
    # Bound before "Serving at" is printed: a port already taken is said as such,
    # and the address printed is one this command holds.
    listening = listen(args.host, args.port)
    import uvicorn

    from extractors.profiles import site_hosts
    from loaders.datasette_app import make_datasette

    name = Path(args.db).stem
    app = make_datasette(args.db, tuple(site_hosts())).app()
    console.print(
        f"Serving {args.db} at [bold]http://{args.host}:{args.port}/{name}[/bold] (Ctrl-C stops it)"
    )
    with listening:
        config = uvicorn.Config(app, log_level="warning")
        uvicorn.Server(config).run(sockets=[listening])
    return EXIT_OK


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port``, or a WicEtlError saying why it cannot be."""
    if not 0 < port < 65536:
        raise WicEtlError(f"--port {port} is not a port: give a number from 1 to 65535")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise WicEtlError(
            f"--host {host} is not an address of this machine ({exc.strerror}); "
            f"give one such as {DEFAULTS.datasette_host}"
        ) from exc
    try:
        server = socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise WicEtlError(
                f"port {port} on {host} is already taken by another program (another "
                f"`wic-etl datasette`?); pick a free one with --port, e.g. --port {port + 1}"
            ) from exc
        raise WicEtlError(
            f"cannot serve on {host} port {port} ({exc.strerror or exc}); pick another "
            "--port (ports below 1024 need root) or --host"
        ) from exc
    # As TCP by name: asyncio turns Nagle's algorithm off only on sockets whose protocol
    # says TCP, and create_server's say 0. With it on, every page after the first on a
    # kept-alive connection waited 40 ms for the browser's delayed ACK (an article page
    # took 60 ms instead of 15).
    return socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, server.detach())
