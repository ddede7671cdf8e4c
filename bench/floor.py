"""The floor: the least work that gets a template workbook into the catalog's tables.

fastexcel (Rust calamine) reads the data sheet straight to Arrow with every column as a string
(the fastest reader, PITFALLS "Reading spreadsheets"); the first row of each product becomes
its `products` row; pyarrow writes CSV and PostgreSQL COPYs it into `products` and `skus` in one
transaction. No cleaning, no validation, no upsert, no images, no orchestrator: nothing the
product promises beyond the bytes landing in the tables. Run in its own process by
`bench/run.py`; prints one JSON object of timings.

    .venv/bin/python bench/floor.py FILE.xlsx --database-url postgresql+psycopg2://...
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from datetime import UTC, datetime

import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from briskk_pipeline.catalog import tables
from briskk_pipeline.template import COLUMN_NAMES, PRODUCT_COLUMNS, SKU_COLUMNS

UPLOAD_ID = "floor"


def read(path: str) -> pa.Table:
    sheet = fastexcel.read_excel(path).load_sheet(0, dtypes="string")
    batch = sheet.to_arrow()
    # The template's columns in the template's order: rename positionally (no header matching).
    return pa.Table.from_batches([batch]).rename_columns(list(COLUMN_NAMES))


def split(table: pa.Table, tenant: str) -> tuple[pa.Table, pa.Table]:
    product_ids = table.column("product_id").to_numpy(zero_copy_only=False)
    _, first = np.unique(product_ids, return_index=True)
    products = table.take(pa.array(np.sort(first))).select(list(PRODUCT_COLUMNS))
    skus = table.select(["product_id", *SKU_COLUMNS])
    return _audited(products, tenant), _audited(skus, tenant)


def _audited(table: pa.Table, tenant: str) -> pa.Table:
    n = table.num_rows
    now = datetime.now(UTC).isoformat()
    for name, value in (
        ("tenant", tenant),
        ("first_upload_id", UPLOAD_ID),
        ("last_upload_id", UPLOAD_ID),
        ("created_at", now),
        ("updated_at", now),
    ):
        table = table.append_column(name, pa.array([value] * n, pa.string()))
    return table


def copy(connection: sa.Connection, target: sa.Table, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pa_csv.write_csv(
        table, buffer, pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    )
    buffer.seek(0)
    columns = ", ".join(f'"{name}"' for name in table.column_names)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(f'COPY "{target.name}" ({columns}) FROM STDIN WITH (FORMAT csv)', buffer)
    finally:
        cursor.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tenant", default="BrandA")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    table = read(args.path)
    read_done = time.perf_counter()
    products, skus = split(table, args.tenant)
    split_done = time.perf_counter()
    engine = sa.create_engine(args.database_url)
    with engine.begin() as connection:
        copy(connection, tables.products, products)
        copy(connection, tables.skus, skus)
    loaded = time.perf_counter()
    engine.dispose()
    json.dump(
        {
            "rows": table.num_rows,
            "products": products.num_rows,
            "read": read_done - started,
            "transform": split_done - read_done,
            "load": loaded - split_done,
            "work": loaded - started,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
