"""`upload_report`: the annotated workbook of one upload, stored beside its archive."""

import time

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, MaterializeResult, MetadataValue, asset

from briskk_pipeline import heap
from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.assets import RawUpload, registered_upload
from briskk_pipeline.ingest.partitions import uploads_partitions
from briskk_pipeline.readiness.store import iter_upload_verdicts, needs_sheet
from briskk_pipeline.reports.announcements import announcement_findings
from briskk_pipeline.reports.findings import change_counts, gather, summary_line
from briskk_pipeline.reports.workbook import CONTENT_TYPE, build_report, report_key
from briskk_pipeline.resources import CatalogDatabase, ObjectStore
from briskk_pipeline.validation.validate import ValidatedRows

# Past this many rows (far over the 800-row upload limit: bulk loads) the report is the
# Problems sheet alone: openpyxl copies a 100k-row sheet in about 50 s.
COPIED_ROWS_LIMIT = 10_000


@asset(
    partitions_def=uploads_partitions,
    group_name="ingest",
    ins={"raw_sheet": AssetIn(), "validated_rows": AssetIn()},
    # after the load: the record then holds the load's warnings and a dry run's changes
    deps=["skus"],
)
def upload_report(
    context: AssetExecutionContext,
    raw_sheet: RawUpload,
    validated_rows: ValidatedRows,
    catalog: CatalogDatabase,
    object_store: ObjectStore,
) -> MaterializeResult:
    """The brand's own file back as .xlsx with every finding marked, for uploads that need it.

    Made when the upload has any finding (errors, warnings, images not stored or not fetched,
    announced changes) and for every dry run: a first sheet
    "Problems" (summary line, one linked row per problem), the data sheet as sent with bad
    cells filled and commented, and for a dry run a last sheet "Changes". The brand's sheets
    are left out when no finding is about a cell's content (nothing to mark: only
    upload-level findings, or images not fetched because fetching is off) or the file has
    more than `COPIED_ROWS_LIMIT` rows. Stored at
    `reports/<upload_id>.xlsx`; its URI goes on the upload's record (`report_uri`).
    """
    started = time.perf_counter()
    heap.collect()  # what the load left in cycles goes before the workbook is built
    engine = catalog.get_engine()
    upload_id = context.partition_key
    record = registered_upload(engine, upload_id)
    findings = gather(
        validated_rows.problems,
        validated_rows.cell_warnings,
        record["warnings"],
        image_failures=record.get("image_failures") or [],
        announcements=announcement_findings(record),
    )
    errors = sum(1 for f in findings if f.severity == "error")
    if not findings and not record["dry_run"] and not needs_sheet(engine, record):
        uploads.set_report_uri(engine, upload_id, None)
        return MaterializeResult(
            metadata={"report_uri": None, "errors": 0, "warnings": 0, "dry_run": False}
        )
    sheet_name = raw_sheet.sheet.sheet_name if raw_sheet.sheet is not None else None
    # a dry run's product list (`catalog/changes.py`); an announcement object is not one
    changes = (
        record["changes"] if record["dry_run"] and isinstance(record["changes"], list) else None
    )
    rows = raw_sheet.sheet.row_count if raw_sheet.sheet is not None else 0
    # The brand's sheets are copied to carry the marks: with no finding about a cell's
    # content (only upload-level warnings, or images not fetched because fetching is off)
    # there is nothing to mark in them; the Problems sheet lists every finding either way.
    copy_sheets = rows <= COPIED_ROWS_LIMIT and any(
        f.row is not None and f.about_content for f in findings
    )
    content = build_report(
        object_store.get(record["archive_key"]),
        record["file_name"],
        findings=findings,
        summary=summary_line(record, findings, sheet_name)
        + (
            f" (the file has {rows:,} rows: this report lists the problems without a copy of "
            "your sheets)"
            if rows > COPIED_ROWS_LIMIT
            else ""
        ),
        sheet_name=sheet_name,
        changes=changes,
        changes_summary=_changes_summary(changes or []),
        copy_sheets=copy_sheets,
        rejected_with=_rejected_with(validated_rows) if copy_sheets else None,
        # streamed into the Readiness sheet (readiness/sheet.py), never held as a list
        readiness=iter_upload_verdicts(engine, upload_id),
        rules=raw_sheet.profile,
        header_rules=raw_sheet.sheet.header_rules if raw_sheet.sheet is not None else (),
        profile_version=raw_sheet.profile.version,
    )
    uri = object_store.put(report_key(upload_id), content, CONTENT_TYPE)
    uploads.set_report_uri(engine, upload_id, uri)
    return MaterializeResult(
        metadata={
            "report_uri": MetadataValue.url(uri),
            "errors": errors,
            "warnings": len(findings) - errors,
            "dry_run": bool(record["dry_run"]),
            "bytes": len(content),
            "seconds": round(time.perf_counter() - started, 4),
        }
    )


def _rejected_with(validated_rows: ValidatedRows) -> dict[int, int | None]:
    """Row -> the row that rejected its product (`ValidatedRows.rejected_with`)."""
    frame = getattr(validated_rows, "rejected_with", None)  # absent from older stored outputs
    if frame is None or frame.empty:
        return {}
    return {
        int(row): None if pd.isna(because) else int(because)
        for row, because in zip(frame["row"].tolist(), frame["because_of"].tolist(), strict=True)
    }


def _changes_summary(changes: list) -> str:
    counts = change_counts(changes)
    return (
        f"Dry run, nothing was changed. Products: {counts['new']} new, {counts['changed']} "
        f"changed, {counts['unchanged']} unchanged, {counts['rejected']} rejected. SKUs: "
        f"{counts['skus_new']} new, {counts['skus_changed']} changed, "
        f"{counts['skus_disabled']} disabled (left out of the file)."
    )
