"""wic-etl: China Daily and World Internet Conference pages into clean SQLite records.

The floors of the pipeline are top-level packages (``core``, ``readers``, ...), as the
repository lays them out. Names so plain may be shipped by another distribution, so
wic-etl is an application installed in an environment of its own (``make setup``'s
``.venv``, ``uv tool install .``, ``pipx install .``), and before anything imports a
floor, importing ``wic_etl`` checks that each one is wic-etl's own: a package of the
same name earlier on the path would otherwise be run in its place.
"""

from wic_etl.installation import check_own_floors

__version__ = "0.1.0"

check_own_floors()
