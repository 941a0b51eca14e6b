"""Prefect flows: thin orchestration over the rooms below (readers, extractors, fetchers,
loaders), and the deployments that schedule them.

The flows are ``flows.ingest.ingest``, ``flows.recheck.recheck`` and
``flows.reextract.reextract``; the deployments ``flows.deployments``; what
``wic-etl ingest`` does before it imports Prefect, ``flows.before_prefect``. Nothing
is imported here: importing Prefect costs about a second, which ``flows.batch`` and
the other plain modules do not need.
"""

__all__ = ["batch", "deployments", "ingest", "recheck", "rechecking", "reextract"]
