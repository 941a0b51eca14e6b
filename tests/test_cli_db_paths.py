"""What the commands do with a ``--db`` that is not there, is empty, or a port that is taken."""

from __future__ import annotations

import socket

import pytest

from loaders.schema import open_database
from tests.conftest import SEED, run_cli

NO_PREFECT = {"PREFECT_API_URL": "http://127.0.0.1:9/api"}  # none of these may reach Prefect

# Every command that takes --db, with what else it needs to get as far as the database.
COMMANDS_WITH_DB = {
    "ingest": ["ingest", str(SEED)],
    "recheck": ["recheck"],
    "reextract": ["reextract"],
    "export": ["export", "jsonl", "{tmp}/out.jsonl"],
    "compact": ["compact"],
    "serve": ["serve"],
    "status": ["status"],
    "datasette": ["datasette"],
}


def said(result) -> str:
    return " ".join((result.stdout + result.stderr).split())


@pytest.mark.parametrize("name", sorted(COMMANDS_WITH_DB))
def test_a_db_in_a_folder_that_does_not_exist_is_refused_and_nothing_is_created(tmp_path, name):
    missing = tmp_path / "no" / "such" / "folder"
    args = [arg.format(tmp=tmp_path) for arg in COMMANDS_WITH_DB[name]]
    result = run_cli(*args, "--db", str(missing / "x.db"), env=NO_PREFECT, timeout=120)
    assert result.returncode == 2, said(result)
    assert "Traceback" not in result.stderr
    assert f"{missing}" in said(result) and "check the path" in said(result)
    assert not (tmp_path / "no").exists()  # no folders made, no second archive


def test_a_new_database_is_created_with_a_line_saying_so_and_only_then(tmp_path):
    db = tmp_path / "new.db"
    first = run_cli("ingest", str(SEED), "--db", str(db))
    assert first.returncode == 0, said(first)
    assert f"Creating a new database at {db}." in said(first)
    again = run_cli("ingest", str(SEED), "--db", str(db))
    assert again.returncode == 0, said(again)
    assert "Creating a new database" not in said(again)


def test_serve_says_that_its_runs_will_create_a_new_database(tmp_path):
    # serve itself needs Prefect: the line comes before that is asked for.
    result = run_cli("serve", "--db", str(tmp_path / "new.db"), env={
        "PREFECT_API_URL": "", "WIC_ETL_LOCAL_SERVER": "off"})  # fmt: skip
    assert f"There is no database at {tmp_path / 'new.db'} yet" in said(result), said(result)


@pytest.mark.parametrize("name", ["status", "datasette", "export"])
def test_a_read_only_command_refuses_a_missing_or_empty_database_file(tmp_path, name):
    args = [arg.format(tmp=tmp_path) for arg in COMMANDS_WITH_DB[name]]
    missing = run_cli(*args, "--db", str(tmp_path / "none.db"), env=NO_PREFECT)
    assert missing.returncode == 2 and "run `wic-etl ingest` first" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    (tmp_path / "empty.db").write_bytes(b"")
    empty = run_cli(*args, "--db", str(tmp_path / "empty.db"), env=NO_PREFECT)
    assert empty.returncode == 2, said(empty)
    assert "is an empty file (0 bytes), not a wic-etl database yet" in said(empty)
    assert "point --db at your database" in said(empty)
    assert (tmp_path / "empty.db").read_bytes() == b""


def test_datasette_on_a_taken_port_says_so_and_exits_2(tmp_path):
    db = tmp_path / "wic.db"
    open_database(db).close()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run_cli("datasette", "--db", str(db), "--port", str(port), env=NO_PREFECT)
    assert result.returncode == 2, said(result)
    assert "Serving" not in result.stdout
    assert f"port {port} on 127.0.0.1 is already taken" in said(result)
    assert f"--port {port + 1}" in said(result) and "Traceback" not in result.stderr


def test_datasettes_connections_send_at_once_not_after_the_browsers_delayed_ack():
    """The socket `wic-etl datasette` serves on gives connections with Nagle's algorithm
    off, as uvicorn's own do: with it on, every page after the first on a kept-alive
    connection waited 40 ms for the browser's delayed ACK."""
    import asyncio

    from wic_etl.cli.commands.browse import listen

    with socket.create_server(("127.0.0.1", 0)) as free:
        port = free.getsockname()[1]
    listening = listen("127.0.0.1", port)

    async def accepted_nodelay() -> int:
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[int] = loop.create_future()

        class Accept(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await loop.create_server(Accept, sock=listening)  # as uvicorn serves it
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            nodelay = await asyncio.wait_for(seen, 10)
            writer.close()
        return nodelay

    assert asyncio.run(accepted_nodelay()) == 1
