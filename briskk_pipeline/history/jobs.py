"""`rollback_upload_job`: a rollback as a Dagster run, from the UI or from `briskk rollback`.

Operators launch it from the Dagster UI (Jobs → rollback_upload_job → Launchpad) with the config
`ops: {rollback_upload: {config: {upload_id: "...", force: false, dry_run: false}}}`; the CLI
launches the same job in process on the same instance (`launch_rollback`), so every rollback
leaves a run. A refusal (later uploads touched the rows, or nothing to roll back) fails the run
with the reason as the failure's description and the outcome as its metadata.
"""

# No `from __future__ import annotations` here: Dagster reads the `context` annotation.

from typing import Any, Final

from dagster import (
    Config,
    DagsterInstance,
    Failure,
    MetadataValue,
    OpExecutionContext,
    Output,
    job,
    op,
)

from briskk_pipeline.history.rollback import RollbackError, RollbackOutcome, rollback_change_set
from briskk_pipeline.ingest.launch import IN_PROCESS_RUN, QUIET_RUN, describe_step_error
from briskk_pipeline.resources import CatalogDatabase

OP_NAME: Final = "rollback_upload"
SHOWN: Final = 50  # conflicts and changes listed one by one in the run's metadata


class RollbackConfig(Config):
    """What to roll back: an upload id (or a rollback id), and how."""

    upload_id: str
    force: bool = False  # restore even the rows later uploads changed
    dry_run: bool = False  # show what it would do; change nothing
    requested_by: str = ""  # who asked (default: this Dagster run)


def _lines(outcome: RollbackOutcome) -> str:
    conflicts = [
        f"- {c['entity']} {c['key']}: `{c['field']}` {c['old']!r} → {c['new']!r} "
        f"by {c['change_set_id']}"
        for c in outcome.conflicts[:SHOWN]
    ]
    changes = [
        f"- {c['entity']} {c['key']} ({c['action']}): "
        + ", ".join(f"`{k}` {v[0]!r} → {v[1]!r}" for k, v in c["fields"].items())
        for c in outcome.changes[:SHOWN]
    ]
    parts = []
    if conflicts:
        parts += ["**Later changes to the same rows**", *conflicts]
    if changes:
        parts += ["**Rows put back**", *changes]
    return "\n".join(parts) or "nothing"


@op(name=OP_NAME)
def rollback_upload(
    context: OpExecutionContext, config: RollbackConfig, catalog: CatalogDatabase
) -> Output[dict[str, Any]]:
    """Roll back one upload (or rollback): every product and SKU row it changed is restored to
    its state before it, in one transaction under the tenant's lock (history/rollback.py)."""
    requested_by = config.requested_by or f"dagster run {context.run_id}"
    try:
        outcome = rollback_change_set(
            catalog.get_engine(),
            config.upload_id,
            requested_by=requested_by,
            force=config.force,
            dry_run=config.dry_run,
            run_id=context.run_id,
        )
    except RollbackError as error:
        raise Failure(
            description=str(error), metadata={"reason": MetadataValue.text(str(error))}
        ) from error
    metadata: dict[str, MetadataValue] = {
        "status": MetadataValue.text(outcome.status),
        "tenant": MetadataValue.text(outcome.tenant),
        "rollback_id": MetadataValue.text(outcome.rollback_id or ""),
        "products_changed": MetadataValue.int(outcome.products_changed),
        "skus_changed": MetadataValue.int(outcome.skus_changed),
        "conflicts": MetadataValue.int(len(outcome.conflicts)),
        "details": MetadataValue.md(_lines(outcome)),
        "outcome": MetadataValue.json(outcome.as_dict()),
    }
    if outcome.status == "refused":
        later = sorted({c["change_set_id"] for c in outcome.conflicts})
        raise Failure(
            description=(
                f"{config.upload_id}: refused, later change sets changed the same rows "
                f"({', '.join(later)}); set force to restore them anyway"
            ),
            metadata=metadata,
        )
    return Output(outcome.as_dict(), metadata=metadata)


@job(
    description=(
        "Roll back one upload: restore every product and SKU row it changed (config: "
        "upload_id, force, dry_run)."
    ),
    tags={"briskk/kind": "rollback"},
)
def rollback_upload_job() -> None:
    rollback_upload()


class RollbackRunError(Exception):
    """The rollback run did not roll back. `code` as `briskk rollback` exits: 1 refused for
    later changes (`outcome` set, its `conflicts` listing them), 2 refused before any write
    (no such upload, nothing to roll back, already rolled back), 3 the run failed."""

    def __init__(self, message: str, code: int, outcome: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.outcome = outcome


def launch_rollback(
    instance: DagsterInstance,
    upload_id: str,
    *,
    force: bool = False,
    dry_run: bool = False,
    requested_by: str = "",
    tags: dict[str, str] | None = None,
) -> tuple[dict[str, Any], str]:
    """Run `rollback_upload_job` in this process on `instance` (it appears in the UI).

    Returns (the outcome as `RollbackOutcome.as_dict`, the run id). Raises `RollbackRunError`
    with the failure's description when the run failed (refused: with the outcome, whose
    `conflicts` list the later changes).
    """
    from briskk_pipeline import defs

    run_config = {
        **QUIET_RUN,  # the outcome is reported by the caller, in one line: no Dagster traces
        "ops": {
            OP_NAME: {
                "config": {
                    "upload_id": upload_id,
                    "force": force,
                    "dry_run": dry_run,
                    "requested_by": requested_by,
                }
            }
        },
    }
    with IN_PROCESS_RUN:  # in-process runs take turns (ingest/launch.py)
        result = defs.resolve_job_def("rollback_upload_job").execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            tags={"briskk/upload": upload_id, **(tags or {})},
        )
    if result.success:
        return result.output_for_node(OP_NAME), result.run_id
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            data = event.step_failure_data
            user = data.user_failure_data
            if user is not None:
                found = user.metadata.get("outcome")
                outcome = found.value if found is not None else None
                if not isinstance(outcome, dict):
                    outcome = None
                message = user.description or "the rollback was refused"
                raise RollbackRunError(message, 1 if outcome else 2, outcome)
            # one line: a fault outside the pipeline in operator words (the database stopped:
            # its transaction rolled back, nothing changed), else the error's first line
            message = describe_step_error(event.step_key or OP_NAME, data.error)
            raise RollbackRunError(f"the rollback run failed: {message}", 3)
    raise RollbackRunError("the rollback run failed", 3)
