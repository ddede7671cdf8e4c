"""The upload record: registering an upload, its life cycle, and reading it back (`briskk uploads`).

An upload is registered `running` when it arrives, gets the orchestrator's run id, and ends
`succeeded` or `rejected` (written by `load.load_upload` in the same transaction as the
catalog rows, via `write_outcome`), `previewed` (a dry run: the load was rolled back, the
record keeps what it would have changed) or `failed` when the pipeline broke. Dicts returned here
have exactly the keys of SPEC §4 `briskk uploads --json`, plus a few extras (reading them
back: `upload_views.py`). A load held for review ends `needs_review` (review/).

Status transitions: `running` → `succeeded` | `rejected` (the load) | `failed` (a failed run, or
a dead process: `fail_dead_upload`); any end state → `running` again when a run re-executes
the upload (`mark_upload_started`). A process working on a `running` upload *claims* it
(`worker_host`, `worker_pid`) and refreshes `heartbeat_at` (database time) while it lives;
`ingest/recovery.py` fails uploads whose claim went silent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from briskk_pipeline.catalog.tables import upload_errors, uploads
from briskk_pipeline.catalog.tenants import same_tenant

# Claims and heartbeats live in upload_claims.py, reading records back in upload_views.py;
# these names stay importable from here.
from briskk_pipeline.catalog.upload_claims import (  # noqa: F401
    Claim,
    Worker,
    beat,
    claimed_uploads,
    fail_dead_upload,
    unclaimed_running_runs,
)
from briskk_pipeline.catalog.upload_counts import IMAGE_COUNT_KEYS, zero_images
from briskk_pipeline.catalog.upload_views import (  # noqa: F401
    IMAGE_FAILURE_FIELDS,
    UPLOAD_FIELDS,
    get_upload,
    ingest_summary,
    list_uploads,
    read_records,
    spec_upload,
    upload_tenant,
)

OUTCOME_STATUSES: Final[frozenset[str]] = frozenset(
    {"succeeded", "rejected", "previewed", "needs_review"}
)


@dataclass(frozen=True)
class UploadError:
    """One problem found in an upload. `row` is the Excel row (header = 1); None = file-level."""

    row: int | None
    column: str | None
    value: str | None
    message: str

    @classmethod
    def of(cls, error: object) -> UploadError:
        """Accept an `UploadError`, anything with row/column/value/message attributes
        (the validation `Problem`), or a mapping with those keys."""
        if isinstance(error, UploadError):
            return error
        if isinstance(error, Mapping):
            get = error.get
        else:

            def get(name: str, default: Any = None) -> Any:
                return getattr(error, name, default)

        row, value, message = get("row"), get("value"), get("message")
        if not message:
            raise ValueError(f"an upload error needs a message: {error!r}")
        return cls(
            row=None if row is None else int(row),
            column=get("column"),
            value=None if value is None else str(value),
            message=str(message),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class UploadOutcome:
    """How an upload ended, written to its record together with the catalog rows.

    `status` is `succeeded` (at least the file was processed; some products may be rejected),
    `rejected` (the file, or every product in it, failed validation) or `previewed` (a dry
    run; `changes` then holds what it would change, see `catalog/changes.py`). `finished_at`
    defaults to the database's transaction time.
    """

    status: Literal["succeeded", "rejected", "previewed", "needs_review"]
    products_rejected: int = 0
    rows_rejected: int = 0
    errors: Sequence[object] = ()
    warnings: Sequence[str] = ()
    images: Mapping[str, int] = field(default_factory=zero_images)
    # `{row, column, url, status, reason}` of each image slot not stored (images/failures.py)
    image_failures: Sequence[Mapping[str, Any]] = ()
    seconds: float | None = None
    finished_at: datetime | None = None
    changes: Sequence[Mapping[str, Any]] | None = None
    # the `changes` object of `catalog/summary.py`: what the load changed (or would change)
    change_summary: Mapping[str, Any] | None = None
    # why a `needs_review` upload is held (review/limits.py), one line each
    review_reasons: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.status not in OUTCOME_STATUSES:
            raise ValueError(
                f"an upload outcome is 'succeeded', 'rejected' or 'previewed', not {self.status!r} "
                "(use mark_upload_failed for a broken pipeline)"
            )
        unknown = set(self.images) - set(IMAGE_COUNT_KEYS)
        if unknown:
            raise ValueError(f"unknown image counts {sorted(unknown)}; expected {IMAGE_COUNT_KEYS}")
        _require_aware(self.finished_at, "finished_at")


def _require_aware(moment: datetime | None, name: str) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")


def register_upload(
    engine: sa.Engine,
    *,
    upload_id: str,
    tenant: str,
    explicit_tenant: str | None,
    file_name: str,
    sha256: str,
    size_bytes: int,
    received_at: datetime,
    source: str,
    archive_uri: str,
    archive_key: str,
) -> None:
    """Record a new upload as `running`. Raises `sqlalchemy.exc.IntegrityError` if the id exists."""
    _require_aware(received_at, "received_at")
    with engine.begin() as connection:
        connection.execute(
            sa.insert(uploads).values(
                upload_id=upload_id,
                tenant=tenant,
                explicit_tenant=explicit_tenant,
                file_name=file_name,
                sha256=sha256,
                size_bytes=size_bytes,
                received_at=received_at,
                source=source,
                archive_uri=archive_uri,
                archive_key=archive_key,
                status="running",
            )
        )


def insert_upload(
    connection: sa.Connection, *, worker: Worker | None = None, **values: Any
) -> bool:
    """Record a new upload as `running` in the caller's transaction; False (nothing written) if
    `values["upload_id"]` is taken. With `worker`, the upload is claimed by that process from
    the start (its heartbeat is now). `values` are `register_upload`'s keyword arguments."""
    _require_aware(values.get("received_at"), "received_at")
    claim = (
        {"worker_host": worker.host, "worker_pid": worker.pid, "heartbeat_at": sa.func.now()}
        if worker is not None
        else {}
    )
    statement = (
        pg_insert(uploads)
        .values(**values, **claim, status="running")
        .on_conflict_do_nothing(index_elements=[uploads.c.upload_id])
    )
    return connection.execute(statement).rowcount == 1


def lock_upload_id(connection: sa.Connection, base_id: str) -> None:
    """Serialize, until the transaction ends, every registration whose id starts `base_id`
    (the same tenant, second and bytes): the first free suffix is then really free."""
    key = sa.bindparam("lock_key", f"briskk_pipeline.upload_id:{base_id}", type_=sa.Text)
    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))


def free_upload_id(connection: sa.Connection, base_id: str) -> str:
    """`base_id`, or `base_id-2`, `-3`, … : the first id no upload has (call under
    `lock_upload_id`)."""
    taken = set(
        connection.execute(
            sa.select(uploads.c.upload_id).where(
                sa.or_(
                    uploads.c.upload_id == base_id,
                    uploads.c.upload_id.startswith(f"{base_id}-", autoescape=True),
                )
            )
        ).scalars()
    )
    upload_id, n = base_id, 1
    while upload_id in taken:
        n += 1
        upload_id = f"{base_id}-{n}"
    return upload_id


def upload_id_exists(engine: sa.Engine, upload_id: str) -> bool:
    with engine.connect() as connection:
        query = sa.select(sa.exists().where(uploads.c.upload_id == upload_id))
        return bool(connection.execute(query).scalar())


def find_upload_by_sha256(engine: sa.Engine, tenant: str, sha256: str) -> list[dict[str, Any]]:
    """Earlier uploads of the same bytes by the same tenant (any letter case), newest first."""
    return read_records(engine, (same_tenant(uploads.c.tenant, tenant), uploads.c.sha256 == sha256))


def unlaunched_uploads(
    engine: sa.Engine, source: str, registered_before: datetime, limit: int = 100
) -> list[tuple[str, str]]:
    """(upload_id, tenant) of uploads from `source` still waiting for their first run."""
    query = (
        sa.select(uploads.c.upload_id, uploads.c.tenant)
        .where(
            uploads.c.source == source,
            uploads.c.status == "running",
            uploads.c.run_id.is_(None),
            uploads.c.received_at < registered_before,
        )
        .order_by(uploads.c.received_at)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [(row.upload_id, row.tenant) for row in connection.execute(query)]


def update_upload(engine: sa.Engine, upload_id: str, **values: Any) -> None:
    """Set columns `values` of upload `upload_id` in a transaction of its own. Raises
    `LookupError` when no upload has that id."""
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(uploads).where(uploads.c.upload_id == upload_id).values(**values)
        )
        if result.rowcount != 1:
            raise LookupError(f"no upload with id {upload_id!r}")


def set_run_id(engine: sa.Engine, upload_id: str, run_id: str) -> None:
    update_upload(engine, upload_id, run_id=run_id)


def mark_dry_run(engine: sa.Engine, upload_id: str) -> None:
    """Make a registered upload a dry run: every run of it previews, none changes the catalog.

    Kept on the record (not only on a run's tags) so a re-run from the UI stays a preview.
    """
    update_upload(engine, upload_id, dry_run=True)


def set_report_uri(engine: sa.Engine, upload_id: str, report_uri: str | None) -> None:
    """Where the upload's annotated workbook is stored; None when it needs none."""
    update_upload(engine, upload_id, report_uri=report_uri, report_error=None)


def mark_upload_started(
    engine: sa.Engine, upload_id: str, run_id: str, worker: Worker | None = None
) -> None:
    """A run (first or re-run) picked the upload up: `running` again, outcome cleared; with
    `worker`, claimed by that process (heartbeat now)."""
    claim: dict[str, Any] = (
        {"worker_host": worker.host, "worker_pid": worker.pid, "heartbeat_at": sa.func.now()}
        if worker is not None
        else {}
    )
    update_upload(
        engine,
        upload_id,
        run_id=run_id,
        status="running",
        finished_at=None,
        failure_reason=None,
        report_error=None,
        **claim,
    )


def failed_values(reason: str) -> dict[str, Any]:
    """The columns of an upload the pipeline broke on: `failed`, the one-line `reason`, done,
    no longer claimed (used here and by `step_errors.record_run_failure`)."""
    return {
        "status": "failed",
        "failure_reason": reason,
        "finished_at": sa.func.now(),
        "heartbeat_at": None,
    }


def mark_upload_failed(engine: sa.Engine, upload_id: str, reason: str) -> None:
    """The pipeline broke (not the brand's file): `failed`, with the reason."""
    update_upload(engine, upload_id, **failed_values(reason))


def write_outcome(
    connection: sa.Connection,
    *,
    upload_id: str,
    outcome: UploadOutcome,
    products_loaded: int,
    skus_loaded: int,
) -> None:
    """Write an upload's final state and replace its errors, inside the caller's transaction."""
    result = connection.execute(
        sa.update(uploads)
        .where(uploads.c.upload_id == upload_id)
        .values(
            status=outcome.status,
            products_loaded=products_loaded,
            skus_loaded=skus_loaded,
            products_rejected=outcome.products_rejected,
            rows_rejected=outcome.rows_rejected,
            warnings=[str(w) for w in outcome.warnings],
            images={**zero_images(), **{k: int(v) for k, v in outcome.images.items()}},
            image_failures=[dict(f) for f in outcome.image_failures],
            seconds=outcome.seconds,
            changes=sa.null() if outcome.changes is None else list(outcome.changes),
            change_summary=(
                sa.null() if outcome.change_summary is None else dict(outcome.change_summary)
            ),
            review_reasons=list(outcome.review_reasons),
            failure_reason=None,
            finished_at=outcome.finished_at or sa.func.now(),
        )
    )
    if result.rowcount != 1:
        raise LookupError(f"no upload with id {upload_id!r}; register it before loading")
    connection.execute(sa.delete(upload_errors).where(upload_errors.c.upload_id == upload_id))
    rows = [
        {"upload_id": upload_id, "seq": seq, **UploadError.of(error).to_dict()}
        for seq, error in enumerate(outcome.errors, start=1)
    ]
    if rows:
        connection.execute(sa.insert(upload_errors), rows)
