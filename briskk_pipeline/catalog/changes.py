"""What a load changes in the catalog, seen from inside the load's own transaction.

`load.load_upload` copies the rows its upload touches into two temporary "before" tables
after staging and before merging (`snapshot_before`), then, after the merge and the disabling
of absent SKUs, compares them with the tables as the load left them. Both real loads and dry
runs go through this code with the real merge in between, so a dry run's diff is exactly what
the real load does (a dry run then rolls the catalog part of the transaction back).

- `load_warnings` (every load): prices that move by more than 50 %, blank cells that replace a
  stored value, and an upload that disables more than a fifth of the tenant's active SKUs.
  Set-based SQL, cheap even at 100k rows.
- `collect_changes` (dry runs): per product `new` | `changed` | `unchanged` | `rejected`, with
  each changed field as `[old, new]` for the product and its SKUs (JSON values as in `briskk
  products --json`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.catalog import tables
from briskk_pipeline.catalog.queries import json_number

# A price moves "by more than half" when |new - old| > old / 2 (issue "Brand feedback").
PRICE_COLUMNS: Final[tuple[str, ...]] = template.columns_of(template.Kind.DECIMAL)
# More than this share of the tenant's active SKUs disabled by one upload is a warning.
DISABLE_SHARE: Final[tuple[int, int]] = (1, 5)
SHOWN_PRICE_MOVES: Final[int] = 20  # price-move warnings listed one by one; the rest counted

PRODUCT_FIELDS: Final[tuple[str, ...]] = tuple(
    c for c in template.PRODUCT_COLUMNS if c != "product_id"
)
SKU_FIELDS: Final[tuple[str, ...]] = tuple(c for c in template.SKU_COLUMNS if c != "sku_id")
_EXACT: Final[frozenset[str]] = frozenset(
    template.columns_of(template.Kind.DECIMAL) + template.columns_of(template.Kind.MEASURE)
)

_metadata = sa.MetaData()


def _before_table(name: str, target: sa.Table) -> sa.Table:
    return sa.Table(
        name,
        _metadata,
        *(sa.Column(c.name, c.type) for c in target.columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


_before_products = _before_table("briskk_before_products", tables.products)
_before_skus = _before_table("briskk_before_skus", tables.skus)


def snapshot_before(
    connection: sa.Connection,
    *,
    tenant: str,
    stage_products: sa.Table,
    stage_skus: sa.Table | None,
) -> int:
    """Copy the catalog rows the staged upload touches; return the tenant's active SKU count.

    Touched: the staged products, and the SKUs of those products or with a staged `sku_id`.
    Must run after staging and before any catalog row is written, in the load's transaction.
    """
    for table in (_before_products, _before_skus):
        connection.execute(sa.schema.CreateTable(table))
    products, skus = tables.products, tables.skus
    staged_products = sa.select(stage_products.c.product_id)
    connection.execute(
        sa.insert(_before_products).from_select(
            [c.name for c in products.columns],
            sa.select(products).where(
                products.c.tenant == tenant, products.c.product_id.in_(staged_products)
            ),
        )
    )
    touched: sa.ColumnElement[bool] = skus.c.product_id.in_(staged_products)
    if stage_skus is not None:
        touched = sa.or_(touched, skus.c.sku_id.in_(sa.select(stage_skus.c.sku_id)))
    connection.execute(
        sa.insert(_before_skus).from_select(
            [c.name for c in skus.columns],
            sa.select(skus).where(skus.c.tenant == tenant, touched),
        )
    )
    active = sa.select(sa.func.count()).where(skus.c.tenant == tenant, ~skus.c.is_disabled)
    return int(connection.execute(active).scalar_one())


def load_warnings(connection: sa.Connection, *, tenant: str, active_before: int) -> list[str]:
    """The surprises of the load just merged (after `snapshot_before`), as summary lines."""
    warnings = _price_moves(connection, tenant)
    warnings += _blank_overwrites(connection, tenant, tables.products, _before_products)
    warnings += _blank_overwrites(connection, tenant, tables.skus, _before_skus)
    disabled = connection.execute(
        sa.select(sa.func.count())
        .select_from(_before_skus)
        .join(tables.skus, _same_sku(_before_skus))
        .where(~_before_skus.c.is_disabled, tables.skus.c.is_disabled)
    ).scalar_one()
    part, whole = DISABLE_SHARE
    if disabled and disabled * whole > active_before * part:
        share = round(100 * disabled / active_before) if active_before else 100
        warnings.append(
            f"this upload disables {disabled} of the tenant's {active_before} active SKUs "
            f"({share}%, more than a fifth): SKUs its products no longer list, or marked "
            "is_disabled; check that the file lists every SKU of each product"
        )
    return warnings


def _same_sku(before: sa.Table) -> sa.ColumnElement[bool]:
    return sa.and_(tables.skus.c.tenant == before.c.tenant, tables.skus.c.sku_id == before.c.sku_id)


def _price_moves(connection: sa.Connection, tenant: str) -> list[str]:
    moves: list[tuple[str, str, Decimal, Decimal]] = []
    for column in PRICE_COLUMNS:
        old, new = _before_skus.c[column], tables.skus.c[column]
        rows = connection.execute(
            sa.select(tables.skus.c.sku_id, old, new)
            .select_from(_before_skus)
            .join(tables.skus, _same_sku(_before_skus))
            .where(tables.skus.c.tenant == tenant, old > 0, new.is_not(None))
            .where(2 * sa.func.abs(new - old) > old)
            .order_by(tables.skus.c.sku_id)
        )
        moves.extend((sku_id, column, a, b) for sku_id, a, b in rows)
    moves.sort()
    lines = [
        f"SKU {sku_id}: {column} moves from {_plain(old)} to {_plain(new)} "
        f"({(new - old) / old:+.0%}), more than half: check it is not a typo"
        for sku_id, column, old, new in moves[:SHOWN_PRICE_MOVES]
    ]
    if len(moves) > SHOWN_PRICE_MOVES:
        lines.append(f"…and {len(moves) - SHOWN_PRICE_MOVES} more prices move by more than half")
    return lines


def _blank_overwrites(
    connection: sa.Connection, tenant: str, target: sa.Table, before: sa.Table
) -> list[str]:
    """Per column, the rows where the upload's blank replaced a stored value."""
    key = "product_id" if target is tables.products else "sku_id"
    fields = PRODUCT_FIELDS if target is tables.products else SKU_FIELDS
    nullable = [f for f in fields if target.c[f].nullable]
    if not nullable:
        return []
    erased = {f: sa.and_(before.c[f].is_not(None), target.c[f].is_(None)) for f in nullable}
    query = (
        sa.select(
            *(sa.func.count().filter(cond).label(f"n_{f}") for f, cond in erased.items()),
            *(
                sa.func.min(target.c[key]).filter(cond).label(f"e_{f}")
                for f, cond in erased.items()
            ),
        )
        .select_from(before)
        .join(target, sa.and_(target.c.tenant == before.c.tenant, target.c[key] == before.c[key]))
        .where(target.c.tenant == tenant)
    )
    row = connection.execute(query).mappings().one()
    noun = "product" if key == "product_id" else "SKU"
    lines = []
    for f in nullable:
        count = row[f"n_{f}"]
        if count:
            plural = f"{count} {noun}s" if count != 1 else f"1 {noun}"
            lines.append(
                f"{plural}: a blank '{f}' replaces the value stored in the catalog "
                f"(e.g. {noun} {row[f'e_{f}']}); fill it in to keep the stored value"
            )
    return lines


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def collect_changes(
    connection: sa.Connection,
    *,
    tenant: str,
    stage_products: sa.Table,
    stage_skus: sa.Table | None,
    rejected_products: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Per product of the upload, what the load just merged changed (after `snapshot_before`).

    Each item: `{product_id, action, fields: {name: [old, new]}, skus: [...]}`; `action` is
    `new`, `changed`, `unchanged` or `rejected`; `fields` lists the product's changed columns
    (empty for new, unchanged and rejected products); `skus` lists the product's SKUs that are
    `new`, `changed` (with their `fields`) or `disabled` (left out of the upload). Sorted by
    product_id.
    """
    products, skus = tables.products, tables.skus
    staged = sa.select(stage_products.c.product_id)
    listed: set[str] = set()
    if stage_skus is not None:
        listed = set(connection.execute(sa.select(stage_skus.c.sku_id)).scalars())
    before_p = _by_key(connection, sa.select(_before_products), "product_id")
    after_p = _by_key(
        connection,
        sa.select(products).where(products.c.tenant == tenant, products.c.product_id.in_(staged)),
        "product_id",
    )
    before_s = _by_key(connection, sa.select(_before_skus), "sku_id")
    touched: sa.ColumnElement[bool] = skus.c.product_id.in_(staged)
    if stage_skus is not None:
        touched = sa.or_(touched, skus.c.sku_id.in_(sa.select(stage_skus.c.sku_id)))
    after_s = _by_key(connection, sa.select(skus).where(skus.c.tenant == tenant, touched), "sku_id")

    sku_changes: dict[str, list[dict[str, Any]]] = {}
    for sku_id in sorted(after_s):
        after = after_s[sku_id]
        before = before_s.get(sku_id)
        if before is None:
            entry: dict[str, Any] = {"sku_id": sku_id, "action": "new", "fields": {}}
        else:
            fields = _diff(before, after, ("product_id", *SKU_FIELDS))
            if not fields:
                continue
            absent = sku_id not in listed and fields.keys() == {"is_disabled"}
            entry = {"sku_id": sku_id, "action": "disabled" if absent else "changed"}
            entry["fields"] = fields
        sku_changes.setdefault(after["product_id"], []).append(entry)

    changes: list[dict[str, Any]] = []
    for product_id, after in after_p.items():
        before = before_p.get(product_id)
        entries = sku_changes.get(product_id, [])
        if before is None:
            action, fields = "new", {}
        else:
            fields = _diff(before, after, PRODUCT_FIELDS)
            action = "changed" if fields or entries else "unchanged"
        changes.append(
            {"product_id": product_id, "action": action, "fields": fields, "skus": entries}
        )
    for product_id in set(rejected_products) - after_p.keys():
        changes.append({"product_id": product_id, "action": "rejected", "fields": {}, "skus": []})
    changes.sort(key=lambda c: c["product_id"])
    return changes


def _by_key(connection: sa.Connection, query: sa.Select[Any], key: str) -> dict[str, sa.RowMapping]:
    return {row[key]: row for row in connection.execute(query).mappings()}


def _diff(
    before: Mapping[str, Any] | sa.RowMapping,
    after: Mapping[str, Any] | sa.RowMapping,
    fields: Sequence[str],
) -> dict[str, list[Any]]:
    # Python's == agrees with the merge's IS DISTINCT FROM: Decimal 1299.00 == 1299.0, as
    # NUMERIC compares in PostgreSQL, so a change shown here is a row the merge rewrote.
    return {f: [_json(f, before[f]), _json(f, after[f])] for f in fields if before[f] != after[f]}


def _json(name: str, value: Any) -> Any:
    """A catalog value as `briskk products --json` shows it (decimals as JSON numbers)."""
    if name in _EXACT and value is not None:
        return json_number(value)
    return value


# For `summary.py`, which reads the same "before" tables and diffs rows the same way.
before_products: Final[sa.Table] = _before_products
before_skus: Final[sa.Table] = _before_skus
diff: Final = _diff
as_json: Final = _json
