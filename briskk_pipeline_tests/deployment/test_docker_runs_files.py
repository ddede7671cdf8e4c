"""Each run in its own container: docker-compose.docker-runs.yml and deploy/docker/dagster.yaml.

There is no Docker engine here, so nothing starts a container. Checked here instead, each
check failing when the configuration breaks: the merged compose files (docker-compose.yml +
the override, merged by the compose-spec's rules) against the compose-spec schema, and against
the instance file and the Dockerfile: one network, one image, the Docker socket where runs are
launched or stopped, every forwarded variable set. The variables forwarded are checked
against the package's source in test_run_variables.py, the instance Dagster builds from the
file in test_instance.py, the command the launcher gives a run container in
test_run_container.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from briskk_pipeline_tests.deployment.compose import (
    BASE_COMPOSE,
    INSTANCE,
    OVERRIDE,
    check_compose_schema,
    merged_files,
    volume_target,
)
from briskk_pipeline_tests.deployment.processes import REPO

pytestmark = pytest.mark.e2e

DAGSTER_SERVICES = ("user_code", "webserver", "daemon", "api")
# Services that talk to Docker: the daemon launches and watches run containers, the webserver
# stops one when a run is cancelled from the UI.
SOCKET_SERVICES = ("daemon", "webserver")
SOCKET = "/var/run/docker.sock"

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
        if SOCKET not in [volume_target(v) for v in service.get("volumes", [])]:
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
        assert sorted(volume_target(v) for v in a.get("volumes", [])) == sorted(
            volume_target(v) for v in b.get("volumes", [])
        ), name
