"""Measuring tools for the benchmarks: child processes, fresh catalogs, the pipeline's own times.

- `run_child` runs one command in its own process and returns its wall time and peak RSS
  (`os.wait4` in a small launcher gives the rusage of exactly that command).
- `Catalogs` owns one embedded PostgreSQL for the whole benchmark and hands out fresh,
  migrated databases, so every approach and repetition starts from the same empty catalog.
- `pipeline_times` reads what a `briskk ingest` run recorded in its Dagster instance: the
  `seconds` metadata of each ingest asset (time spent in the asset body), the run's start and
  end, and each step's start and end from the event log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from briskk_pipeline.catalog import db

PYTHON = sys.executable
REPO = Path(__file__).resolve().parents[1]
# The stages of `ingest_job`, as the asset whose `seconds` metadata times each one.
STAGES: dict[str, str] = {
    "read": "raw_sheet",
    "validate": "validated_rows",
    "images": "product_images",
    "load": "products",  # `products` and `skus` are one step; both carry its seconds
}


@dataclass(frozen=True)
class Child:
    """One finished child process."""

    args: list[str]
    returncode: int
    wall: float  # seconds from spawn to exit
    max_rss_mb: float  # peak resident set of the child itself
    stdout: str
    stderr: str
    cpu: float = 0.0  # user + system seconds of the command (and the children it waited for)

    def check(self) -> Child:
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.args)} exited {self.returncode}:\n{self.stderr[-3000:]}"
            )
        return self


# Linux keeps a process's peak RSS across fork and exec, so a child forked straight from this
# (large) process would report at least our size. A small launcher forks the command instead
# and reports the command's own wall time and rusage.
_LAUNCHER = """
import json, os, sys, time
report, args = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(args[0], args)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(report, "w") as out:
    cpu = usage.ru_utime + usage.ru_stime
    json.dump({"status": status, "wall": wall, "max_rss_kb": usage.ru_maxrss, "cpu": cpu}, out)
"""


def run_child(args: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path = REPO) -> Child:
    """Run `args` (args[0] a path) to completion; output goes to files so pipes never stall."""
    out_dir = REPO / "bench" / "out" / "logs"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{os.getpid()}-{time.monotonic_ns()}"
    paths = [out_dir / f"{stamp}.{suffix}" for suffix in ("out", "err", "json")]
    with paths[0].open("wb") as out, paths[1].open("wb") as err:
        subprocess.run(
            [PYTHON, "-I", "-S", "-c", _LAUNCHER, str(paths[2]), *args],
            stdout=out,
            stderr=err,
            env=dict(env or os.environ),
            cwd=cwd,
            check=True,
        )
    stdout, stderr, usage = (path.read_text() for path in paths)
    for path in paths:
        path.unlink()
    measured = json.loads(usage)
    return Child(
        args=list(args),
        returncode=os.waitstatus_to_exitcode(measured["status"]),
        wall=measured["wall"],
        max_rss_mb=measured["max_rss_kb"] / 1024,  # Linux reports KiB
        stdout=stdout,
        stderr=stderr,
        cpu=measured.get("cpu", 0.0),
    )


class Catalogs:
    """One embedded PostgreSQL; a fresh, migrated database per measurement."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.server_url = db.embedded_database_url(data_dir)
        self._admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")

    def fresh(self, name: str) -> str:
        """Drop and recreate database `name`, apply the catalog's migrations, return its URL."""
        self.drop(name)
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = self.url(name)
        engine = sa.create_engine(url)
        try:
            db.upgrade(engine)
        finally:
            engine.dispose()
        self.quiesce()
        return url

    def url(self, name: str) -> str:
        return sa.make_url(self.server_url).set(database=name).render_as_string(False)

    def drop(self, name: str) -> None:
        db.dispose_engine(self.url(name))
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def quiesce(self) -> None:
        """Write dirty pages out now, so a checkpoint of the last load does not land in the
        next measurement (the machine has two cores; PostgreSQL shares them)."""
        with self._admin.connect() as connection:
            connection.execute(sa.text("CHECKPOINT"))

    def server_version(self) -> str:
        with self._admin.connect() as connection:
            return str(connection.execute(sa.text("SHOW server_version")).scalar())

    def count(self, name: str, table: str) -> int:
        engine = sa.create_engine(self.url(name))
        try:
            with engine.connect() as connection:
                return int(connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar())
        finally:
            engine.dispose()

    def close(self) -> None:
        self._admin.dispose()
        db.stop_embedded_database(self.data_dir)


def pipeline_times(dagster_home: Path, upload_id: str) -> dict[str, Any]:
    """The times `briskk ingest` recorded for `upload_id` in the instance at `dagster_home`."""
    from dagster import AssetKey, AssetRecordsFilter, DagsterEventType, DagsterInstance, RunsFilter

    instance = DagsterInstance.from_config(str(dagster_home))
    try:
        stages: dict[str, float] = {}
        for stage, asset in STAGES.items():
            records = instance.fetch_materializations(
                AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[upload_id]),
                limit=1,
            ).records
            if not records:
                raise RuntimeError(f"no materialization of {asset} for {upload_id}")
            materialization = records[0].asset_materialization
            assert materialization is not None
            stages[stage] = float(materialization.metadata["seconds"].value)
        runs = instance.get_run_records(RunsFilter(tags={"dagster/partition": upload_id}), limit=1)
        if not runs or runs[0].start_time is None or runs[0].end_time is None:
            raise RuntimeError(f"no finished run for {upload_id}")
        run = runs[0]
        steps: dict[str, float] = {}
        started: dict[str, float] = {}
        for entry in instance.all_logs(run.dagster_run.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                started[event.step_key] = entry.timestamp
            elif event.event_type == DagsterEventType.STEP_SUCCESS:
                steps[event.step_key] = entry.timestamp - started[event.step_key]
        return {
            "run_id": run.dagster_run.run_id,
            "run_seconds": run.end_time - run.start_time,
            "stages": stages,
            "steps": steps,
        }
    finally:
        instance.dispose()
