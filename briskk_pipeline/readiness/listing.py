"""The catalog's not-ready products for `briskk readiness` and `GET /readiness`: each
tenant's current verdicts for the channels it sells on (settings.py)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from briskk_pipeline.readiness.settings import settings_for
from briskk_pipeline.readiness.shapes import listing
from briskk_pipeline.readiness.store import catalog_verdicts


def not_ready_listing(
    engine: sa.Engine,
    *,
    tenant: str | None = None,
    channel: str | None = None,
    include_ready: bool = False,
) -> list[dict[str, Any]]:
    """`shapes.listing` rows of the catalog's current verdicts that are not ready (all with
    `include_ready`), of `tenant` or every tenant, for `channel` or each tenant's channels."""
    rows = catalog_verdicts(
        engine,
        tenant=tenant,
        channels=[channel] if channel is not None else None,
        not_ready_only=not include_ready,
    )
    channels: dict[str, tuple[str, ...]] = {}
    kept = []
    for row in rows:
        key = str(row["tenant"]).lower()
        if key not in channels:
            channels[key] = settings_for(engine, str(row["tenant"])).channels
        if channel is not None or row["channel"] in channels[key]:
            kept.append(row)
    return listing(kept)
