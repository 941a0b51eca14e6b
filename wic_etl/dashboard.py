"""Prefect's dashboard (its UI), where the Prefect server a command uses serves one.

The dashboard is served by the server itself, from the static files in Prefect's
wheel, beside its API: ``http://HOST:PORT/`` for ``http://HOST:PORT/api``,
which leads to the version of the UI the server serves by default. A
server may have it switched off (``PREFECT_SERVER_UI_ENABLED=false``), so it is
asked, not assumed: one small request, answered in milliseconds.
"""

from __future__ import annotations

import httpx

ASK_TIMEOUT_S = 2.0


def dashboard_url(api_url: str, timeout: float = ASK_TIMEOUT_S) -> str | None:
    """The address of the dashboard beside the API at ``api_url``, or None if none answers."""
    base = api_url.rstrip("/").removesuffix("/api")
    try:
        answer = httpx.get(
            f"{base}/", headers={"accept": "text/html"}, timeout=timeout, follow_redirects=True
        )
    except httpx.HTTPError:
        return None
    html = answer.headers.get("content-type", "").startswith("text/html")
    if answer.status_code != 200 or not html:
        return None
    # Where "/" leads: the UI the server serves by default (Prefect 3.9's is under /v2/).
    landed = str(answer.url.copy_with(query=None, fragment=None))
    return landed if landed.endswith("/") else f"{landed}/"


def flow_run_page(dashboard: str, run_id: str) -> str:
    """The dashboard's page of one flow run."""
    return f"{dashboard}runs/flow-run/{run_id}"
