"""The instances of deploy/, built by Dagster itself on a scratch database of the test server:
deploy/dagster.yaml (one machine) and deploy/docker/dagster.yaml (each run in its own
container: a `DockerRunLauncher` with the compose network, image and variables, compute logs
in the (moto) bucket)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_docker import DockerRunLauncher

from briskk_pipeline.resources import S3ObjectStore
from briskk_pipeline_tests.deployment.compose import BASE_COMPOSE, INSTANCE, OVERRIDE, merged_files
from briskk_pipeline_tests.deployment.processes import REPO, pg_env, scratch_database
from briskk_pipeline_tests.fixtures.s3 import list_objects

pytestmark = pytest.mark.e2e


def test_production_instance_config_loads(
    postgres_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scratch_database(postgres_server_url) as url:
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
        for key, value in pg_env(url).items():
            monkeypatch.setenv(key, value)
        with DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
            assert instance.run_storage.postgres_url.startswith("postgresql+psycopg2://")
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            queue = instance.get_concurrency_config().run_queue_config
            assert queue is not None
            assert queue.max_concurrent_runs == 4
            assert queue.tag_concurrency_limits == [
                {"key": "briskk/tenant", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
            ]
            assert instance.run_monitoring_enabled
            assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
            # the storage really is this database: a run written here is read back from it
            assert instance.get_runs_count() == 0


def test_docker_instance_builds_the_docker_launcher(
    docker_instance: tuple[DagsterInstance, dict[str, str]], s3_store: S3ObjectStore
) -> None:
    instance, _ = docker_instance
    compose = merged_files(BASE_COMPOSE.read_text(), OVERRIDE.read_text())
    launcher = instance.run_launcher
    assert isinstance(launcher, DockerRunLauncher)
    assert launcher.networks == [compose["networks"]["default"]["name"]]
    assert launcher.image == compose["services"]["daemon"]["image"]
    assert launcher.container_kwargs["init"] is True
    assert launcher.supports_check_run_worker_health  # what run monitoring asks
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_settings["poll_interval_seconds"] == 30
    assert instance.run_monitoring_max_resume_run_attempts == 0
    # everything but the launcher, the compute logs and run monitoring is the one-machine file
    base = yaml.safe_load((REPO / "deploy" / "dagster.yaml").read_text())
    variant = yaml.safe_load(INSTANCE.read_text())
    changed = {"run_launcher", "compute_logs", "run_monitoring"}
    assert {k: v for k, v in variant.items() if k not in changed} == {
        k: v for k, v in base.items() if k not in changed
    }
    queue = instance.get_concurrency_config().run_queue_config
    assert queue is not None and queue.tag_concurrency_limits == [
        {"key": "briskk/tenant", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    # the launch command carries the instance with `{env: DAGSTER_PG_*}` unresolved: the run
    # container needs those variables itself (they are forwarded)
    storage_yaml = instance.get_ref().storage_data.config_yaml
    assert "DAGSTER_PG_PASSWORD" in storage_yaml

    # compute logs: written to the bucket and read back through the manager
    manager = instance.compute_log_manager
    assert isinstance(manager, S3ComputeLogManager)
    log_key = ["test-run", "compute_logs", "step"]
    with manager.capture_logs(log_key):
        print("hello from a step")
    stored = [k for k in list_objects(s3_store) if k.startswith("compute-logs/")]
    assert any(k.endswith(".out") for k in stored), stored
    captured = manager.get_log_data(log_key)
    assert captured.stdout is not None and b"hello from a step" in captured.stdout
