"""Years of uploads: what the sensors, `briskk uploads`, registering and the UI cost at 50k.

Scale issue, item 3. One embedded PostgreSQL holds the catalog and the Dagster instance of
`deploy/dagster.yaml` (runs, event log, schedules: PostgreSQL, via DAGSTER_PG_*), each in its
own database. `scale_data.grow` adds uploads in bulk (records, partitions, `raw_sheet`
materializations, runs for 2 %; see there) up to each size, 1k → 10k → 50k by default, and at
each size these are timed, median of `--repeats` after one warm-up:

- `inbox_sensor`, `stale_uploads_sensor`: one evaluation (`evaluate_tick` on a
  `build_sensor_context` with the instance and the resources of `resources_from_env()`, an
  empty inbox) — the sensor's own work, without the daemon's tick bookkeeping;
- `ingest_failure_sensor`: one evaluation with its cursor at the newest run failure (nothing
  to do: most ticks) and one just before it (records one failed run: marks the upload
  `failed`, tags the run);
- `briskk uploads --json --limit 50`: in process (`recover_dead_uploads` + `list_uploads` +
  the JSON, as `cli.cmd_uploads`) and as the command (a child process; start-up dominates);
- registering one more upload: `launch.start_upload` (register: archive, tenant, record; then
  `add_dynamic_partitions`) of a 3-row CSV;
- retention's daily pick of the next 1,000 uploads to prune (`prunable_uploads`, 90 days);
- `instance.get_dynamic_partitions("uploads")` and `has_dynamic_partition`;
- the UI: `dagster-webserver` on the same instance, the partitions page's GraphQL
  (`scale_queries.PARTITION_HEALTH`, every key and its status) and the selected partition's
  panel (`PARTITION_DETAIL`), over HTTP on 127.0.0.1.

    .venv/bin/python bench/scale_bench.py                    # 1k, 10k, 50k
    .venv/bin/python bench/scale_bench.py --quick            # 1k, 5k; 3 repeats
    .venv/bin/python bench/scale_bench.py --sizes 1000 20000 --repeats 3 --no-ui
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import scale_data
import scale_queries
import sqlalchemy as sa
from dagster import DagsterEventType, DagsterInstance, build_sensor_context
from dagster._core.definitions.run_status_sensor_definition import RunStatusSensorCursor

from briskk_pipeline.catalog import db, uploads
from briskk_pipeline.ingest.heartbeat import host_identity
from briskk_pipeline.ingest.jobs import ingest_failure_sensor
from briskk_pipeline.ingest.launch import start_upload
from briskk_pipeline.ingest.recovery import recover_dead_uploads, stale_uploads_sensor
from briskk_pipeline.ingest.retention import prunable_uploads
from briskk_pipeline.ingest.sensor import inbox_sensor
from briskk_pipeline.resources import resources_from_env
from briskk_pipeline_tests.deployment.processes import pg_env
from briskk_pipeline_tests.workbooks import csv_bytes, template_rows

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out" / "scale"
BIN = Path(sys.executable).parent
DATABASES = ("briskk_scale_catalog", "briskk_scale_dagster")
Timer = Callable[[], Any]
WEB_ARGS = ("-h", "127.0.0.1", "-m", "briskk_pipeline")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median_time(fn: Timer, repeats: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# ------------------------------------------------------------------------------ the setup


def fresh_databases(server_url: str) -> dict[str, str]:
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    urls = {}
    try:
        with admin.connect() as connection:
            for name in DATABASES:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
                url = sa.make_url(server_url).set(database=name)
                urls[name] = url.render_as_string(hide_password=False)
    finally:
        admin.dispose()
    return urls


def environment(catalog_url: str, dagster_url: str) -> dict[str, str]:
    """DATABASE_URL, BRISKK_*, DAGSTER_HOME and DAGSTER_PG_* (socket dir as PGHOST, by
    `briskk_pipeline_tests.deployment.processes.pg_env`) for this process and the children."""
    home = OUT / "dagster_home"
    shutil.rmtree(OUT / "briskk_home", ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return {
        "DATABASE_URL": catalog_url,
        "BRISKK_HOME": str(OUT / "briskk_home"),
        "BRISKK_INBOX": str(OUT / "briskk_home" / "inbox"),
        "BRISKK_FETCH_IMAGES": "0",
        "DAGSTER_HOME": str(home),
        **pg_env(dagster_url),
    }


@contextmanager
def webserver(env: dict[str, str]) -> Iterator[str]:
    """`dagster-webserver -m briskk_pipeline` on 127.0.0.1; yields its GraphQL URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_file = (OUT / "webserver.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "dagster-webserver"), *WEB_ARGS, "-p", str(port)],
        env={**os.environ, **env},
        cwd=OUT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited; see {OUT / 'webserver.log'}")
            try:
                if graphql(url, scale_queries.PARTITION_HEALTH, assetKey={"path": ["raw_sheet"]}):
                    break
            except (httpx.HTTPError, RuntimeError):
                time.sleep(1)
        time.sleep(10)  # let its code server finish starting: the first size is timed next
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log_file.close()


_client = httpx.Client(timeout=600)


def graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    body = _client.post(url, json={"query": query, "variables": variables}).json()
    if "errors" in body or body.get("data") is None:
        raise RuntimeError(str(body)[:500])
    return dict(body["data"])


# ------------------------------------------------------------------------------ measuring


class Bench:
    """The operations timed at each size (module docstring)."""

    def __init__(self, world: scale_data.World, env: dict[str, str], repeats: int) -> None:
        self.world = world
        self.env = env
        self.repeats = repeats
        self.resources = resources_from_env()
        self.registered = 0
        self.ui_checks: dict[int, dict[str, int]] = {}

    def sensor_tick(self, sensor: Any, cursor: str | None = None) -> Timer:
        def tick() -> Any:
            with build_sensor_context(
                instance=self.world.instance, cursor=cursor, resources=self.resources
            ) as context:
                return sensor.evaluate_tick(context)

        return tick

    def failure_cursors(self) -> tuple[str, str]:
        """(idle, one failure): cursors at the newest RUN_FAILURE and just before it."""
        records = self.world.instance.fetch_run_status_changes(
            DagsterEventType.RUN_FAILURE, limit=2
        ).records
        newest, before = records[0], records[1]

        def cursor(record: Any) -> str:
            return RunStatusSensorCursor(
                record_id=record.storage_id, record_timestamp=None
            ).to_json()

        return cursor(newest), cursor(before)

    def uploads_in_process(self) -> Any:
        recover_dead_uploads(self.world.engine, DagsterInstance.get)
        records = uploads.list_uploads(self.world.engine, None, limit=50)
        return json.dumps([uploads.spec_upload(r) for r in records])

    def uploads_command(self) -> Any:
        result = subprocess.run(
            [str(BIN / "briskk"), "uploads", "--json", "--limit", "50"],
            env={**os.environ, **self.env},
            cwd=OUT,
            capture_output=True,
            check=True,
        )
        assert len(json.loads(result.stdout)) == 50
        return result

    def register_one(self) -> Any:
        self.registered += 1
        data = csv_bytes(template_rows(3, seed=self.registered))
        return start_upload(
            data,
            f"scale_{self.registered}.csv",
            explicit_tenant=scale_data.tenant_name(self.registered % scale_data.TENANTS),
            source="cli",
            store=self.resources["object_store"],
            engine=self.world.engine,
            instance=self.world.instance,
        )

    def measure(self, ui: str | None) -> dict[str, float]:
        instance, repeats = self.world.instance, self.repeats
        beat_running(self.world)
        idle, one_failure = self.failure_cursors()
        some_key = scale_data.upload_row(self.world.count // 2, self.world.now)["upload_id"]
        operations: dict[str, Timer] = {
            "inbox_sensor tick (empty inbox)": self.sensor_tick(inbox_sensor),
            "ingest_failure_sensor tick, nothing new": self.sensor_tick(
                ingest_failure_sensor, idle
            ),
            "ingest_failure_sensor tick, one failed run": self.sensor_tick(
                ingest_failure_sensor, one_failure
            ),
            "stale_uploads_sensor tick": self.sensor_tick(stale_uploads_sensor),
            "`briskk uploads --json --limit 50`, in process": self.uploads_in_process,
            "`briskk uploads --json --limit 50`, command": self.uploads_command,
            "register one more upload (`start_upload`)": self.register_one,
            "retention: pick the next batch (`prunable_uploads`)": lambda: prunable_uploads(
                self.world.engine, self.world.now - timedelta(days=90)
            ),
            "`has_dynamic_partition` (one key)": lambda: instance.has_dynamic_partition(
                scale_data.PARTITIONS, some_key
            ),
            "`get_dynamic_partitions` (every key)": lambda: instance.get_dynamic_partitions(
                scale_data.PARTITIONS
            ),
        }
        if ui is not None:
            asset = {"path": ["raw_sheet"]}
            operations["UI: a partition's panel (`AssetPartitionDetailQuery`)"] = lambda: graphql(
                ui, scale_queries.PARTITION_DETAIL, assetKey=asset, partitionKey=some_key
            )
            operations["UI: partitions page (`PartitionHealthQuery`)"] = lambda: graphql(
                ui, scale_queries.PARTITION_HEALTH, assetKey=asset
            )
        results = {}
        for name, fn in operations.items():
            results[name] = median_time(fn, repeats)
            log(f"{self.world.count:,} uploads: {name}: {results[name] * 1000:.1f} ms")
        self.settle_registered()
        if ui is not None:
            self.check_ui(ui)
        return results

    def check_ui(self, ui: str) -> None:
        """What the partitions page received: every key, and the materialized ones."""
        response = _client.post(
            ui,
            json={
                "query": scale_queries.PARTITION_HEALTH,
                "variables": {"assetKey": {"path": ["raw_sheet"]}},
            },
        )
        node = response.json()["data"]["assetNodeOrError"]
        keys = node["partitionKeysByDimension"][0]["partitionKeys"]
        statuses = node["assetPartitionStatuses"]
        self.ui_checks[self.world.count] = {
            "keys": len(keys),
            "materialized": len(statuses["materializedPartitions"]),
            "failed": len(statuses["failedPartitions"]),
            "response_bytes": len(response.content),
        }
        log(f"{self.world.count:,} uploads: partitions page: {self.ui_checks[self.world.count]}")

    def settle_registered(self) -> None:
        """The uploads `register_one` added end `succeeded`, as their runs would leave them."""
        with self.world.engine.begin() as connection:
            connection.execute(
                sa.update(uploads.uploads)
                .where(uploads.uploads.c.status == "running", uploads.uploads.c.source == "cli")
                .values(status="succeeded", run_id=str(uuid.uuid4()), finished_at=sa.func.now())
            )


def claim_running(world: scale_data.World, n: int = 3) -> None:
    """`n` uploads `running` right now, claimed by this process (a live heartbeat)."""
    worker = uploads.Worker(host=host_identity(), pid=os.getpid())
    with world.engine.begin() as connection:
        for i in range(n):
            uploads.insert_upload(
                connection,
                worker=worker,
                upload_id=f"Brand0000-running-{i}",
                tenant="Brand0000",
                explicit_tenant="Brand0000",
                file_name="running.xlsx",
                sha256="0" * 64,
                size_bytes=1,
                received_at=world.now,
                source="inbox",
                archive_uri="s3://briskk/archive/running",
                archive_key="archive/running",
            )
            connection.execute(
                sa.update(uploads.uploads)
                .where(uploads.uploads.c.upload_id == f"Brand0000-running-{i}")
                .values(run_id=str(uuid.uuid4()), heartbeat_at=sa.func.now())
            )


def beat_running(world: scale_data.World, n: int = 3) -> None:
    """Refresh the heartbeats of `claim_running`'s uploads (they go stale after 2 minutes)."""
    worker = uploads.Worker(host=host_identity(), pid=os.getpid())
    for i in range(n):
        if not uploads.beat(world.engine, f"Brand0000-running-{i}", worker):
            raise RuntimeError(f"Brand0000-running-{i} is no longer running")


# ------------------------------------------------------------------------------ the report


def table(results: dict[int, dict[str, float]], repeats: int) -> str:
    sizes = list(results)
    first, last = sizes[0], sizes[-1]
    lines = [
        f"Median of {repeats} after one warm-up; milliseconds.",
        "",
        "| operation | "
        + " | ".join(f"{n:,} uploads" for n in sizes)
        + f" | {last:,} ÷ {first:,} |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    for name in results[first]:
        values = [results[n][name] for n in sizes]
        ratio = values[-1] / values[0]
        cells = " | ".join(f"{v * 1000:,.1f}" for v in values)
        lines.append(f"| {name} | {cells} | {ratio:.2f}× |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1k and 5k uploads, 3 repeats")
    parser.add_argument("--no-ui", action="store_true", help="no webserver, no GraphQL")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeats = [1_000, 5_000], 3
    OUT.mkdir(parents=True, exist_ok=True)
    server_url = db.embedded_database_url(OUT / "pg")
    urls = fresh_databases(server_url)
    env = environment(urls["briskk_scale_catalog"], urls["briskk_scale_dagster"])
    os.environ.update(env)
    engine = db.make_engine(urls["briskk_scale_catalog"])
    db.upgrade(engine)
    instance = DagsterInstance.from_config(env["DAGSTER_HOME"])
    world = scale_data.World(engine=engine, instance=instance, now=scale_data.now_utc())
    scale_data.ensure_tenants(engine, world.now)
    claim_running(world)
    bench = Bench(world, env, args.repeats)
    results: dict[int, dict[str, float]] = {}
    try:
        with webserver(env) if not args.no_ui else nullcontext() as ui:
            for size in sorted(args.sizes):
                started = time.perf_counter()
                scale_data.grow(world, size)
                log(
                    f"grew to {size:,} uploads ({world.runs} runs) in "
                    f"{time.perf_counter() - started:.1f} s"
                )
                results[size] = bench.measure(ui)
    finally:
        instance.dispose()
        db.stop_embedded_database(OUT / "pg")
    (OUT / "scale.json").write_text(json.dumps({"times": results, "ui": bench.ui_checks}, indent=2))
    print(table(results, args.repeats))


if __name__ == "__main__":
    main()
