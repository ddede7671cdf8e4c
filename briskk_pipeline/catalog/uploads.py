"""The upload record: registering an upload, its life cycle, and reading it back (`briskk uploads`).

An upload is registered `running` when it arrives, gets the orchestrator's run id, and ends
`succeeded` or `rejected` (written by `load.load_upload` in the same transaction as the
catalog rows, via `write_outcome`) or `failed` when the pipeline broke. Dicts returned here
have exactly the keys of SPEC §4 `briskk uploads --json`, plus a few extras.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from briskk_pipeline.catalog.tables import upload_errors, uploads
from briskk_pipeline.catalog.tenants import same_tenant

IMAGE_COUNT_KEYS: Final[tuple[str, ...]] = ("stored", "reused", "failed", "blocked")
OUTCOME_STATUSES: Final[frozenset[str]] = frozenset({"succeeded", "rejected"})


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

    `status` is `succeeded` (at least the file was processed; some products may be rejected)
    or `rejected` (the file, or every product in it, failed validation). `finished_at`
    defaults to the database's transaction time.
    """

    status: Literal["succeeded", "rejected"]
    products_rejected: int = 0
    rows_rejected: int = 0
    errors: Sequence[object] = ()
    warnings: Sequence[str] = ()
    images: Mapping[str, int] = field(default_factory=_zero_images)
    seconds: float | None = None
    finished_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.status not in OUTCOME_STATUSES:
            raise ValueError(
                f"an upload outcome is 'succeeded' or 'rejected', not {self.status!r} "
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


def mark_upload_started(engine: sa.Engine, upload_id: str, run_id: str) -> None:
    """A run (first or re-run) picked the upload up: `running` again, outcome cleared."""
    _update_one(
        engine, upload_id, run_id=run_id, status="running", finished_at=None, failure_reason=None
    )


def mark_upload_failed(engine: sa.Engine, upload_id: str, reason: str) -> None:
    """The pipeline broke (not the brand's file): `failed`, with the reason."""
    _update_one(
        engine, upload_id, status="failed", failure_reason=reason, finished_at=sa.func.now()
    )


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
            seconds=outcome.seconds,
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


def list_uploads(engine: sa.Engine, tenant: str | None = None) -> list[dict[str, Any]]:
    """Every upload (of `tenant` in any letter case, or of all tenants), newest first."""
    return _read(engine, () if tenant is None else (same_tenant(uploads.c.tenant, tenant),))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _read(engine: sa.Engine, where: Iterable[sa.ColumnElement[bool]]) -> list[dict[str, Any]]:
    """Uploads matching `where` with their errors: two queries whatever the number of uploads."""
    query = (
        sa.select(uploads)
        .where(*where)
        .order_by(uploads.c.received_at.desc(), uploads.c.upload_id.desc())
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
        "failure_reason": record["failure_reason"],
        "finished_at": _iso(record["finished_at"]),
        "seconds": record["seconds"],
        "source": record["source"],
        "explicit_tenant": record["explicit_tenant"],
        "size_bytes": record["size_bytes"],
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
    "failure_reason",
    "finished_at",
    "seconds",
)


def spec_upload(record: Mapping[str, Any]) -> dict[str, Any]:
    """One upload as `briskk uploads --json` and `GET /uploads/{id}` print it (SPEC §4)."""
    return {k: record.get(k) for k in (*UPLOAD_FIELDS, *_UPLOAD_EXTRAS)}


def ingest_summary(record: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    """The SPEC §4 `briskk ingest --json` object of an upload record; `seconds` is the caller's
    wall time (command or request). A `failed` upload also carries `failure_reason`."""
    images = record["images"]  # the catalog fills in all four counts
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
        "seconds": round(seconds, 3),
        **({"failure_reason": record.get("failure_reason")} if status == "failed" else {}),
    }
