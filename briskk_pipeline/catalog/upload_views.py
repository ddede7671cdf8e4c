"""Upload records read back: `briskk uploads`, `GET /uploads`, the ingest summary (SPEC §4).

Two queries whatever the number of uploads (records, then their errors). Dicts returned here
have exactly the keys of SPEC §4 `briskk uploads --json`, plus a few extras; `spec_upload` and
`ingest_summary` are the JSON the CLI and the API print.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from briskk_pipeline.catalog.tables import upload_errors, uploads
from briskk_pipeline.catalog.tenants import same_tenant
from briskk_pipeline.catalog.upload_counts import IMAGE_COUNT_KEYS, zero_images


def get_upload(engine: sa.Engine, upload_id: str) -> dict[str, Any] | None:
    found = read_records(engine, (uploads.c.upload_id == upload_id,))
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
    return read_records(engine, where, limit=limit)


def upload_tenant(engine: sa.Engine, upload_id: str) -> str | None:
    """The tenant of upload `upload_id`, or None when no upload has that id."""
    with engine.connect() as connection:
        query = sa.select(uploads.c.tenant).where(uploads.c.upload_id == upload_id)
        return connection.execute(query).scalar_one_or_none()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def read_records(
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
        "images": {**zero_images(), **record["images"]},
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
        # what the upload may change and what it changed (issue 19; catalog/summary.py)
        "mode": record["mode"],
        "change_summary": record["change_summary"],
        # a `needs_review` upload: why it is held; the operator's decision (review/)
        "review_reasons": list(record["review_reasons"]),
        "review_decision": record["review_decision"],
        "reviewed_at": _iso(record["reviewed_at"]),
        "reviewed_by": record["reviewed_by"],
        # the brand profile version the upload's last run read it with (profiles/)
        "profile_version": record["profile_version"],
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
    "mode",
    "review_reasons",
    "review_decision",
    "profile_version",
)
IMAGE_FAILURE_FIELDS: Final[tuple[str, ...]] = ("row", "column", "url", "status", "reason")


def spec_upload(record: Mapping[str, Any]) -> dict[str, Any]:
    """One upload as `briskk uploads --json` and `GET /uploads/{id}` print it (SPEC §4);
    `changes` is the upload's change summary (`catalog/summary.py`), null when nothing was
    merged (a rejected or failed upload)."""
    return {
        **{k: record.get(k) for k in (*UPLOAD_FIELDS, *_UPLOAD_EXTRAS)},
        "changes": record.get("change_summary"),
    }


def ingest_summary(record: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    """The SPEC §4 `briskk ingest --json` object of an upload record; `seconds` is the caller's
    wall time (command or request). `changes` is what the load changed, or would change
    (`catalog/summary.py`; null when nothing was merged). A `failed` upload also carries
    `failure_reason`, a `previewed` one (dry run) `preview` (per product, `changes.py`), a
    `needs_review` one (or a dry run that would be held) `review_reasons`; the mode is
    `mode`."""
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
        "profile_version": record.get("profile_version"),  # the brand profile it was read with
        **({"failure_reason": record.get("failure_reason")} if status == "failed" else {}),
        **({"report_error": record["report_error"]} if record.get("report_error") else {}),
        # the mode the load used: `update` for an update file, else as sent
        "mode": (record.get("change_summary") or {}).get("mode") or record.get("mode"),
        "changes": record.get("change_summary"),
        **({"preview": record.get("changes") or []} if status == "previewed" else {}),
        # held (needs_review), or a dry run that would be: why (review/limits.py)
        **({"review_reasons": record["review_reasons"]} if record.get("review_reasons") else {}),
        **(
            {"failure_reason": record.get("failure_reason")}
            if status == "needs_review" and record.get("failure_reason")
            else {}
        ),
    }
