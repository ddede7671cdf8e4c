"""`ingest_job` (one upload through the asset graph) and the sensor that records broken runs."""

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    RunFailureSensorContext,
    define_asset_job,
    run_failure_sensor,
)

from briskk_pipeline.catalog.step_errors import record_run_failure
from briskk_pipeline.ingest.partitions import STATUS_TAG, uploads_partitions
from briskk_pipeline.resources import CatalogDatabase
from briskk_pipeline.review.decide import APPROVED, REVIEW_TAG

ingest_job = define_asset_job(
    "ingest_job",
    selection=AssetSelection.groups("ingest"),
    partitions_def=uploads_partitions,
    description="Run one upload (a partition of `uploads`) from its archived original to the "
    "catalog.",
)


def failure_reason(context: RunFailureSensorContext) -> str:
    message = context.failure_event.message or "the run failed"
    return f"run {context.dagster_run.run_id} failed: {message}"


@run_failure_sensor(
    monitored_jobs=[ingest_job],
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=10,
)
def ingest_failure_sensor(context: RunFailureSensorContext, catalog: CatalogDatabase) -> None:
    """Marks the upload of a failed `ingest_job` run `failed` (the pipeline broke), so
    `briskk uploads` tells the truth; `rejected` stays reserved for the brand's data. A run
    that failed after the catalog load committed (the report step) leaves the load's status
    and records `report_error` (`catalog/step_errors.py`). The run gets the tag
    `briskk/status=<status>`, as processed runs get `succeeded` or `rejected`.
    A refused approval of a held upload (`briskk/review=approved`) is left to `review/`."""
    upload_id = context.dagster_run.tags.get("dagster/partition")
    # an approval's refusal leaves its upload held (review/decide.py records the outcome)
    if context.dagster_run.tags.get(REVIEW_TAG) == APPROVED:
        return
    if upload_id:
        status = record_run_failure(catalog.get_engine(), upload_id, failure_reason(context))
        context.instance.add_run_tags(context.dagster_run.run_id, {STATUS_TAG: status})
