"""The wic-etl command as a user runs it: exit codes, what it prints, what the database holds."""

import json
import os
import re
import shutil
import sqlite3
import subprocess
import time

import httpx
import pytest
from sqlite_utils import Database

from extractors.profiles import chinadaily
from loaders.raw_pages import stored_raw_page
from tests import seed_facts
from tests.conftest import BAD, BIN, ROOT, SAVED, SITES, gold_article_ids, run_cli, saved_pages

# Whole flow runs against a real Prefect server: `pytest -m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

NOISE = ("Traceback", "Error", "error", "CancelledError", "database is locked")


def table_counts(db_path) -> dict[str, int]:
    db = Database(db_path)
    return {name: db[name].count for name in db.table_names()}


def assert_quiet(result: subprocess.CompletedProcess[str]) -> None:
    for word in NOISE:
        assert word not in result.stderr, result.stderr
        assert word not in result.stdout, result.stdout


def test_seed_acceptance_and_a_second_run_changes_nothing(tmp_path, seed):
    db_path = tmp_path / "wic.db"
    first = run_cli("ingest", str(seed), "--db", str(db_path))
    assert first.returncode == 0, first.stderr
    assert_quiet(first)
    assert "datasette" in first.stdout

    db = Database(db_path)
    (article,) = db["articles"].rows
    (image,) = db["images"].rows
    organizers = [
        row["name"]
        for row in db.query(
            "select name from article_organizers join organizers on organizers.id = organizer_id "
            "where article_id = ? order by position",
            [article["id"]],
        )
    ]
    assert db["organizers"].count == seed_facts.ORGANIZERS
    seed_facts.check_article(
        title=article["title"], site=article["site"], source=article["source"],
        section=article["section"], published=article["published"], body=article["body"],
        caption=image["caption"], credit=image["credit"], organizers=organizers,
        removed=[(row["kind"], row["text"]) for row in db["removed_lines"].rows],
    )  # fmt: skip
    page = next(db["pages"].rows)
    assert stored_raw_page(db, page["sha256"]) == seed.read_bytes()

    before = table_counts(db_path)
    second = run_cli("ingest", str(seed), "--db", str(db_path))
    assert second.returncode == 0, second.stderr
    assert_quiet(second)
    after = table_counts(db_path)
    assert after.pop("runs") == before.pop("runs") + 1  # the run log records every run
    assert after == before
    unchanged = (
        Database(db_path)
        .execute("select new, updated, unchanged, failed from runs order by started desc limit 1")
        .fetchone()
    )
    assert unchanged == (0, 0, 1, 0)


def test_bad_inputs_are_failures_the_rest_loads_and_the_exit_code_says_so(tmp_path):
    db_path = tmp_path / "wic.db"
    result = run_cli("ingest", str(SAVED), str(BAD), "--db", str(db_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    db = Database(db_path)
    assert db["articles"].count == len(gold_article_ids())
    # A damaged WARC record is named archive#address: keyed here by the archive's name.
    failures = {row["source"].split("#")[0].rsplit("/", 1)[-1]: row for row in db["failures"].rows}
    degraded = {"variant_missing_title.html", "variant_no_body_container.html",
                "variant_bad_date.html"}  # fmt: skip
    bad_files = sorted(p.name for p in BAD.iterdir() if p.name not in degraded)
    assert sorted(failures) == bad_files
    for name, row in failures.items():
        assert name in result.stdout  # the summary names every failed input
        assert row["message"] and row["stage"] in ("read", "decode", "extract")
        if row["page_sha256"]:
            assert stored_raw_page(db, row["page_sha256"]) == (BAD / name).read_bytes()
    assert "the file is empty" in failures["empty.txt"]["message"]
    assert "PNG image" in failures["photo_saved_as.html"]["message"]
    assert "unknown layout" in failures["unknown_layout.txt"]["message"]
    assert "unknown layout" in failures["navigation_only.html"]["message"]
    assert "incompletely" in failures["truncated.html"]["message"]
    assert "the WARC file is truncated" in failures["damaged.warc.gz"]["message"]
    assert "no HTML page inside this MHTML file" in failures["no_page.mhtml"]["message"]
    # A known layout with one part missing loads, saying what it fell back on; a page
    # with no body anywhere is still a failure.
    assert "no article body" in failures["variant_empty_body.html"]["message"]
    # The three variants are copies of one saved article (same address): the last read wins.
    (warnings,) = db.execute(
        "select warnings from articles where url = ?",
        ["https://www.chinadaily.com.cn/a/202512/08/WS6936a1b2a310d6866eb2c7f1.html"],
    ).fetchone()
    assert json.loads(warnings) in (["title:generic"], ["body:generic"], ["published:url"])
    assert db["articles"].count_where("warnings is null") == 0
    drift = [line for line in result.stdout.splitlines() if "fell back" in line]
    assert drift == [
        f"{chinadaily.PROFILE.extractor}: 3 pages fell back "
        "(body:generic 1, published:url 1, title:generic 1)"
    ], result.stdout
    assert db["articles"].count_where("title = ''") == 0  # no half-empty articles


def test_source_lists_and_missing_sources(tmp_path):
    db_path = tmp_path / "wic.db"
    pages = [p for p in saved_pages() if p.suffix == ".txt"][:2]
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(p) for p in pages) + "\n" + str(tmp_path / "gone.html") + "\n")
    result = run_cli("ingest", f"@{listing}", "--db", str(db_path))
    assert result.returncode == 1
    assert "gone.html does not exist" in result.stdout
    db = Database(db_path)
    assert db["articles"].count == 2
    (failure,) = db["failures"].rows
    assert failure["stage"] == "read" and failure["page_sha256"] is None


@pytest.mark.parametrize("kind", ["directory", "not-sqlite"])
def test_an_unusable_database_is_a_clear_error(tmp_path, kind):
    target = tmp_path / "wic.db"
    if kind == "directory":
        target.mkdir()
    else:
        target.write_text("these are notes, not a database\n" * 100)
    result = run_cli("ingest", str(SAVED), "--db", str(target))
    assert result.returncode == 2
    assert "cannot use" in result.stderr and "--db" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2():
    result = run_cli("ingest")
    assert result.returncode == 2
    assert "SOURCE" in result.stderr


@pytest.fixture
def own_prefect_home(tmp_path):
    """An environment with no Prefect server configured; its local server stopped after."""
    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {"PREFECT_HOME": str(home), "COLUMNS": "250", "NO_COLOR": "1"}
    yield env
    subprocess.run([str(BIN / "wic-etl"), "server", "stop"], env=env, timeout=60, check=False)


def test_without_a_prefect_server_a_local_one_is_started_once_and_reused(
    tmp_path, seed, own_prefect_home
):
    # Set but empty, as `PREFECT_API_URL= wic-etl ...` leaves it: Prefect alone would
    # print a traceback per event; wic-etl treats it as unset.
    env = {**own_prefect_home, "PREFECT_API_URL": ""}
    command = [str(BIN / "wic-etl"), "ingest", str(SAVED), "--db", str(tmp_path / "wic.db")]
    first = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert_quiet(first)
    assert "Local Prefect server at http://127.0.0.1:" in first.stdout
    with sqlite3.connect(tmp_path / "wic.db") as conn:
        assert conn.execute("select count(*) from articles").fetchone() == (
            len(gold_article_ids()),
        )
    server = [str(BIN / "wic-etl"), "server"]
    status = subprocess.run([*server, "status"], capture_output=True, text=True, env=env)
    assert status.returncode == 0 and "running at http://127.0.0.1:" in status.stdout
    pid = int(status.stdout.split("(pid ")[1].split(",")[0])

    # With Prefect's temporary server switched off, a run that did not reach the local
    # one would fail ("No Prefect API URL provided") instead of quietly starting another.
    no_temporary = {**env, "PREFECT_SERVER_EPHEMERAL_ENABLED": "false"}
    again = subprocess.run([*command[:2], str(seed), *command[3:]], capture_output=True,
                           text=True, env=no_temporary, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "Prefect server" not in again.stdout  # the same server, nothing to say
    with sqlite3.connect(tmp_path / "wic.db") as conn:
        runs = conn.execute("select id from runs").fetchall()
    flow_runs = httpx.post(f"{status.stdout.split(' at ')[1].split(' ')[0]}/flow_runs/filter",
                           json={}, timeout=10).json()  # fmt: skip
    assert {run["id"] for run in flow_runs} == {run_id for (run_id,) in runs}

    stopped = subprocess.run([*server, "stop"], capture_output=True, text=True, env=env)
    assert f"pid {pid}" in stopped.stdout
    status = subprocess.run([*server, "status"], capture_output=True, text=True, env=env)
    assert status.returncode == 1 and "No local Prefect server" in status.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_mistyped_path_is_reported_at_once(tmp_path):
    started = time.monotonic()
    result = run_cli("ingest", str(tmp_path / "no-such-folder"), "--db", str(tmp_path / "w.db"),
                     env={"PREFECT_API_URL": ""})  # fmt: skip
    assert time.monotonic() - started < 3  # no Prefect server was started or waited for
    assert result.returncode == 2
    assert "no-such-folder: no such file or folder" in result.stderr
    assert not (tmp_path / "w.db").exists()


def test_a_folder_with_no_saved_pages_says_so_and_exits_1(tmp_path):
    for name in ("a.jpg", "b.jpg", "notes.pdf"):
        (tmp_path / name).write_bytes(b"\xff\xd8")
    result = run_cli("ingest", str(tmp_path), "--db", str(tmp_path / "w.db"),
                     env={"PREFECT_API_URL": ""})  # fmt: skip
    assert result.returncode == 1
    said = " ".join(result.stderr.split())
    assert f"no saved pages found in {tmp_path} (skipped: 2 .jpg, 1 .pdf)" in said
    assert ".warc.gz" in said  # what it would have read


@pytest.mark.parametrize(
    ("flag", "says"),
    [
        (["--max-pages", "0"], "--max-pages must be at least 1"),
        (["--retries", "-1"], "--retries must be at least 0"),
        (["--timeout", "0"], "--timeout must be more than 0"),
        (["--since", "yesterday"], "is not a date like 2026-11-01"),
        (["--dask", "local:0"], "say local, local:N"),
        (["--dask", "dask.example.org"], "say local, local:N"),
    ],
)
def test_crawl_settings_are_checked_before_anything_runs(tmp_path, flag, says):
    result = run_cli("ingest", "https://www.chinadaily.com.cn/", "--db", str(tmp_path / "w.db"),
                     *flag)  # fmt: skip
    assert result.returncode == 2
    assert says in result.stderr + result.stdout
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize("command", ["ingest", "reextract"])
def test_zero_workers_is_refused_by_every_command_that_extracts(tmp_path, command):
    db_path = tmp_path / "w.db"
    Database(db_path)["t"].insert({"x": 1})  # reextract needs a database to be there
    sources = [str(SAVED)] if command == "ingest" else []
    result = run_cli(command, *sources, "--db", str(db_path), "--workers", "0")
    assert result.returncode == 2
    assert "--workers must be at least 1" in result.stderr + result.stdout
    assert Database(db_path).table_names() == ["t"]  # nothing ran


def test_readme_run_command_ingests_the_fixtures(tmp_path):
    if shutil.which("make") is None:
        pytest.fail("make is needed for the README's commands")
    db_path = tmp_path / "wic.db"
    result = subprocess.run(
        ["make", "--no-print-directory", "run", f"DB={db_path}"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "COLUMNS": "250"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert Database(db_path)["articles"].count == len(gold_article_ids())
    # The summary's browse hint (wic-etl datasette) works, with full-text search: the
    # same Datasette the command serves, asked in-process.
    assert "datasette --db" in result.stdout
    import asyncio

    from loaders.datasette_app import make_datasette

    async def search() -> list[dict]:
        client = make_datasette(db_path, SITES).client
        return (await client.get("/wic/articles.json?_search=quantum&_shape=array")).json()

    hits = asyncio.run(search())
    assert [hit["title"] for hit in hits] == [
        "Hefei lab opens its quantum testbed to outside researchers"
    ]


def test_an_unreachable_prefect_server_is_a_clear_error(tmp_path):
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}/api"
    result = run_cli("ingest", str(SAVED), "--db", str(tmp_path / "wic.db"),
                     env={"PREFECT_API_URL": url})  # fmt: skip
    assert result.returncode == 2
    assert f"the Prefect server at {url} does not answer" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unchanged_rerun_is_settled_without_prefect_and_a_changed_one_is_not(tmp_path):
    from flows.batch import CHANGE_MARGIN_S
    from tests.conftest import free_port

    folder = tmp_path / "saved"
    shutil.copytree(SAVED / "html", folder)
    pages = sorted(folder.glob("*.html"))
    time.sleep(CHANGE_MARGIN_S + 0.2)  # a file counts as unchanged if older than the run
    db_path = str(tmp_path / "wic.db")
    first = run_cli("ingest", str(folder), "--db", db_path)
    assert first.returncode == 0, first.stderr
    before = table_counts(db_path)

    # No Prefect server answers at this address: only a run that needs none can succeed.
    nobody = {"PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}
    # The interpreter's start is made a second slower: the time the summary gives is
    # the time the user waited, start included.
    slow_start = tmp_path / "slow_start"
    slow_start.mkdir()
    (slow_start / "sitecustomize.py").write_text("import time\ntime.sleep(1.0)\n")
    again = run_cli(
        "ingest", str(folder), "--db", db_path, env={**nobody, "PYTHONPATH": str(slow_start)}
    )
    assert again.returncode == 0, again.stderr
    assert_quiet(again)
    assert "no Prefect flow run was started" in again.stdout
    assert float(re.search(r"Done in ([\d.]+) s", again.stdout)[1]) >= 1.0, again.stdout
    after = table_counts(db_path)
    assert after.pop("runs") == before.pop("runs") + 1
    assert after == before
    runs = (
        Database(db_path)
        .execute(
            "select id, flow, status, pages, new, unchanged, failed from runs order by started"
        )
        .fetchall()
    )
    assert runs[-1][0] != runs[0][0]
    assert runs[-1][1:] == ("ingest", "completed", len(pages), 0, len(pages), 0)

    with pages[0].open("ab") as page:
        page.write(b"\n")
    changed = run_cli("ingest", str(folder), "--db", db_path, env=nobody)
    assert changed.returncode == 2  # a changed file needs a flow run, and no server answers
    assert "does not answer" in changed.stderr


def test_multi_page_articles_are_stitched_once_all_pages_are_in(tmp_path):
    db_path = tmp_path / "wic.db"
    pages = sorted((SAVED / "multipage").glob("canal_town_p*.html"))
    first = run_cli("ingest", str(pages[0]), str(pages[2]), "--db", str(db_path))
    assert first.returncode == 0, first.stderr
    db = Database(db_path)
    (article,) = db["articles"].rows
    assert (article["page_count"], article["pages_expected"]) == (2, 3)
    second = run_cli("ingest", *map(str, pages), "--db", str(db_path))
    assert second.returncode == 0, second.stderr
    (article,) = Database(db_path)["articles"].rows
    assert (article["page_count"], article["pages_expected"]) == (3, 3)
    expected = json.loads((SAVED / "multipage" / "canal_town.stitched.json").read_text("utf-8"))
    assert article["body"] == "\n\n".join(expected["paragraphs"])
    assert Database(db_path)["images"].count == len(expected["images"])
    run = (
        Database(db_path)
        .execute("select new, updated, unchanged from runs order by started desc limit 1")
        .fetchone()
    )
    assert run == (0, 1, 2)  # page 2 completed the article; pages 1 and 3 were known


def test_datasette_command_serves_the_database_with_its_metadata(tmp_path, seed):
    import httpx

    from tests.conftest import free_port

    db_path = tmp_path / "wic.db"
    assert run_cli("ingest", str(seed), "--db", str(db_path)).returncode == 0
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "wic-etl"), "datasette", "--db", str(db_path), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/wic/articles.json?_search=Wuzhen&_shape=array"
                )
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "datasette did not start"
                time.sleep(0.3)
        assert [r["title"] for r in response.json()] == ["Exploit Internet to empower the country"]
        home = httpx.get(f"http://127.0.0.1:{port}/wic").text
        assert "Latest articles" in home  # the canned queries are there
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_datasette_without_a_database_says_what_to_do(tmp_path):
    result = run_cli("datasette", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 2
    assert "run `wic-etl ingest` first" in result.stderr


def test_reextract_rebuilds_articles_from_stored_pages_alone(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(SAVED, pages)
    db_path = tmp_path / "wic.db"
    assert run_cli("ingest", str(pages), "--db", str(db_path)).returncode == 0
    shutil.rmtree(pages)  # no file left: only the bytes kept in the database
    db = Database(db_path)
    before = {row["id"]: (row["title"], row["body"]) for row in db["articles"].rows}
    # As if an older extractor had got two titles wrong.
    db.execute("update articles set title = 'wrong', record_sha256 = 'old' where rowid <= 2")
    result = run_cli("reextract", "--db", str(db_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "wic-etl reextract" in result.stdout
    after = {row["id"]: (row["title"], row["body"]) for row in Database(db_path)["articles"].rows}
    assert after == before
    last = (
        Database(db_path)
        .execute("select flow, updated, failed from runs order by started desc limit 1")
        .fetchone()
    )
    assert last == ("reextract", 2, 0)
