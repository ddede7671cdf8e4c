"""`color_family`, `size_normalised` and `size_system` beside each SKU in the catalog.

They are read from the stored `color` and `size` (the brand's words, never changed) by
`colors.color_family` and `sizes.read_size`, inside the load's transaction right after the
SKUs are merged (`catalog/load.py`), so they always follow the stored words, whatever wrote
them. Set-based: one query per distinct colour or size of the touched SKUs (a file has a few
dozen), each an `UPDATE … FROM (VALUES …)` that skips rows already right.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from briskk_pipeline.catalog.tables import skus
from briskk_pipeline.vocab.colors import color_family
from briskk_pipeline.vocab.sizes import read_size


def refresh(connection: sa.Connection, *, tenant: str, stage: sa.Table) -> None:
    """Read the family and size of the tenant's SKUs whose `sku_id` is in `stage` (the load's
    staging table)."""
    _refresh(connection, [skus.c.tenant == tenant, skus.c.sku_id.in_(sa.select(stage.c.sku_id))])


def refresh_all(connection: sa.Connection) -> None:
    """Read the family and size of every SKU (migration `0013_vocab`)."""
    _refresh(connection, [])


def _refresh(connection: sa.Connection, where: Sequence[sa.ColumnElement[bool]]) -> None:
    colors = connection.execute(sa.select(skus.c.color).where(*where).distinct()).scalars()
    color_rows = [(c, color_family(c)) for c in colors if c is not None]
    if color_rows:
        readings = sa.values(
            sa.column("color", sa.Text), sa.column("family", sa.Text), name="color_readings"
        ).data(color_rows)
        connection.execute(
            sa.update(skus)
            .where(
                *where,
                skus.c.color == readings.c.color,
                skus.c.color_family.is_distinct_from(readings.c.family),
            )
            .values(color_family=readings.c.family)
        )
    sizes = connection.execute(sa.select(skus.c.size).where(*where).distinct()).scalars()
    size_rows = []
    for size in sizes:
        if size is None:
            continue
        read = read_size(size)
        size_rows.append((size, read and read.normalised, read and read.system))
    if size_rows:
        readings = sa.values(
            sa.column("size", sa.Text),
            sa.column("normalised", sa.Text),
            sa.column("system", sa.Text),
            name="size_readings",
        ).data(size_rows)
        connection.execute(
            sa.update(skus)
            .where(
                *where,
                skus.c.size == readings.c.size,
                sa.or_(
                    skus.c.size_normalised.is_distinct_from(readings.c.normalised),
                    skus.c.size_system.is_distinct_from(readings.c.system),
                ),
            )
            .values(size_normalised=readings.c.normalised, size_system=readings.c.system)
        )
