"""History issue, item 4: `GET /products/{id}/history` and `POST /uploads/{id}/rollback`.

The bodies are what `briskk history --product P --json` and `briskk rollback U --json` print,
built by the same functions; the rollback runs `rollback_upload_job` on the server's Dagster
instance, as the CLI does, and needs an admin token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from briskk_pipeline.api.auth import Identity, tenant_scope
from briskk_pipeline.api.lookups import can_exist
from briskk_pipeline.api.state import api_state
from briskk_pipeline.catalog import queries

history_router = APIRouter()
MAX_CHANGES = 10_000


@history_router.get(
    "/products/{product_id}/history",
    tags=["products"],
    summary="Every recorded change of a product and its SKUs, oldest first (`briskk history`)",
    responses={404: {"description": "No such product for this token's tenant"}},
)
def product_history(
    request: Request,
    who: Identity,
    product_id: str,
    tenant: Annotated[str | None, Query(description="admin tokens: the product's tenant")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES, description="newest N only")] = 1000,
) -> list[dict[str, Any]]:
    from briskk_pipeline.history.read import list_history

    engine = api_state(request).engine
    scope = tenant_scope(who, tenant)
    if not can_exist(product_id) or not queries.list_products(
        engine, scope, product_id=product_id, limit=1
    ):
        raise HTTPException(404, f"no product with id {product_id!r}")
    return list_history(engine, tenant=scope, product_id=product_id, limit=limit)


@history_router.post(
    "/uploads/{upload_id}/rollback",
    tags=["uploads"],
    summary="Roll back an upload through rollback_upload_job (admin tokens only)",
    responses={
        200: {"description": "Rolled back (or, `dry_run`, what it would do): the outcome"},
        403: {"description": "Not an admin token"},
        404: {"description": "No upload or rollback with this id"},
        409: {
            "description": "Refused: later uploads changed the rows (`conflicts`), nothing "
            "to roll back, already rolled back, or still running"
        },
        500: {"description": "The rollback run failed; nothing was changed"},
    },
)
async def rollback(
    request: Request,
    who: Identity,
    upload_id: str,
    force: Annotated[bool, Query(description="also restore rows later uploads changed")] = False,
    dry_run: Annotated[bool, Query(description="show what it would do only")] = False,
) -> JSONResponse:
    from briskk_pipeline.history.jobs import RollbackRunError, launch_rollback

    if not who.admin:
        raise HTTPException(403, "rolling back an upload needs an admin token")
    if not can_exist(upload_id):  # the rollback job would fail on it: answer as unknown
        raise HTTPException(
            404, f"no upload or rollback with id {upload_id!r} (see briskk uploads)"
        )
    state = api_state(request)
    requested_by = f"api token {who.token_id}" + (f" ({who.name})" if who.name else "")
    try:
        outcome, run_id = await run_in_threadpool(
            launch_rollback,
            state.instance,
            upload_id,
            force=force,
            dry_run=dry_run,
            requested_by=requested_by,
            tags={"briskk/source": "api"},
        )
    except RollbackRunError as error:
        if error.code == 3:
            raise HTTPException(500, str(error)) from error
        if error.outcome is None and str(error).startswith("no upload or rollback"):
            raise HTTPException(404, str(error)) from error
        return JSONResponse({"detail": str(error), **(error.outcome or {})}, status_code=409)
    return JSONResponse({**outcome, "run_id": run_id})
