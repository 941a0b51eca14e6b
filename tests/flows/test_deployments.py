"""Deployments as a user runs them: a served process, `prefect deployment run`, a real server."""

import os
import signal
import subprocess
import time

import httpx
from sqlite_utils import Database

from tests.conftest import BIN, ROOT


def test_prefect_deployment_run_reaches_the_served_ingest(tmp_path, prefect_api, seed):
    db_path = tmp_path / "wic.db"
    env = {**os.environ, "PREFECT_RUNNER_POLL_FREQUENCY": "1", "COLUMNS": "250"}
    log = (tmp_path / "serve.log").open("w")
    serving = subprocess.Popen(
        [str(BIN / "wic-etl"), "serve", "--db", str(db_path)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            query = {"deployments": {"name": {"any_": ["saved"]}}}
            found = httpx.post(f"{prefect_api}/deployments/filter", json=query, timeout=10).json()
            if found:
                break
            assert serving.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the deployments were not registered"
            time.sleep(0.5)
        run = subprocess.run(
            [str(BIN / "prefect"), "deployment", "run", "ingest/saved",
             "--param", f'sources=["{seed}"]', "--param", f"db={db_path}",
             "--watch", "--watch-timeout", "240"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        db = Database(db_path)
        (article,) = db["articles"].rows
        assert article["title"] == "Exploit Internet to empower the country"
        (row,) = db["runs"].rows
        flow_run = httpx.get(f"{prefect_api}/flow_runs/{row['id']}", timeout=10).json()
        assert flow_run["state"]["type"] == "COMPLETED"
        assert flow_run["deployment_id"] == found[0]["id"]
    finally:
        os.killpg(serving.pid, signal.SIGTERM)
        serving.wait(timeout=30)
        log.close()
