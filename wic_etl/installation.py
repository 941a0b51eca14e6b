"""Is each floor of the pipeline imported from this installation of wic-etl?"""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Every top-level package of the distribution but this one (pyproject.toml's list).
FLOORS = ("core", "readers", "fetchers", "extractors", "loaders", "writers", "flows")
HERE = Path(__file__).resolve().parent.parent


class ShadowedFloorError(SystemExit):
    """A package of another distribution stands where one of wic-etl's floors should."""


def owner_of(name: str) -> str:
    """The distributions that ship a top-level package ``name`` (slow: on error only)."""
    from importlib.metadata import packages_distributions

    others = [d for d in packages_distributions().get(name, []) if d != "wic-etl"]
    return ", ".join(sorted(set(others))) or "no installed distribution (a folder on the path)"


def check_own_floors() -> None:
    """Stop with a message naming the intruder if a floor resolves outside this install.

    Finding a package's spec does not import it: about 1 ms for all of them.
    """
    for name in FLOORS:
        spec = importlib.util.find_spec(name)
        found = Path(spec.origin).resolve().parent if spec and spec.origin else None
        if found is None:
            raise ShadowedFloorError(
                f"wic-etl: its package '{name}' is not installed: the installation is "
                "incomplete or older than this code; run make setup (or reinstall wic-etl)."
            )
        if found != HERE / name:
            raise ShadowedFloorError(
                f"wic-etl: the package '{name}' is imported from {found}, not from wic-etl "
                f"({HERE / name}); it belongs to {owner_of(name)}. Install wic-etl in an "
                "environment of its own (make setup, uv tool install . or pipx install .) "
                "or take that folder off PYTHONPATH."
            )
