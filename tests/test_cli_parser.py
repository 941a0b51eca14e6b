"""The command line is built from the commands' registrations, and runs the handler of each."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import signal

import pytest

import wic_etl.cli.commands
from wic_etl import cli
from wic_etl.cli.commands import status as status_command
from wic_etl.cli.parser import COMMANDS, build_parser


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_registered_command_is_a_subcommand_with_a_handler_of_its_own():
    found = subcommands()
    # The order too: --help lists the commands in the order they are registered.
    assert list(found) == [command.__name__ for command in COMMANDS]
    for command in COMMANDS:
        handler = found[command.__name__].get_default("func")
        assert callable(handler), command.__name__
        assert handler.__module__ == command.__module__  # beside its options
        assert list(inspect.signature(handler).parameters) == ["args", "console"]
    assert len({parser.get_default("func") for parser in found.values()}) == len(COMMANDS)


def test_every_command_written_is_registered():
    written = set()
    for module_info in pkgutil.iter_modules(wic_etl.cli.commands.__path__):
        module = importlib.import_module(f"wic_etl.cli.commands.{module_info.name}")
        for _, function in inspect.getmembers(module, inspect.isfunction):
            takes = list(inspect.signature(function).parameters)
            if function.__module__ == module.__name__ and takes == ["commands"]:
                written.add(function)
    assert written == set(COMMANDS)


def test_only_the_commands_that_load_batches_speak_of_batches_kept():
    loading = {
        name for name, parser in subcommands().items() if parser.get_default("loads_batches")
    }
    # compact commits its conversion batch by batch: a Ctrl-C keeps those too.
    assert loading == {"ingest", "recheck", "reextract", "compact", "serve"}


@pytest.mark.parametrize(
    ("argv", "handler"),
    [
        (["status"], "run_status"),
        (["ingest", "page.html"], "run_ingest"),
        (["server", "stop"], "run_server"),
    ],
)
def test_a_parsed_command_line_carries_the_handler_of_its_command(argv, handler):
    args = build_parser().parse_args(argv)
    assert args.func.__name__ == handler and args.command == argv[0]


def test_main_runs_the_handler_of_the_command_given_and_returns_its_code(monkeypatch):
    calls = []

    def handler(args: argparse.Namespace, console: object) -> int:
        calls.append(args.runs)
        return 42

    monkeypatch.setattr(status_command, "run_status", handler)
    previous = signal.getsignal(signal.SIGINT)
    try:
        assert cli.main(["status", "--runs", "3"]) == 42
    finally:
        signal.signal(signal.SIGINT, previous)
    assert calls == [3]
