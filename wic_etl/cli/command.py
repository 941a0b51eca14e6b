"""What a command is: one function that adds its parser, with its options and its handler.

A command is a function taking :class:`Commands`, named as the command is typed
(``def status(commands)`` is ``wic-etl status``). It calls :meth:`Commands.add`
once, with the handler that runs it, then adds its own options to the parser it
gets back. ``wic_etl.cli.parser.COMMANDS`` lists the commands; ``main`` calls the
handler of the one given.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TypeAlias

from rich.console import Console

from wic_etl.cli.exits import EXIT_CODES

# Runs the command: the parsed arguments and the console in, the exit code out.
Handler: TypeAlias = Callable[[argparse.Namespace, Console], int]
# A string: argparse's class is generic only to type checkers.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Commands:
    """Where each command adds its parser: the subcommands of ``wic-etl``."""

    def __init__(self, subparsers: Subparsers) -> None:
        self._subparsers = subparsers

    def add(
        self,
        name: str,
        handler: Handler,
        *,
        help: str,
        description: str,
        parents: Sequence[argparse.ArgumentParser] = (),
        exit_codes: bool = False,
        loads_batches: bool = False,
    ) -> argparse.ArgumentParser:
        """Add ``wic-etl NAME``, run by ``handler``; its parser, for its own options.

        ``parents``: shared options (``wic_etl.cli.options``), listed first in that
        order. ``exit_codes``: its help ends with the exit codes. ``loads_batches``:
        it loads batches, so its interrupt and error messages say those are kept.
        """
        # Raw where the exit codes are listed: that list is laid out by hand.
        formatter = argparse.RawDescriptionHelpFormatter if exit_codes else argparse.HelpFormatter
        parser = self._subparsers.add_parser(
            name,
            help=help,
            description=description,
            parents=list(parents),
            epilog=EXIT_CODES if exit_codes else None,
            formatter_class=formatter,
        )
        parser.set_defaults(func=handler, loads_batches=loads_batches)
        return parser


Command: TypeAlias = Callable[[Commands], None]
