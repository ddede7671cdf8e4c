"""Rolling back one change set: every row an upload (or a rollback) changed, put back.

History issue, item 3. In one transaction under the tenant's advisory lock (the same lock as
`catalog/load.py`, so no upload of the tenant interleaves):

- each product and SKU row the change set changed gets its before-image back (its first
  before-image, should the change set have written the row twice); a product's image slots
  come back with it (the images themselves stay in the store: content-addressed, maybe shared);
- rows the change set inserted are disabled, never deleted: an inserted SKU gets
  `is_disabled = true`; an inserted product keeps its row and slots, and all its SKUs (inserted
  with it) are disabled, so `briskk products` shows it with 0 active SKUs;
- the rollback is itself a change set (`rollbacks` row, id `rollback-<tenant>-<UTC>-<hex8>`),
  recorded in `catalog_history` by the same code as a load (`record.py`), so it can be rolled
  back too; the target's record gets `rolled_back_at` / `rolled_back_by` (rolling back a
  rollback clears its target's marks again).

A later change set that touched the same rows is a conflict: the rollback refuses and lists
each (row, field, later change set) unless `force`, which restores the before-images anyway.
`dry_run` does the whole rollback inside a savepoint, reads what it recorded and rolls the
savepoint back (as the load's dry run does): what it shows is what the rollback would do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.catalog import changes
from briskk_pipeline.catalog.tables import rollbacks, uploads
from briskk_pipeline.history import record
from briskk_pipeline.history.read import changed_fields, load_image
from briskk_pipeline.vocab import store as vocab_store

ROWS: Final = "briskk_rollback_rows"
_metadata = sa.MetaData()
_products = sa.Table(
    "briskk_rollback_products",
    _metadata,
    sa.Column("product_id", sa.Text),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
_skus = sa.Table(
    "briskk_rollback_skus",
    _metadata,
    sa.Column("sku_id", sa.Text),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DROP",
)
PRODUCT_DATA: Final = tuple(c for c in template.PRODUCT_COLUMNS if c != "product_id")
SKU_DATA: Final = ("product_id", *(c for c in template.SKU_COLUMNS if c != "sku_id"))


class RollbackError(Exception):
    """An expected refusal before anything is written: no such change set, nothing to roll
    back, already rolled back, still running."""


@dataclass(frozen=True)
class RollbackOutcome:
    """What a rollback did (or, dry run, would do). `status`: `rolled_back` | `refused` (later
    change sets touched the rows; see `conflicts`) | `dry_run`. `conflicts`: `{entity, key,
    product_id, field, old, new, change_set_id}` per later change of a field. `changes`: per row
    changed, `{entity, key, product_id, action, fields: {field: [old, new]}}`."""

    target_id: str
    tenant: str
    status: str
    forced: bool
    rollback_id: str | None = None
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    products_changed: int = 0
    skus_changed: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as `briskk rollback --json` prints it."""
        return asdict(self)


def lock_tenant(connection: sa.Connection, tenant: str) -> None:
    """The transaction-scoped advisory lock `catalog/load.py` takes for each load of `tenant`."""
    key = sa.bindparam("lock_key", f"briskk_pipeline.tenant:{tenant}", type_=sa.Text)
    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))


def _target(connection: sa.Connection, target_id: str) -> dict[str, Any] | None:
    """The change set `target_id` (an upload or a rollback) with its tenant and marks."""
    found = (
        connection.execute(
            sa.select(
                uploads.c.tenant,
                uploads.c.status,
                uploads.c.rolled_back_at,
                uploads.c.rolled_back_by,
                sa.null().label("target_id"),
            ).where(uploads.c.upload_id == target_id)
        )
        .mappings()
        .first()
    )
    if found is None:
        found = (
            connection.execute(
                sa.select(
                    rollbacks.c.tenant,
                    sa.literal("succeeded").label("status"),
                    rollbacks.c.rolled_back_at,
                    rollbacks.c.rolled_back_by,
                    rollbacks.c.target_id,
                ).where(rollbacks.c.rollback_id == target_id)
            )
            .mappings()
            .first()
        )
    return None if found is None else dict(found)


def _set_marks(
    connection: sa.Connection, target_id: str, at: datetime | None, by: str | None
) -> None:
    for table, key in ((uploads, uploads.c.upload_id), (rollbacks, rollbacks.c.rollback_id)):
        connection.execute(
            sa.update(table).where(key == target_id).values(rolled_back_at=at, rolled_back_by=by)
        )


def _unmark(connection: sa.Connection, target_id: str) -> None:
    """`target_id`'s changes are back in force: clear its marks. If it was itself a rollback,
    what it undid is undone again: mark that one with the rollback's time and requester."""
    _set_marks(connection, target_id, None, None)
    undid = connection.execute(
        sa.select(rollbacks.c.target_id, rollbacks.c.created_at, rollbacks.c.requested_by).where(
            rollbacks.c.rollback_id == target_id
        )
    ).first()
    if undid is not None:
        _set_marks(connection, undid.target_id, undid.created_at, undid.requested_by)


def rollback_change_set(
    engine: sa.Engine,
    target_id: str,
    *,
    requested_by: str,
    force: bool = False,
    dry_run: bool = False,
    run_id: str | None = None,
    after_restore: Callable[[sa.Connection], None] | None = None,
) -> RollbackOutcome:
    """Roll back the upload or rollback `target_id` (module docstring); returns the outcome.

    `requested_by` is who asked (kept as `rolled_back_by`); `run_id` the Dagster run doing it.
    `after_restore(connection)` runs after the rows are restored and before anything is
    recorded (tests use it to fail mid-rollback: the transaction then leaves the catalog as it
    was). Raises `RollbackError` for refusals decided before any write (see the class).
    """
    with engine.begin() as connection:
        target = _target(connection, target_id)
        if target is None:
            raise RollbackError(f"no upload or rollback with id {target_id!r} (see briskk uploads)")
        tenant = target["tenant"]
        lock_tenant(connection, tenant)
        target = _target(connection, target_id) or target  # as it is under the lock
        _refuse_if_done(connection, target_id, target)
        connection.execute(
            sa.text(
                f"CREATE TEMPORARY TABLE {ROWS} ON COMMIT DROP AS "
                "SELECT DISTINCT ON (entity, key) entity, key, product_id, product_before, "
                "sku_before, images_before, "
                "max(change_id) OVER (PARTITION BY entity, key) AS last_change "
                "FROM catalog_history WHERE tenant = :tenant AND change_set_id = :target "
                "ORDER BY entity, key, change_id"
            ),
            {"tenant": tenant, "target": target_id},
        )
        if not connection.execute(sa.text(f"SELECT count(*) FROM {ROWS}")).scalar_one():
            raise RollbackError(f"{target_id} changed nothing in the catalog: nothing to roll back")
        conflicts = _conflicts(connection, tenant, target_id)
        if conflicts and not force and not dry_run:
            return RollbackOutcome(target_id, tenant, "refused", forced=False, conflicts=conflicts)
        rollback_id = f"rollback-{tenant}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        savepoint = connection.begin_nested() if dry_run else None
        _stage_rows(connection, tenant)
        _restore(connection, tenant, rollback_id)
        if after_restore is not None:
            after_restore(connection)
        products, skus = record.record_changes(connection, tenant=tenant, change_set_id=rollback_id)
        done = _recorded(connection, rollback_id)
        if savepoint is not None:
            savepoint.rollback()
            return RollbackOutcome(
                target_id,
                tenant,
                "dry_run",
                forced=force,
                conflicts=conflicts,
                changes=done,
                products_changed=products,
                skus_changed=skus,
            )
        now = connection.execute(sa.select(sa.func.now())).scalar_one()
        connection.execute(
            sa.insert(rollbacks).values(
                rollback_id=rollback_id,
                tenant=tenant,
                target_id=target_id,
                created_at=now,
                requested_by=requested_by,
                forced=bool(force and conflicts),
                run_id=run_id,
            )
        )
        _set_marks(connection, target_id, now, requested_by)
        if target["target_id"] is not None:  # a rollback of a rollback
            _unmark(connection, target["target_id"])
    return RollbackOutcome(
        target_id,
        tenant,
        "rolled_back",
        forced=bool(force and conflicts),
        rollback_id=rollback_id,
        conflicts=conflicts,
        changes=done,
        products_changed=products,
        skus_changed=skus,
    )


def _refuse_if_done(connection: sa.Connection, target_id: str, target: dict[str, Any]) -> None:
    if target["status"] == "running":
        raise RollbackError(f"upload {target_id} is still running: wait for it to finish")
    if target["rolled_back_at"] is None:
        return
    by = connection.execute(
        sa.select(rollbacks.c.rollback_id)
        .where(rollbacks.c.target_id == target_id, rollbacks.c.rolled_back_at.is_(None))
        .order_by(rollbacks.c.created_at.desc())
    ).scalar()
    undo = f"; to bring its changes back, roll back {by}" if by else ""
    raise RollbackError(
        f"{target_id} was already rolled back at {target['rolled_back_at']:%Y-%m-%d %H:%M:%S %Z}"
        f" by {target['rolled_back_by']}{undo}"
    )


def _conflicts(connection: sa.Connection, tenant: str, target_id: str) -> list[dict[str, Any]]:
    """Each field of a target row that a later change set changed, oldest change first."""
    later = connection.execute(
        sa.text(
            "SELECT l.entity, l.key, l.product_id, l.change_set_id, "
            f"{record.image_sql('l', 'before')} AS before, "
            f"{record.image_sql('l', 'after')} AS after "
            f"FROM catalog_history l JOIN {ROWS} r ON l.product_id = r.product_id "
            "AND l.entity = r.entity AND l.key = r.key "
            "WHERE l.tenant = :tenant AND l.change_id > r.last_change "
            "AND l.change_set_id <> :target ORDER BY l.change_id"
        ),
        {"tenant": tenant, "target": target_id},
    ).mappings()
    found = []
    for row in later:
        fields = changed_fields(row["entity"], load_image(row["before"]), load_image(row["after"]))
        for name, (old, new) in fields.items():
            found.append(
                {
                    "entity": row["entity"],
                    "key": row["key"],
                    "product_id": row["product_id"],
                    "field": name,
                    "old": old,
                    "new": new,
                    "change_set_id": row["change_set_id"],
                }
            )
    return found


def _stage_rows(connection: sa.Connection, tenant: str) -> None:
    """The touched product and SKU ids, and their before-images (as the load takes them)."""
    for table in (_products, _skus):
        connection.execute(sa.schema.CreateTable(table))
    connection.execute(
        sa.text(
            f"INSERT INTO {_products.name} (product_id) "
            f"SELECT key FROM {ROWS} WHERE entity = 'product' "
            f"UNION SELECT product_id FROM {ROWS} WHERE entity = 'sku' "
            f"UNION SELECT (sku_before).product_id FROM {ROWS} "
            "WHERE entity = 'sku' AND NOT (sku_before IS NULL) "
            f"UNION SELECT s.product_id FROM skus s JOIN {ROWS} r "
            "ON r.entity = 'sku' AND s.tenant = :tenant AND s.sku_id = r.key"
        ),
        {"tenant": tenant},
    )
    connection.execute(
        sa.text(f"INSERT INTO {_skus.name} (sku_id) SELECT key FROM {ROWS} WHERE entity = 'sku'")
    )
    changes.snapshot_before(connection, tenant=tenant, stage_products=_products, stage_skus=_skus)
    record.capture_before(connection, tenant=tenant, stage_products=_products.name)


def _restore_rows(table: str, key: str, entity: str, data: tuple[str, ...]) -> str:
    """`UPDATE` the rows whose before-image differs from them back to it (SQL text).

    `NOT (image IS NULL)`, never `image IS NOT NULL`: for a row value PostgreSQL's IS NOT NULL
    is true only when every field is non-null."""
    quoted = [f'"{c}"' for c in data]
    assign = ", ".join(f"{q} = r.{q}" for q in quoted)
    return (
        f"UPDATE {table} t SET {assign}, last_upload_id = :rollback, updated_at = now() "
        f"FROM (SELECT ({entity}_before).* FROM {ROWS} "
        f"WHERE entity = '{entity}' AND NOT ({entity}_before IS NULL)) r "
        f"WHERE t.tenant = :tenant AND t.{key} = r.{key} "
        f"AND ({', '.join('t.' + q for q in quoted)}) "
        f"IS DISTINCT FROM ({', '.join('r.' + q for q in quoted)})"
    )


def _restore(connection: sa.Connection, tenant: str, rollback_id: str) -> None:
    params = {"tenant": tenant, "rollback": rollback_id}
    connection.execute(
        sa.text(_restore_rows("products", "product_id", "product", PRODUCT_DATA)), params
    )
    # the restored products' image slots, as they were (the images stay in the store)
    connection.execute(
        sa.text(
            f"DELETE FROM product_images s USING {ROWS} r WHERE r.entity = 'product' "
            "AND r.images_before IS NOT NULL AND s.tenant = :tenant AND s.product_id = r.key"
        ),
        params,
    )
    connection.execute(
        sa.text(
            "INSERT INTO product_images (tenant, product_id, position, source_url, status, "
            "reason, sha256, attempts, last_attempt_at, gave_up) "
            "SELECT :tenant, r.key, x.position, x.source_url, x.status, x.reason, x.sha256, "
            "coalesce(x.attempts, 0), x.last_attempt_at, coalesce(x.gave_up, false) "
            f"FROM {ROWS} r, jsonb_populate_recordset(NULL::product_images, r.images_before) x "
            "WHERE r.entity = 'product' AND r.images_before IS NOT NULL"
        ),
        params,
    )
    connection.execute(sa.text(_restore_rows("skus", "sku_id", "sku", SKU_DATA)), params)
    # rows the change set inserted: disabled, never deleted
    connection.execute(
        sa.text(
            f"UPDATE skus t SET is_disabled = true, last_upload_id = :rollback, "
            f"updated_at = now() FROM {ROWS} r WHERE r.entity = 'sku' AND r.sku_before IS NULL "
            "AND t.tenant = :tenant AND t.sku_id = r.key AND NOT t.is_disabled"
        ),
        params,
    )
    # the restored colours and sizes get their family and system back (vocab/store.py)
    vocab_store.refresh(connection, tenant=tenant, stage=_skus)


def _recorded(connection: sa.Connection, change_set_id: str) -> list[dict[str, Any]]:
    """What `record_changes` just wrote for `change_set_id`, as changes with their fields."""
    rows = connection.execute(
        sa.text(
            "SELECT h.entity, h.key, h.product_id, h.action, "
            f"{record.image_sql('h', 'before')} AS before, "
            f"{record.image_sql('h', 'after')} AS after "
            "FROM catalog_history h WHERE h.change_set_id = :id ORDER BY h.entity, h.key"
        ),
        {"id": change_set_id},
    ).mappings()
    return [
        {
            "entity": row["entity"],
            "key": row["key"],
            "product_id": row["product_id"],
            "action": row["action"],
            "fields": changed_fields(
                row["entity"], load_image(row["before"]), load_image(row["after"])
            ),
        }
        for row in rows
    ]
