"""`briskk serve` as a real process on 127.0.0.1 for the API and browser tests.

One server per test module (start-up imports Dagster and loads the job: seconds), on its own
catalog database, BRISKK_HOME and DAGSTER_HOME; tests keep apart by using their own tenants.
Tokens are created straight in that catalog (the same function `briskk tokens create` calls).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

from briskk_pipeline.api.tokens import create_token
from briskk_pipeline.catalog import db

START_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiServer:
    base_url: str
    port: int
    env: dict[str, str]
    database_url: str
    home: Path
    log: Path

    @property
    def engine(self) -> sa.Engine:
        return db.make_engine(self.database_url)

    def token(self, tenant: str, *, admin: bool = False) -> str:
        return create_token(self.engine, tenant, admin=admin, name="test").token

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=90)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    name = f"briskk_api_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        db.upgrade(db.make_engine(url))
        yield url
        db.dispose_engine(url)
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def server_env(database_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "BRISKK_", "S3_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DATABASE_URL=database_url,
        BRISKK_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster"),
        BRISKK_FETCH_IMAGES="0",  # nothing in tests reaches the internet
        **extra,
    )
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    return env


@contextmanager
def running_server(database_url: str, home: Path, **extra: str) -> Iterator[ApiServer]:
    """`briskk serve` on a free port until the block ends (its whole process group stopped)."""
    port = free_port()
    env = server_env(database_url, home, **extra)
    log = home / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "briskk_pipeline.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ApiServer(f"http://127.0.0.1:{port}", port, env, database_url, home, log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"briskk serve exited {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"briskk serve did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
