"""The options several commands share, as argparse parent parsers, and the checks of values.

A command lists the parents it takes in ``parents=[...]``; argparse puts their
options first, in that order, then the command's own. Each parent is made fresh
for each command (a function, not a shared object), as some word their help for it.
"""

from __future__ import annotations

import argparse
from datetime import date

from core.settings import DEFAULTS

DATABASE_HELP = "SQLite database (default: %(default)s)"
QUIET_HELP = "no progress bar (there is none anyway when the output is not a terminal)"
DEBUG_HELP = "show the traceback of an error"
ALLOW_HOST_HELP = (
    "also crawl HOST (repeatable); {hosts} are allowed; "
    "naming a loopback or private host is what allows reaching it"
)
# Below this a worker cannot even unpickle a 10 MB page and its extracted record.
MIN_MEMORY_MB = 64


class AllowHost(argparse.Action):
    """``--allow-host``, appended to a list; its help names the known sites' hosts.

    The hosts come from the site profiles, read only when a help or usage text is
    written: importing the extractors costs more than the rest of the command's start.
    The help given is a template with ``{hosts}`` (``ALLOW_HOST_HELP`` if none).
    """

    _template = ALLOW_HOST_HELP

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest) or []), values])

    @property
    def help(self) -> str:
        from extractors.profiles import host_families

        return self._template.format(hosts=" and ".join(sorted(host_families())))

    @help.setter
    def help(self, value: str | None) -> None:
        self._template = value or ALLOW_HOST_HELP  # made from the profiles when read, above


def parent() -> argparse.ArgumentParser:
    """An empty parent parser: options for a command's ``parents``, no ``-h`` of its own."""
    return argparse.ArgumentParser(add_help=False)


def database(help: str = DATABASE_HELP) -> argparse.ArgumentParser:
    """``--db``: the SQLite database a command reads or writes."""
    options = parent()
    options.add_argument("--db", default=DEFAULTS.db, help=help)
    return options


def extraction(pages: str) -> argparse.ArgumentParser:
    """The extraction processes and what bounds one page, for every command that extracts."""
    options = parent()
    options.add_argument(
        "--workers",
        type=int,
        default=DEFAULTS.workers,
        metavar="N",
        help=f"processes extracting {pages} pages (default: every core, %(default)s)",
    )
    options.add_argument(
        "--page-deadline",
        type=positive_seconds,
        default=DEFAULTS.page_deadline,
        metavar="S",
        help="CPU seconds one page may take to extract; a page that takes longer is "
        "stopped and recorded as a failure (default: %(default)s)",
    )
    options.add_argument(
        "--max-memory",
        type=memory_mb,
        default=DEFAULTS.max_memory_mb,
        metavar="MB",
        help="memory an extraction process may take beyond its own code, in MB; a page "
        "that needs more is a failure (default: %(default)s)",
    )
    return options


def archiving() -> argparse.ArgumentParser:
    """The WARC of a crawl: on by default, ``--no-warc`` off; its files' size."""
    options = parent()
    group = options.add_argument_group("the WARC of the crawl (live fetches only)")
    group.add_argument(
        "--no-warc",
        action="store_false",
        dest="warc",
        default=DEFAULTS.warc,
        help="do not keep the fetches in WARC files (default: every request and answer is "
        "kept in <db folder>/<db stem>-warc/)",
    )
    group.add_argument(
        "--warc-file-size",
        type=int,
        default=DEFAULTS.warc_file_size,
        metavar="BYTES",
        help="close a WARC file and begin the next past this size (default: %(default)s)",
    )
    return options


def flow_output() -> argparse.ArgumentParser:
    """What a command that runs a flow shows: Prefect's logs (``-v``), the bar (``-q``)."""
    options = parent()
    options.add_argument("-v", "--verbose", action="store_true", help="show Prefect's run logs")
    options.add_argument("-q", "--quiet", action="store_true", help=QUIET_HELP)
    return options


def debug(help: str = DEBUG_HELP) -> argparse.ArgumentParser:
    """``--debug``: an unexpected error shows its traceback, not one line."""
    options = parent()
    options.add_argument("--debug", action="store_true", help=help)
    return options


def iso_date(value: str) -> date:
    """A ``YYYY-MM-DD`` option value."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01") from None


def memory_mb(text: str) -> int:
    """A whole number of MB, at least ``MIN_MEMORY_MB``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of MB") from None
    if value < MIN_MEMORY_MB:
        raise argparse.ArgumentTypeError(f"{value} MB is too little: give {MIN_MEMORY_MB} or more")
    return value


def positive_seconds(text: str) -> float:
    """A number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} is not more than 0 seconds")
    return value
