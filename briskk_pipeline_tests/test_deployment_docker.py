"""Each run in its own container: deploy/docker/dagster.yaml and docker-compose.docker-runs.yml.

There is no Docker engine here, so nothing starts a container. What is checked instead, each
check failing when the configuration breaks:

- the merged compose files (docker-compose.yml + the override, merged by the compose-spec's
  rules) against the compose-spec schema, and against the instance file: one network, one
  image, the Docker socket where runs are launched or stopped, every forwarded variable set;
- the instance file through Dagster itself (PostgreSQL storage on the test server): the run
  launcher it builds is a `DockerRunLauncher` with that network, image and variables, and the
  S3 compute-log manager writes to the (moto) bucket;
- the variables forwarded cover every setting the package reads, found in its source;
- the command the launcher gives a run container (`dagster api execute_run …`), run as a
  process with only what the container would have (the image's ENV and the forwarded
  variables, a fresh BRISKK_HOME, no inbox, no instance file): the upload loads from the
  archive in S3 and its logs land in S3.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from dagster import AssetKey, DagsterInstance, DagsterRunStatus
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.utils import parse_env_var
from dagster._grpc.types import ExecuteRunArgs
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_docker import DockerRunLauncher

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.definitions import defs
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import S3ObjectStore
from briskk_pipeline_tests.fixtures.s3 import CREDENTIALS, REGION, list_objects
from briskk_pipeline_tests.test_deployment import (
    BIN,
    REPO,
    _pg_env,
    check_compose_schema,
    render_compose,
    scratch_database,
)
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx

pytestmark = pytest.mark.e2e

BASE_COMPOSE = REPO / "docker-compose.yml"
OVERRIDE = REPO / "docker-compose.docker-runs.yml"
INSTANCE = REPO / "deploy" / "docker" / "dagster.yaml"
DAGSTER_SERVICES = ("user_code", "webserver", "daemon", "api")
# Services that talk to Docker: the daemon launches and watches run containers, the webserver
# stops one when a run is cancelled from the UI.
SOCKET_SERVICES = ("daemon", "webserver")
SOCKET = "/var/run/docker.sock"

# Variables the package reads that a run does not need forwarded, and why.
NOT_FOR_RUNS = {
    "DAGSTER_HOME": "the run's instance comes with its launch command; the image sets it too",
    "BRISKK_API_RUNS": "read by `briskk serve` only (api/app.py)",
    "BRISKK_API_WORKERS": "read by `briskk serve` only (api/app.py)",
    "BRISKK_RECORD_HISTORY": "benchmark-only switch (history/record.py)",
    "AWS_DEFAULT_REGION": "the fallback of AWS_REGION, which is forwarded",
}


# ------------------------------------------------------------------- merging compose files

# Service attributes that the later file replaces (compose-spec "Merge", Exceptions: shell
# commands) and sequences that are merged by a unique key (Exceptions: unique resources).
_REPLACED = {"command", "entrypoint"}
_UNIQUE_BY = {"volumes": "target", "ports": "target", "secrets": "target", "configs": "target"}


def _volume_target(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry["target"])
    parts = str(entry).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _merge(base: Any, override: Any, key: str | None = None) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            if name in merged and name not in _REPLACED and key != "healthcheck":
                merged[name] = _merge(merged[name], value, name)
            else:
                merged[name] = value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        if key == "volumes":
            by_target = {_volume_target(v): v for v in base}
            by_target.update({_volume_target(v): v for v in override})
            return list(by_target.values())
        return base + [v for v in override if v not in base]
    return override


def merge_compose(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`docker compose -f base -f override config`, for the attributes these files use:
    mappings merged key by key, sequences appended, `command`/`entrypoint`/`healthcheck.test`
    replaced, `volumes` merged by their container path (compose-spec, "Merge")."""
    return _merge(base, override)


def render(text: str, **required: str) -> dict[str, Any]:
    """The compose file with no variable set except `required` (`${NAME:?message}`); comment
    lines are not interpolated (they may show shell commands)."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for name, value in required.items():
        text = re.sub(r"\$\{" + name + r":\?[^}]*\}", value, text)
    return render_compose(text)


def merged_files(base_text: str, override_text: str) -> dict[str, Any]:
    """Both files rendered and merged; environment values as the container sees them
    (`${NAME:-}` is the empty string, numbers are text: these files never use a bare `KEY:`)."""
    merged = merge_compose(render(base_text), render(override_text, DOCKER_GID="998"))
    for service in merged["services"].values():
        if isinstance(service.get("environment"), dict):
            service["environment"] = {
                k: "" if v is None else str(v) for k, v in service["environment"].items()
            }
    return merged


# --------------------------------------------------------- what must agree, as one function


def docker_runs_problems(
    compose: dict[str, Any], instance: dict[str, Any], dockerfile: str
) -> list[str]:
    """Every disagreement between the merged compose model, the instance file and the
    Dockerfile that would stop runs from starting in their own containers (empty: none)."""
    problems: list[str] = []
    launcher = instance["run_launcher"]
    if (launcher["module"], launcher["class"]) != ("dagster_docker", "DockerRunLauncher"):
        problems.append(f"run_launcher is {launcher['module']}.{launcher['class']}")
    config = launcher.get("config", {})
    services = compose["services"]

    network = (compose.get("networks") or {}).get("default", {}).get("name")
    if network != config.get("network"):
        problems.append(
            f"the compose network {network!r} is not the launcher's {config.get('network')!r}"
        )
    for name in DAGSTER_SERVICES:
        service = services[name]
        if service.get("image") != config.get("image"):
            problems.append(
                f"{name} runs {service.get('image')!r}, runs get {config.get('image')!r}"
            )
        args = (
            (service.get("build") or {}).get("args", {})
            if isinstance(service.get("build"), dict)
            else {}
        )
        if "docker" not in str(args.get("PIP_EXTRAS", "")).split(","):
            problems.append(f"{name}'s image is built without the `docker` extra")
        if args.get("DAGSTER_INSTANCE") != INSTANCE.relative_to(REPO).as_posix():
            problems.append(f"{name}'s image bakes in {args.get('DAGSTER_INSTANCE')!r}")
    for name in SOCKET_SERVICES:
        service = services[name]
        if SOCKET not in [_volume_target(v) for v in service.get("volumes", [])]:
            problems.append(f"{name} does not mount the Docker socket")
        if not service.get("group_add"):
            problems.append(f"{name} is not in the Docker socket's group")
    daemon_env = services["daemon"]["environment"]
    for variable in config.get("env_vars", []):
        name = variable.split("=", 1)[0]
        if "=" not in variable and daemon_env.get(name) is None:
            problems.append(f"{name} is forwarded to runs but not set in the daemon")
    if not daemon_env.get("S3_BUCKET"):
        problems.append("S3_BUCKET is empty: asset outputs would stay in the run's container")
    for arg in ("ARG PIP_EXTRAS", "ARG DAGSTER_INSTANCE", "COPY ${DAGSTER_INSTANCE} "):
        if arg not in dockerfile:
            problems.append(f"the Dockerfile has no `{arg.strip()}`")
    return problems


def _read_all() -> tuple[str, str, str, str]:
    return (
        BASE_COMPOSE.read_text(),
        OVERRIDE.read_text(),
        INSTANCE.read_text(),
        (REPO / "Dockerfile").read_text(),
    )


def test_docker_runs_files_agree(tmp_path: Path) -> None:
    base, override, instance, dockerfile = _read_all()
    merged = merged_files(base, override)
    assert docker_runs_problems(merged, yaml.safe_load(instance), dockerfile) == []
    # the merged model is a valid compose file (the schema Docker Compose validates with)
    merged_path = tmp_path / "merged.yml"
    merged_path.write_text(yaml.safe_dump(merged))
    check = check_compose_schema(merged_path)
    assert check.returncode == 0, check.stdout + check.stderr
    check = check_compose_schema(OVERRIDE)
    assert check.returncode == 0, check.stdout + check.stderr
    # the override adds to the base, it does not replace what the base already checks
    services = merged["services"]
    assert services["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    assert "dagster-storage:/opt/dagster/dagster_home/storage" in services["daemon"]["volumes"]
    # the instance file exists where the build arg says, and the extra names dagster-docker
    assert INSTANCE.is_file()
    assert '"dagster-docker>=' in (REPO / "pyproject.toml").read_text().split("docker = [")[1]


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        ("override", "name: briskk-pipeline", "name: briskk", "is not the launcher's"),
        (
            "instance",
            "network: briskk-pipeline",
            "network: briskk_default",
            "is not the launcher's",
        ),
        (
            "override",
            "  api:\n    build: *docker-runs-build\n    image: briskk-pipeline:docker-runs",
            "  api:\n    build: *docker-runs-build\n    image: briskk-pipeline:latest",
            "api runs 'briskk-pipeline:latest'",
        ),
        (
            "override",
            "    PIP_EXTRAS: docker\n",
            "    PIP_EXTRAS: ''\n",
            "without the `docker` extra",
        ),
        ("override", "  daemon:\n    <<: *docker-socket\n", "  daemon:\n", "daemon does not mount"),
        (
            "instance",
            "      - AWS_REGION\n",
            "      - AWS_REGION\n      - BRISKK_NOT_SET\n",
            "BRISKK_NOT_SET is forwarded to runs but not set",
        ),
        ("instance", "class: DockerRunLauncher", "class: DefaultRunLauncher", "run_launcher is"),
        (
            "base",
            "S3_BUCKET: ${S3_BUCKET:-briskk}",
            "S3_BUCKET: ${S3_BUCKET:-}",
            "S3_BUCKET is empty",
        ),
        ("dockerfile", "COPY ${DAGSTER_INSTANCE} ", "COPY deploy/dagster.yaml ", "no `COPY"),
    ],
    ids=[
        "network-renamed",
        "launcher-network",
        "image-mismatch",
        "no-docker-extra",
        "daemon-without-socket",
        "forwarded-but-unset",
        "not-docker-launcher",
        "no-bucket",
        "instance-not-baked",
    ],
)
def test_disagreements_are_caught(file: str, old: str, new: str, problem: str) -> None:
    base, override, instance, dockerfile = _read_all()
    texts = {"base": base, "override": override, "instance": instance, "dockerfile": dockerfile}
    assert old in texts[file], f"{old!r} not in the {file} file"
    texts[file] = texts[file].replace(old, new, 1)
    found = docker_runs_problems(
        merged_files(texts["base"], texts["override"]),
        yaml.safe_load(texts["instance"]),
        texts["dockerfile"],
    )
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("  group_add:\n", "  group_ad:\n", "group_ad"),
        ("    name: briskk-pipeline", "    nme: briskk-pipeline", "nme"),
    ],
    ids=["misspelled-service-key", "misspelled-network-key"],
)
def test_schema_check_of_merged_files_catches_mistakes(
    tmp_path: Path, old: str, new: str, complaint: str
) -> None:
    base, override, _, _ = _read_all()
    assert old in override
    merged = merged_files(base, override.replace(old, new, 1))
    path = tmp_path / "merged.yml"
    path.write_text(yaml.safe_dump(merged))
    check = check_compose_schema(path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert complaint in check.stdout + check.stderr


def test_merge_matches_docker_compose_v1_where_installed(tmp_path: Path) -> None:
    """Our merge against the real one of `docker-compose config` (compose 1.29, which needs
    no Docker engine), for the services the override touches."""
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (the schema and merge checks still ran)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "BRISKK_", "AWS_"))}
    real = subprocess.run(
        [tool, "-f", str(BASE_COMPOSE), "-f", str(OVERRIDE), "config"],
        env={**env, "DOCKER_GID": "998"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    theirs = yaml.safe_load(real.stdout)
    ours = merged_files(BASE_COMPOSE.read_text(), OVERRIDE.read_text())
    assert theirs["networks"]["default"]["name"] == ours["networks"]["default"]["name"]
    for name in DAGSTER_SERVICES:
        a, b = theirs["services"][name], ours["services"][name]
        assert a["image"] == b["image"]
        assert a["build"]["args"] == b["build"]["args"]
        assert {k: str(v) for k, v in a["environment"].items()} == b["environment"], name
        assert [str(g) for g in a.get("group_add", [])] == [str(g) for g in b.get("group_add", [])]
        assert sorted(_volume_target(v) for v in a.get("volumes", [])) == sorted(
            _volume_target(v) for v in b.get("volumes", [])
        ), name


# -------------------------------------------------------- the variables a run needs, from code


def variables_read_by_the_package() -> set[str]:
    """Every environment variable named in `briskk_pipeline/`: string literals passed to
    `os.environ.get`/`os.getenv`/`EnvVar`/`_env_int`/`_env_flag`, or assigned to a name
    ending in `_SETTING` (found by parsing the source, so a new setting is seen)."""
    readers = {"get", "getenv", "EnvVar", "_env_int", "_env_flag"}
    found: set[str] = set()
    for path in (REPO / "briskk_pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "get" and not (
                    isinstance(func, ast.Attribute) and ast.unparse(func.value) == "os.environ"
                ):
                    continue
                first = node.args[0]
                if name in readers and isinstance(first, ast.Constant):
                    found.add(str(first.value))
            if isinstance(node, ast.AnnAssign | ast.Assign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                value = node.value
                if (
                    any(isinstance(t, ast.Name) and t.id.endswith("_SETTING") for t in targets)
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    found.add(value.value)
    return found


def test_runs_get_every_setting_the_package_reads() -> None:
    read = variables_read_by_the_package()
    # the scan sees the settings it must (it is not silently empty)
    assert {"DATABASE_URL", "S3_BUCKET", "S3_ENDPOINT_URL", "BRISKK_MAX_ROWS"} <= read
    assert {"BRISKK_RECORD_HISTORY", "BRISKK_FETCH_IMAGES", "AWS_REGION"} <= read
    forwarded = {
        v.split("=", 1)[0]
        for v in yaml.safe_load(INSTANCE.read_text())["run_launcher"]["config"]["env_vars"]
    }
    missing = sorted(read - forwarded - set(NOT_FOR_RUNS))
    assert missing == [], f"read by the package, not forwarded to run containers: {missing}"
    # Dagster's storage: the instance a run gets keeps `{env: DAGSTER_PG_*}` unresolved
    assert {f"DAGSTER_PG_{p}" for p in ("USERNAME", "PASSWORD", "HOST", "PORT", "DB")} <= forwarded
    # credentials come from boto3's chain: the static pair is forwarded
    assert {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= forwarded
    assert set(NOT_FOR_RUNS) <= read, "an exception for a variable the package no longer reads"


# ------------------------------------------------------- the instance, built by Dagster itself


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
        env.update(_pg_env(storage_url))
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


# ---------------------------------------------- a run container's command, with only its env


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
