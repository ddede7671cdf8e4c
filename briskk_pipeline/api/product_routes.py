"""`GET /products` (a page at a time, keyset cursor) and `GET /products/{id}` (HTTP issue).

Bodies are the SPEC §4 product objects `briskk products --json` prints
(`catalog.queries.list_products`).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response

from briskk_pipeline.api.auth import Identity, tenant_scope
from briskk_pipeline.api.lookups import can_exist
from briskk_pipeline.api.state import api_state
from briskk_pipeline.catalog import queries

products_router = APIRouter()
DEFAULT_PAGE = 100
MAX_PAGE = 1000


def encode_cursor(tenant: str, product_id: str) -> str:
    raw = json.dumps([tenant, product_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The (tenant, product_id) a cursor continues after; `400` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tenant, product_id = json.loads(raw)
        if isinstance(tenant, str) and isinstance(product_id, str):
            return tenant, product_id
    except (binascii.Error, ValueError, TypeError):
        pass
    raise HTTPException(400, "the cursor is not one this API returned; start without it")


@products_router.get(
    "/products",
    tags=["products"],
    summary="The catalog (`briskk products`), a page at a time",
    description="A list of SPEC §4 products ordered by tenant and product_id. When more "
    'follow, the response has `X-Next-Cursor: <cursor>` and a `Link: <…>; rel="next"` '
    "header; pass the cursor back as `?cursor=` for the next page.",
)
def list_products(
    request: Request,
    response: Response,
    who: Identity,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(description="from the previous page")] = None,
    updated_since: Annotated[
        datetime | None,
        Query(description="ISO 8601 with a timezone: products or SKUs changed since then"),
    ] = None,
    tenant: Annotated[str | None, Query(description="admin tokens: only this tenant")] = None,
    color_family: Annotated[
        str | None, Query(description="products with a SKU of this colour family, e.g. Blue")
    ] = None,
    size_normalised: Annotated[
        str | None, Query(description="products with a SKU of this normalised size, e.g. XXL")
    ] = None,
) -> list[dict[str, Any]]:
    if updated_since is not None and updated_since.utcoffset() is None:
        raise HTTPException(400, "updated_since needs a timezone, e.g. 2026-12-01T00:00:00Z")
    scope = tenant_scope(who, tenant)
    found = queries.list_products(
        api_state(request).engine,
        scope,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
        updated_since=updated_since,
        color_family=color_family,
        size_normalised=size_normalised,
    )
    page = found[:limit]
    if len(found) > limit:
        last = page[-1]
        token = encode_cursor(last["tenant"], last["product_id"])
        params = {"limit": str(limit), "cursor": token}
        if updated_since is not None:
            params["updated_since"] = updated_since.isoformat()
        if tenant:
            params["tenant"] = tenant
        if color_family is not None:
            params["color_family"] = color_family
        if size_normalised is not None:
            params["size_normalised"] = size_normalised
        response.headers["X-Next-Cursor"] = token
        response.headers["Link"] = f'</products?{urlencode(params)}>; rel="next"'
    return page


@products_router.get(
    "/products/{product_id}", tags=["products"], summary="One product with its SKUs"
)
def get_product(
    request: Request,
    who: Identity,
    product_id: str,
    tenant: Annotated[str | None, Query(description="admin tokens: the product's tenant")] = None,
) -> dict[str, Any]:
    scope = tenant_scope(who, tenant)
    found = (
        queries.list_products(api_state(request).engine, scope, product_id=product_id, limit=2)
        if can_exist(product_id)
        else []
    )
    if not found:
        raise HTTPException(404, f"no product with id {product_id!r}")
    if len(found) > 1:
        raise HTTPException(409, f"several tenants have product {product_id!r}: add ?tenant=")
    return found[0]
