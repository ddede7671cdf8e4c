"""`inbox_sensor`: the Dagster wrapper around the watched folder (`ingest/inbox.py`).

Each tick: request again the runs of inbox uploads registered but never launched (the daemon
stopped mid-tick), take in the ready files, and return their runs, their partitions and the
new cursor. The cursor is saved on every tick, whatever happened to any one file: a file that
fails is retried on its own (or moved to `.rejected/`), and the others go on.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from dagster import (
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.inbox import SOURCE, UNLAUNCHED_GRACE, InboxTick, watch_inbox
from briskk_pipeline.ingest.inbox_state import dump_cursor, load_cursor
from briskk_pipeline.ingest.jobs import ingest_job
from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.resources import CatalogDatabase, IngestSettings, ObjectStore

# Uploads the HTTP API registered for the run queue (`briskk serve` in the deployed topology,
# BRISKK_API_RUNS=queue) have no run until this sensor requests one: no grace for them.
API_SOURCE: Final = "api"


def run_request(upload_id: str, tenant: str, source: str = SOURCE) -> RunRequest:
    """The run of one upload: `run_key` = upload id (a file is run once per upload)."""
    return RunRequest(
        run_key=upload_id,
        partition_key=upload_id,
        tags={"briskk/tenant": tenant, "briskk/source": source},
    )


def lost_runs(engine: sa.Engine, instance: DagsterInstance) -> list[tuple[str, str, str]]:
    """(upload_id, tenant, source) of uploads that have no run at all: inbox uploads
    registered a while ago (the daemon stopped mid-tick), and every API upload left for the
    run queue."""
    now = datetime.now(UTC)
    lost = [
        (upload_id, tenant, source)
        for source, grace in ((SOURCE, UNLAUNCHED_GRACE), (API_SOURCE, timedelta(0)))
        for upload_id, tenant in uploads.unlaunched_uploads(engine, source, now - grace)
    ]
    if not lost:
        return []
    with_runs = {
        run.tags.get("dagster/partition")
        for run in instance.get_runs(
            filters=RunsFilter(
                job_name=ingest_job.name, tags={"dagster/partition": [u for u, _, _ in lost]}
            )
        )
    }
    return [(u, t, s) for u, t, s in lost if u not in with_runs]


def _log_tick(context: SensorEvaluationContext, tick: InboxTick) -> None:
    for registration in tick.registered:
        context.log.info(f"registered {registration.file_name} as {registration.upload_id}")
    for rejection in tick.rejected:
        context.log.warning(f"rejected {rejection.key}: {rejection.reason}")
    for upload_id in tick.already_registered:
        context.log.info(f"{upload_id} was already registered; removed it from the inbox")
    for message in [*tick.notes, *tick.errors]:
        context.log.warning(message)


@sensor(
    job=ingest_job,
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
    description="Registers files dropped in the inbox (`<inbox>/<tenant>/…`) and runs them.",
)
def inbox_sensor(
    context: SensorEvaluationContext,
    settings: IngestSettings,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
) -> SensorResult:
    """Turns each file dropped in `BRISKK_INBOX` into a registered upload and an `ingest_job`
    run, once its size and mtime have held still for a tick; unregistrable files go to
    `.rejected/` with a reason, files that failed for a passing reason are retried alone."""
    inbox = Path(settings.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    engine = catalog.get_engine()
    try:
        lost = lost_runs(engine, context.instance)
    except sa.exc.SQLAlchemyError as error:  # the catalog is down: the files wait too
        context.log.warning(f"could not look for uploads that lost their run: {error}")
        lost = []
    for upload_id, _, source in lost:
        if source == SOURCE:
            context.log.warning(f"{upload_id} was registered but never run; requesting its run")
        else:
            context.log.info(f"{upload_id} came through the API; requesting its run")
    tick = watch_inbox(
        inbox, load_cursor(context.cursor), store=object_store, engine=engine, settings=settings
    )
    _log_tick(context, tick)

    requests = {r.upload_id: (r.tenant, SOURCE) for r in tick.registered}
    requests.update({upload_id: (tenant, source) for upload_id, tenant, source in lost})
    return SensorResult(
        run_requests=[
            run_request(upload_id, tenant, source)
            for upload_id, (tenant, source) in requests.items()
        ],
        dynamic_partitions_requests=[uploads_partitions.build_add_request(list(requests))]
        if requests
        else None,
        cursor=dump_cursor(tick.state),
    )
