"""The walk of a run's sources and its unchanged check, done once and handed to the flow.

``wic-etl ingest`` walks its sources and finds which saved files are unchanged since
they were loaded before Prefect starts (``flows.before_prefect``): with nothing to
read the run is settled there. Otherwise the flow it starts in the same process takes
that work (``take``) instead of doing it again: at 150,000 files the walk and the
check took seconds, done twice. A flow run started any other way (a deployment, a
test) finds nothing handed over and does both itself.

Handed over by module state, not as a flow parameter: Prefect records and validates
parameters, and the list of every file of an archive is no parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from readers.sources import SourceList


@dataclass(frozen=True)
class Walk:
    """What a run's sources held, and which of their saved files are unchanged."""

    db: str
    sources: tuple[str, ...]
    reread: bool
    found: SourceList
    unchanged: frozenset[str]


_handed: Walk | None = None


def hand_over(walk: Walk) -> None:
    """Keep ``walk`` for the flow run this process starts next."""
    global _handed
    _handed = walk


def take(db: str, sources: Sequence[str], reread: bool) -> Walk | None:
    """The walk handed over for a run of these sources on ``db``, once; None if none."""
    global _handed
    walk, _handed = _handed, None
    if walk is None or (walk.db, walk.sources, walk.reread) != (db, tuple(sources), reread):
        return None
    return walk


def forget() -> None:
    """Drop a walk no flow took (the run ended before its flow started)."""
    global _handed
    _handed = None
