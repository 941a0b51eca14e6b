"""The floor plan: every import goes down a floor (or stays in its room), none climbs back up.

    wic_etl   (the command: CLI, local Prefect server)          floor 3
    flows     (Prefect flows: wire the rooms below together)     floor 2
    readers | extractors | fetchers | loaders | writers          floor 1
    core      (records, URLs, errors, settings)                  floor 0

Rooms on one floor do not import each other: the crawler is handed its extract
function by the flow, the loader gets records, not parsers; a writer (WARC, WACZ,
JSONL, feeds) is handed records and bytes by the flow, which reads them from the Store.
Inside a room, modules import each other without circles, deferred imports included.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

FLOORS = {
    "core": 0,
    "readers": 1,
    "extractors": 1,
    "fetchers": 1,
    "loaders": 1,
    "writers": 1,
    "flows": 2,
    "wic_etl": 3,
}


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


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for room in FLOORS for p in sorted((ROOT / room).rglob("*.py"))}


def module_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules a module imports, anywhere in the file (deferred and TYPE_CHECKING
    imports too: a circle hidden in a function is still a circle)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # a submodule by name
    return {name for name in found if name in modules and name != here}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
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


def test_no_module_imports_itself_round_a_circle():
    modules = project_modules()
    graph = {name: module_imports(path, modules) for name, path in modules.items()}
    assert sum(map(len, graph.values())) > 100  # the imports were found at all
    assert circles(graph) == []


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]


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
