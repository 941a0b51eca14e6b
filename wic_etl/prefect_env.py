"""Prefect settings that keep a command-line run quiet and reliable offline.

Set before ``prefect`` is imported, and only where the user has not set them:
anything in the environment or the Prefect profile wins. Measured on 2 cores:
without a server Prefect starts a temporary one (14-30 s) whose default
20 s start-up timeout can expire, and its telemetry and event flushing print
tracebacks at exit even when the run succeeded. Prefect's dashboard (its UI) is
left on: a temporary server never serves it, and serving it from wic-etl's local
server costs no measurable time or memory at start (docs/prefect.md).
"""

from __future__ import annotations

import os

QUIET_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # Run logs still reach the Prefect server (the API handler); only the
    # console copy is held back, since the command prints its own summary and
    # its own one-line error (a traceback is for --debug and -v).
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": "CRITICAL",
}


def configure(verbose: bool = False) -> None:
    # Set but empty (`PREFECT_API_URL= wic-etl ...`) means "no server" to a user, but
    # Prefect then sends its events to "" and prints a traceback for each one.
    """Quiet, offline-safe Prefect settings, where the user has not set their own."""
    if os.environ.get("PREFECT_API_URL") == "":
        del os.environ["PREFECT_API_URL"]
    for name, value in QUIET_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if verbose:
        for name in QUIET_DEFAULTS:
            if name.startswith("PREFECT_LOGGING_HANDLERS_CONSOLE"):
                os.environ[name] = "INFO"


def check_api() -> str | None:
    """The configured Prefect API URL after checking that it answers; None for a temporary server.

    Prefect itself answers an unreachable server with a page of tracebacks;
    this says which address failed and what to do.
    """
    import httpx
    from prefect.settings import get_current_settings

    from core.errors import WicEtlError

    url = get_current_settings().api.url
    if not url:
        return None
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise WicEtlError(
            f"the Prefect server at {url} does not answer ({exc.__class__.__name__}); start it "
            "(`make server`) or unset PREFECT_API_URL to run with a temporary server"
        ) from exc
    return url
