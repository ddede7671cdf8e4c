"""The production topology on one machine: deploy/dagster.yaml (PostgreSQL storage, queued
runs, per-tenant limit) with a gRPC code server, the webserver and the daemon as real
processes on 127.0.0.1, the moto S3 server as the object store."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa
import yaml

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import S3ObjectStore
from briskk_pipeline_tests.deployment.graphql import GraphQL
from briskk_pipeline_tests.deployment.processes import (
    BIN,
    REPO,
    clean_env,
    free_port,
    pg_env,
    processes,
    scratch_database,
    serve_row_images,
    sha256,
    wait_for,
)
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer
from briskk_pipeline_tests.fixtures.s3 import CREDENTIALS, REGION, read_object
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

GRAPHQL_WORKSPACE = """
query { workspaceOrError { __typename ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
GRAPHQL_ADD_PARTITION = """
mutation($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: $name,
                      partitionKey: $key) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionKey }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}
"""
GRAPHQL_LAUNCH = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PipelineNotFoundError { message }
    ... on InvalidSubsetError { message }
  }
}
"""
GRAPHQL_RUN = """
query($runId: ID!) { runOrError(runId: $runId) { __typename
  ... on Run { runId status startTime endTime tags { key value } } } }
"""
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def _grpc_healthy(port: int, env: Mapping[str, str]) -> bool:
    check = subprocess.run(
        [str(BIN / "dagster"), "api", "grpc-health-check", "-h", "127.0.0.1", "-p", str(port)],
        env=dict(env),
        capture_output=True,
        timeout=60,
    )
    return check.returncode == 0


def _location_loaded(graphql: GraphQL) -> bool:
    entries = graphql(GRAPHQL_WORKSPACE)["workspaceOrError"]["locationEntries"]
    for entry in entries:
        location = entry["locationOrLoadError"]
        if location and location["__typename"] == "PythonError":
            pytest.fail(f"the code location failed to load: {location['message']}")
    return any(
        e["name"] == "briskk_pipeline"
        and e["loadStatus"] == "LOADED"
        and (e["locationOrLoadError"] or {}).get("__typename") == "RepositoryLocation"
        for e in entries
    )


def test_production_topology_queues_one_tenants_uploads(
    tmp_path: Path,
    postgres_server_url: str,
    database_url: str,
    engine: sa.Engine,
    s3_store: S3ObjectStore,
    http_server: LoopbackHTTPServer,
) -> None:
    """deploy/dagster.yaml (PostgreSQL storage, queued runs, per-tenant limit) with a gRPC code
    server, the webserver and the daemon: runs launched through the webserver's GraphQL API
    succeed, and two uploads of one tenant run one after the other."""
    grpc_port, web_port = free_port(), free_port()
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text())
    workspace["load_from"][0]["grpc_server"].update(host="127.0.0.1", port=grpc_port)
    workspace_file = tmp_path / "workspace.yaml"
    workspace_file.write_text(yaml.safe_dump(workspace))

    # Slow image hosts make each run last a few seconds longer, so runs that were allowed to
    # overlap would overlap by seconds, not by a hair.
    http_server.latency = 2.0
    files = []
    for prefix in ("P", "Q"):
        rows = template_rows(8, image_base=http_server.url(f"/{prefix}"), product_prefix=prefix)
        serve_row_images(http_server, rows)
        files.append(write_xlsx(tmp_path / f"{prefix}" / "BrandA_Briskk_SKU_Template.xlsx", rows))

    with ExitStack() as stack:
        storage_url = stack.enter_context(scratch_database(postgres_server_url))
        env = clean_env(
            DAGSTER_HOME=str(dagster_home),
            BRISKK_HOME=str(tmp_path / "briskk"),
            DATABASE_URL=database_url,
            S3_BUCKET=s3_store.bucket,
            S3_ENDPOINT_URL=s3_store.s3.endpoint_url or "",
            AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
            AWS_REGION=REGION,
            BRISKK_ALLOWED_IMAGE_HOSTS="127.0.0.1",
            **pg_env(storage_url),
        )
        start = stack.enter_context(processes())
        code = start(
            "code-server",
            [
                str(BIN / "dagster"),
                *("code-server", "start", "-m", "briskk_pipeline"),
                *("-h", "127.0.0.1", "-p", str(grpc_port), "--location-name", "briskk_pipeline"),
            ],
            env,
            tmp_path,
        )
        # like compose's `depends_on: service_healthy`: the webserver and the daemon start
        # once the code server answers its health check
        began = time.monotonic()
        wait_for(
            "the code server's health check",
            lambda: _grpc_healthy(grpc_port, env),
            [code],
            interval=0.5,
        )
        print(f"topology: code server healthy in {time.monotonic() - began:.1f} s")
        web = start(
            "webserver",
            [
                str(BIN / "dagster-webserver"),
                *("-h", "127.0.0.1", "-p", str(web_port), "-w", str(workspace_file)),
            ],
            env,
            tmp_path,
        )
        daemon = start(
            "daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(workspace_file)], env, tmp_path
        )
        procs = [code, web, daemon]
        graphql = GraphQL(f"http://127.0.0.1:{web_port}/graphql")
        wait_for("the code location to load", lambda: _location_loaded(graphql), procs)
        print(f"topology: code location loaded in {time.monotonic() - began:.1f} s")

        selector = {"repositoryLocationName": "briskk_pipeline", "repositoryName": "__repository__"}
        run_ids: dict[str, str] = {}
        for path in files:
            registration = register(
                path.read_bytes(),
                path.name,
                explicit_tenant="BrandA",
                source="cli",
                store=s3_store,
                engine=engine,
            )
            upload_id = registration.upload_id
            added = graphql(
                GRAPHQL_ADD_PARTITION, selector=selector, name="uploads", key=upload_id
            )["addDynamicPartition"]
            assert added["__typename"] == "AddDynamicPartitionSuccess", added
            launched = graphql(
                GRAPHQL_LAUNCH,
                params={
                    "selector": {**selector, "jobName": "ingest_job"},
                    "executionMetadata": {
                        "tags": [
                            {"key": "dagster/partition", "value": upload_id},
                            {"key": "briskk/tenant", "value": "BrandA"},
                        ]
                    },
                },
            )["launchRun"]
            assert launched["__typename"] == "LaunchRunSuccess", launched
            run_ids[upload_id] = launched["run"]["runId"]

        def runs_done() -> list[dict[str, Any]] | None:
            runs = [graphql(GRAPHQL_RUN, runId=r)["runOrError"] for r in run_ids.values()]
            return runs if all(r["status"] in TERMINAL for r in runs) else None

        launched_at = time.monotonic()
        runs = wait_for("both runs to finish", runs_done, procs)
        print(f"topology: two queued runs finished in {time.monotonic() - launched_at:.1f} s")

        assert [r["status"] for r in runs] == ["SUCCESS", "SUCCESS"], runs
        first, second = sorted(runs, key=lambda r: r["startTime"])
        print(
            "topology: run 1 {:.1f} s, gap {:.1f} s, run 2 {:.1f} s".format(
                first["endTime"] - first["startTime"],
                second["startTime"] - first["endTime"],
                second["endTime"] - second["startTime"],
            )
        )
        assert first["endTime"] <= second["startTime"], (
            f"runs of one tenant overlapped: {first['startTime']}–{first['endTime']} and "
            f"{second['startTime']}–{second['endTime']}"
        )
        for upload_id, run_id in run_ids.items():
            record = uploads.get_upload(engine, upload_id)
            assert record is not None
            assert (record["status"], record["run_id"]) == ("succeeded", run_id)
            assert (record["products_loaded"], record["skus_loaded"]) == (2, 8)
            assert record["images"]["stored"] == 5, record["images"]
            archive_key = urlparse(record["archive_uri"]).path.lstrip("/")
            assert sha256(read_object(s3_store, archive_key)) == record["sha256"]
        with engine.connect() as connection:
            products = connection.execute(
                sa.select(sa.func.count()).select_from(tables.products)
            ).scalar_one()
        assert products == 4
