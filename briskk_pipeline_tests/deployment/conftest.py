"""The Docker variant's instance (deploy/docker/dagster.yaml) as Dagster builds it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

from briskk_pipeline.resources import S3ObjectStore
from briskk_pipeline_tests.deployment.compose import BASE_COMPOSE, INSTANCE, OVERRIDE, merged_files
from briskk_pipeline_tests.deployment.processes import pg_env, scratch_database
from briskk_pipeline_tests.fixtures.s3 import CREDENTIALS, REGION


@pytest.fixture
def docker_instance(
    postgres_server_url: str,
    s3_store: S3ObjectStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[DagsterInstance, dict[str, str]]]:
    """deploy/docker/dagster.yaml loaded by Dagster on a scratch database of the test server,
    in a process whose environment is the daemon's of the merged compose files with the
    hosts, passwords and paths of this machine (the moto bucket for MinIO). Yields the
    instance and that environment."""
    daemon = merged_files(BASE_COMPOSE.read_text(), OVERRIDE.read_text())["services"]["daemon"]
    with scratch_database(postgres_server_url) as storage_url:
        env = dict(daemon["environment"])
        env.update(pg_env(storage_url))
        env.update(
            DATABASE_URL="",  # set by the test that needs a catalog
            S3_BUCKET=s3_store.bucket,
            S3_ENDPOINT_URL=s3_store.s3.endpoint_url or "",
            AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
            AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
            AWS_REGION=REGION,
            BRISKK_HOME=str(tmp_path / "run-home"),
            BRISKK_INBOX=str(tmp_path / "run-home" / "no-inbox"),
            BRISKK_FETCH_IMAGES="0",  # no image host here; image fetching has its own tests
        )
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(INSTANCE, home / "dagster.yaml")
        env["DAGSTER_HOME"] = str(home)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with DagsterInstance.from_config(str(home)) as instance:
            yield instance, env
