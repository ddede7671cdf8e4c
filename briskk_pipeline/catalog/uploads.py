"""The upload record: registering an upload, its life cycle, and reading it back (`briskk uploads`).

An upload is registered `running` when it arrives, gets the orchestrator's run id, and ends
`succeeded` or `rejected` (written by `load.load_upload` in the same transaction as the
catalog rows, via `write_outcome`), `previewed` (a dry run: the load was rolled back, the
record keeps what it would have changed) or `failed` when the pipeline broke. Dicts returned here
have exactly the keys of SPEC §4 `briskk uploads --json`, plus a few extras.

Status transitions: `running` → `succeeded` | `rejected` (the load) | `failed` (a failed run, or
a dead process: `fail_dead_upload`); any end state → `running` again when a run re-executes
the upload (`mark_upload_started`). A process working on a `running` upload *claims* it
(`worker_host`, `worker_pid`) and refreshes `heartbeat_at` (database time) while it lives;
`ingest/recovery.py` fails uploads whose claim went silent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from briskk_pipeline.catalog.tables import upload_errors, uploads
from briskk_pipeline.catalog.tenants import same_tenant

# SPEC §4's four, plus `not_fetched` (fetching was off: not a failure of the URL)
IMAGE_COUNT_KEYS: Final[tuple[str, ...]] = ("stored", "reused", "failed", "blocked", "not_fetched")
OUTCOME_STATUSES: Final[frozenset[str]] = frozenset({"succeeded", "rejected", "previewed"})


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


def _zero_images() -> dict[str, int]:
    return dict.fromkeys(IMAGE_COUNT_KEYS, 0)


@dataclass
class UploadOutcome:
    """How an upload ended, written to its record together with the catalog rows.

    `status` is `succeeded` (at least the file was processed; some products may be rejected),
    `rejected` (the file, or every product in it, failed validation) or `previewed` (a dry
    run; `changes` then holds what it would change, see `catalog/changes.py`). `finished_at`
    defaults to the database's transaction time.
    """

    status: Literal["succeeded", "rejected", "previewed"]
    products_rejected: int = 0
    rows_rejected: int = 0
    errors: Sequence[object] = ()
    warnings: Sequence[str] = ()
    images: Mapping[str, int] = field(default_factory=_zero_images)
    # `{row, column, url, status, reason}` of each image slot not stored (images/failures.py)
    image_failures: Sequence[Mapping[str, Any]] = ()
    seconds: float | None = None
    finished_at: datetime | None = None
    changes: Sequence[Mapping[str, Any]] | None = None

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


@dataclass(frozen=True)
class Worker:
    """The process working on an upload: `host` is the host name and PID namespace (a PID
    means something only there), `pid` its process id."""

    host: str
    pid: int


@dataclass(frozen=True)
class Claim:
    """A `running` upload some process claimed, as the recovery check sees it."""

    upload_id: str
    tenant: str
    run_id: str | None
    worker: Worker
    heartbeat_at: datetime
    silent_seconds: float  # database time since the last heartbeat


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
    return _read(engine, (same_tenant(uploads.c.tenant, tenant), uploads.c.sha256 == sha256))


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


def _update_one(engine: sa.Engine, upload_id: str, **values: Any) -> None:
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(uploads).where(uploads.c.upload_id == upload_id).values(**values)
        )
        if result.rowcount != 1:
            raise LookupError(f"no upload with id {upload_id!r}")


def set_run_id(engine: sa.Engine, upload_id: str, run_id: str) -> None:
    _update_one(engine, upload_id, run_id=run_id)


def mark_dry_run(engine: sa.Engine, upload_id: str) -> None:
    """Make a registered upload a dry run: every run of it previews, none changes the catalog.

    Kept on the record (not only on a run's tags) so a re-run from the UI stays a preview.
    """
    _update_one(engine, upload_id, dry_run=True)


def set_report_uri(engine: sa.Engine, upload_id: str, report_uri: str | None) -> None:
    """Where the upload's annotated workbook is stored; None when it needs none."""
    _update_one(engine, upload_id, report_uri=report_uri, report_error=None)


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
    _update_one(
        engine,
        upload_id,
        run_id=run_id,
        status="running",
        finished_at=None,
        failure_reason=None,
        report_error=None,
        **claim,
    )


def mark_upload_failed(engine: sa.Engine, upload_id: str, reason: str) -> None:
    """The pipeline broke (not the brand's file): `failed`, with the reason."""
    _update_one(
        engine,
        upload_id,
        status="failed",
        failure_reason=reason,
        finished_at=sa.func.now(),
        heartbeat_at=None,
    )


def beat(engine: sa.Engine, upload_id: str, worker: Worker) -> bool:
    """Refresh the heartbeat of `upload_id` if it is still `running` and claimed by `worker`;
    False when it is not (the upload ended, or another process claimed it)."""
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(uploads)
            .where(
                uploads.c.upload_id == upload_id,
                uploads.c.status == "running",
                uploads.c.worker_host == worker.host,
                uploads.c.worker_pid == worker.pid,
            )
            .values(heartbeat_at=sa.func.now())
        )
        return result.rowcount == 1


def claimed_uploads(engine: sa.Engine, limit: int = 500) -> list[Claim]:
    """Every `running` upload some process claimed, oldest heartbeat first."""
    silent = sa.func.extract("epoch", sa.func.now() - uploads.c.heartbeat_at)
    query = (
        sa.select(
            uploads.c.upload_id,
            uploads.c.tenant,
            uploads.c.run_id,
            uploads.c.worker_host,
            uploads.c.worker_pid,
            uploads.c.heartbeat_at,
            silent.label("silent"),
        )
        .where(uploads.c.status == "running", uploads.c.heartbeat_at.is_not(None))
        .order_by(uploads.c.heartbeat_at)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [
            Claim(
                upload_id=row.upload_id,
                tenant=row.tenant,
                run_id=row.run_id,
                worker=Worker(host=row.worker_host or "", pid=row.worker_pid or 0),
                heartbeat_at=row.heartbeat_at,
                silent_seconds=float(row.silent),
            )
            for row in connection.execute(query)
        ]


def unclaimed_running_runs(engine: sa.Engine, limit: int = 500) -> list[tuple[str, str]]:
    """(upload_id, run_id) of `running` uploads that have a run but no live claim."""
    query = (
        sa.select(uploads.c.upload_id, uploads.c.run_id)
        .where(
            uploads.c.status == "running",
            uploads.c.run_id.is_not(None),
            uploads.c.heartbeat_at.is_(None),
        )
        .order_by(uploads.c.received_at)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [(row.upload_id, row.run_id) for row in connection.execute(query)]


def fail_dead_upload(
    engine: sa.Engine, upload_id: str, reason: str, *, heartbeat_at: datetime | None
) -> bool:
    """`running` → `failed` with `reason`, only if the upload is still `running` and its
    heartbeat is still `heartbeat_at` (None: still unclaimed). False if the upload moved on in
    the meantime (its process was alive after all, or finished): then nothing is written."""
    unchanged = (
        uploads.c.heartbeat_at.is_(None)
        if heartbeat_at is None
        else uploads.c.heartbeat_at == heartbeat_at
    )
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(uploads)
            .where(uploads.c.upload_id == upload_id, uploads.c.status == "running", unchanged)
            .values(
                status="failed",
                failure_reason=reason,
                finished_at=sa.func.now(),
                heartbeat_at=None,
            )
        )
        return result.rowcount == 1


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
            images={**_zero_images(), **{k: int(v) for k, v in outcome.images.items()}},
            image_failures=[dict(f) for f in outcome.image_failures],
            seconds=outcome.seconds,
            changes=sa.null() if outcome.changes is None else list(outcome.changes),
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


def get_upload(engine: sa.Engine, upload_id: str) -> dict[str, Any] | None:
    found = _read(engine, (uploads.c.upload_id == upload_id,))
    return found[0] if found else None


def list_uploads(
    engine: sa.Engine,
    tenant: str | None = None,
    limit: int | None = None,
    before: str | None = None,
) -> list[dict[str, Any]]:
    """Every upload (of `tenant` in any letter case, or of all tenants), newest first
    (`received_at`, then `upload_id`, both descending); with `limit`, only the `limit` newest
    (SQL LIMIT: older uploads are never read).

    `before` is a keyset cursor: only uploads after upload `before` in that order, i.e.
    received strictly before it (or at the same instant with a smaller id), so pages never
    overlap or skip one, whatever arrives meanwhile. An id no upload has gives `[]`: check it
    first (`upload_tenant`). Served by the indexes `(received_at, upload_id)` and
    `(lower(tenant), received_at, upload_id)` of migration 0009."""
    where: list[sa.ColumnElement[bool]] = []
    if tenant is not None:
        where.append(same_tenant(uploads.c.tenant, tenant))
    if before is not None:
        mark = uploads.alias("mark")
        position = (
            sa.select(mark.c.received_at, mark.c.upload_id)
            .where(mark.c.upload_id == before)
            .scalar_subquery()
        )
        where.append(sa.tuple_(uploads.c.received_at, uploads.c.upload_id) < position)
    return _read(engine, where, limit=limit)


def upload_tenant(engine: sa.Engine, upload_id: str) -> str | None:
    """The tenant of upload `upload_id`, or None when no upload has that id."""
    with engine.connect() as connection:
        query = sa.select(uploads.c.tenant).where(uploads.c.upload_id == upload_id)
        return connection.execute(query).scalar_one_or_none()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _read(
    engine: sa.Engine, where: Iterable[sa.ColumnElement[bool]], limit: int | None = None
) -> list[dict[str, Any]]:
    """Uploads matching `where` with their errors: two queries whatever the number of uploads."""
    query = (
        sa.select(uploads)
        .where(*where)
        .order_by(uploads.c.received_at.desc(), uploads.c.upload_id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        records = connection.execute(query).mappings().all()
        errors: dict[str, list[dict[str, Any]]] = {r["upload_id"]: [] for r in records}
        if errors:
            ids = sa.bindparam("ids", list(errors), type_=ARRAY(sa.Text))
            error_rows = connection.execute(
                sa.select(upload_errors)
                .where(upload_errors.c.upload_id == sa.any_(ids))
                .order_by(upload_errors.c.upload_id, upload_errors.c.seq)
            ).mappings()
            for e in error_rows:
                errors[e["upload_id"]].append(
                    {
                        "row": e["row"],
                        "column": e["column"],
                        "value": e["value"],
                        "message": e["message"],
                    }
                )
    return [_as_dict(record, errors[record["upload_id"]]) for record in records]


def _as_dict(record: sa.RowMapping, errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "upload_id": record["upload_id"],
        "tenant": record["tenant"],
        "file_name": record["file_name"],
        "sha256": record["sha256"],
        "received_at": _iso(record["received_at"]),
        "status": record["status"],
        "products_loaded": record["products_loaded"],
        "skus_loaded": record["skus_loaded"],
        "products_rejected": record["products_rejected"],
        "rows_rejected": record["rows_rejected"],
        "errors": errors,
        "archive_uri": record["archive_uri"],
        "run_id": record["run_id"],
        # extras beyond SPEC §4
        "archive_key": record["archive_key"],  # where `raw_sheet` reads the original from
        "warnings": list(record["warnings"]),
        "images": {**_zero_images(), **record["images"]},
        "image_failures": list(record["image_failures"]),
        "failure_reason": record["failure_reason"],
        "report_error": record["report_error"],  # a step after the load failed (step_errors)
        "finished_at": _iso(record["finished_at"]),
        "seconds": record["seconds"],
        "source": record["source"],
        "explicit_tenant": record["explicit_tenant"],
        "size_bytes": record["size_bytes"],
        "report_uri": record["report_uri"],  # the annotated workbook (reports/), if any
        "dry_run": record["dry_run"],
        "changes": record["changes"],  # what a dry run would change; None otherwise
        # when retention deleted its stored outputs and partition (`briskk rerun` undoes it)
        "pruned_at": _iso(record["pruned_at"]),
        # undone by `briskk rollback` (history/rollback.py): when and who asked
        "rolled_back_at": _iso(record["rolled_back_at"]),
        "rolled_back_by": record["rolled_back_by"],
    }


# SPEC §4 `briskk uploads --json`: these keys, then the extras the CLI has always printed.
UPLOAD_FIELDS: Final[tuple[str, ...]] = (
    "upload_id",
    "tenant",
    "file_name",
    "sha256",
    "received_at",
    "status",
    "products_loaded",
    "skus_loaded",
    "products_rejected",
    "rows_rejected",
    "errors",
    "archive_uri",
    "run_id",
)
_UPLOAD_EXTRAS: Final[tuple[str, ...]] = (
    "warnings",
    "images",
    "image_failures",
    "failure_reason",
    "report_error",
    "finished_at",
    "seconds",
    "report_uri",
    "pruned_at",
    "rolled_back_at",
    "rolled_back_by",
)
IMAGE_FAILURE_FIELDS: Final[tuple[str, ...]] = ("row", "column", "url", "status", "reason")


def spec_upload(record: Mapping[str, Any]) -> dict[str, Any]:
    """One upload as `briskk uploads --json` and `GET /uploads/{id}` print it (SPEC §4)."""
    return {k: record.get(k) for k in (*UPLOAD_FIELDS, *_UPLOAD_EXTRAS)}


def ingest_summary(record: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    """The SPEC §4 `briskk ingest --json` object of an upload record; `seconds` is the caller's
    wall time (command or request). A `failed` upload also carries `failure_reason`, a
    `previewed` one (dry run) `changes`."""
    images = record["images"]  # the catalog fills in every count
    status = record["status"]
    return {
        "upload_id": record["upload_id"],
        "status": status,
        "tenant": record["tenant"],
        "products_loaded": record["products_loaded"],
        "skus_loaded": record["skus_loaded"],
        "products_rejected": record["products_rejected"],
        "rows_rejected": record["rows_rejected"],
        "errors": record["errors"],
        "warnings": record["warnings"],
        "images": {k: images[k] for k in IMAGE_COUNT_KEYS},
        "image_failures": [
            {k: f.get(k) for k in IMAGE_FAILURE_FIELDS} for f in record["image_failures"]
        ],
        "seconds": round(seconds, 3),
        **({"failure_reason": record.get("failure_reason")} if status == "failed" else {}),
        **({"report_error": record["report_error"]} if record.get("report_error") else {}),
        **({"changes": record.get("changes") or []} if status == "previewed" else {}),
    }
