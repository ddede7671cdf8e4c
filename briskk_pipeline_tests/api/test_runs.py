"""Where API uploads run: the local pool (one run per tenant, FIFO, tenants in parallel) and,
in the deployed mode, `inbox_sensor` requesting the run of every `api` upload without one."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import DagsterInstance, instance_for_test

from briskk_pipeline.api.runs import LocalRunner, QueuedUpload
from briskk_pipeline.ingest.register import register
from briskk_pipeline.resources import LocalObjectStore
from briskk_pipeline_tests.ingest.test_sensor import Ticker, _resources
from briskk_pipeline_tests.workbooks import template_rows, write_xlsx


def test_local_runner_runs_one_upload_per_tenant_in_order_and_tenants_in_parallel() -> None:
    lock = threading.Lock()
    active: dict[str, int] = {}
    most: dict[str, int] = {}
    order: list[str] = []
    overlap = threading.Event()

    def work(item: QueuedUpload) -> None:
        with lock:
            active[item.tenant.lower()] = active.get(item.tenant.lower(), 0) + 1
            key = item.tenant.lower()
            most[key] = max(most.get(key, 0), active[key])
            order.append(item.upload_id)
            if sum(1 for v in active.values() if v) > 1:
                overlap.set()
        time.sleep(0.05)
        with lock:
            active[item.tenant.lower()] -= 1

    runner = LocalRunner(2, work)
    items = [
        QueuedUpload(f"{tenant}-{n}", tenant, f"run-{tenant}-{n}")
        for n in range(4)
        for tenant in ("BrandA", "branda", "BrandB")
    ]
    futures = [runner.submit(item) for item in items]
    for future in futures:
        assert future.result(timeout=10) is None
    runner.shutdown()
    assert most == {"branda": 1, "brandb": 1}  # `BrandA` and `branda` are one tenant
    assert overlap.is_set()  # BrandB ran beside BrandA
    a_order = [u for u in order if u.lower().startswith("branda")]
    assert a_order == [i.upload_id for i in items if i.tenant.lower() == "branda"]


def test_local_runner_keeps_a_failed_run_in_its_future_and_goes_on() -> None:
    done: list[str] = []

    def work(item: QueuedUpload) -> None:
        if item.upload_id == "bad":
            raise RuntimeError("boom")
        done.append(item.upload_id)

    runner = LocalRunner(1, work)
    bad = runner.submit(QueuedUpload("bad", "T", "r1"))
    good = runner.submit(QueuedUpload("good", "T", "r2"))
    with pytest.raises(RuntimeError, match="boom"):
        bad.result(timeout=10)
    assert good.result(timeout=10) is None and done == ["good"]
    runner.shutdown()


def test_local_runner_cancels_an_upload_still_waiting_and_never_a_running_one() -> None:
    """A handed-off `briskk ingest` stopped by Ctrl-C (handoff/server.py): the upload waiting
    for its tenant's turn leaves the queue unrun; the running one is not touched."""
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def work(item: QueuedUpload) -> None:
        started.set()
        release.wait(timeout=30)
        done.append(item.upload_id)

    runner = LocalRunner(2, work)
    running = runner.submit(QueuedUpload("first", "T", "r1", source="cli"))
    assert started.wait(timeout=10)
    waiting = runner.submit(QueuedUpload("second", "t", "r2", source="cli"))
    after = runner.submit(QueuedUpload("third", "T", "r3"))
    assert runner.cancel("first") is None  # its run has started
    taken = runner.cancel("second")
    assert taken is waiting and not taken.done()
    assert runner.cancel("second") is None and runner.cancel("nobody") is None
    taken.set_result(None)  # what the cancel route does once the upload is recorded
    release.set()
    assert running.result(timeout=10) is None and after.result(timeout=10) is None
    runner.shutdown()
    assert done == ["first", "third"]


def test_sensor_requests_runs_of_api_uploads_at_once_with_their_tags(
    tmp_path: Path, database_url: str, engine: sa.Engine
) -> None:
    """BRISKK_API_RUNS=queue: the API only registers; the next sensor tick requests the run
    (no grace), tagged `briskk/source=api`, and never twice."""
    store = LocalObjectStore(root=str(tmp_path / "objects"))
    book = tmp_path / "book.xlsx"
    write_xlsx(book, template_rows(4), sheet_name="Sheet1")
    registration = register(
        book.read_bytes(),
        book.name,
        explicit_tenant="BrandQ",
        source="api",
        store=store,
        engine=engine,
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with instance_for_test() as instance:
        tick = Ticker(instance, _resources(tmp_path, inbox, database_url, store))
        result = tick()
        [request] = result.run_requests
        assert request.run_key == registration.upload_id
        assert request.partition_key == registration.upload_id
        assert request.tags == {"briskk/tenant": "BrandQ", "briskk/source": "api"}
        [add] = result.dynamic_partitions_requests
        assert list(add.partition_keys) == [registration.upload_id]
        _run_for(instance, registration.upload_id)
        assert tick().run_requests == []  # a run exists for its partition now


def _run_for(instance: DagsterInstance, upload_id: str) -> None:
    from briskk_pipeline import defs

    job = defs.resolve_job_def("ingest_job")
    instance.add_dynamic_partitions("uploads", [upload_id])
    instance.create_run_for_job(job, tags={"dagster/partition": upload_id})
