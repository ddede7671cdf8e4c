"""The staging half of the set-based load: an upload's frames COPYed into temporary tables.

The frames are checked (`checked`: the expected columns, no duplicate keys, decimals as exact
text), written as CSV by pyarrow and COPYed into typed temporary tables dropped at commit
(see PITFALLS "Loading PostgreSQL"). `merge.py` merges them into the catalog.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Final

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from briskk_pipeline import template
from briskk_pipeline.catalog import tables
from briskk_pipeline.images.model import IMAGE_FRAME_COLUMNS, PRODUCT_IMAGE_COLUMNS
from briskk_pipeline.vocab.store import READING_COLUMNS

PRODUCT_STAGE_COLUMNS: Final[tuple[str, ...]] = template.PRODUCT_COLUMNS
SKU_STAGE_COLUMNS: Final[tuple[str, ...]] = ("product_id", *template.SKU_COLUMNS)
EXACT_COLUMNS: Final[tuple[str, ...]] = template.columns_of(
    template.Kind.DECIMAL
) + template.columns_of(template.Kind.MEASURE)

_stage_metadata = sa.MetaData()


def _stage_table(name: str, target: sa.Table, columns: Sequence[str]) -> sa.Table:
    """A temporary table with `columns` typed as in `target`, dropped at commit.

    Typed staging makes COPY parse numbers, booleans and timestamps itself: exact decimal text
    goes straight into NUMERIC, and a bad value fails the COPY rather than the merge.
    """
    return sa.Table(
        name,
        _stage_metadata,
        *(sa.Column(c, target.c[c].type) for c in columns),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


stage_products = _stage_table("briskk_stage_products", tables.products, PRODUCT_STAGE_COLUMNS)
stage_skus = _stage_table(
    "briskk_stage_skus", tables.skus, (*SKU_STAGE_COLUMNS, *READING_COLUMNS)
)  # READING_COLUMNS: a new SKU is inserted with what the load read from colour and size
stage_images = _stage_table("briskk_stage_images", tables.images, IMAGE_FRAME_COLUMNS)
stage_product_images = _stage_table(
    "briskk_stage_product_images", tables.product_images, PRODUCT_IMAGE_COLUMNS
)


def checked(
    frame: pd.DataFrame | None, columns: Sequence[str], key: Sequence[str], name: str
) -> pd.DataFrame | None:
    """The frame's `columns` in order, or None when there are no rows to load.

    Raises `ValueError` when a column is missing or `key` is duplicated.
    """
    if frame is None or len(frame) == 0:
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame lacks columns {missing}")
    if key:
        duplicated = frame.duplicated(list(key), keep=False)
        if duplicated.any():
            shown = frame.loc[duplicated, list(key)].drop_duplicates().head(5)
            raise ValueError(
                f"{name} frame has duplicate {'/'.join(key)}: {shown.to_dict('records')}"
            )
    return frame.loc[:, list(columns)]


def require_exact(skus: pd.DataFrame | None) -> None:
    """Prices and measurements must arrive as exact text; a float has already lost digits.

    Raises `TypeError` naming the column.
    """
    if skus is None:
        return
    for column in EXACT_COLUMNS:
        if pd.api.types.is_float_dtype(skus[column].dtype):
            raise TypeError(
                f"skus.{column} is {skus[column].dtype}; decimals must arrive as exact text "
                "such as '1299.00'"
            )


def _csv(frame: pd.DataFrame) -> io.BytesIO:
    """CSV for `COPY … (FORMAT csv)`: every non-null value quoted, nulls as bare empty fields.

    PostgreSQL reads an unquoted empty field as NULL and `""` as an empty string, so NULL and
    '' stay distinct; text (including decimal text) is written byte for byte.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    buffer = io.BytesIO()
    pa_csv.write_csv(
        table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    )
    buffer.seek(0)
    return buffer


def stage(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Create temporary `table` and COPY `frame` (its columns, in order) into it."""
    connection.execute(sa.schema.CreateTable(table))
    copy_frame(connection, table, frame, [c.name for c in table.columns])


def copy_frame(
    connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, columns: Sequence[str]
) -> None:
    """COPY `frame`'s values into `columns` of `table` (the frame's columns in that order),
    inside `connection`'s transaction. Values are written as `_csv` writes them (text as
    it is, NULL kept apart from ''); PostgreSQL parses each into its column's type."""
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    copy_sql = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN WITH (FORMAT csv)"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(copy_sql, _csv(frame))
    finally:
        cursor.close()
