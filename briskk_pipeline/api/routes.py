"""The endpoints: `POST /ingest`, `/uploads…`, `/me`, `/healthz` (HTTP issue, item 2).

`/products…` are in `product_routes.py`, product history and rollback in `history_routes.py`.

Bodies are the SPEC §4 objects the CLI prints, built by the same functions
(`catalog.uploads.ingest_summary` / `spec_upload`, `catalog.queries.list_products`).
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import PurePath
from typing import Annotated, Any, Final, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from briskk_pipeline.api.auth import Identity, may_see, same_tenant, tenant_scope
from briskk_pipeline.api.lookups import can_exist
from briskk_pipeline.api.runs import SOURCE, queue_upload
from briskk_pipeline.api.state import ApiState, api_state
from briskk_pipeline.api.upload import receive_upload
from briskk_pipeline.catalog import uploads
from briskk_pipeline.ingest.launch import start_upload
from briskk_pipeline.ingest.register import RegistrationError
from briskk_pipeline.readiness.store import upload_readiness_summary

router = APIRouter()
MAX_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.25
DEFAULT_UPLOADS_PAGE = 50  # `briskk uploads --limit 50`, the brand page's list
MAX_PAGE = 1000


def _not_found(upload_id: str) -> HTTPException:
    return HTTPException(404, f"no upload with id {upload_id!r}")


# ------------------------------------------------------------------------------- ingest


@router.post(
    "/ingest",
    status_code=202,
    tags=["uploads"],
    summary="Upload a spreadsheet (multipart field `file`) and run it through ingest_job",
    responses={
        200: {"description": "The run ended within `wait`: the SPEC §4 ingest summary"},
        202: {"description": "Accepted and running: `{upload_id, status}`; see `Location`"},
        400: {"description": "Not multipart, no file, an empty file or an invalid tenant"},
        401: {"description": "No token, or a revoked one"},
        403: {"description": "A brand token naming another tenant"},
        413: {"description": "The file is larger than BRISKK_MAX_UPLOAD_BYTES"},
        500: {"description": "The pipeline failed: the summary with `failure_reason`"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "tenant": {
                                "type": "string",
                                "description": "admin tokens only: the uploading tenant",
                            },
                        },
                    }
                }
            },
        }
    },
)
async def ingest(
    request: Request,
    who: Identity,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for the result")
    ] = 0,
    tenant: Annotated[str | None, Query(description="admin tokens only (or a form field)")] = None,
    mode: Annotated[
        Literal["merge", "replace"],
        Query(
            description="merge (default): catalog SKUs the file leaves out are kept as they "
            "are; replace: the file replaces each product it contains (its SKUs left out are "
            "disabled, every one listed in `changes.disabled_absent`)"
        ),
    ] = "merge",
) -> Response:
    """Register the upload exactly as `briskk ingest` does and start its `ingest_job` run.

    `202` with `{upload_id, status: "running"}` and `Location: /uploads/{id}`; with
    `?wait=SECONDS` (at most 60) `200` and the final summary if the run ends in time (a
    rejected upload is `200` with `status: "rejected"`: it was processed).
    """
    started = time.monotonic()
    state = api_state(request)
    received = await receive_upload(
        dict(request.headers),
        request.stream(),
        max_bytes=state.settings.max_upload_bytes,
        folder=state.upload_dir,
    )
    try:
        named = received.fields.get("tenant") or tenant or None
        explicit = _uploading_tenant(who.tenant, who.admin, named)
        data = await run_in_threadpool(received.path.read_bytes)
    finally:
        received.path.unlink(missing_ok=True)
    try:
        registration = await run_in_threadpool(
            start_upload,
            data,
            received.file_name,
            explicit_tenant=explicit,
            source=SOURCE,
            store=state.store,
            engine=state.engine,
            instance=state.instance,
            settings=state.settings,
            mode=mode,
        )
    except RegistrationError as error:
        raise HTTPException(400, str(error)) from error
    upload_id = registration.upload_id
    if state.runner is not None:
        future = await run_in_threadpool(
            queue_upload, state.runner, state.engine, upload_id, registration.tenant
        )
        if wait > 0:
            await asyncio.wait([asyncio.wrap_future(future)], timeout=wait)
    record = await _wait_for_outcome(state, upload_id, started + wait)
    return _ingest_response(record, upload_id, time.monotonic() - started)


def _uploading_tenant(token_tenant: str, admin: bool, named: str | None) -> str | None:
    """The explicit tenant of an API upload (SPEC §2: the token's tenant is the identity)."""
    if admin:
        return named
    if named and not same_tenant(named, token_tenant):
        raise HTTPException(403, f"this token may upload for tenant {token_tenant!r} only")
    return token_tenant


async def _wait_for_outcome(state: ApiState, upload_id: str, deadline: float) -> dict[str, Any]:
    """The upload's record once it is no longer `running`, or as it is at `deadline`."""
    while True:
        record = await run_in_threadpool(uploads.get_upload, state.engine, upload_id)
        if record is None:
            raise HTTPException(500, f"upload {upload_id} vanished from the catalog")
        remaining = deadline - time.monotonic()
        if record["status"] != "running":  # per product and channel (readiness/)
            readiness = await run_in_threadpool(upload_readiness_summary, state.engine, upload_id)
            return {**record, "readiness": readiness}
        if remaining <= 0:
            return record
        await asyncio.sleep(min(POLL_SECONDS, remaining))


def _ingest_response(record: dict[str, Any], upload_id: str, seconds: float) -> Response:
    location = {"Location": f"/uploads/{upload_id}"}
    if record["status"] == "running":
        body: dict[str, Any] = {"upload_id": upload_id, "status": "running"}
        return JSONResponse(body, status_code=202, headers=location)
    summary = uploads.ingest_summary(record, seconds=seconds)
    if "readiness" in record:  # as `briskk ingest --json` (readiness/store.py)
        summary["readiness"] = record["readiness"]
    if record["status"] == "failed":
        detail = f"the pipeline failed: {record.get('failure_reason')}"
        return JSONResponse({"detail": detail, **summary}, status_code=500, headers=location)
    return JSONResponse(summary, status_code=200, headers=location)


# ------------------------------------------------------------------------------ uploads


def visible_upload(request: Request, who: Identity, upload_id: str) -> dict[str, Any]:
    """Upload `upload_id`'s record if the token `who` may see it. Raises `HTTPException` 404
    otherwise: another tenant's upload answers exactly as an id nobody has (no existence
    oracle, SPEC §3)."""
    engine = api_state(request).engine
    record = uploads.get_upload(engine, upload_id) if can_exist(upload_id) else None
    if record is None or not may_see(who, record["tenant"]):
        raise _not_found(upload_id)  # another tenant's upload does not exist for this token
    return record


@router.get(
    "/uploads",
    tags=["uploads"],
    summary="Uploads, newest first (`briskk uploads --limit`), a page at a time",
    description="A list of SPEC §4 uploads, newest first (received_at, then upload_id). When "
    'more follow, the response has a `Link: </uploads?limit=…&before=…>; rel="next"` header '
    "(RFC 8288); `before` is the upload_id of the page's last upload: the next page holds the "
    "uploads received before it.",
    responses={400: {"description": "`limit` outside 1..1000, or `before` not a visible upload"}},
)
def list_uploads(
    request: Request,
    response: Response,
    who: Identity,
    tenant: Annotated[str | None, Query(description="admin tokens: only this tenant")] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="uploads per page")
    ] = DEFAULT_UPLOADS_PAGE,
    before: Annotated[
        str | None,
        Query(description="an upload_id (the last of the previous page): only older uploads"),
    ] = None,
) -> list[dict[str, Any]]:
    """A page of the token's uploads; the next page's address in `Link` (RFC 8288 `rel="next"`)
    when more follow. The body stays a plain list (as before paging), so `Link` carries the
    continuation. A `before` id that no upload has and another tenant's upload id answer the
    same `400` (a brand cannot learn whether another brand's id exists)."""
    engine = api_state(request).engine
    scope = tenant_scope(who, tenant)
    if before is not None:
        owner = uploads.upload_tenant(engine, before) if can_exist(before) else None
        if owner is None or not may_see(who, owner):
            raise HTTPException(
                400, f"before={before!r} is not one of your upload ids; start without it"
            )
    found = uploads.list_uploads(engine, scope, limit=limit + 1, before=before)
    page = found[:limit]
    if len(found) > limit:
        params = {"limit": str(limit), "before": page[-1]["upload_id"]}
        if tenant:
            params["tenant"] = tenant
        response.headers["Link"] = f'</uploads?{urlencode(params)}>; rel="next"'
    return [uploads.spec_upload(r) for r in page]


@router.get("/uploads/{upload_id}", tags=["uploads"], summary="One upload (`briskk uploads`)")
def get_upload(request: Request, who: Identity, upload_id: str) -> dict[str, Any]:
    return uploads.spec_upload(visible_upload(request, who, upload_id))


@router.get(
    "/uploads/{upload_id}/original",
    tags=["uploads"],
    summary="The archived original file, with its name",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_original(request: Request, who: Identity, upload_id: str) -> Response:
    record = visible_upload(request, who, upload_id)
    data = api_state(request).store.get(record["archive_key"])
    return Response(
        data,
        media_type=_media_type(record["file_name"]),
        headers={"Content-Disposition": content_disposition(record["file_name"])},
    )


# What a saved file's name must not hold: control characters (C0, DEL, C1), path separators
# and the bidirectional controls that reorder how a name shows (`invoice\u202excod.xlsx` shows
# as `invoicexslx.docx`; Unicode TR 9, "Explicit Directional Formatting Characters").
UNSAFE_IN_FILE_NAMES: Final = re.compile(
    r"[\x00-\x1f\x7f-\x9f/\\\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def content_disposition(file_name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one as RFC 5987 `filename*`;
    characters in `UNSAFE_IN_FILE_NAMES` become `_` in both (the record keeps them)."""
    file_name = UNSAFE_IN_FILE_NAMES.sub("_", file_name)
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _media_type(file_name: str) -> str:
    return {
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",
        ".xls": "application/vnd.ms-excel",
        ".ods": "application/vnd.oasis.opendocument.spreadsheet",
        ".csv": "text/csv",
    }.get(PurePath(file_name).suffix.lower(), "application/octet-stream")


# --------------------------------------------------------------------------- the rest


@router.get("/me", tags=["auth"], summary="The token's tenant and whether it is an admin token")
def me(who: Identity) -> dict[str, Any]:
    return {"token_id": who.token_id, "tenant": who.tenant, "admin": who.admin, "name": who.name}


@router.get(
    "/healthz",
    tags=["health"],
    summary="Catalog and object store reachable (no token needed)",
    responses={503: {"description": "One of them is not reachable"}},
)
def healthz(request: Request) -> Response:
    state = api_state(request)
    checks: dict[str, str] = {}
    try:
        with state.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        checks["catalog"] = "ok"
    except Exception as error:
        checks["catalog"] = f"unreachable: {type(error).__name__}"
    try:
        state.store.exists("healthz/probe")
        checks["object_store"] = "ok"
    except Exception as error:
        checks["object_store"] = f"unreachable: {type(error).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "unavailable", **checks}
    if not healthy:
        body["detail"] = "; ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
    return JSONResponse(body, status_code=200 if healthy else 503)
