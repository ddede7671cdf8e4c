"""Recording what a change set did, inside its own transaction (History issue, item 1).

A change set is one upload's load (`catalog/load.py`) or one rollback (`history/rollback.py`).
Both go through the same two calls, set-based (a few statements whatever the number of rows):

1. `capture_before` — after the touched rows' before-images are copied by
   `catalog.changes.snapshot_before` (temporary tables `briskk_before_products` /
   `briskk_before_skus`), also copy the touched products' image slots (`briskk_before_slots`).
2. `record_changes` — after the writes, one `INSERT … SELECT` per entity into
   `catalog_history`: every SKU row the change set rewrote (`last_upload_id` = the change set
   and `updated_at` = this transaction's `now()`: the merge skips unchanged rows, so a rewritten
   row is a changed row) and every touched product whose row was rewritten or whose image slots
   differ (position, URL, status, sha256). Unchanged rows record nothing.

Row images are JSONB: the row's data columns (audit columns and the tenant left out, nulls
stripped: a missing key is null); a product's image also holds `images`, its slots ordered by
position, so rolling a product back restores its slots with it ("slots follow the rows").

Recording can be turned off with `BRISKK_RECORD_HISTORY=0` for the benchmark only
(`bench/history_bench.py` measures the load with and without it); a catalog loaded that way
cannot roll those uploads back.
"""

from __future__ import annotations

import os
from typing import Final

import sqlalchemy as sa

from briskk_pipeline import template

RECORD_SETTING: Final = "BRISKK_RECORD_HISTORY"
# Columns that say who wrote a row and when, not what it holds: never part of a row image.
AUDIT_KEYS: Final[tuple[str, ...]] = (
    "tenant",
    "first_upload_id",
    "last_upload_id",
    "created_at",
    "updated_at",
)
BEFORE_SLOTS: Final = "briskk_before_slots"

PRODUCT_IMAGE_KEYS: Final[tuple[str, ...]] = template.PRODUCT_COLUMNS
SKU_IMAGE_KEYS: Final[tuple[str, ...]] = ("product_id", *template.SKU_COLUMNS)


def _image(alias: str, keys: tuple[str, ...]) -> str:
    """SQL for the row image of `alias`: its data columns (no audit columns, no tenant), nulls
    left out. Built in one `jsonb_build_object` (measured: removing the audit keys from
    `to_jsonb(row)` copies the value once per key, about twice the cost)."""
    pairs = ", ".join(f"'{k}', {alias}.\"{k}\"" for k in keys)
    return f"jsonb_strip_nulls(jsonb_build_object({pairs}))"


def recording_enabled() -> bool:
    """False only when `BRISKK_RECORD_HISTORY` is `0` (benchmark setting, module docstring)."""
    return os.environ.get(RECORD_SETTING, "1").strip() != "0"


def capture_before(connection: sa.Connection, *, tenant: str, stage_products: str) -> None:
    """Copy the image slots of the products listed in the table `stage_products` (a temporary
    table with a `product_id` column) into `briskk_before_slots`, dropped at commit.

    Call in the change set's transaction, after `changes.snapshot_before` and before any write.
    """
    connection.execute(
        sa.text(
            f"CREATE TEMPORARY TABLE {BEFORE_SLOTS} ON COMMIT DROP AS "
            "SELECT s.* FROM product_images s "
            "WHERE s.tenant = :tenant "
            f"AND s.product_id IN (SELECT product_id FROM {stage_products})"
        ),
        {"tenant": tenant},
    )


_SLOT_LOOK = "product_id, position, source_url, status, sha256"

# The row image of the catalog row as it is now (`read.py`: an inserted row's after-image).
CURRENT_SKU_IMAGE: Final = (
    f"(SELECT {_image('c', SKU_IMAGE_KEYS)} FROM skus c "
    "WHERE c.tenant = h.tenant AND c.sku_id = h.key)"
)
CURRENT_PRODUCT_IMAGE: Final = (
    f"(SELECT {_image('c', PRODUCT_IMAGE_KEYS)} || jsonb_build_object('images', "
    "coalesce((SELECT jsonb_agg(jsonb_strip_nulls(to_jsonb(s) - 'tenant' - 'product_id') "
    "ORDER BY s.position) FROM product_images s WHERE s.tenant = c.tenant "
    "AND s.product_id = c.product_id), '[]'::jsonb)) FROM products c "
    "WHERE c.tenant = h.tenant AND c.product_id = h.key)"
)


def _slot_images(source: str, products: str) -> str:
    """Per product of `products` (a subquery of ids): its slots from `source` as JSON."""
    return (
        "SELECT s.product_id, "
        "jsonb_agg(jsonb_strip_nulls(to_jsonb(s) - 'tenant' - 'product_id') "
        f"ORDER BY s.position) AS slots FROM {source} s "
        f"WHERE s.product_id IN ({products}) GROUP BY s.product_id"
    )


def record_changes(
    connection: sa.Connection, *, tenant: str, change_set_id: str, stage_products: str
) -> tuple[int, int]:
    """Write the change set's product and SKU changes to `catalog_history`; returns how many
    (products, SKUs). `stage_products` is the temporary table of the touched product ids given
    to `capture_before`. Call after every write of the change set, in its transaction.

    An inserted row is recorded without images (`before` and `after` null): its after-image
    is the next change's before-image, or the row as it is now (`read.py` reads it so). This
    keeps a first load of 100k rows within its cost budget; every update, disabling and
    re-enabling keeps both images.
    """
    params = {"tenant": tenant, "change_set": change_set_id}
    # Temporary tables have no statistics until analyzed: without them the planner joins them
    # by nested loops (measured: 33 s instead of 0.3 s for 10k changed SKUs).
    # Only the join keys: enough for row counts and key statistics, a third of a full ANALYZE.
    for table, keys in (
        ("briskk_before_products", "tenant, product_id"),
        ("briskk_before_skus", "tenant, sku_id"),
        (BEFORE_SLOTS, "product_id"),
        (stage_products, "product_id"),
    ):
        connection.execute(sa.text(f"ANALYZE {table} ({keys})"))
    now_slots = (
        "(SELECT * FROM product_images WHERE tenant = :tenant "
        f"AND product_id IN (SELECT product_id FROM {stage_products}))"
    )
    changed = (
        "SELECT t.product_id FROM products t "
        "JOIN briskk_before_products b ON b.tenant = t.tenant AND b.product_id = t.product_id "
        f"WHERE t.tenant = :tenant AND t.product_id IN (SELECT product_id FROM {stage_products}) "
        "AND t.last_upload_id = :change_set AND t.updated_at = now() "
        # slots that differ (as a set) from before, of products that existed before
        f"UNION SELECT d.product_id FROM ((SELECT {_SLOT_LOOK} FROM {BEFORE_SLOTS} "
        f"EXCEPT SELECT {_SLOT_LOOK} FROM {now_slots} n) UNION ALL "
        f"(SELECT {_SLOT_LOOK} FROM {now_slots} n "
        f"EXCEPT SELECT {_SLOT_LOOK} FROM {BEFORE_SLOTS})) d "
        "JOIN briskk_before_products b ON b.product_id = d.product_id"
    )
    products = connection.execute(
        sa.text(
            f"WITH changed AS ({changed}), "
            f"after_slots AS ({_slot_images(now_slots, 'SELECT product_id FROM changed')}), "
            f"before_slots AS ({_slot_images(BEFORE_SLOTS, 'SELECT product_id FROM changed')}) "
            "INSERT INTO catalog_history "
            "(tenant, change_set_id, entity, key, product_id, action, before, after, recorded_at) "
            "SELECT t.tenant, :change_set, 'product', t.product_id, t.product_id, 'updated', "
            f"{_image('b', PRODUCT_IMAGE_KEYS)}"
            " || jsonb_build_object('images', coalesce(bs.slots, '[]'::jsonb)), "
            f"{_image('t', PRODUCT_IMAGE_KEYS)} "
            "|| jsonb_build_object('images', coalesce(a.slots, '[]'::jsonb)), now() "
            "FROM changed c JOIN products t ON t.tenant = :tenant AND t.product_id = c.product_id "
            "JOIN briskk_before_products b ON b.tenant = t.tenant "
            "AND b.product_id = t.product_id "
            "LEFT JOIN before_slots bs ON bs.product_id = t.product_id "
            "LEFT JOIN after_slots a ON a.product_id = t.product_id "
            # inserted products: the key only (docstring)
            "UNION ALL SELECT t.tenant, :change_set, 'product', t.product_id, t.product_id, "
            "'inserted', NULL, NULL, now() FROM products t "
            "WHERE t.tenant = :tenant AND t.first_upload_id = :change_set "
            "AND t.created_at = now() "
            "ORDER BY 4"
        ),
        params,
    ).rowcount
    skus = connection.execute(
        sa.text(
            "INSERT INTO catalog_history "
            "(tenant, change_set_id, entity, key, product_id, action, before, after, recorded_at) "
            "SELECT t.tenant, :change_set, 'sku', t.sku_id, t.product_id, "
            "CASE WHEN b.sku_id IS NULL THEN 'inserted' "
            "WHEN t.is_disabled AND NOT b.is_disabled THEN 'disabled' "
            "WHEN b.is_disabled AND NOT t.is_disabled THEN 'enabled' ELSE 'updated' END, "
            "CASE WHEN b.sku_id IS NULL THEN NULL "
            f"ELSE {_image('b', SKU_IMAGE_KEYS)} END, "
            "CASE WHEN b.sku_id IS NULL THEN NULL "
            f"ELSE {_image('t', SKU_IMAGE_KEYS)} END, now() "
            "FROM skus t "
            "LEFT JOIN briskk_before_skus b ON b.tenant = t.tenant AND b.sku_id = t.sku_id "
            "WHERE t.tenant = :tenant AND t.last_upload_id = :change_set "
            "AND t.updated_at = now() "
            "ORDER BY t.sku_id"
        ),
        params,
    ).rowcount
    return products, skus
