"""`review_upload_job`: approve or decline a held upload from the Dagster UI.

Operators launch it from Jobs → review_upload_job → Launchpad with
`ops: {review_upload: {config: {upload_id: "...", decision: "approve", force: false}}}`
(`decision` is `approve` or `decline`). An approval runs the upload's `ingest_job` again in
this run's process (`decide.approve`): the ingest run appears in the UI beside this one. A
refusal (the catalog changed since the diff was shown) fails this run with the reason; the
upload stays held. `briskk review` and `POST /uploads/{id}/review` call the same functions.
"""

# No `from __future__ import annotations` here: Dagster reads the `context` annotation.

from typing import Any, Final, Literal

from dagster import Config, Failure, MetadataValue, OpExecutionContext, Output, job, op

from briskk_pipeline.resources import CatalogDatabase
from briskk_pipeline.review import decide

OP_NAME: Final = "review_upload"


class ReviewConfig(Config):
    """Which held upload, and the decision."""

    upload_id: str
    decision: Literal["approve", "decline"]
    force: bool = False  # approve even if the catalog changed since the diff was shown
    requested_by: str = ""  # who decided (default: this Dagster run)


@op(name=OP_NAME)
def review_upload(
    context: OpExecutionContext, config: ReviewConfig, catalog: CatalogDatabase
) -> Output[dict[str, Any]]:
    """Approve (load exactly the diff shown) or decline (load nothing) one held upload."""
    by = config.requested_by or f"dagster run {context.run_id}"
    engine = catalog.get_engine()
    try:
        if config.decision == "decline":
            outcome = decide.decline(engine, config.upload_id, by=by)
        else:
            outcome = decide.approve(
                context.instance, engine, config.upload_id, by=by, force=config.force
            )
    except decide.ReviewError as error:
        raise Failure(description=str(error)) from error
    result = {
        "upload_id": outcome.upload_id,
        "decision": outcome.decision,
        "status": outcome.status,
        "refused": outcome.refused,
    }
    if outcome.refused:
        raise Failure(
            description=f"{config.upload_id}: approval {outcome.refused}",
            metadata={"outcome": MetadataValue.json(result)},
        )
    return Output(result, metadata={"status": MetadataValue.text(outcome.status)})


@job(
    description=(
        "Approve or decline an upload held for review (config: upload_id, decision "
        "approve|decline, force)."
    ),
    tags={"briskk/kind": "review"},
)
def review_upload_job() -> None:
    review_upload()
