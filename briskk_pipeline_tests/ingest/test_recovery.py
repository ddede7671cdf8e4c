"""No upload or run is left hanging: a real `kill -9` of `briskk ingest` during the load, then
the recovery path (`briskk uploads`, or `stale_uploads_sensor` evaluated on the same Dagster
instance); heartbeat judgement of claims from other hosts; and concurrent registrations of the
same bytes in the same second.

Everything is real: the CLI is a subprocess on the test PostgreSQL, the load is held inside
its transaction by the tenant's advisory lock (taken by the test, as a concurrent load of the
same tenant would), and the Dagster instance is the one the CLI created under `BRISKK_HOME`.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, DagsterRunStatus, SkipReason, build_sensor_context

from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.tables import products
from briskk_pipeline.catalog.uploads import Worker
from briskk_pipeline.ingest.heartbeat import host_identity
from briskk_pipeline.ingest.recovery import recover_dead_uploads, stale_uploads_sensor
from briskk_pipeline.ingest.register import register
from briskk_pipeline.processes import process_alive
from briskk_pipeline.resources import CatalogDatabase, LocalObjectStore
from briskk_pipeline_tests.fixtures.cli import briskk_json
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


def wait_for(condition: object, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _waiting_for_advisory_lock(engine: sa.Engine) -> bool:
    query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    with engine.connect() as connection:
        return bool(connection.execute(sa.text(query)).scalar())


@pytest.mark.parametrize("recovery", ["briskk uploads", "stale_uploads_sensor"])
def test_a_killed_briskk_ingest_is_failed_and_its_run_freed(
    env: dict[str, str], engine: sa.Engine, database_url: str, tmp_path: Path, recovery: str
) -> None:
    path = write_xlsx(tmp_path / "BrandA_Briskk_SKU_Template.xlsx", template_rows(40))
    # Hold BrandA's load lock (what a concurrent load of BrandA holds): the CLI's load waits
    # inside its transaction, so the kill lands during the load.
    held = engine.connect()
    transaction = held.begin()
    key = sa.bindparam("k", "briskk_pipeline.tenant:BrandA", type_=sa.Text)
    held.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))
    process = subprocess.Popen(
        [sys.executable, "-m", "briskk_pipeline.cli", "ingest", str(path), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: _waiting_for_advisory_lock(engine), "the CLI's load to reach the lock")
        assert process.poll() is None
        [record] = uploads.list_uploads(engine)
        assert record["status"] == "running"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        transaction.rollback()
        held.close()
    assert process.returncode == -signal.SIGKILL
    assert not process_alive(process.pid)

    upload_id, run_id = record["upload_id"], record["run_id"]
    instance = DagsterInstance.from_config(str(Path(env["BRISKK_HOME"]) / "dagster"))
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.status == DagsterRunStatus.STARTED  # the hang, as reported
    hanging = uploads.get_upload(engine, upload_id)
    assert hanging is not None and hanging["status"] == "running"

    if recovery == "briskk uploads":
        listed = briskk_json(env, "uploads")
        [shown] = [u for u in listed if u["upload_id"] == upload_id]
        assert shown["status"] == "failed"
        assert "stopped (killed or crashed)" in shown["failure_reason"]
    else:
        catalog = CatalogDatabase(url=database_url, home=str(tmp_path))
        with build_sensor_context(instance=instance, resources={"catalog": catalog}) as context:
            result = stale_uploads_sensor(context)
        assert isinstance(result, SkipReason)
        assert upload_id in (result.skip_message or "")

    failed = uploads.get_upload(engine, upload_id)
    assert failed is not None
    assert failed["status"] == "failed"
    assert failed["failure_reason"].startswith("the process running this upload stopped")
    assert f"process {process.pid}" in failed["failure_reason"]
    assert failed["finished_at"] is not None
    ended = instance.get_run_by_id(run_id)
    assert ended is not None and ended.status == DagsterRunStatus.FAILURE  # queue slot freed
    with engine.connect() as connection:  # the killed load's transaction never committed
        assert connection.execute(sa.select(sa.func.count()).select_from(products)).scalar() == 0
    # judged once: a second check changes nothing
    assert recover_dead_uploads(engine, instance).failed_uploads == []
    instance.dispose()


def _claimed(engine: sa.Engine, store: LocalObjectStore, name: str, worker: Worker) -> str:
    return register(
        name.encode(),
        f"{name}.csv",
        explicit_tenant="BrandA",
        source="cli",
        store=store,
        engine=engine,
        worker=worker,
    ).upload_id


def _age_heartbeat(engine: sa.Engine, upload_id: str, seconds: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE uploads SET heartbeat_at = now() - make_interval(secs => :s) "
                "WHERE upload_id = :u"
            ),
            {"s": seconds, "u": upload_id},
        )


def test_claims_are_judged_by_heartbeat_age_and_by_process_on_this_host(
    engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    here = host_identity()
    cases = {
        "alive-here": (Worker(here, os.getpid()), 0),
        "gone-here": (Worker(here, gone.pid), 0),
        "elsewhere-recent": (Worker("other-host pid:[1]", gone.pid), 30),
        "elsewhere-silent": (Worker("other-host pid:[1]", os.getpid()), 600),
        "alive-here-but-silent": (Worker(here, os.getpid()), 600),
    }
    ids = {}
    for name, (worker, age) in cases.items():
        ids[name] = _claimed(engine, local_store, name, worker)
        _age_heartbeat(engine, ids[name], age)
    unclaimed = register(
        b"queued", "queued.csv", explicit_tenant="BrandA", source="inbox",
        store=local_store, engine=engine,
    ).upload_id  # fmt: skip

    recovery = recover_dead_uploads(engine, None)

    assert sorted(recovery.failed_uploads) == sorted(
        [ids["gone-here"], ids["elsewhere-silent"], ids["alive-here-but-silent"]]
    )
    status = {r["upload_id"]: r["status"] for r in uploads.list_uploads(engine)}
    assert status[ids["alive-here"]] == "running"
    assert status[ids["elsewhere-recent"]] == "running"  # its PID means nothing here
    assert status[unclaimed] == "running"  # no process claims it yet (a queued inbox run)


def test_the_same_file_registered_twice_in_the_same_second_is_recorded_twice(
    engine: sa.Engine, local_store: LocalObjectStore
) -> None:
    data = b"product_id*,product_name*\nP1,Tee\n"
    received_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    start = threading.Barrier(4)
    done: list[str] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            start.wait()
            registration = register(
                data,
                "BrandA.csv",
                explicit_tenant="BrandA",
                source="cli",
                store=local_store,
                engine=engine,
                received_at=received_at,
            )
            done.append(registration.upload_id)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    base = "BrandA-20260102T030405-" + hashlib.sha256(data).hexdigest()[:8]
    assert sorted(done) == sorted([base, f"{base}-2", f"{base}-3", f"{base}-4"])
    records = {r["upload_id"]: r for r in uploads.list_uploads(engine)}
    assert sorted(records) == sorted(done)
    for upload_id, record in records.items():
        assert record["archive_key"] == f"archive/BrandA/{upload_id}/BrandA.csv"
        assert local_store.get(record["archive_key"]) == data
