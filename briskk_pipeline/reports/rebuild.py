"""`briskk report --rebuild UPLOAD_ID`: the annotated report step run again on its own
(Hardening issue 20, item 1).

`upload_report_job` selects the `upload_report` asset alone; its inputs (`raw_sheet`,
`validated_rows`) are the upload's stored outputs (storage/io_manager.py), so nothing before
it runs again and the catalog is not touched. The same job re-executes the step from the
Dagster UI (Jobs → upload_report_job → the upload's partition). A success stores the report
and clears `report_error`; a failure records it there again (`catalog/step_errors.py`), the
upload's status never changing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from dagster import AssetSelection, DagsterInstance, define_asset_job

from briskk_pipeline.catalog import uploads
from briskk_pipeline.catalog.step_errors import LOADED_STATUSES, record_run_failure
from briskk_pipeline.ingest.partitions import uploads_partitions

upload_report_job = define_asset_job(
    "upload_report_job",
    selection=AssetSelection.assets("upload_report"),
    partitions_def=uploads_partitions,
    description="Build one upload's annotated report again from its stored outputs, after the "
    "load (the catalog is not touched).",
)


class RebuildRefused(Exception):
    """The upload cannot have its report rebuilt: unknown, not loaded yet, failed before the
    load, or its stored outputs were pruned (`str()` says which, in one line)."""


def rebuild_report(instance: DagsterInstance, engine: sa.Engine, upload_id: str) -> dict[str, Any]:
    """Run `upload_report_job` for `upload_id` in this process; return the upload's record
    afterwards (`report_error` None on success, the step's one-line reason otherwise).

    Raises `RebuildRefused` (see there); catalog faults propagate as SQLAlchemy errors.
    """
    from briskk_pipeline import defs
    from briskk_pipeline.ingest.launch import IN_PROCESS_RUN, QUIET_RUN, failure_message

    record = uploads.get_upload(engine, upload_id)
    if record is None:
        raise RebuildRefused(f"no upload {upload_id!r} (see `briskk uploads`)")
    if record["status"] not in LOADED_STATUSES:
        raise RebuildRefused(
            f"upload {upload_id} is {record['status']}: its report is made when its run "
            "reaches the load (`briskk rerun` runs it again whole)"
        )
    if record.get("pruned_at"):
        raise RebuildRefused(
            f"upload {upload_id} was pruned: its stored outputs are gone "
            "(`briskk rerun` runs it again whole)"
        )
    with IN_PROCESS_RUN:  # in-process runs take turns (ingest/launch.py)
        result = defs.resolve_job_def(upload_report_job.name).execute_in_process(
            instance=instance,
            partition_key=upload_id,
            raise_on_error=False,
            run_config=QUIET_RUN,
            tags={"briskk/tenant": record["tenant"], "briskk/source": "rebuild"},
        )
    if not result.success:
        record_run_failure(engine, upload_id, failure_message(result))
    found = uploads.get_upload(engine, upload_id)
    if found is None:  # deleted in between: only a catalog reset gets here
        raise RebuildRefused(f"upload {upload_id} vanished from the catalog")
    return found
