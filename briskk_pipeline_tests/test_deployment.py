"""End to end: the daemon watching a real inbox, the production topology, the compose file.

Real processes throughout: `dagster-daemon run`, `dagster code-server start` and
`dagster-webserver` as subprocesses on 127.0.0.1, the embedded PostgreSQL (a fresh catalog
database per test, and one for Dagster's own storage), a local folder or the moto S3 server as
the object store, and images served on loopback. Every wait has a deadline; every process is
stopped (its whole process group) whatever happens.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import sqlalchemy as sa
import yaml
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.home import LOCAL_INSTANCE_YAML
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import S3ObjectStore
from briskk_pipeline.template import IMAGE_COLUMNS
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer
from briskk_pipeline_tests.fixtures.s3 import CREDENTIALS, REGION, read_object
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows, write_xlsx

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 120.0
# Variables of the developer's own setup that must not leak into the processes under test.
_OWN_PREFIXES = ("DAGSTER_", "BRISKK_", "S3_", "AWS_", "PG")
_OWN_NAMES = ("DATABASE_URL",)


# ------------------------------------------------------------------------------ helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**values: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_OWN_PREFIXES) and k not in _OWN_NAMES
    }
    env.update(values)
    return env


class Process:
    """A subprocess in its own session, logging to a file; `stop()` ends its whole group."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: Mapping[str, str],
        logs: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self._file = self.log.open("wb")
        self.popen = subprocess.Popen(
            args,
            env=dict(env),
            cwd=cwd or logs,
            stdout=self._file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return f"--- {self.name} (last {lines} lines) ---\n" + "\n".join(text[-lines:])

    def stop(self) -> None:
        try:
            if self.popen.poll() is None:
                os.killpg(self.popen.pid, signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    self.popen.wait(timeout=20)
            # the group: run workers and gRPC servers the process started
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)
        self._file.close()


@contextmanager
def processes() -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def start(
        name: str, args: list[str], env: Mapping[str, str], logs: Path, cwd: Path | None = None
    ) -> Process:
        process = Process(name, args, env, logs, cwd)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in reversed(started):
            process.stop()


def wait_for(
    what: str,
    check: Callable[[], Any],
    procs: list[Process],
    timeout: float = DEADLINE_SECONDS,
    interval: float = 1.0,
) -> Any:
    """Poll `check` until it returns something truthy; fail with the processes' logs if the
    deadline passes or one of them exits."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        for process in procs:
            if process.popen.poll() is not None:
                pytest.fail(
                    f"{process.name} exited ({process.popen.returncode}) while waiting for "
                    f"{what}\n{process.tail()}"
                )
        try:
            value = check()
        except (httpx.HTTPError, sa.exc.OperationalError) as error:
            value, last_error = None, error
        if value:
            return value
        time.sleep(interval)
    logs = "\n".join(p.tail() for p in procs)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} ({last_error})\n{logs}")


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new database on the test PostgreSQL server (Dagster's own storage)."""
    name = f"dagster_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def serve_row_images(server: LoopbackHTTPServer, rows: list[dict]) -> None:
    for row in rows:
        for column in IMAGE_COLUMNS:
            if row.get(column):
                server.serve_image(urlparse(row[column]).path)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def finished(engine: sa.Engine, count: int) -> list[dict] | None:
    records = uploads.list_uploads(engine)
    if len(records) >= count and all(r["status"] != "running" for r in records):
        return records
    return None


# --------------------------------------------------------------- the compose file, statically


# `${NAME:-default}` as compose interpolates it with NAME unset; `$$` is a literal `$`.
_COMPOSE_DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}")


def render_compose(text: str) -> dict[str, Any]:
    """The compose file as `docker compose config` sees it with no variable set: every
    variable must have a default (a laptop runs it with none), merge keys resolved."""
    rendered = _COMPOSE_DEFAULT.sub(lambda m: m.group(1), text.replace("$$", "\0"))
    assert "${" not in rendered and "$" not in rendered.replace("\0", ""), (
        "a variable without a default in docker-compose.yml"
    )
    return yaml.safe_load(rendered.replace("\0", "$"))


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema with the compose-spec schema it vendors (the schema Docker Compose
    validates against), pip-installed with the dev extras: no Docker needed."""
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


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


def _pg_env(url: str) -> dict[str, str]:
    """DAGSTER_PG_* for a server URL; a Unix-socket server goes through libpq's PGHOST."""
    parsed = sa.make_url(url)
    socket_dir = parsed.query.get("host")
    env = {
        "DAGSTER_PG_USERNAME": parsed.username or "postgres",
        "DAGSTER_PG_PASSWORD": parsed.password or "",
        "DAGSTER_PG_DB": parsed.database or "postgres",
        "DAGSTER_PG_PORT": str(parsed.port or 5432),
        "DAGSTER_PG_HOST": parsed.host or "",
    }
    if socket_dir:
        env["PGHOST"] = socket_dir if isinstance(socket_dir, str) else socket_dir[0]
    return env


def test_production_instance_config_loads(
    postgres_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with scratch_database(postgres_server_url) as url:
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
        for key, value in _pg_env(url).items():
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


# ------------------------------------------------------------ the daemon and a real inbox


def test_daemon_ingests_files_dropped_in_the_inbox(
    tmp_path: Path,
    postgres_server_url: str,
    database_url: str,
    engine: sa.Engine,
    http_server: LoopbackHTTPServer,
) -> None:
    """`dagster-daemon run` with the local instance settings (home.LOCAL_INSTANCE_YAML) and
    PostgreSQL storage: dropped files become catalog rows, the inbox empties, the archive
    holds the same bytes; a file written in two halves is ingested once, whole; a broken file
    is recorded as rejected; an unregistrable one is moved aside."""
    home = tmp_path / "briskk"
    inbox = home / "inbox"
    (inbox / "BrandB").mkdir(parents=True)
    (inbox / "BrandC").mkdir()
    (inbox / "Not A Tenant").mkdir()
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()

    rows_a = template_rows(8, image_base=http_server.url("/a"))
    rows_b = template_rows(12, image_base=http_server.url("/b"), product_prefix="B")
    serve_row_images(http_server, rows_a + rows_b)
    workbook = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", rows_a).read_bytes()
    slow = csv_bytes(rows_b)
    broken = b"PK\x03\x04 this is not really a workbook"

    with ExitStack() as stack:
        storage_url = stack.enter_context(scratch_database(postgres_server_url))
        config = yaml.safe_load(LOCAL_INSTANCE_YAML)
        config["storage"] = {"postgres": {"postgres_url": storage_url}}
        config["sensors"] = {"use_threads": True, "num_workers": 2}
        (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(config))
        env = clean_env(
            DAGSTER_HOME=str(dagster_home),
            BRISKK_HOME=str(home),
            DATABASE_URL=database_url,
            BRISKK_ALLOWED_IMAGE_HOSTS="127.0.0.1",
        )
        start = stack.enter_context(processes())
        daemon = start(
            "daemon", [str(BIN / "dagster-daemon"), "run", "-m", "briskk_pipeline"], env, tmp_path
        )

        (inbox / "BrandA_Briskk_SKU_Template.xlsx").write_bytes(workbook)
        (inbox / "BrandC" / "broken.xlsx").write_bytes(broken)
        (inbox / "Not A Tenant" / "catalog.csv").write_bytes(slow)
        # Written in two halves with a pause shorter than the sensor's interval (5 s): a tick
        # may see the first half, but no two ticks can both see it.
        with (inbox / "BrandB" / "catalog.csv").open("wb") as handle:
            handle.write(slow[: len(slow) // 2])
            handle.flush()
            time.sleep(2)
            handle.write(slow[len(slow) // 2 :])
        dropped = time.monotonic()

        records = wait_for("three uploads to finish", lambda: finished(engine, 3), [daemon])
        wait_for(
            "the inbox to empty",
            lambda: (
                sorted(p.name for p in inbox.rglob("*") if p.is_file())
                == ["catalog.csv", "catalog.csv.reason.txt"]
            ),
            [daemon],
        )
        elapsed = time.monotonic() - dropped
        print(f"daemon: dropped files ingested in {elapsed:.1f} s")

        by_name = {r["file_name"]: r for r in records}
        assert len(records) == 3, records

        good = by_name["BrandA_Briskk_SKU_Template.xlsx"]
        assert good["status"] == "succeeded", good
        assert (good["tenant"], good["products_loaded"], good["skus_loaded"]) == ("BrandA", 2, 8)
        assert good["images"]["stored"] == 5
        archived = Path(urlparse(good["archive_uri"]).path).read_bytes()
        assert good["sha256"] == sha256(archived) == sha256(workbook)

        whole = by_name["catalog.csv"]
        assert whole["status"] == "succeeded", whole
        assert (whole["tenant"], whole["explicit_tenant"]) == ("BrandB", "BrandB")
        assert whole["size_bytes"] == len(slow)
        assert whole["sha256"] == sha256(slow)
        assert (whole["products_loaded"], whole["skus_loaded"]) == (3, 12)

        rejected = by_name["broken.xlsx"]
        assert rejected["status"] == "rejected", rejected
        assert rejected["tenant"] == "BrandC"
        assert rejected["errors"] and rejected["errors"][0]["row"] is None
        assert Path(urlparse(rejected["archive_uri"]).path).read_bytes() == broken

        with engine.connect() as connection:
            counts = dict(
                connection.execute(
                    sa.select(tables.skus.c.tenant, sa.func.count()).group_by(tables.skus.c.tenant)
                ).all()
            )
        assert counts == {"BrandA": 8, "BrandB": 12}

        # unregistrable: moved aside with its reason, never registered
        aside = inbox / ".rejected"
        assert (aside / "catalog.csv").read_bytes() == slow
        assert "not a valid tenant" in (aside / "catalog.csv.reason.txt").read_text()

        # every upload ran once, through the sensor, and its run succeeded (a run ends a
        # moment after its upload's record is final: wait for the run's own end)
        instance = stack.enter_context(DagsterInstance.from_config(str(dagster_home)))

        def runs_ended() -> list | None:
            runs = instance.get_runs(RunsFilter(job_name="ingest_job"))
            return runs if runs and all(r.is_finished for r in runs) else None

        runs = wait_for("the runs to end", runs_ended, [daemon])
        assert sorted(r.tags["dagster/partition"] for r in runs) == sorted(
            r["upload_id"] for r in records
        )
        assert all(r.status == DagsterRunStatus.SUCCESS for r in runs)
        assert all(r.tags.get("dagster/sensor_name") == "inbox_sensor" for r in runs)
        assert {r.tags["briskk/tenant"] for r in runs} == {"BrandA", "BrandB", "BrandC"}


# ---------------------------------------------------- the production topology, one machine

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


class GraphQL:
    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(timeout=30)

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post(self.url, json={"query": query, "variables": variables})
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


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
            **_pg_env(storage_url),
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
