"""The hooks `catalog_load` gives the load (`load_upload(hold=…)`): hold an upload that crosses
its tenant's limits, or, for an approved one, check the diff is still the one shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from briskk_pipeline.catalog.load import Hold
from briskk_pipeline.review.decide import CatalogChangedSinceReview
from briskk_pipeline.review.limits import reasons, tenant_limits


def tenant_hold(tenant: str) -> Hold:
    """Hold when the load crosses `tenant`'s limits (`limits.reasons`)."""

    def hold(
        connection: sa.Connection, summary: Mapping[str, Any], active_before: int
    ) -> list[str]:
        return reasons(connection, summary, active_before, tenant_limits(connection, tenant))

    return hold


def approval_check(upload_id: str, expected: str | None, *, force: bool) -> Hold:
    """Never hold; refuse (raise `CatalogChangedSinceReview`, the load rolled back) unless the
    rows the load touches are as they were when upload `upload_id` was held (`expected`: the
    held summary's `catalog_fingerprint`), or `force`."""

    def check(
        connection: sa.Connection, summary: Mapping[str, Any], active_before: int
    ) -> list[str]:
        if not force and summary.get("catalog_fingerprint") != expected:
            raise CatalogChangedSinceReview(
                f"refused: the catalog rows upload {upload_id} changes were changed after it was "
                "held, so approving would load a diff other than the one shown; run it again "
                f"to see the new diff, or approve with --force (`briskk review {upload_id} "
                "--approve --force`)"
            )
        return []

    return check
