"""`POST /uploads/{id}/review`: approve or decline a held upload (admin tokens only).

The body is what `briskk review UPLOAD_ID --approve|--decline --json` prints, from the same
functions (`decide.py`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from briskk_pipeline.api.auth import Identity
from briskk_pipeline.api.lookups import can_exist
from briskk_pipeline.api.state import api_state
from briskk_pipeline.review import decide

review_router = APIRouter()


@review_router.post(
    "/uploads/{upload_id}/review",
    tags=["uploads"],
    summary="Approve or decline an upload held for review (admin tokens only)",
    responses={
        200: {"description": "Decided: `{upload_id, decision, status, refused: null}`"},
        403: {"description": "Not an admin token"},
        404: {"description": "No upload with this id"},
        409: {
            "description": "Not held for review, or the approval was refused (the catalog "
            "changed since the diff was shown; `force=true` loads it anyway)"
        },
    },
)
async def review(
    request: Request,
    who: Identity,
    upload_id: str,
    decision: Annotated[Literal["approve", "decline"], Query(description="approve | decline")],
    force: Annotated[bool, Query(description="approve even if the catalog changed")] = False,
) -> JSONResponse:
    if not who.admin:
        raise HTTPException(403, "deciding a held upload needs an admin token")
    if not can_exist(upload_id):  # the catalog cannot hold it: unknown (api/lookups.py)
        raise HTTPException(404, f"no upload {upload_id!r} (see `briskk review`)")
    state = api_state(request)
    by = f"api token {who.token_id}" + (f" ({who.name})" if who.name else "")
    try:
        if decision == "decline":
            outcome = await run_in_threadpool(decide.decline, state.engine, upload_id, by=by)
        else:
            outcome = await run_in_threadpool(
                decide.approve, state.instance, state.engine, upload_id, by=by, force=force
            )
    except decide.ReviewError as error:
        code = 404 if str(error).startswith("no upload") else 409
        raise HTTPException(code, str(error)) from error
    body: dict[str, Any] = {
        "upload_id": outcome.upload_id,
        "decision": outcome.decision,
        "status": outcome.status,
        "refused": outcome.refused,
    }
    return JSONResponse(body, status_code=409 if outcome.refused else 200)
