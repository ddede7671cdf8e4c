"""Starting an upload: register it, add its partition, run `ingest_job` for it.

One sequence for every door that runs uploads itself: `briskk ingest` and the HTTP API
(`briskk serve`) both call `start_upload` then `run_upload`, so an upload from either is the
same kind of upload (SPEC §4, §5). The inbox sensor registers with the same `register` and
requests its run through its `SensorResult` instead (the daemon launches it).

`run_upload` runs the job in the calling process (`execute_in_process`, the in-process executor
of `Definitions`) on the given instance, so the run and its partition appear in the Dagster UI
with the tags `briskk/tenant` and `briskk/source`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, NoReturn

import sqlalchemy as sa
from dagster import DagsterInstance, ExecuteInProcessResult

from briskk_pipeline.catalog import modes, uploads
from briskk_pipeline.catalog.step_errors import record_run_failure
from briskk_pipeline.faults import describe_error_text, describe_fault, first_line
from briskk_pipeline.ingest.heartbeat import Worker, keep_alive
from briskk_pipeline.ingest.partitions import STATUS_TAG
from briskk_pipeline.ingest.register import Registration, register
from briskk_pipeline.resources import IngestSettings, ObjectStore

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo  # what a run keeps of an error

TENANT_TAG: Final = "briskk/tenant"
SOURCE_TAG: Final = "briskk/source"
DRY_RUN_TAG: Final = "briskk/dry_run"
PARTITIONS: Final = "uploads"  # `uploads_partitions` (SPEC §5)
# The job's own console logs stay quiet, errors too: the caller reports the outcome in one line
# from the catalog; the run's event log (the Dagster UI) keeps every traceback.
QUIET_RUN: Final[dict[str, Any]] = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def run_tags(tenant: str, source: str, *, dry_run: bool = False) -> dict[str, str]:
    """The tags every ingest run carries: the run queue limits one run per `briskk/tenant`;
    a preview says `briskk/dry_run=true`."""
    return {TENANT_TAG: tenant, SOURCE_TAG: source, **({DRY_RUN_TAG: "true"} if dry_run else {})}


def start_upload(
    data: bytes,
    file_name: str,
    *,
    explicit_tenant: str | None,
    source: str,
    store: ObjectStore,
    engine: sa.Engine,
    instance: DagsterInstance,
    worker: Worker | None = None,
    dry_run: bool = False,
    settings: IngestSettings | None = None,
    mode: str = "merge",
) -> Registration:
    """Register `data` (archived, sha256 verified, recorded `running`) and add its partition.

    With `worker`, the upload is claimed by that process from registration on and kept alive
    by a heartbeat until it leaves `running` (`heartbeat.keep_alive`; a dead claim is failed by
    `recovery`). `dry_run` records the upload as a preview (`uploads.mark_dry_run`): its runs
    never change the catalog. `mode` `replace` records the upload in replace mode
    (`catalog/modes.py`). `settings` gives the size cap and the reading sandbox's limits.
    Raises `RegistrationError` for an invalid explicit tenant, `UploadTooLarge` for a file over
    the cap (nothing is recorded then); a fault of the store or the database during
    registration (`faults.ObjectStoreError`, SQLAlchemy's `OperationalError`) propagates with
    nothing registered and no object left. A fault after registration raises `UploadFailed`,
    the upload recorded `failed` when the database still answers.
    """
    registration = register(
        data,
        file_name,
        explicit_tenant=explicit_tenant,
        source=source,
        store=store,
        engine=engine,
        worker=worker,
        settings=settings,
    )
    try:
        if dry_run:
            uploads.mark_dry_run(engine, registration.upload_id)
        if mode != "merge":
            modes.set_mode(engine, registration.upload_id, mode)
        if worker is not None:
            keep_alive(engine, registration.upload_id, worker)
        instance.add_dynamic_partitions(PARTITIONS, [registration.upload_id])
    except Exception as error:
        raise_failed(engine, registration.upload_id, error)
    return registration


class UploadFailed(Exception):
    """A registered upload was stopped by a fault outside the pipeline (the object store, the
    catalog database, the Dagster instance). `reason` is one line; `recorded` says whether the
    upload could be recorded `failed` (not when the database is what failed: the recovery
    check, `briskk uploads` or `stale_uploads_sensor`, fails it once the database is back and
    this process is gone)."""

    def __init__(self, upload_id: str, reason: str, *, recorded: bool) -> None:
        super().__init__(upload_id, reason, recorded)
        self.upload_id = upload_id
        self.reason = reason
        self.recorded = recorded

    def __str__(self) -> str:
        if self.recorded:
            return f"upload {self.upload_id} failed: {self.reason}"
        return (
            f"upload {self.upload_id} failed: {self.reason}; it could not be recorded "
            "`failed` (the catalog database did not answer): `briskk uploads` records it "
            "once the database is back"
        )


def raise_failed(engine: sa.Engine, upload_id: str, error: Exception) -> NoReturn:
    """Record `upload_id` `failed` because of `error` (best effort), then raise: `UploadFailed`
    (from `error`) when `error` is a fault outside the pipeline (`faults.describe_fault`),
    else `error` itself, whose traceback a developer needs."""
    fault = describe_fault(error)
    reason = fault or f"{type(error).__name__}: {first_line(str(error))}"
    try:
        record_run_failure(engine, upload_id, reason)
        recorded = True
    except sa.exc.SQLAlchemyError:
        recorded = False
    if fault is None:
        raise error
    raise UploadFailed(upload_id, fault, recorded=recorded) from error


# Dagster runs executed in process must not overlap in one process: each run's setup calls
# `logging.config.dictConfig` (DagsterInstance.get_yaml_python_handlers, whenever the instance
# has settings), which holds logging's module lock while taking every handler's lock, while a
# running run holds its handler's lock and asks for the module lock (`getLogger`). Seen as a
# deadlock of `briskk serve` with two uploads at once (py-spy: logging._acquireLock in both).
# Every in-process run of this package (`run_upload`, `history.jobs.launch_rollback`) holds it.
IN_PROCESS_RUN = threading.Lock()


def new_run_id() -> str:
    return str(uuid.uuid4())


def run_upload(
    instance: DagsterInstance,
    engine: sa.Engine,
    *,
    upload_id: str,
    tenant: str,
    source: str,
    run_id: str | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> ExecuteInProcessResult:
    """Run `ingest_job` for the registered upload `upload_id`, in this process; returns the
    result (`extra_tags` added to the run's, e.g. `briskk/force` for a forced re-run). The
    upload gets `run_id` first; a run that fails marks it `failed` with the
    first step failure's message (the brand's data never fails a run: it is `rejected`).
    A fault outside the run (the database gone before, or while, recording it) raises
    `UploadFailed`, the upload recorded `failed` when the database still answers."""
    from briskk_pipeline import defs

    run_id = run_id or new_run_id()
    try:
        uploads.set_run_id(engine, upload_id, run_id)
        record = uploads.get_upload(engine, upload_id)
        dry_run = bool(record and record.get("dry_run"))
        with IN_PROCESS_RUN:  # see its comment: in-process runs take turns
            result = defs.resolve_job_def("ingest_job").execute_in_process(
                instance=instance,
                partition_key=upload_id,
                run_id=run_id,
                raise_on_error=False,
                tags={**run_tags(tenant, source, dry_run=dry_run), **(extra_tags or {})},
                run_config=QUIET_RUN,
            )
        if not result.success:
            # `failed`, or the load's status with `report_error` if the load had committed
            status = record_run_failure(engine, upload_id, failure_message(result))
            # as ingest_failure_sensor does for runs it watches: filterable in the UI
            instance.add_run_tags(run_id, {STATUS_TAG: status})
    except Exception as error:
        raise_failed(engine, upload_id, error)
    return result


def failure_message(result: ExecuteInProcessResult) -> str:
    """One line for the run's first step failure: a fault outside the pipeline in operator
    words (`faults.describe_error_text`: `the object store refused the write: … (step
    product_images)`), else `<step>: <first line of the error>`; or a generic line."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            return describe_step_error(event.step_key or "a step", event.step_failure_data.error)
    return "the run failed"


def describe_step_error(step: str, error: SerializableErrorInfo | None) -> str:
    """`<fault> (step <step>)` when `error` or one of its causes is a fault outside the
    pipeline (the store, the database), else `<step>: <first line of error>`; a `dagster.Failure`
    our steps raise on purpose (a refusal, with its own sentence) is that sentence, without
    Dagster's class path (`dagster._core.definitions.events.Failure: `)."""
    if error is None:
        return f"{step}: the step failed"
    current: SerializableErrorInfo | None = error
    while current is not None:
        fault = describe_error_text(current.cls_name or "", current.message)
        if fault is not None:
            return f"{fault} (step {step})"
        current = current.cause or current.context
    message = first_line(error.message)
    if error.cls_name == "Failure":
        message = message.split("Failure: ", 1)[-1]
    return f"{step}: {message}"
