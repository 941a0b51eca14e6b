"""The kinds of removed boilerplate, offered on the ``removed_by_kind`` query's page.

The query asks for a kind (``:kind``): its page lists the kinds the database holds,
each a link to the query for it, rather than an empty box to guess a word into.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from datasette import hookimpl

QUERY = "removed_by_kind"
# Each distinct kind, read from the kind index one step at a time (a skip-scan): a
# handful of lookups however many lines were removed, where "select distinct" reads
# every entry of the index.
KINDS_SQL = """
with recursive kinds(kind) as (
  select min(kind) from removed_lines
  union all
  select (select min(kind) from removed_lines where kind > kinds.kind) from kinds
  where kinds.kind is not null
)
select kind from kinds where kind is not null
"""


@hookimpl
def extra_template_vars(view_name: str, database: str | None, request: Any, datasette: Any) -> Any:
    async def kinds_vars() -> dict[str, Any]:
        if request is None or database is None or request.url_vars.get("table") != QUERY:
            return {}
        db = datasette.get_database(database)
        if not await db.table_exists("removed_lines"):
            return {}
        kinds = [row[0] for row in (await db.execute(KINDS_SQL)).rows]
        path = f"{datasette.urls.database(database)}/{QUERY}"
        chosen = request.args.get("kind")
        return {
            "wic_kinds": [
                {"kind": kind, "link": f"{path}?kind={quote(kind)}", "chosen": kind == chosen}
                for kind in kinds
            ]
        }

    return kinds_vars
