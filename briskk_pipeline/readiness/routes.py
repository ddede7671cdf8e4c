"""`GET /readiness`: what of a brand's catalog is not ready for which channel (the listing of
`briskk readiness`), for a brand token (its own tenant) or an admin token (any, or all); and
`GET /uploads/{id}/readiness`: one upload's verdicts (the brand page's readiness table)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from briskk_pipeline.api.auth import Identity, tenant_scope
from briskk_pipeline.api.routes import visible_upload
from briskk_pipeline.api.state import api_state
from briskk_pipeline.readiness.listing import not_ready_listing
from briskk_pipeline.readiness.rulesets import channel_names
from briskk_pipeline.readiness.store import upload_readiness_summary

readiness_router = APIRouter()


@readiness_router.get(
    "/readiness",
    tags=["readiness"],
    summary="Products not ready for a marketplace channel (`briskk readiness`)",
    description="Each catalog product of the token's tenant that is not ready for one of the "
    "tenant's channels, with every failing rule (`rule`, `message`, `column`: the image slot "
    "or cell, `source`): the verdict of the newest upload that loaded it. `?all=true` lists "
    "ready ones too.",
)
async def readiness(
    request: Request,
    who: Identity,
    channel: Annotated[str | None, Query(description="only this channel")] = None,
    tenant: Annotated[str | None, Query(description="admin tokens: only this tenant")] = None,
    all: Annotated[bool, Query(description="also the products that are ready")] = False,
) -> list[dict[str, Any]]:
    if channel is not None and channel.lower() not in channel_names():
        raise HTTPException(
            400, f"unknown channel {channel!r}: the channels are {', '.join(channel_names())}"
        )
    scope = tenant_scope(who, tenant)
    return await run_in_threadpool(
        not_ready_listing,
        api_state(request).engine,
        tenant=scope,
        channel=channel.lower() if channel is not None else None,
        include_ready=all,
    )


@readiness_router.get(
    "/uploads/{upload_id}/readiness",
    tags=["readiness"],
    summary="One upload's marketplace readiness (the `readiness` of `briskk ingest --json`)",
    description="`{channels, ready: {channel: n}, not_ready: {channel: n}, products: "
    '[{product_id, row, channels: {channel: "ready" | [failure, …]}}]}` for the products '
    "this upload checked. Another tenant's upload answers as an unknown id (404).",
)
async def upload_readiness(request: Request, who: Identity, upload_id: str) -> dict[str, Any]:
    engine = api_state(request).engine
    await run_in_threadpool(visible_upload, request, who, upload_id)
    return await run_in_threadpool(upload_readiness_summary, engine, upload_id)
