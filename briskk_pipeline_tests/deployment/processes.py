"""Real processes for the deployment tests, and what they need around them.

`dagster-daemon run`, `dagster code-server start` and `dagster-webserver` run as subprocesses on
127.0.0.1 in their own sessions, logging to files; every wait has a deadline and every process
is stopped (its whole process group) whatever happens. Dagster's own storage is a scratch
database on the test PostgreSQL server.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import sqlalchemy as sa

from briskk_pipeline.catalog import uploads
from briskk_pipeline.template import IMAGE_COLUMNS
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEADLINE_SECONDS = 120.0
# Variables of the developer's own setup that must not leak into the processes under test.
_OWN_PREFIXES = ("DAGSTER_", "BRISKK_", "S3_", "AWS_", "PG")
_OWN_NAMES = ("DATABASE_URL",)


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


def pg_env(url: str) -> dict[str, str]:
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
