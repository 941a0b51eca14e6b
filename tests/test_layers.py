"""The floor plan: every import goes down a floor (or stays in its room), none climbs back up.

    wic_etl   (the command: CLI, local Prefect server)          floor 3
    flows     (Prefect flows: wire the rooms below together)     floor 2
    readers | extractors | fetchers | loaders                    floor 1
    core      (records, URLs, errors, settings)                  floor 0

Rooms on one floor do not import each other: the crawler is handed its extract
function by the flow, the loader gets records, not parsers.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

FLOORS = {"core": 0, "readers": 1, "extractors": 1, "fetchers": 1, "loaders": 1, "flows": 2,
          "wic_etl": 3}  # fmt: skip


def imports_of(path: Path) -> set[str]:
    """Top-level project packages a module imports (at any depth of the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & FLOORS.keys()
    return found


def test_every_room_has_a_floor():
    rooms = {p.parent.relative_to(ROOT).parts[0] for p in ROOT.glob("*/__init__.py")}
    assert rooms - {"tests", "bench", "fixtures"} == FLOORS.keys()


def test_imports_only_go_down():
    climbing = []
    for room, floor in FLOORS.items():
        for module in sorted((ROOT / room).rglob("*.py")):
            for target in imports_of(module) - {room}:
                if FLOORS[target] >= floor:
                    climbing.append(f"{module.relative_to(ROOT)} imports {target}")
    assert climbing == []


def test_every_name_a_package_exports_is_documented():
    import importlib
    import inspect

    undocumented = []
    for room in ("core", "readers", "extractors", "fetchers", "loaders"):
        package = importlib.import_module(room)
        for name in package.__all__:
            thing = getattr(package, name)
            if not (inspect.isfunction(thing) or inspect.isclass(thing)):
                continue  # a constant: its module says what it is
            doc = thing.__doc__ or ""
            # A dataclass without a docstring gets its signature as one: not documentation.
            if not doc.strip() or doc.startswith(f"{thing.__name__}("):
                undocumented.append(f"{room}.{name}")
            if inspect.isclass(thing):
                for attr, member in vars(thing).items():
                    public = not attr.startswith("_") and inspect.isfunction(member)
                    if public and not inspect.getdoc(member):
                        undocumented.append(f"{room}.{name}.{attr}")
    assert undocumented == []
