"""Re-runs never overwrite newer data (SPEC §2 "Upsert", issue 19 item 6).

An upload's load refuses, under the tenant's lock and before any catalog row is written, when
a product or SKU it would write was last written by an upload received after it (a later
upload changed the same products or SKUs): `briskk rerun` of an old upload, a
re-materialization of its partition from the Dagster UI and `dagster job execute` of an old
partition all go through this load. Forcing is explicit: `briskk rerun --force`, the run tag
`briskk/force=true`, or `ops: {catalog_load: {config: {force: true}}}`; a forced load is
recorded in `catalog_history` under its upload id like any upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa

from briskk_pipeline.catalog import tables

FORCE_TAG: Final = "briskk/force"
SHOWN: Final = 10  # products and SKUs named in the refusal; the rest counted
REFUSED: Final = "refused: later "  # how every refusal `describe` writes begins
ROLLBACK_PREFIX: Final = "rollback-"  # a rollback's change set id (history/rollback.py)


@dataclass(frozen=True)
class Newer:
    """A product or SKU the load would write that a later upload changed."""

    entity: str  # product | sku
    key: str
    upload_id: str  # the later upload that last wrote it


class NewerDataRefused(Exception):
    """The load would overwrite what later uploads wrote; `found` lists it."""

    def __init__(self, upload_id: str, found: list[Newer]) -> None:
        self.upload_id = upload_id
        self.found = found
        super().__init__(describe(upload_id, found))

    def with_remedy(self, remedy: str) -> str:
        """The same paragraph ending in another way to load it anyway (`describe`)."""
        return describe(self.upload_id, self.found, remedy=remedy)


def rerun_remedy(upload_id: str) -> str:
    """How a re-run loads anyway: the CLI's `--force`, or the run tag from the UI."""
    return f"`briskk rerun {upload_id} --force`, or the run tag {FORCE_TAG}=true"


def describe(upload_id: str, found: list[Newer], *, remedy: str | None = None) -> str:
    """One paragraph naming the products and SKUs (at most `SHOWN` of each) and the uploads,
    ending with `remedy`, how to load it anyway (default: `rerun_remedy`)."""
    parts = []
    for entity, noun in (("product", "products"), ("sku", "SKUs")):
        keys = [f.key for f in found if f.entity == entity]
        if keys:
            named = ", ".join(keys[:SHOWN])
            if len(keys) > SHOWN:
                named += f" and {len(keys) - SHOWN} more"
            parts.append(f"{noun} {named}")
    later = sorted({f.upload_id for f in found})
    rollbacks = [u for u in later if u.startswith(ROLLBACK_PREFIX)]  # later changes too
    who = {0: "uploads", len(later): "rollbacks"}.get(len(rollbacks), "uploads and rollbacks")
    return (
        f"{REFUSED}{who} ({', '.join(later)}) changed {'; '.join(parts)} since upload "
        f"{upload_id}; loading it again would overwrite their newer values. To load it anyway: "
        f"{remedy or rerun_remedy(upload_id)}"
    )


def writers() -> sa.Subquery:
    """Every change set that may have written a catalog row last (`last_upload_id`): uploads
    at their `received_at`, rollbacks at their `created_at` (a rollback restores older values
    on purpose: a later decision an old upload's re-run must not undo either)."""
    ups, rollbacks = tables.uploads, tables.rollbacks
    return sa.union_all(
        sa.select(ups.c.upload_id.label("writer"), ups.c.received_at.label("at")),
        sa.select(rollbacks.c.rollback_id.label("writer"), rollbacks.c.created_at.label("at")),
    ).subquery("writers")


def newer_writes(
    connection: sa.Connection,
    *,
    tenant: str,
    upload_id: str,
    stage_products: sa.Table,
    stage_skus: sa.Table | None,
) -> list[Newer]:
    """The staged products and SKUs whose catalog row a later upload (received after
    `upload_id`, ties broken by upload_id) or a later rollback wrote last; sorted by entity
    and key."""
    uploads = tables.uploads
    written = writers()
    me = uploads.alias("me")
    me_received = sa.select(me.c.received_at).where(me.c.upload_id == upload_id).scalar_subquery()
    found: list[Newer] = []
    pairs: list[tuple[str, sa.Table, sa.Table | None, str]] = [
        ("product", tables.products, stage_products, "product_id"),
        ("sku", tables.skus, stage_skus, "sku_id"),
    ]
    for entity, target, stage, key in pairs:
        if stage is None:
            continue
        later = sa.tuple_(written.c.at, written.c.writer) > sa.tuple_(
            me_received, sa.literal(upload_id, sa.Text)
        )
        rows = connection.execute(
            sa.select(target.c[key], target.c.last_upload_id)
            .select_from(stage)
            .join(target, sa.and_(target.c.tenant == tenant, target.c[key] == stage.c[key]))
            .join(written, written.c.writer == target.c.last_upload_id)
            .where(target.c.last_upload_id != upload_id, later)
            .order_by(target.c[key])
        )
        found.extend(Newer(entity, k, u) for k, u in rows)
    return found
