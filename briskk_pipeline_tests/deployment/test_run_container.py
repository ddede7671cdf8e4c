"""A run container's command, with only its environment: what `DockerRunLauncher.launch_run`
gives a new container (`dagster api execute_run …`), run as a process with only what the
container would have (the image's ENV and the forwarded variables, a fresh BRISKK_HOME, no
inbox, no instance file): the upload loads from the archive in S3 and its logs land in S3."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.utils import parse_env_var
from dagster._grpc.types import ExecuteRunArgs
from dagster_docker import DockerRunLauncher

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.definitions import defs
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import S3ObjectStore
from briskk_pipeline_tests.deployment.compose import INSTANCE
from briskk_pipeline_tests.deployment.processes import BIN, REPO
from briskk_pipeline_tests.fixtures.s3 import list_objects
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e


def _dockerfile_env() -> dict[str, str]:
    """The image's `ENV` lines (what every container of it starts with)."""
    env: dict[str, str] = {}
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in line[4:].split():
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def run_as_container(
    instance: DagsterInstance,
    run: Any,
    origin: Any,
    daemon_env: dict[str, str],
    tmp_path: Path,
) -> dict[str, str]:
    """Run `run` as DockerRunLauncher.launch_run would in a new container: its command
    (`ExecuteRunArgs(...).get_command_args()`) with the container's environment
    (`env_vars` read from this, the daemon's, environment) over the image's ENV, in a new
    working folder with an empty DAGSTER_HOME. Returns the forwarded environment."""
    launcher = instance.run_launcher
    assert isinstance(launcher, DockerRunLauncher)
    command = ExecuteRunArgs(
        job_origin=origin, run_id=run.run_id, instance_ref=instance.get_ref()
    ).get_command_args()
    # as DockerRunLauncher._launch_container_with_command builds the container's environment
    context = launcher.get_container_context(run)
    container_env = dict(parse_env_var(v) for v in context.env_vars)
    container_env["DAGSTER_RUN_JOB_NAME"] = run.job_name
    workdir = tmp_path / f"container-{run.run_id}"
    workdir.mkdir()
    env = {
        **_dockerfile_env(),
        "DAGSTER_HOME": str(workdir / "image-dagster-home"),  # the image's, without a file
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(workdir / "home"),
        **container_env,
    }
    if "PGHOST" in daemon_env:  # the test server listens on a Unix socket, not `postgres:5432`
        env["PGHOST"] = daemon_env["PGHOST"]
    assert command[0] == "dagster"
    child = subprocess.run(
        [str(BIN / "dagster"), *command[1:]],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    finished = instance.get_run_by_id(run.run_id)
    assert child.returncode == 0 and finished is not None, (
        child.stdout[-3000:] + child.stderr[-3000:]
    )
    assert finished.status == DagsterRunStatus.SUCCESS, child.stdout[-3000:] + child.stderr[-3000:]
    assert not (workdir / "image-dagster-home").exists()
    return container_env


def test_run_container_command_loads_an_upload_from_s3_alone(
    docker_instance: tuple[DagsterInstance, dict[str, str]],
    database_url: str,
    engine: sa.Engine,
    s3_store: S3ObjectStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What DockerRunLauncher.launch_run gives a new container — the command
    (`ExecuteRunArgs(...).get_command_args()`) and the environment (`env_vars` read from the
    daemon's environment) — run as a process with nothing else: the image's ENV, a fresh
    BRISKK_HOME, no inbox, no instance file, a new working folder. The upload loads from its
    archive in S3, its outputs and compute logs land in S3."""
    instance, daemon_env = docker_instance
    monkeypatch.setenv("DATABASE_URL", database_url)
    path = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", template_rows(8))
    registration = register(
        path.read_bytes(),
        path.name,
        explicit_tenant="BrandA",
        source="cli",
        store=s3_store,
        engine=engine,
    )
    upload_id = registration.upload_id
    instance.add_dynamic_partitions("uploads", [upload_id])
    origin = (
        ReconstructableRepository.for_module("briskk_pipeline", "defs", working_directory=None)
        .get_reconstructable_job("ingest_job")
        .get_python_origin()
    )
    run = instance.create_run_for_job(
        job_def=defs.resolve_job_def("ingest_job"),
        tags={"dagster/partition": upload_id, "briskk/tenant": "BrandA"},
        job_code_origin=origin,
    )
    container_env = run_as_container(instance, run, origin, daemon_env, tmp_path)

    record = uploads.get_upload(engine, upload_id)
    assert record is not None
    assert (record["status"], record["products_loaded"], record["skus_loaded"]) == (
        "succeeded",
        2,
        8,
    )
    with engine.connect() as connection:
        skus = connection.execute(sa.select(sa.func.count()).select_from(tables.skus)).scalar_one()
    assert skus == 8
    stored = list_objects(s3_store)
    assert f"outputs/validated_rows/{upload_id}/value.json" in stored
    assert any(
        f"/{run.run_id}/compute_logs/" in k for k in stored if k.startswith("compute-logs/")
    ), stored
    # the run needed no inbox and left no state of its own outside the catalog and the bucket
    assert not Path(container_env["BRISKK_INBOX"]).exists()
    assert set(container_env) - {"DAGSTER_RUN_JOB_NAME"} == {
        v.split("=", 1)[0]
        for v in yaml.safe_load(INSTANCE.read_text())["run_launcher"]["config"]["env_vars"]
    }

    # A single asset of that upload, again in a new "container": only products and skus
    # (the catalog_load step) from the outputs stored in S3. The catalog lost the upload's
    # SKUs and the original is gone too, so nothing but the stored outputs can bring them back.
    with engine.begin() as connection:
        connection.execute(sa.delete(tables.skus).where(tables.skus.c.tenant == "BrandA"))
    s3_store.delete(registration.archive_key)
    selection = {AssetKey("products"), AssetKey("skus")}
    subset_run = instance.create_run_for_job(
        job_def=defs.resolve_job_def("ingest_job").get_subset(asset_selection=selection),
        asset_selection=frozenset(selection),
        tags={"dagster/partition": upload_id, "briskk/tenant": "BrandA"},
        job_code_origin=origin,
    )
    run_as_container(instance, subset_run, origin, daemon_env, tmp_path)
    steps = {
        e.step_key
        for e in instance.all_logs(subset_run.run_id)
        if e.dagster_event is not None and e.dagster_event.is_step_success
    }
    assert steps == {"catalog_load"}
    with engine.connect() as connection:
        skus = connection.execute(sa.select(sa.func.count()).select_from(tables.skus)).scalar_one()
    assert skus == 8
