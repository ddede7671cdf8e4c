"""The compose file, statically: valid against the compose-spec schema (which really reads the
file), every variable with a default, services wired to each other and to deploy/."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from briskk_pipeline_tests.deployment.compose import check_compose_schema, render_compose
from briskk_pipeline_tests.deployment.processes import REPO

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            (
                '    healthcheck:\n      test: ["CMD", "mc"',
                '    healthchek:\n      test: ["CMD", "mc"',
            ),
            "healthchek",
        ),
        (("condition: service_healthy", "condition: service_ready"), "service_ready"),
        (("restart: unless-stopped\n", "restart: unless-stopped\n  bogus: 1\n"), "bogus"),
    ],
    ids=["misspelled-key", "unknown-condition", "unknown-field"],
)
def test_compose_schema_check_catches_mistakes(tmp_path: Path, change, complaint) -> None:
    """The schema check really reads the file: each broken copy of it fails, naming the fault."""
    old, new = change
    text = (REPO / "docker-compose.yml").read_text()
    assert old in text
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text.replace(old, new, 1))
    check = check_compose_schema(broken)
    assert check.returncode == 1, check.stdout + check.stderr
    assert complaint in check.stdout + check.stderr


def test_compose_file_is_valid() -> None:
    check = check_compose_schema(REPO / "docker-compose.yml")
    assert check.returncode == 0, check.stdout + check.stderr
    services = render_compose((REPO / "docker-compose.yml").read_text())["services"]
    assert set(services) >= {"postgres", "minio", "minio-init", "user_code", "webserver", "daemon"}

    long_running = ("postgres", "minio", "user_code", "webserver", "daemon")
    for name in long_running:
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    for name in ("user_code", "webserver", "daemon"):
        command = services[name]["command"]
        assert isinstance(command, list), f"{name}: exec form keeps signals reaching the server"
    assert services["user_code"]["command"][:5] == [
        "dagster",
        "code-server",
        "start",
        "-m",
        "briskk_pipeline",
    ]
    assert services["daemon"]["command"][:2] == ["dagster-daemon", "run"]
    assert services["webserver"]["command"][0] == "dagster-webserver"

    # the workspace points at the code server's service name and port
    workspace = yaml.safe_load((REPO / "deploy" / "workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    code_command = services["user_code"]["command"]
    assert grpc["host"] == "user_code"
    assert str(grpc["port"]) == code_command[code_command.index("-p") + 1]
    assert grpc["location_name"] == code_command[code_command.index("--location-name") + 1]

    # the inbox is a mounted volume where the sensor runs (the code server)
    env_vars = services["user_code"]["environment"]
    targets = [
        str(v.get("target") if isinstance(v, dict) else v) for v in services["user_code"]["volumes"]
    ]
    assert any(env_vars["BRISKK_INBOX"] in t for t in targets)
    # Dagster storage and the catalog are separate databases of the PostgreSQL service
    assert env_vars["DAGSTER_PG_DB"] != sa.make_url(env_vars["DATABASE_URL"]).database
    init = (REPO / "deploy" / "postgres" / "init-databases.sql").read_text()
    for database in (env_vars["DAGSTER_PG_DB"], sa.make_url(env_vars["DATABASE_URL"]).database):
        assert f"CREATE DATABASE {database};" in init
    assert services["minio-init"]["depends_on"]["minio"]["condition"] == "service_healthy"
