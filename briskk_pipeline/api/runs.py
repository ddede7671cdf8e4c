"""Where the API's uploads run: in this process (local) or through Dagster's run queue (queue).

HTTP issue, item 3. Either way every upload is a partition of `ingest_job` with the tags
`briskk/tenant` and `briskk/source=api` (`cli` for a `briskk ingest` handed to this server:
`handoff/`, local mode only).

- `local` (default; `briskk serve` alone): `LocalRunner` runs each upload with
  `ingest.launch.run_upload` (in process, like `briskk ingest`) on a bounded thread pool
  (`BRISKK_API_WORKERS`, default 2), one upload at a time per tenant in arrival order: a
  tenant's uploads wait in its own queue, so a busy tenant never holds more than one worker.
  The Dagster runs themselves take turns in the process (two in-process runs deadlock in
  Python's logging: see `ingest.launch.IN_PROCESS_RUN`). The upload gets its run id before it
  is queued; when the server starts it re-queues every `api` upload still `running` whose run
  never started
  (the server stopped with it queued, or between registering and queueing).
- `queue` (the deployed topology, `docker-compose.yml`): the API only registers the upload
  and adds its partition; `inbox_sensor` (every 5 s) requests the run of every `api` upload
  without one, so the daemon's run queue applies its limits (one run per tenant). A server
  that dies right after registering loses nothing: the sensor finds the upload in the catalog.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, Literal

import sqlalchemy as sa
from dagster import DagsterInstance

from briskk_pipeline.catalog import tables, uploads
from briskk_pipeline.ingest.launch import UploadFailed, new_run_id, run_upload

SOURCE: Final = "api"
RunMode = Literal["local", "queue"]
log = logging.getLogger("briskk.api")


@dataclass(frozen=True)
class QueuedUpload:
    upload_id: str
    tenant: str
    run_id: str
    source: str = SOURCE  # the run's `briskk/source`: `cli` for a hand-off (handoff/)


class LocalRunner:
    """A bounded pool of workers; at most one running upload per tenant, FIFO per tenant.

    `work(item)` does the running; by default `run_upload` on the given instance and engine.
    `submit` returns a future that completes when the upload's run ends (its exception, if
    any, is logged and kept in the future; the upload record says `failed`).
    """

    def __init__(self, workers: int, work: Callable[[QueuedUpload], object]) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briskk-run")
        self._work = work
        self._lock = threading.Lock()
        self._waiting: dict[str, deque[tuple[QueuedUpload, Future[None]]]] = {}

    def submit(self, item: QueuedUpload) -> Future[None]:
        done: Future[None] = Future()
        key = item.tenant.lower()  # one tenant whatever the letter case (SPEC §2)
        with self._lock:
            queue = self._waiting.get(key)
            if queue is not None:  # the tenant's drain is running: it will take this one
                queue.append((item, done))
                return done
            self._waiting[key] = deque([(item, done)])
        self._pool.submit(self._drain, key)
        return done

    def cancel(self, upload_id: str) -> Future[None] | None:
        """Take upload `upload_id` out of its tenant's queue if its run has not started yet;
        returns its future (still pending: the caller records the upload and completes it),
        or None when it is not waiting here (running, ended, or never queued)."""
        with self._lock:
            for queue in self._waiting.values():
                for entry in queue:
                    if entry[0].upload_id == upload_id:
                        queue.remove(entry)
                        return entry[1]
        return None

    def _drain(self, key: str) -> None:
        while True:
            with self._lock:
                queue = self._waiting[key]
                if not queue:
                    del self._waiting[key]
                    return
                item, done = queue.popleft()
            try:
                self._work(item)
            except BaseException as error:
                log.exception("upload %s: the run could not be executed", item.upload_id)
                done.set_exception(error)
            else:
                done.set_result(None)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


def in_process_work(instance: DagsterInstance, engine: sa.Engine) -> Callable[[QueuedUpload], None]:
    """The work of `LocalRunner`: `run_upload` for the item, on `instance`, with its run id.

    The runs themselves take turns (`ingest.launch.IN_PROCESS_RUN`): the pool keeps one
    tenant's uploads in order and lets other tenants queue beside it, but two Dagster runs in
    one process deadlock in Python's logging. Deployed, `BRISKK_API_RUNS=queue` runs each
    upload in the run queue instead, in parallel across tenants.
    """

    def work(item: QueuedUpload) -> None:
        try:
            run_upload(
                instance,
                engine,
                upload_id=item.upload_id,
                tenant=item.tenant,
                source=item.source,
                run_id=item.run_id,
            )
        except UploadFailed:
            raise  # recorded `failed` (when the database answered) by run_upload
        except Exception as error:  # the run could not even start: the upload says so
            uploads.mark_upload_failed(engine, item.upload_id, f"the run did not start: {error}")
            raise

    return work


def queue_upload(
    runner: LocalRunner, engine: sa.Engine, upload_id: str, tenant: str, source: str = SOURCE
) -> Future[None]:
    """Give the registered upload its run id, then queue it on `runner` (its run tagged
    `briskk/source=source`)."""
    run_id = new_run_id()
    uploads.set_run_id(engine, upload_id, run_id)
    item = QueuedUpload(upload_id=upload_id, tenant=tenant, run_id=run_id, source=source)
    return runner.submit(item)


def stranded_uploads(engine: sa.Engine, instance: DagsterInstance) -> list[tuple[str, str]]:
    """(upload_id, tenant) of `api` uploads still `running` whose run never started: no run
    id, or a run id the instance has no run for. Oldest first."""
    query = (
        sa.select(tables.uploads.c.upload_id, tables.uploads.c.tenant, tables.uploads.c.run_id)
        .where(tables.uploads.c.source == SOURCE, tables.uploads.c.status == "running")
        .order_by(tables.uploads.c.received_at)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        (row.upload_id, row.tenant)
        for row in rows
        if row.run_id is None or instance.get_run_by_id(row.run_id) is None
    ]
