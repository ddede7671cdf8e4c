"""`color_family`, `size_normalised` and `size_system` beside each SKU in the catalog.

They are read from the stored `color` and `size` (the brand's words, never changed) by
`colors.color_family` and `sizes.read_size`. A new SKU gets them as it is inserted: the load
stages them beside the file's values (`with_readings`). Then, inside the load's transaction
right after the SKUs are merged (`catalog/load.py`), `refresh` reads them again from what is
stored, so they always follow the stored words whatever wrote them (an update file's blank
colour keeps the stored one, a rollback restores old words). Set-based: the distinct colours
and sizes of the touched SKUs (a file has a few dozen) are read once each, and an
`UPDATE … FROM (VALUES …)` rewrites only rows not already right: writing them at the insert
spared a 100,000-SKU upload two rewrites of every row (about 2.9 s of its load).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd
import sqlalchemy as sa

from briskk_pipeline.catalog.tables import skus
from briskk_pipeline.vocab.colors import color_family
from briskk_pipeline.vocab.sizes import read_size

# the SKU columns read from colour and size; the load's staging table has them too
READING_COLUMNS: Final[tuple[str, ...]] = ("color_family", "size_normalised", "size_system")


def with_readings(skus: pd.DataFrame) -> pd.DataFrame:
    """`skus` (with `color` and `size` columns) and `READING_COLUMNS` after them: each
    distinct colour and size read once; None where the cell is blank or not understood."""
    colors = {c: color_family(c) for c in skus["color"].dropna().unique()}
    sizes = {s: size_reading(s) for s in skus["size"].dropna().unique()}
    read = [
        sizes.get(s, (None, None)) if isinstance(s, str) else (None, None) for s in skus["size"]
    ]
    return skus.assign(
        color_family=[colors.get(c) if isinstance(c, str) else None for c in skus["color"]],
        size_normalised=[normalised for normalised, _ in read],
        size_system=[system for _, system in read],
    )


def size_reading(size: str) -> tuple[str | None, str | None]:
    """`(size_normalised, size_system)` of a brand's size (`sizes.read_size`), `(None, None)`
    when it is not understood."""
    read = read_size(size)
    return (read.normalised, read.system) if read is not None else (None, None)


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
        size_rows.append((size, *size_reading(size)))
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
