"""Dead runs: an upload whose process died is marked `failed` and its Dagster run failed.

A `briskk ingest` killed with -9, or a run worker killed by the kernel, leaves its upload
`running` and its Dagster run STARTED for ever, and a STARTED run holds one of the run queue's
slots. Dagster's run monitoring only checks run workers through launchers that can (Docker,
Kubernetes); the default launcher's subprocesses and `execute_in_process` runs are not checked.
So every process that runs an upload keeps a heartbeat on it (`ingest/heartbeat.py`) and
`recover_dead_uploads` judges the claims:

- dead when the heartbeat is older than `STALE_SECONDS` (any host), or at once when the claim
  names this host and PID namespace and that process no longer exists;
- then, in this order: the upload becomes `failed` with the reason (only if it is still
  `running` with the heartbeat that was judged: a live process that beat in between wins),
  and its Dagster run, if still in progress, is reported failed (`report_run_failed`),
  which frees its queue slot. A dead *approval* of a held upload (its run tagged
  `briskk/review=approved`, review/decide.py) never loaded anything, so its upload goes back
  to `needs_review`, the decision undone and the reason kept, to be approved again (issue 20
  item 5: the database stopped, or the process killed, during `briskk review ID --approve`).

It also closes `running` uploads nobody claims whose run already ended FAILURE or CANCELED
(a run canceled from the UI, a run worker that failed before `raw_sheet` started).

`stale_uploads_sensor` runs it every minute under the daemon; `briskk uploads` runs it before
listing, so a dead upload is not shown `running` even where no daemon runs.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import sqlalchemy as sa
from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.upload_claims import reopen_dead_approval
from briskk_pipeline.catalog.uploads import Claim
from briskk_pipeline.ingest.heartbeat import host_identity
from briskk_pipeline.processes import process_alive
from briskk_pipeline.resources import CatalogDatabase
from briskk_pipeline.review.decide import APPROVED, REVIEW_TAG

# 12 missed beats: a process stalled that long (swapping, a paused VM) is not worth waiting for.
STALE_SECONDS: Final = 120.0
IN_PROGRESS: Final = frozenset(
    {
        DagsterRunStatus.NOT_STARTED,
        DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED,
        DagsterRunStatus.CANCELING,
    }
)
ENDED_BADLY: Final = frozenset({DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED})


@dataclass
class Recovery:
    """What one check did."""

    failed_uploads: list[str] = field(default_factory=list)  # upload ids marked `failed`
    failed_runs: list[str] = field(default_factory=list)  # Dagster run ids reported failed
    reasons: dict[str, str] = field(default_factory=dict)  # upload id -> reason

    def summary(self) -> str:
        if not self.failed_uploads:
            return "no upload was left by a dead process"
        return "; ".join(f"{u}: {self.reasons[u]}" for u in self.failed_uploads)


def is_dead(claim: Claim, *, here: str, stale_seconds: float = STALE_SECONDS) -> bool:
    """Whether the process that claimed the upload is gone: silent too long, or (same host
    and PID namespace only) no such process any more."""
    if claim.silent_seconds > stale_seconds:
        return True
    return claim.worker.host == here and not process_alive(claim.worker.pid)


def dead_process_reason(claim: Claim) -> str:
    host = claim.worker.host.split(" ")[0] or "an unknown host"
    return (
        "the process running this upload stopped (killed or crashed) before it finished: "
        f"process {claim.worker.pid} on {host}, last heard from "
        f"{claim.heartbeat_at.isoformat(timespec='seconds')}. Nothing was written to the "
        "catalog by that run; re-run the upload (its original is archived) or send it again."
    )


def dead_approval_reason(claim: Claim) -> str:
    """Why a dead approval's upload is held again: the process, and how to decide again."""
    host = claim.worker.host.split(" ")[0] or "an unknown host"
    return (
        f"its process {claim.worker.pid} on {host} stopped (killed, crashed, or the catalog "
        f"database went away), last heard from {claim.heartbeat_at.isoformat(timespec='seconds')}"
        f". Nothing was loaded; approve it again (`briskk review {claim.upload_id} --approve`) "
        "or decline it."
    )


def _was_approval(instance: DagsterInstance | None, run_id: str | None) -> bool:
    """Whether `run_id` is an approval's run of a held upload (tagged `briskk/review`)."""
    if instance is None or run_id is None:
        return False
    run = instance.get_run_by_id(run_id)
    return run is not None and run.tags.get(REVIEW_TAG) == APPROVED


def recover_dead_uploads(
    engine: sa.Engine,
    instance: DagsterInstance | Callable[[], DagsterInstance] | None,
    *,
    stale_seconds: float = STALE_SECONDS,
) -> Recovery:
    """Fail the uploads (and their runs) whose process died; see the module docstring.

    `instance` may be a factory, called only when a run must be reported (so `briskk uploads`
    loads Dagster's instance only when something died); None judges uploads only.
    """
    recovery = Recovery()
    here = host_identity()
    opened: list[DagsterInstance] = []

    def dagster() -> DagsterInstance | None:
        if instance is None or isinstance(instance, DagsterInstance):
            return instance
        if not opened:
            opened.append(instance())
        return opened[0]

    for claim in uploads.claimed_uploads(engine):
        if not is_dead(claim, here=here, stale_seconds=stale_seconds):
            continue
        if _was_approval(dagster(), claim.run_id):
            reason = dead_approval_reason(claim)
            moved = reopen_dead_approval(
                engine, claim.upload_id, reason, heartbeat_at=claim.heartbeat_at
            )
        else:
            reason = dead_process_reason(claim)
            moved = uploads.fail_dead_upload(
                engine, claim.upload_id, reason, heartbeat_at=claim.heartbeat_at
            )
        if moved:
            recovery.failed_uploads.append(claim.upload_id)
            recovery.reasons[claim.upload_id] = reason
            if claim.run_id is not None:
                _fail_run(dagster(), claim.run_id, reason, recovery)

    unclaimed = dict(uploads.unclaimed_running_runs(engine))
    current = dagster() if unclaimed else None
    if current is not None and unclaimed:
        ended = current.get_runs(
            filters=RunsFilter(run_ids=list(unclaimed.values()), statuses=list(ENDED_BADLY))
        )
        by_run = {run_id: upload_id for upload_id, run_id in unclaimed.items()}
        for run in ended:
            upload_id = by_run[run.run_id]
            reason = (
                f"run {run.run_id} ended {run.status.value} without recording this upload's "
                "outcome; re-run the upload (its original is archived) or send it again."
            )
            if uploads.fail_dead_upload(engine, upload_id, reason, heartbeat_at=None):
                recovery.failed_uploads.append(upload_id)
                recovery.reasons[upload_id] = reason
    return recovery


def _fail_run(
    instance: DagsterInstance | None, run_id: str, reason: str, recovery: Recovery
) -> None:
    if instance is None:
        return
    run = instance.get_run_by_id(run_id)
    if run is None or run.status not in IN_PROGRESS:
        return  # never created (killed before its run began), or it ended on its own
    instance.report_run_failed(run, message=reason)
    recovery.failed_runs.append(run_id)


@sensor(
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Fails uploads (and their runs) whose process died, freeing the run queue.",
)
def stale_uploads_sensor(context: SensorEvaluationContext, catalog: CatalogDatabase) -> SkipReason:
    """Every minute: a `running` upload whose process stopped (killed, crashed, its machine
    gone) becomes `failed` with the reason, and its Dagster run is reported failed so it stops
    holding a slot of the run queue."""
    recovery = recover_dead_uploads(catalog.get_engine(), context.instance)
    for upload_id in recovery.failed_uploads:
        context.log.warning(f"{upload_id} failed: {recovery.reasons[upload_id]}")
    for run_id in recovery.failed_runs:
        context.log.warning(f"run {run_id} reported failed: its process is gone")
    return SkipReason(recovery.summary())
