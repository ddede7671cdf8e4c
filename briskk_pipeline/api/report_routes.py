"""The brand's feedback over HTTP: `GET /uploads/{id}/report` (the annotated workbook) and
`GET /uploads/{id}/images` (the image slots its rows referenced that were not stored).

Same rules as the other `/uploads/{id}…` reads: a brand token reads only its own tenant's
uploads, and another tenant's id answers exactly as an id nobody has (`404`, same body).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath
from typing import Any, Final

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from briskk_pipeline.api.auth import Identity
from briskk_pipeline.api.routes import UNSAFE_IN_FILE_NAMES, content_disposition, visible_upload
from briskk_pipeline.api.state import api_state
from briskk_pipeline.reports.upload_images import images_not_stored
from briskk_pipeline.reports.workbook import CONTENT_TYPE, report_key

report_router = APIRouter()
NAME_LIMIT: Final = 120  # characters of the brand's file name kept in the report's name
# control, path and Windows-reserved characters, and the bidirectional controls
_UNSAFE = re.compile(f'(?:{UNSAFE_IN_FILE_NAMES.pattern}|[<>:"|?*])+')


def report_file_name(file_name: str) -> str:
    """`<the brand's file name without extension>-report.xlsx`, safe on every system:
    control characters, path separators and `<>:"|?*` become `_`, leading dots and spaces
    go, the name is cut at `NAME_LIMIT` characters; an empty name becomes `upload`."""
    stem = unicodedata.normalize("NFC", PurePath(file_name.replace("\\", "/")).stem)
    stem = _UNSAFE.sub("_", stem).strip(" .")[:NAME_LIMIT].strip(" .")
    return f"{stem or 'upload'}-report.xlsx"


@report_router.get(
    "/uploads/{upload_id}/report",
    tags=["uploads"],
    summary="The annotated workbook: the brand's file with every finding marked",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE: {}}},
        404: {"description": "No such upload for this token, or the upload has no report"},
        409: {"description": "The upload is still running: its report comes when it ends"},
    },
)
async def get_report(request: Request, who: Identity, upload_id: str) -> Response:
    """The `.xlsx` the `upload_report` asset stored (`reports/<upload_id>.xlsx`), as an
    attachment named after the brand's file (RFC 6266 `filename` and UTF-8 `filename*`)."""
    record = await run_in_threadpool(visible_upload, request, who, upload_id)
    if record["status"] == "running":
        raise HTTPException(
            409, f"upload {upload_id} is still running: its report comes when it ends"
        )
    if not record.get("report_uri"):
        why = (
            f"the pipeline failed: {record.get('failure_reason')}"
            if record["status"] == "failed"
            else "it had nothing to report (no problem, warning or image not stored)"
        )
        raise HTTPException(404, f"upload {upload_id} has no report: {why}")
    data = await run_in_threadpool(api_state(request).store.get, report_key(upload_id))
    return Response(
        data,
        media_type=CONTENT_TYPE,
        headers={
            "Content-Disposition": content_disposition(report_file_name(record["file_name"])),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@report_router.get(
    "/uploads/{upload_id}/images",
    tags=["uploads"],
    summary="The image slots the upload's rows referenced that are not stored, by row and column",
)
def get_image_problems(request: Request, who: Identity, upload_id: str) -> list[dict[str, Any]]:
    """One object per slot: `row`, `column`, `url` (and `source_url`), `status`, `reason`,
    `product_id` (see `reports/upload_images.py`). A slot stored since is left out."""
    record = visible_upload(request, who, upload_id)
    return images_not_stored(api_state(request).engine, record)
