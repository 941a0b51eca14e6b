"""The documentation keeps up with the command: every subcommand and option is in docs/.

The commands and options are read from ``wic-etl --help`` and ``wic-etl COMMAND --help``
as a user sees them, from the installed command in subprocesses (not from the argument
parser's internals), so the test holds whatever shape the parser's code takes. Also:
every relative link in README.md, docs/*.md and bench/README.md leads to a file that
exists (and to a heading of it), and the README and docs/README.md link every page.
"""

from __future__ import annotations

import os
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from tests.conftest import BIN, ROOT

DOCS = ROOT / "docs"
# argparse lists subcommands under "positional arguments", four spaces in; a long name
# stands alone on its line with its help below.
SUBCOMMAND = re.compile(r"^ {4}([a-z][a-z0-9-]*)(?: {2,}\S.*)?$", re.M)
CHOICES = re.compile(r"\{([a-z0-9-]+(?:,[a-z0-9-]+)+)\}")
OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
# An option's own line in the option lists: "  -v, --verbose", "  --db DB", "  --reread".
OPTION_LINE = re.compile(r"^ {2}(?:-\w[^,\n]*, )?(--[a-z][a-z0-9-]*)", re.M)


def options_of(text: str) -> set[str]:
    """The options a help text defines: in its usage lines and its option lists, not those
    its prose mentions (the exit codes' note names --debug under commands without it)."""
    usage = text.split("\n\n", 1)[0]
    return (set(OPTION.findall(usage)) | set(OPTION_LINE.findall(text))) - {"--help"}


def help_text(*args: str) -> str:
    result = subprocess.run(
        [str(BIN / "wic-etl"), *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@cache
def command_line() -> dict[str, set[str]]:
    """Each command (``""`` the bare command, ``server stop`` a sub-subcommand): its options."""
    top = help_text()
    positional = top.split("positional arguments:", 1)[1].split("\n\n", 1)[0]
    commands = SUBCOMMAND.findall(positional)
    with ThreadPoolExecutor(max_workers=4) as pool:
        helps = dict(zip(commands, pool.map(help_text, commands), strict=True))
        nested = [
            f"{command} {choice}"
            for command, text in helps.items()
            for group in CHOICES.findall(text.split("\n\n", 1)[0])  # the usage lines
            for choice in group.split(",")
        ]
        helps |= dict(zip(nested, pool.map(lambda c: help_text(*c.split()), nested), strict=True))
    return {"": options_of(top)} | {command: options_of(text) for command, text in helps.items()}


def docs_text() -> str:
    return "\n".join(page.read_text("utf-8") for page in sorted(DOCS.glob("*.md")))


def test_the_help_is_read_whole():
    # A parse that finds nothing must not pass for documentation that says everything.
    commands = command_line()
    top_level = [c for c in commands if c and " " not in c]
    assert {"ingest", "reextract", "status", "datasette", "server", "serve"} <= set(top_level)
    assert {"server start", "server status", "server stop"} <= set(commands)
    assert {"--db", "--max-pages", "--allow-host", "--page-deadline"} <= commands["ingest"]
    assert sum(len(options) for options in commands.values()) >= 30


def test_every_subcommand_is_documented():
    text = docs_text()
    named = [f"wic-etl {command}" for command in command_line() if command]
    missing = [name for name in named if not re.search(rf"{re.escape(name)}(?![\w-])", text)]
    assert missing == [], "not in docs/*.md"


def test_every_option_is_documented():
    text = docs_text()
    missing = sorted(
        f"{option} (wic-etl {command})".replace("wic-etl )", "wic-etl)")
        for command, options in command_line().items()
        for option in options
        if not re.search(rf"{re.escape(option)}(?![\w-])", text)
    )
    assert missing == [], "not in docs/*.md"


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
    return [
        link
        for link in MARKDOWN_LINK.findall(text)
        if not re.match(r"[a-z][a-z0-9+.-]*:", link) and not link.startswith("#")
    ]


def anchors(page: Path) -> set[str]:
    """The #anchors of a page's headings, made as GitHub makes them."""
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.S)
    headings = re.findall(r"^#+ (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_relative_link_leads_to_a_file_and_heading():
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md")), ROOT / "bench" / "README.md"]
    broken = []
    for page in pages:
        for link in relative_links(page):
            path, _, anchor = link.partition("#")
            target = (page.parent / path) if path else page
            if not target.exists():
                broken.append(f"{page.relative_to(ROOT)}: {link}")
            elif anchor and target.suffix == ".md" and anchor not in anchors(target):
                broken.append(f"{page.relative_to(ROOT)}: {link} (no such heading)")
    assert broken == []


def test_the_readme_and_the_index_link_every_docs_page():
    pages = {page.name for page in DOCS.glob("*.md")} - {"README.md"}
    assert len(pages) >= 9
    readme = {Path(link.split("#", 1)[0]).name for link in relative_links(ROOT / "README.md")}
    index = {Path(link.split("#", 1)[0]).name for link in relative_links(DOCS / "README.md")}
    assert pages - index == set(), "docs/README.md does not link them"
    assert pages - readme == set(), "README.md does not link them"
