"""The brand profile over HTTP (issue 22): read it, accept mappings, re-run the upload.

- `GET /profile` — the current profile (`briskk profile show --json`);
- `GET /profile/history` — every version (`briskk profile history --json`);
- `PUT /profile` — a whole profile document (JSON or YAML, as `briskk profile export`
  writes it): `dry_run=true` answers the differences only; otherwise they are stored, unless the
  document's `version` is not the current one (409: it changed since);
- `GET /profile/proposals/{upload_id}` — what the header of an upload rejected for its
  header would map where (the brand page's mapping form), with the template's columns;
- `POST /profile/map` — accept mappings (`briskk profile map`), optionally re-running the
  upload they answer (`rerun`, as `briskk rerun` does) and answering its summary.

A brand token reads and writes its own tenant's profile only; an admin token names the tenant
(`?tenant=`, or the rerun upload's). Every write goes through `accept.accept` / `store.save`,
as the CLI's do, and records the token as who changed it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from briskk_pipeline import template
from briskk_pipeline.api.auth import Identity, same_tenant
from briskk_pipeline.api.routes import visible_upload
from briskk_pipeline.api.state import api_state
from briskk_pipeline.api.tokens import TokenIdentity
from briskk_pipeline.catalog import uploads
from briskk_pipeline.profiles import accept, document, proposal_store, store
from briskk_pipeline.profiles.model import ProfileError

profile_router = APIRouter()
TenantQuery = Annotated[str | None, Query(description="admin tokens: the tenant")]


def _by(who: TokenIdentity) -> str:
    return f"api token {who.token_id}" + (f" ({who.name})" if who.name else "")


def _tenant(who: TokenIdentity, named: str | None) -> str:
    """The tenant whose profile a request means: a brand token's own; an admin's named one."""
    if who.admin:
        if not named:
            raise HTTPException(400, "an admin token names the tenant (?tenant=)")
        if not template.is_valid_tenant(named):
            raise HTTPException(400, f"{named!r} is not a tenant name")
        return named
    if named and not same_tenant(named, who.tenant):
        raise HTTPException(403, f"this token is for tenant {who.tenant!r} only")
    return who.tenant


@profile_router.get("/profile", tags=["profile"], summary="The tenant's brand profile")
def get_profile(request: Request, who: Identity, tenant: TenantQuery = None) -> dict[str, Any]:
    name = _tenant(who, tenant)
    version, body = store.current_body(api_state(request).engine, name)
    return {"tenant": name, "version": version, **body}


@profile_router.get(
    "/profile/history", tags=["profile"], summary="Every version: who, when, what changed"
)
def get_history(request: Request, who: Identity, tenant: TenantQuery = None) -> list[Any]:
    return store.history(api_state(request).engine, _tenant(who, tenant))


@profile_router.put(
    "/profile",
    tags=["profile"],
    summary="Replace the profile with a document (`dry_run=true`: the differences only)",
    responses={
        400: {"description": "A document the profile cannot hold (the reason is said)"},
        409: {"description": "The document's version is not the current one"},
    },
)
async def put_profile(
    request: Request,
    who: Identity,
    tenant: TenantQuery = None,
    dry_run: Annotated[bool, Query(description="only answer the differences")] = False,
) -> dict[str, Any]:
    name = _tenant(who, tenant)
    text = (await request.body()).decode("utf-8", errors="replace")
    try:
        body, exported = document.from_yaml(text)  # JSON is YAML
    except ProfileError as error:
        raise HTTPException(400, str(error)) from error
    engine = api_state(request).engine
    version, old = await run_in_threadpool(store.current_body, engine, name)
    if dry_run:
        changes = document.diff(old, body)
        return {"tenant": name, "version": version, "changes": changes, "stored": False}
    try:
        saved = await run_in_threadpool(
            lambda: store.save(engine, name, body, by=_by(who), expected_version=exported)
        )
    except ProfileError as error:
        raise HTTPException(409, str(error)) from error
    return {
        "tenant": name,
        "version": saved.version,
        "changes": saved.changes,
        "stored": bool(saved.changes),
    }


@profile_router.get(
    "/profile/proposals/{upload_id}",
    tags=["profile"],
    summary="What the header of an upload rejected for its header would map where",
    responses={404: {"description": "No such upload, or its header was not rejected"}},
)
def get_proposal(request: Request, who: Identity, upload_id: str) -> dict[str, Any]:
    engine = api_state(request).engine
    record = visible_upload(request, who, upload_id)  # another tenant's: as an unknown id
    found = proposal_store.stored(engine, upload_id)
    if found is None:
        raise HTTPException(404, f"upload {upload_id} was not rejected for its header")
    return {
        "upload_id": upload_id,
        "tenant": record["tenant"],
        **found,
        "columns": [
            {"name": c.name, "required": c.required, "description": c.description}
            for c in template.COLUMNS
        ],
    }


class MapRequest(BaseModel):
    """Mappings a person accepted (`briskk profile map`)."""

    aliases: dict[str, str] = Field(default_factory=dict, description="brand header -> column")
    ignore: list[str] = Field(default_factory=list, description="brand headers to ignore")
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="column -> brand value -> value"
    )
    rerun: str | None = Field(None, description="an upload to run again with the profile")


@profile_router.post(
    "/profile/map",
    tags=["profile"],
    summary="Accept mappings into the profile; optionally re-run the upload they answer",
    responses={
        200: {"description": "`{tenant, version, changes, upload}` (upload: its summary)"},
        400: {"description": "A mapping to no template column, or nothing to map"},
        404: {"description": "No such upload for this token"},
        409: {"description": "The upload cannot be re-run now (the reason is said)"},
    },
)
async def post_map(
    request: Request,
    who: Identity,
    mapping: Annotated[MapRequest, Body()],
    tenant: TenantQuery = None,
) -> dict[str, Any]:
    state = api_state(request)
    record = None
    if mapping.rerun is not None:
        record = await run_in_threadpool(visible_upload, request, who, mapping.rerun)
        if who.admin and not tenant:
            tenant = record["tenant"]
    name = _tenant(who, tenant)
    if record is not None and not same_tenant(record["tenant"], name):
        raise HTTPException(400, f"upload {mapping.rerun} is not tenant {name}'s")
    try:
        saved = await run_in_threadpool(
            lambda: accept.accept(
                state.engine,
                name,
                aliases=mapping.aliases,
                ignore=mapping.ignore,
                values=mapping.values,
                by=_by(who),
                upload_id=mapping.rerun,
            )
        )
    except ProfileError as error:
        raise HTTPException(400, str(error)) from error
    answer: dict[str, Any] = {"tenant": name, "version": saved.version, "changes": saved.changes}
    if mapping.rerun is not None:
        answer["upload"] = await run_in_threadpool(_rerun, request, mapping.rerun)
    return answer


def _rerun(request: Request, upload_id: str) -> dict[str, Any]:
    """Run the upload again in this server's process (`briskk rerun`) and its summary."""
    import time

    from briskk_pipeline.ingest.rerun import RerunFailed, RerunRefused, rerun_upload

    state = api_state(request)
    started = time.monotonic()
    try:
        rerun_upload(state.instance, state.engine, upload_id, source="api")
    except RerunRefused as error:
        raise HTTPException(409, str(error)) from error
    except RerunFailed as error:  # the upload keeps its earlier result
        raise HTTPException(500, str(error)) from error
    record = uploads.get_upload(state.engine, upload_id)
    if record is None:
        raise HTTPException(500, f"upload {upload_id} vanished from the catalog")
    return uploads.ingest_summary(record, seconds=time.monotonic() - started)
