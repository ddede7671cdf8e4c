"""Recording what a change set did, inside its own transaction (History issue, item 1).

A change set is one upload's load (`catalog/load.py`) or one rollback (`history/rollback.py`).
Both go through the same two calls, set-based (a few statements whatever the number of rows):

1. `capture_before` — after the touched rows' before-images are copied by
   `catalog.changes.snapshot_before` (temporary tables `briskk_before_products` /
   `briskk_before_skus`), also copy the touched products' image slots (`briskk_before_slots`).
2. `record_changes` — after the writes, one `INSERT … SELECT` per entity into
   `catalog_history`: every SKU row the change set rewrote (`last_upload_id` = the change set
   and `updated_at` = this transaction's `now()`: the merge skips unchanged rows, so a rewritten
   row is a changed row) and every product it rewrote or inserted, with the product's image
   slots before and after. Unchanged rows record nothing. An inserted row is recorded by its
   key only: its after-image is its next change's before-image, or the row as it is now
   (`image_sql`), which keeps a first load of 100k rows near the budget.

Row images are the catalog tables' own row types (`product_before products`, `sku_after skus`,
…): a copy of the row as PostgreSQL stores it. Measured at 100k changed SKUs, building JSONB
images cost about 1.2 s more than copying the row (`bench/history_bench.py`), which alone broke
the issue's budget of +20 % on the load; readers turn them into JSON (`to_jsonb`) when they
show them. The price: a migration may add or drop columns of `products`/`skus` (old images
follow: a new column reads null) but cannot change a column's type while images exist.
A product's slots are kept as JSONB beside its images (`images_before` / `images_after`, for
updated products), so rolling a product back restores its slots too ("slots follow the rows").

Recording can be turned off with `BRISKK_RECORD_HISTORY=0` for the benchmark only (it
measures the load with and without); uploads loaded that way cannot be rolled back.
"""

from __future__ import annotations

import os
from typing import Final

import sqlalchemy as sa

RECORD_SETTING: Final = "BRISKK_RECORD_HISTORY"
BEFORE_SLOTS: Final = "briskk_before_slots"
BEFORE_PRODUCTS: Final = "briskk_before_products"  # catalog/changes.py
BEFORE_SKUS: Final = "briskk_before_skus"  # catalog/changes.py
_INSERT: Final = (
    "INSERT INTO catalog_history (tenant, change_set_id, entity, key, product_id, action, "
    "product_before, product_after, sku_before, sku_after, images_before, images_after, "
    "recorded_at) "
)


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


def _slot_images(source: str, products: str) -> str:
    """Per product of `products` (a subquery of ids): its slots from `source` as JSON."""
    return (
        "SELECT s.product_id, "
        "jsonb_agg(jsonb_strip_nulls(to_jsonb(s) - 'tenant' - 'product_id') "
        f"ORDER BY s.position) AS slots FROM {source} s "
        f"WHERE s.product_id IN ({products}) GROUP BY s.product_id"
    )


def record_changes(
    connection: sa.Connection, *, tenant: str, change_set_id: str
) -> tuple[int, int]:
    """Write the change set's product and SKU changes to `catalog_history`; returns how many
    (products, SKUs). Call after every write of the change set, in its transaction, after
    `capture_before`.
    Requires the before tables' columns in the catalog tables' order (checked by the tests).
    """
    params = {"tenant": tenant, "change_set": change_set_id}
    # Temporary tables have no statistics until analyzed: without them the planner joins them
    # by nested loops (measured: 33 s instead of 0.3 s for 10k changed SKUs). The join keys
    # are enough for row counts, at a third of the cost of a full ANALYZE.
    for table, keys in (
        (BEFORE_PRODUCTS, "tenant, product_id"),
        (BEFORE_SKUS, "tenant, sku_id"),
        (BEFORE_SLOTS, "product_id"),
    ):
        connection.execute(sa.text(f"ANALYZE {table} ({keys})"))
    now_slots = "(SELECT * FROM product_images WHERE tenant = :tenant)"
    # A product changed when the change set rewrote its row; its slots are recorded with it.
    # Slots alone (an image now stored under the same URL) are the image pipeline's state, not
    # the brand's data: they record nothing (and a rollback leaves them as they are).
    changed = (
        "SELECT t.product_id FROM products t "
        f"JOIN {BEFORE_PRODUCTS} b ON b.tenant = t.tenant AND b.product_id = t.product_id "
        "WHERE t.tenant = :tenant AND t.last_upload_id = :change_set AND t.updated_at = now()"
    )
    products = connection.execute(
        sa.text(
            f"WITH changed AS ({changed}), "
            f"after_slots AS ({_slot_images(now_slots, 'SELECT product_id FROM changed')}), "
            f"before_slots AS ({_slot_images(BEFORE_SLOTS, 'SELECT product_id FROM changed')}) "
            f"{_INSERT}"
            "SELECT t.tenant, :change_set, 'product', t.product_id, t.product_id, 'updated', "
            "ROW(b.*)::products, t, NULL, NULL, coalesce(bs.slots, '[]'::jsonb), "
            "coalesce(a.slots, '[]'::jsonb), now() "
            "FROM changed c JOIN products t ON t.tenant = :tenant AND t.product_id = c.product_id "
            f"JOIN {BEFORE_PRODUCTS} b ON b.tenant = t.tenant AND b.product_id = t.product_id "
            "LEFT JOIN before_slots bs ON bs.product_id = t.product_id "
            "LEFT JOIN after_slots a ON a.product_id = t.product_id "
            # inserted products: their slots are their image columns, not copied again
            "UNION ALL SELECT t.tenant, :change_set, 'product', t.product_id, t.product_id, "
            "'inserted', NULL::products, NULL::products, NULL::skus, NULL::skus, NULL::jsonb, "
            "NULL::jsonb, now() FROM products t "
            "WHERE t.tenant = :tenant AND t.first_upload_id = :change_set "
            "AND t.created_at = now() "
            "ORDER BY 4"
        ),
        params,
    ).rowcount
    skus = connection.execute(
        sa.text(
            f"{_INSERT}"
            "SELECT t.tenant, :change_set, 'sku', t.sku_id, t.product_id, "
            "CASE WHEN b.sku_id IS NULL THEN 'inserted' "
            "WHEN t.is_disabled AND NOT b.is_disabled THEN 'disabled' "
            "WHEN b.is_disabled AND NOT t.is_disabled THEN 'enabled' ELSE 'updated' END, "
            "NULL, NULL, CASE WHEN b.sku_id IS NULL THEN NULL ELSE ROW(b.*)::skus END, "
            "CASE WHEN b.sku_id IS NULL THEN NULL ELSE t END, NULL, NULL, now() "
            f"FROM skus t LEFT JOIN {BEFORE_SKUS} b ON b.tenant = t.tenant AND b.sku_id = t.sku_id "
            "WHERE t.tenant = :tenant AND t.last_upload_id = :change_set "
            "AND t.updated_at = now() "
            "ORDER BY t.sku_id"
        ),
        params,
    ).rowcount
    return products, skus


def _after(alias: str, entity: str, table: str, key: str) -> str:
    """The after-image, also of an inserted row (recorded without one): the row's next
    before-image, else the row as it is now."""
    h = alias
    return (
        f"coalesce({h}.{entity}_after, (SELECT n.{entity}_before FROM catalog_history n "
        f"WHERE n.tenant = {h}.tenant AND n.product_id = {h}.product_id "
        f"AND n.entity = {h}.entity AND n.key = {h}.key AND n.change_id > {h}.change_id "
        f"ORDER BY n.change_id LIMIT 1), (SELECT c FROM {table} c WHERE c.tenant = {h}.tenant "
        f"AND c.{key} = {h}.key))"
    )


def image_sql(alias: str, which: str) -> str:
    """SQL for the JSON text of change `alias`'s row image `which` (`before` | `after`): the
    row as JSON plus, for a product, `images` (its slots) when they were recorded. An inserted
    row's after-image is the row as the change set left it: its next change's before-image, or
    the row as it is now (inserts record no image: the first load's budget)."""
    if which == "after":
        sku, product = (
            _after(alias, "sku", "skus", "sku_id"),
            _after(alias, "product", "products", "product_id"),
        )
    else:
        sku, product = f"{alias}.sku_before", f"{alias}.product_before"
    return (
        f"CASE WHEN {alias}.entity = 'sku' THEN to_jsonb({sku})::text "
        f"ELSE (to_jsonb({product}) || CASE WHEN {alias}.images_{which} IS NULL "
        f"THEN '{{}}'::jsonb ELSE jsonb_build_object('images', {alias}.images_{which}) END)::text "
        "END"
    )
