"""The first hour of a new user (First hour issue), end to end.

A fresh machine is imitated by an empty environment: no `BRISKK_*`, no `DAGSTER_*`, no
`DATABASE_URL`, no `XDG_DATA_HOME`, and `HOME` in a temporary folder, so the user's data
folder (the default state folder) is a new one inside the test's folder. `briskk` runs from
two different working folders and must see one catalog; `make dev`'s command (`dg dev` on
the instance `python -m briskk_pipeline.home` names) then serves that state, starts without
warnings, and its GraphQL API shows a rejected upload as failed checks and a
`briskk/status` run tag. The embedded PostgreSQL the commands start is stopped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from briskk_pipeline.catalog.db import stop_embedded_database
from briskk_pipeline_tests.deployment.graphql import GraphQL
from briskk_pipeline_tests.deployment.processes import free_port, processes, wait_for
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Loopback image URLs are blocked by the SSRF guard without any request: nothing leaves the
# machine, and no BRISKK_FETCH_IMAGES is needed in the "empty" environment.
IMAGES = "http://127.0.0.1:9/img"

GRAPHQL_RUNS_TAGGED = """
query($key: String!, $value: String!) {
  runsOrError(filter: {tags: [{key: $key, value: $value}]}) {
    __typename ... on Runs { results { runId status tags { key value } } } } }
"""
GRAPHQL_CHECK = """
query($asset: [String!]!, $check: String!) {
  assetCheckExecutions(assetKey: {path: $asset}, checkName: $check, limit: 10) {
    status runId evaluation { success severity description } } }
"""


def fresh_env(home: Path) -> dict[str, str]:
    """This machine's environment less everything that names a state folder or service."""
    own = ("BRISKK_", "DAGSTER_", "S3_", "AWS_", "PG", "XDG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own) and k != "DATABASE_URL"}
    env["HOME"] = str(home)
    return env


@pytest.fixture
def user(pg_tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """A new user's environment and the state folder it implies; stops its PostgreSQL.

    HOME is under `pg_tmp_path`, not `tmp_path`: the embedded PostgreSQL lives in it (see
    fixtures/postgres.py for why pytest's folders do not suit a server run as another user).
    """
    home = pg_tmp_path / "home"
    home.mkdir()
    env = fresh_env(home)
    state = home / ".local" / "share" / "briskk"  # platformdirs' user data folder on Linux
    yield env, state
    stop_embedded_database(state / "postgres")
    assert not (state / "postgres" / "postmaster.pid").exists()


def briskk(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(BIN / "briskk"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_one_catalog_wherever_briskk_runs_and_the_ui_shows_rejections(user, tmp_path):
    env, state = user
    bad_rows = template_rows(4, image_base=IMAGES, product_prefix="X")
    bad_rows[0]["price"] = "free"
    bad = write_xlsx(tmp_path / "files" / "BrandA_bad.xlsx", bad_rows)
    rows = template_rows(8, image_base=IMAGES)
    good = write_xlsx(tmp_path / "files" / "BrandA_Briskk_SKU_Template.xlsx", rows)

    # ingest from one folder (relative path, as a user types it) ...
    first = briskk(env, tmp_path / "files", "ingest", good.name, "--json")
    assert first.returncode == 0, first.stderr
    accepted = json.loads(first.stdout)
    rejected_run = briskk(env, tmp_path / "elsewhere", "ingest", str(bad), "--json")
    assert rejected_run.returncode == 1, rejected_run.stderr
    rejected = json.loads(rejected_run.stdout)
    assert rejected["status"] == "rejected"

    # ... and read the catalog from another: one catalog, in the user's data folder
    listed = briskk(env, tmp_path / "somewhere" / "else", "products", "--json")
    assert listed.returncode == 0, listed.stderr
    assert sorted(p["product_id"] for p in json.loads(listed.stdout)) == ["P000000", "P000001"]
    human = briskk(env, tmp_path / "third", "uploads")
    assert human.returncode == 0, human.stderr
    assert accepted["upload_id"] in human.stdout and rejected["upload_id"] in human.stdout
    assert human.stderr == ""  # the default state folder needs no note
    assert (state / "postgres" / "postmaster.pid").is_file()
    for folder in ("files", "elsewhere", "somewhere", "third"):
        assert not (tmp_path / folder / ".briskk").exists()

    # `make dev`: the instance the CLI used, served by `dg dev` from the repository
    named = subprocess.run(
        [sys.executable, "-m", "briskk_pipeline.home"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    dagster_home = Path(named.stdout.strip())
    assert dagster_home == state / "dagster"
    port = free_port()
    with ExitStack() as stack:
        start = stack.enter_context(processes())
        dev = start(
            "dg-dev",
            [str(BIN / "dg"), "dev", "-m", "briskk_pipeline", "-p", str(port)],
            {**env, "DAGSTER_HOME": str(dagster_home)},
            tmp_path,
            cwd=REPO,
        )
        graphql = GraphQL(f"http://127.0.0.1:{port}/graphql")

        def tagged(value: str) -> list[dict[str, Any]] | None:
            found = graphql(GRAPHQL_RUNS_TAGGED, key="briskk/status", value=value)
            return found["runsOrError"].get("results") or None

        runs = wait_for("the webserver to answer", lambda: tagged("rejected"), [dev])
        assert len(runs) == 1
        tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
        assert tags["dagster/partition"] == rejected["upload_id"]
        assert runs[0]["status"] == "SUCCESS"  # processed; the data was rejected
        succeeded = tagged("succeeded")
        assert succeeded is not None and len(succeeded) == 1

        run_of = {rejected["upload_id"]: runs[0]["runId"], accepted["upload_id"]: None}
        run_of[accepted["upload_id"]] = succeeded[0]["runId"]

        def check(asset: str, name: str, partition: str) -> dict[str, Any]:
            # one evaluation per run of the upload (the checks are partitioned by upload too:
            # test_dagster_ui reads their partition statuses)
            found = graphql(GRAPHQL_CHECK, asset=[asset], check=name)["assetCheckExecutions"]
            executions = [e for e in found if e["runId"] == run_of[partition]]
            assert len(executions) == 1, found
            return executions[0]

        failed = check("products", "upload_accepted", rejected["upload_id"])
        assert failed["status"] == "FAILED"
        assert failed["evaluation"]["success"] is False
        assert failed["evaluation"]["severity"] == "ERROR"
        assert "row 2, column price" in failed["evaluation"]["description"]
        rows_check = check("validated_rows", "all_rows_valid", rejected["upload_id"])
        assert rows_check["evaluation"]["severity"] == "ERROR"
        passed = check("products", "upload_accepted", accepted["upload_id"])
        assert passed["status"] == "SUCCEEDED" and passed["evaluation"]["success"] is True

        # the pages the README names are served
        for page in (
            "/locations/briskk_pipeline/asset-groups/ingest",
            f"/assets/products?view=partitions&partition={rejected['upload_id']}",
            "/runs?q[]=tag:briskk/status=rejected",
        ):
            assert httpx.get(f"http://127.0.0.1:{port}{page}", timeout=30).status_code == 200
        # read before stopping: at shutdown Dagster may warn that the code server it is
        # stopping exited, which says nothing about how it started
        log = dev.log.read_text(errors="replace")
    # starts clean: no supersession notice, no stray dagster.yaml, no telemetry banner
    assert "Serving dagster-webserver" in log
    assert "WARNING" not in log, log
    assert "Telemetry" not in log, log
