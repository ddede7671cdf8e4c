"""The `changes` object of an upload: what its load changed in the catalog, announced.

SPEC §2 "Upsert": no file changes or disables anything its own summary does not name. Computed
inside the load's transaction after the merge (the "before" tables of `changes.snapshot_before`
against the catalog as the load left it), for real loads, dry runs and review holds alike; it
is stored with the upload (`uploads.change_summary`) and printed by `briskk ingest --json`,
`GET /uploads/{id}` and the human summary. Its shape:

    {"mode": "merge" | "replace" | "update",
     "products": {"inserted": n, "updated": n, "unchanged": n},
     "skus": {"inserted": n, "updated": n, "unchanged": n, "disabled": n},
     "values_cleared": n,              # stored values a blank cell made blank
     "shown": N,                       # each list below holds at most N entries
     "inserted": [{row, product_id, sku_id}],          # sku_id null for a product
     "updated":  [{row, product_id, sku_id, column, old, new}],
     "cleared":  [{row, product_id, sku_id, column, old, new: null}],
     "disabled": [{row, product_id, sku_id, column: "is_disabled", old: false, new: true,
                   reason: "is_disabled" | "absent"}],
     "disabled_absent": [{product_id, sku_id}],  # replace mode: every one, never capped
     "not_listed": {"skus": n, "products": [{product_id, sku_ids}]}}  # merge: kept as they are

Values are JSON as `briskk products --json` shows them (decimals as numbers). `row` is the
Excel row of the product's first row or of the SKU's row; null for a SKU the file does not list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from briskk_pipeline.catalog import changes, tables

SHOWN: Final[int] = 50  # entries listed per kind of change; the counts cover them all
SHOWN_PRODUCTS: Final[int] = 20  # products named one by one in the "not listed" warnings
SHOWN_SKUS: Final[int] = 10  # SKUs named per product in one warning

_PRODUCT_FIELDS: Final = changes.PRODUCT_FIELDS
_SKU_FIELDS: Final = changes.SKU_FIELDS


def summarize(
    connection: sa.Connection,
    *,
    tenant: str,
    mode: str,
    stage_products: sa.Table,
    stage_skus: sa.Table | None,
    counts: Mapping[str, Mapping[str, int]],
    disabled_absent: Sequence[tuple[str, str]],
    not_listed: Sequence[tuple[str, str]],
    product_rows: Mapping[str, int],
    sku_rows: Mapping[str, int],
    shown: int = SHOWN,
) -> dict[str, Any]:
    """The `changes` object (module docstring) of the load just merged in this transaction.

    `counts`: `{"products": {inserted, updated, unchanged}, "skus": {…}}` from the merge;
    `disabled_absent`/`not_listed`: (product_id, sku_id) of the SKUs the file leaves out,
    disabled (replace) or kept (merge).
    """
    before_p, before_s = changes.before_products, changes.before_skus
    products, skus = tables.products, tables.skus
    p_join = sa.and_(products.c.tenant == tenant, products.c.product_id == before_p.c.product_id)
    s_join = sa.and_(skus.c.tenant == tenant, skus.c.sku_id == before_s.c.sku_id)

    def row_of(product_id: str, sku_id: str | None) -> int | None:
        if sku_id is None:
            return product_rows.get(product_id)
        return sku_rows.get(sku_id)

    inserted: list[dict[str, Any]] = []
    new_products = connection.execute(
        sa.select(stage_products.c.product_id)
        .where(~stage_products.c.product_id.in_(sa.select(before_p.c.product_id)))
        .order_by(stage_products.c.product_id)
        .limit(shown)
    ).scalars()
    inserted += [{"row": row_of(p, None), "product_id": p, "sku_id": None} for p in new_products]
    if stage_skus is not None:
        new_skus = connection.execute(
            sa.select(stage_skus.c.product_id, stage_skus.c.sku_id)
            .where(~stage_skus.c.sku_id.in_(sa.select(before_s.c.sku_id)))
            .order_by(stage_skus.c.sku_id)
            .limit(shown)
        )
        inserted += [{"row": row_of(p, s), "product_id": p, "sku_id": s} for p, s in new_skus]

    def pairs(
        before: sa.Table,
        after: sa.Table,
        join: sa.ColumnElement[bool],
        key: str,
        where: sa.ColumnElement[bool],
    ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        rows = connection.execute(
            sa.select(
                *(c.label(f"b_{c.name}") for c in before.c),
                *(c.label(f"a_{c.name}") for c in after.c),
            )
            .select_from(before.join(after, join))
            .where(where)
            .order_by(before.c[key])
            .limit(shown)
        ).mappings()
        return [
            (
                {c.name: r[f"b_{c.name}"] for c in before.c},
                {c.name: r[f"a_{c.name}"] for c in after.c},
            )
            for r in rows
        ]

    def distinct(
        before: sa.Table, after: sa.Table, fields: Iterable[str]
    ) -> sa.ColumnElement[bool]:
        return sa.or_(*(after.c[f].is_distinct_from(before.c[f]) for f in fields))

    def cleared(before: sa.Table, after: sa.Table, fields: Iterable[str]) -> sa.ColumnElement[bool]:
        nullable = [f for f in fields if after.c[f].nullable]
        return sa.or_(
            sa.false(), *(sa.and_(before.c[f].is_not(None), after.c[f].is_(None)) for f in nullable)
        )

    updated: list[dict[str, Any]] = []
    blanked: list[dict[str, Any]] = []
    disabled: list[dict[str, Any]] = []
    absent = {s for _, s in disabled_absent}
    for before, after, join, key, fields in (
        (before_p, products, p_join, "product_id", _PRODUCT_FIELDS),
        (before_s, skus, s_join, "sku_id", _SKU_FIELDS),
    ):
        level_fields = ("product_id", *fields) if key == "sku_id" else fields
        for found_before, found_after in pairs(
            before, after, join, key, distinct(before, after, level_fields)
        ):
            product_id = found_after["product_id"]
            sku_id = found_after["sku_id"] if key == "sku_id" else None
            for field, (old, new) in changes.diff(found_before, found_after, level_fields).items():
                entry = {
                    "row": row_of(product_id, sku_id),
                    "product_id": product_id,
                    "sku_id": sku_id,
                    "column": field,
                    "old": old,
                    "new": new,
                }
                if field == "is_disabled" and new is True:
                    entry["reason"] = "absent" if sku_id in absent else "is_disabled"
                    if sku_id in absent:
                        entry["row"] = None
                    disabled.append(entry)
                elif new is None and old is not None:
                    blanked.append(entry)
                else:
                    updated.append(entry)
        # the lists above come from the first `shown` changed rows: enough for `shown`
        # updates, but clears and disables may sit further down; fetch those on their own
        if len(blanked) < shown:
            seen = {(e["sku_id"], e["product_id"], e["column"]) for e in blanked}
            for found_before, found_after in pairs(
                before, after, join, key, cleared(before, after, fields)
            ):
                product_id = found_after["product_id"]
                sku_id = found_after["sku_id"] if key == "sku_id" else None
                for field in fields:
                    old_value, new_value = found_before[field], found_after[field]
                    if old_value is not None and new_value is None:
                        if (sku_id, product_id, field) in seen:
                            continue
                        blanked.append(
                            {
                                "row": row_of(product_id, sku_id),
                                "product_id": product_id,
                                "sku_id": sku_id,
                                "column": field,
                                "old": changes.as_json(field, old_value),
                                "new": None,
                            }
                        )
        if key == "sku_id" and len(disabled) < shown:
            seen_skus = {e["sku_id"] for e in disabled}
            for _, found_after in pairs(
                before, after, join, key, sa.and_(~before.c.is_disabled, after.c.is_disabled)
            ):
                sku_id = found_after["sku_id"]
                if sku_id in seen_skus:
                    continue
                disabled.append(
                    {
                        "row": None if sku_id in absent else row_of("", sku_id),
                        "product_id": found_after["product_id"],
                        "sku_id": sku_id,
                        "column": "is_disabled",
                        "old": False,
                        "new": True,
                        "reason": "absent" if sku_id in absent else "is_disabled",
                    }
                )

    disabled_count = connection.execute(
        sa.select(sa.func.count())
        .select_from(before_s.join(skus, s_join))
        .where(~before_s.c.is_disabled, skus.c.is_disabled)
    ).scalar_one()
    values_cleared = _count_cleared(connection, before_p, products, p_join, _PRODUCT_FIELDS)
    values_cleared += _count_cleared(connection, before_s, skus, s_join, _SKU_FIELDS)

    by_product: dict[str, list[str]] = {}
    for product_id, sku_id in not_listed:
        by_product.setdefault(product_id, []).append(sku_id)

    def ordered(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        big = 1 << 62
        entries.sort(
            key=lambda e: (e["row"] if e["row"] is not None else big, e.get("sku_id") or "")
        )
        return entries[:shown]

    return {
        "mode": mode,
        "catalog_fingerprint": fingerprint(connection),
        "products": dict(counts["products"]),
        "skus": {**counts["skus"], "disabled": int(disabled_count)},
        "values_cleared": values_cleared,
        "shown": shown,
        "inserted": ordered(inserted),
        "updated": ordered(updated),
        "cleared": ordered(blanked),
        "disabled": ordered(disabled),
        "disabled_absent": [{"product_id": p, "sku_id": s} for p, s in disabled_absent],
        "not_listed": {
            "skus": len(not_listed),
            "products": [
                {"product_id": p, "sku_ids": ids} for p, ids in list(by_product.items())[:shown]
            ],
        },
    }


def fingerprint(connection: sa.Connection) -> str:
    """md5 of the catalog rows the load touches as they were before it (the "before" tables
    of `changes.snapshot_before`, ordered by key): equal fingerprints, same starting rows, so
    the same diff. An approval compares it with the held upload's (`review/decide.py`)."""
    before_p, before_s = changes.before_products, changes.before_skus
    parts = []
    for table, key in ((before_p, "product_id"), (before_s, "sku_id")):
        row_text = sa.cast(sa.literal_column(table.name), sa.Text)
        # string_agg(row, separator ORDER BY key): the ORDER BY goes with the separator
        separator = aggregate_order_by(sa.literal("\n", sa.Text), table.c[key])
        digest = sa.func.md5(sa.func.string_agg(row_text, separator))
        parts.append(sa.select(sa.func.coalesce(digest, "")).select_from(table).scalar_subquery())
    return str(connection.execute(sa.select(sa.func.md5(parts[0] + parts[1]))).scalar_one())


def _count_cleared(
    connection: sa.Connection,
    before: sa.Table,
    after: sa.Table,
    join: sa.ColumnElement[bool],
    fields: Iterable[str],
) -> int:
    """How many (row, column) stored values the load made blank."""
    nullable = [f for f in fields if after.c[f].nullable]
    if not nullable:
        return 0
    total = sum(
        (
            sa.func.count().filter(sa.and_(before.c[f].is_not(None), after.c[f].is_(None)))
            for f in nullable
        ),
        start=sa.literal(0),
    )
    return int(
        connection.execute(sa.select(total).select_from(before.join(after, join))).scalar_one()
    )


def _named_by_product(
    pairs: Sequence[tuple[str, str]],
) -> tuple[list[tuple[str, str, str]], int, int]:
    """(product_id, sku_id) pairs grouped by product: the first `SHOWN_PRODUCTS` products as
    (product_id, noun "SKU"/"SKUs", the first `SHOWN_SKUS` ids named with "and N more"), then
    how many products and SKUs were left unnamed."""
    by_product: dict[str, list[str]] = {}
    for product_id, sku_id in pairs:
        by_product.setdefault(product_id, []).append(sku_id)
    named: list[tuple[str, str, str]] = []
    for product_id, ids in list(by_product.items())[:SHOWN_PRODUCTS]:
        text = ", ".join(ids[:SHOWN_SKUS])
        if len(ids) > SHOWN_SKUS:
            text += f" and {len(ids) - SHOWN_SKUS} more"
        named.append((product_id, "SKU" if len(ids) == 1 else "SKUs", text))
    rest = list(by_product.values())[SHOWN_PRODUCTS:]
    return named, len(rest), sum(len(ids) for ids in rest)


def not_listed_warnings(not_listed: Sequence[tuple[str, str]]) -> list[str]:
    """One warning per product whose catalog SKUs the file leaves out (merge mode), capped."""
    named, more, rest = _named_by_product(not_listed)
    lines = [
        f"product {product_id}: catalog {noun} {ids} not in this file, kept as they are; "
        "to take one off sale send it with is_disabled TRUE"
        for product_id, noun, ids in named
    ]
    if more:
        lines.append(
            f"…and {more} more products have catalog SKUs not in this file ({rest} SKUs), "
            "kept as they are"
        )
    return lines


def disabled_absent_warnings(disabled_absent: Sequence[tuple[str, str]]) -> list[str]:
    """`replace` mode: one warning per product naming the SKUs disabled because absent."""
    named, more, rest = _named_by_product(disabled_absent)
    lines = [
        f"product {product_id}: {noun} {ids} disabled (replace: not in this file)"
        for product_id, noun, ids in named
    ]
    if more:
        lines.append(
            f"…and {rest} more SKUs of {more} more products "
            "disabled (replace: not in this file); `changes.disabled_absent` lists them all"
        )
    return lines
