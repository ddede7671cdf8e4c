"""Who is asking: the bearer token of each request, and what its tenant may see (HTTP item 4).

`Authorization: Bearer <token>`; no token, an unknown one or a revoked one is `401`; an
address with too many failed checks is `429` for a while (`auth_limit.py`). A brand
token reads and writes only its own tenant (another tenant named explicitly is `403`; another
tenant's upload or product is `404`, so an id never reveals that it exists). An admin token
may name any tenant, or none for all of them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from briskk_pipeline.api.auth_limit import FailedTokenChecks
from briskk_pipeline.api.lookups import can_exist
from briskk_pipeline.api.state import ApiState, api_state
from briskk_pipeline.api.tokens import TokenIdentity, verify_token

_bearer = HTTPBearer(
    auto_error=False,
    description="A token from `briskk tokens create TENANT` (brand) or `--admin`.",
)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


async def identity(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenIdentity:
    """The identity of the request's bearer token, or `401`; `429` (with `Retry-After`)
    while the client's address has too many failed checks (`auth_limit.py`)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("sign in: send 'Authorization: Bearer <token>' (briskk tokens create)")
    failures: FailedTokenChecks = request.app.state.failed_token_checks
    address = request.client.host if request.client else ""
    wait = failures.retry_after(address)
    if wait is not None:
        raise HTTPException(
            429,
            f"too many tokens that are not valid came from your address: try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    state: ApiState = api_state(request)
    found = await run_in_threadpool(verify_token, state.engine, credentials.credentials)
    if found is None:
        failures.failed(address)
        raise _unauthorized("the token is not valid or was revoked; ask for a new one")
    return found


Identity = Annotated[TokenIdentity, Depends(identity)]


def same_tenant(a: str, b: str) -> bool:
    """Tenant names compare without regard to letter case (SPEC §2)."""
    return a.lower() == b.lower()


def tenant_scope(who: TokenIdentity, requested: str | None) -> str | None:
    """The tenant a read is limited to: a brand's own (naming another is `403`); for an admin,
    the one named or None (every tenant)."""
    if who.admin:
        if requested and not can_exist(requested):
            raise HTTPException(400, f"no tenant can be named {requested!r}")
        return requested or None
    if requested and not same_tenant(requested, who.tenant):
        raise HTTPException(403, f"this token is for tenant {who.tenant!r} only")
    return who.tenant


def may_see(who: TokenIdentity, tenant: str) -> bool:
    return who.admin or same_tenant(tenant, who.tenant)
